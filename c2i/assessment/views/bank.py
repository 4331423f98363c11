"""Pages of the knowledge test: the question bank and its review (authors and
reviewers), exams and results (correspondents), and the test itself
(candidates). Answering works without JavaScript: each question is its own
form; `static/c2i/exam.js` saves each click through the API instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from c2i.accounts import access as accounts_access
from c2i.accounts.access import AuthenticatedRequest, role_required, roles
from c2i.assessment import access, confirmations, services
from c2i.assessment.formats.model import Rejected
from c2i.assessment.forms import (
    BankFilterForm,
    ExamForm,
    ExportForm,
    ExtraTimeForm,
    ImportForm,
    QuestionForm,
    ReopenForm,
    ReviewForm,
    StartForm,
)
from c2i.assessment.interchange import ImportReport, export_questions, import_questions
from c2i.assessment.models import (
    Attempt,
    AttemptQuestion,
    ExtraTime,
    Option,
    Question,
    QuestionStatus,
    Review,
)
from c2i.assessment.scoring import format_percent
from c2i.assessment.text import fragment_to_plain, plain_to_fragment, render_fragment, render_stem
from c2i.enrolment.models import EnrolmentStatus, InstitutionSession
from c2i.lib.confirm import CONFIRM_METHODS, confirmation_page
from c2i.lib.errors import DomainError
from c2i.lib.pages import page
from c2i.lib.tabular import csv_response, xlsx_response

AUTHORS = ("is_admin", "is_reviewer", "is_correspondent")
REVIEWERS = ("is_admin", "is_reviewer")
CORRESPONDENTS = ("is_correspondent", "is_admin")


def _posted(request: HttpRequest) -> Any:
    """The form data of a POST (even empty, so that its errors show), None otherwise."""
    return request.POST if request.method == "POST" else None


def _files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def _bank_crumbs() -> list[tuple[str, str]]:
    return [(reverse("assessment:bank"), _("Question bank"))]


# --- the bank -----------------------------------------------------------------


@role_required(*AUTHORS)
def bank(request: AuthenticatedRequest) -> HttpResponse:
    form = BankFilterForm(request.GET or None)
    qs = access.questions_for_user(request.user).order_by("framework__code", "competency__code", "id")
    if form.is_valid():
        data = form.cleaned_data
        if data["framework"]:
            qs = qs.filter(framework=data["framework"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if text := data["q"].strip():
            qs = qs.filter(Q(name__icontains=text) | Q(stem__icontains=text) | Q(competency__code__iexact=text))
        if data["to_review"]:
            mine = Review.objects.filter(question=OuterRef("pk"), reviewer=request.user, round=OuterRef("review_round"))
            qs = qs.filter(status=QuestionStatus.IN_REVIEW).exclude(author=request.user).exclude(Exists(mine))
    pages = Paginator(qs, 50)
    current = pages.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "assessment/bank.html",
        _("Question bank"),
        form=form,
        questions=current,
        querystring=query.urlencode(),
        can_review=access.can_review(request.user),
        whole_bank=access.sees_whole_bank(request.user),
    )


def _option_inputs(form: QuestionForm) -> list[services.OptionInput]:
    pairs = form.options()
    fractions = services.fractions_for([correct for _, correct in pairs])
    return [services.OptionInput(plain_to_fragment(text), f) for (text, _), f in zip(pairs, fractions, strict=True)]


def _image_bytes(form: QuestionForm) -> bytes | None:
    """The uploaded image's bytes, or None when no file was sent."""
    upload = form.cleaned_data.get("image")
    return upload.read() if upload else None


@role_required(*AUTHORS)
def question_create(request: AuthenticatedRequest) -> HttpResponse:
    form = QuestionForm(_posted(request), _files(request))
    if request.method == "POST" and form.is_valid():
        competency = form.cleaned_data["competency"]
        try:
            question = services.create_question(
                request.user,
                framework=competency.domain.framework,
                competency=competency,
                name=form.cleaned_data["name"],
                stem=form.cleaned_data["stem"].strip(),
                feedback=plain_to_fragment(form.cleaned_data["feedback"]),
                options=_option_inputs(form),
                image=_image_bytes(form),
            )
        except DomainError as error:
            form.add_error(_question_field(error.code), error.message)
        else:
            messages.success(request, _("The question is saved as a draft. Submit it for review when it is ready."))
            return redirect(question.get_absolute_url())
    return page(
        request,
        "assessment/question_form.html",
        _("New question"),
        _bank_crumbs(),
        status=400 if form.errors else 200,
        form=form,
    )


def _question_field(code: str) -> str | None:
    """The field of the question form a refusal of the services is about."""
    if code.startswith("image"):
        return "image"
    return "stem" if code in ("external_image", "empty_stem") else None


@role_required(*AUTHORS)
def question_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    question = access.get_question_for_user(request.user, pk)
    if not access.can_edit_question(request.user, question):
        messages.error(request, _("Only its author can change a draft or a refused question."))
        return redirect(question.get_absolute_url())
    initial: dict[str, Any] = {
        "competency": question.competency_id,
        "name": question.name,
        "stem": question.stem,
        "feedback": fragment_to_plain(question.feedback),
    }
    for option in question.options.all():
        initial[f"option_{option.position + 1}"] = fragment_to_plain(option.text)
        initial[f"correct_{option.position + 1}"] = option.is_correct
    form = QuestionForm(_posted(request), _files(request), initial=initial, has_image=bool(question.image))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_question(
                question,
                request.user,
                competency=form.cleaned_data["competency"],
                name=form.cleaned_data["name"],
                stem=form.cleaned_data["stem"].strip(),
                feedback=plain_to_fragment(form.cleaned_data["feedback"]),
                options=_option_inputs(form),
                image=_image_bytes(form),
                remove_image=bool(form.cleaned_data.get("remove_image")),
            )
        except DomainError as error:
            form.add_error(_question_field(error.code), error.message)
        else:
            messages.success(request, _("The question is saved."))
            return redirect(question.get_absolute_url())
    return page(
        request,
        "assessment/question_form.html",
        _("Change question %(n)s") % {"n": question.pk},
        [*_bank_crumbs(), (question.get_absolute_url(), _("Question %(n)s") % {"n": question.pk})],
        status=400 if form.errors else 200,
        form=form,
        question=question,
    )


@role_required(*AUTHORS)
def question_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _question_page(request, access.get_question_for_user(request.user, pk))


def _question_page(
    request: AuthenticatedRequest, question: Question, review_form: ReviewForm | None = None
) -> HttpResponse:
    """The question's page; `review_form`: the reviewer's refused opinion, shown again as given."""
    reviews = list(question.reviews.select_related("reviewer"))
    current = [r for r in reviews if r.round == question.review_round]
    may_review = (
        access.can_review(request.user)
        and question.status == QuestionStatus.IN_REVIEW
        and question.author_id != request.user.pk
        and not any(r.reviewer_id == request.user.pk for r in current)
    )
    stats = None
    if access.sees_whole_bank(request.user):
        rows = services.item_statistics(Attempt.objects.filter(items__question=question), [question.pk])
        stats = rows[0] if rows else None
    return page(
        request,
        "assessment/question_detail.html",
        _("Question %(n)s") % {"n": question.pk},
        _bank_crumbs(),
        status=400 if review_form is not None else 200,
        question=question,
        stem=render_stem(question.stem, question.stem_format),
        feedback=render_fragment(question.feedback),
        options=[(o, render_fragment(o.text), render_fragment(o.feedback)) for o in question.options.all()],
        reviews=reviews,
        approvals=sum(1 for r in current if r.verdict == "approve"),
        required=services.required_approvals(),
        refusal=services.latest_refusal(question) if question.status == QuestionStatus.REFUSED else None,
        review_form=(review_form if review_form is not None else ReviewForm()) if may_review else None,
        can_edit=access.can_edit_question(request.user, question),
        can_retire=access.can_review(request.user) and question.status != QuestionStatus.RETIRED,
        stats=stats,
    )


def _question_action(request: AuthenticatedRequest, pk: int, action: Any, done: str) -> HttpResponse:
    question = access.get_question_for_user(request.user, pk)
    try:
        action(question)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(question.get_absolute_url())


@require_POST
@role_required(*AUTHORS)
def question_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def submit(question: Question) -> None:
        if not access.can_edit_question(request.user, question):
            raise PermissionDenied
        services.submit_for_review(question, request.user)

    return _question_action(request, pk, submit, _("The question is submitted to the reviewers."))


@require_http_methods(CONFIRM_METHODS)
@role_required(*REVIEWERS)
def question_retire(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: what retiring means; POST: the retirement."""
    if request.method != "POST":
        question = access.get_question_for_user(request.user, pk)
        crumbs = [*_bank_crumbs(), (question.get_absolute_url(), _("Question %(n)s") % {"n": question.pk})]
        return confirmation_page(request, confirmations.retire_question(question), crumbs)
    return _question_action(
        request,
        pk,
        lambda q: services.retire_question(q, request.user),
        _("The question is retired: it will not be drawn again."),
    )


@require_POST
@role_required(*REVIEWERS)
def question_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    question = access.get_question_for_user(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _question_page(request, question, review_form=form)
    try:
        services.review_question(question, request.user, form.cleaned_data["verdict"], form.cleaned_data["remark"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your opinion is recorded."))
    return redirect(question.get_absolute_url())


@role_required(*AUTHORS)
def question_image(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    question = access.get_question_for_user(request.user, pk)
    return _image_response(question)


def _image_response(question: Question) -> HttpResponse:
    if not question.image:
        raise Http404
    with question.image.open("rb") as image:  # 2 MB at most (services.MAX_IMAGE_BYTES)
        response = HttpResponse(image.read(), content_type=f"image/{question.image_type}")
    response["Cache-Control"] = "private, max-age=3600"
    return response


IMPORT_REPORT_KEY = "assessment.import_report"


@role_required(*REVIEWERS)
def bank_import(request: AuthenticatedRequest) -> HttpResponse:
    """Post/Redirect/Get: an import's report is kept in the session and shown
    at `?rapport=1`, so that reloading shows it again and imports nothing."""
    may_validate = roles(request.user).is_admin
    form = ImportForm(_posted(request), _files(request), may_validate=may_validate)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = import_questions(
                data["framework"],
                data["file"].read(),
                data["format"],
                request.user,
                status=data["status"],
                partial=data["partial"],
                dry_run=data["dry_run"],
            )
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            request.session[IMPORT_REPORT_KEY] = _report_to_session(done)
            return redirect(f"{reverse('assessment:import')}?rapport=1")
    report: ImportReport | None = None
    if request.method != "POST" and request.GET.get("rapport"):
        report = _report_from_session(request.session.get(IMPORT_REPORT_KEY))
    return page(
        request,
        "assessment/import.html",
        _("Import and export questions"),
        _bank_crumbs(),
        status=400 if form.errors else 200,
        form=form,
        report=report,
        summary=_report_summary(report) if report else "",
        export_form=ExportForm(auto_id=EXPORT_IDS),
    )


# The export form shares field names with the import form (its query stays
# ?framework=…&format=…&status=…): only its ids differ.
EXPORT_IDS = "id_export_%s"


def _report_to_session(report: ImportReport) -> dict[str, Any]:
    return {
        "imported": report.imported,
        "accepted": report.accepted,
        "dry_run": report.dry_run,
        "rejected": [[str(r.where), str(r.reason)] for r in report.rejected],
    }


def _report_from_session(data: Any) -> ImportReport | None:
    if not isinstance(data, dict):
        return None
    return ImportReport(
        imported=int(data.get("imported", 0)),
        accepted=int(data.get("accepted", 0)),
        dry_run=bool(data.get("dry_run")),
        rejected=[Rejected(where, reason) for where, reason in data.get("rejected", [])],
    )


def _report_summary(report: ImportReport) -> str:
    """« 3 questions importées, 5 refusées. »: the one message of an import."""
    refused = len(report.rejected)
    if report.dry_run:
        imported = ngettext(
            "%(n)s question could be imported", "%(n)s questions could be imported", report.accepted
        ) % {"n": report.accepted}
    else:
        imported = ngettext("%(n)s question imported", "%(n)s questions imported", report.imported) % {
            "n": report.imported
        }
    if not refused:
        return _("%(imported)s.") % {"imported": imported}
    return _("%(imported)s, %(refused)s.") % {
        "imported": imported,
        "refused": ngettext("%(n)s refused", "%(n)s refused", refused) % {"n": refused},
    }


@role_required(*REVIEWERS)
def bank_export(request: AuthenticatedRequest) -> HttpResponse:
    form = ExportForm(request.GET or None, auto_id=EXPORT_IDS)
    if not form.is_valid():
        return page(
            request,
            "assessment/import.html",
            _("Import and export questions"),
            _bank_crumbs(),
            status=400,
            form=ImportForm(may_validate=roles(request.user).is_admin),
            export_form=form,
            summary="",
            report=None,
        )
    framework, fmt = form.cleaned_data["framework"], form.cleaned_data["format"]
    questions = (
        Question.objects.filter(framework=framework)
        .exclude(status=QuestionStatus.RETIRED)
        .select_related("framework", "competency__domain")
        .prefetch_related("options")
        .order_by("competency__domain__position", "competency__position", "id")
    )
    if form.cleaned_data["status"] == "validated":
        questions = questions.filter(status=QuestionStatus.VALIDATED)
    data = export_questions(questions, fmt)
    extension, content_type = ("gift.txt", "text/plain; charset=utf-8") if fmt == "gift" else ("xml", "application/xml")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="questions-{framework.code}.{extension}"'
    return response


# --- exams (correspondents) ---------------------------------------------------


def _correspondent_crumbs() -> list[tuple[str, str]]:
    return [
        (reverse("enrolment:correspondent"), _("C2i correspondent")),
        (reverse("assessment:exams"), _("Knowledge tests")),
    ]


@role_required(*CORRESPONDENTS)
def exams(request: AuthenticatedRequest) -> HttpResponse:
    mine = access.exams_for_correspondent(request.user).order_by("-opens_at")
    r = roles(request.user)
    sessions = InstitutionSession.objects.select_related("session__framework", "institution").filter(exams__isnull=True)
    if not r.is_admin:
        sessions = sessions.filter(institution_id__in=r.correspondent_of)
    return page(
        request,
        "assessment/exams.html",
        _("Knowledge tests"),
        [(reverse("enrolment:correspondent"), _("C2i correspondent"))],
        exams=mine,
        sessions=sessions.order_by("-session__start", "institution__name")[:50],
    )


@role_required(*CORRESPONDENTS)
def exam_create(request: AuthenticatedRequest, session_pk: int) -> HttpResponse:
    institution_session = accounts_access.get_institution_session_for_staff(request.user, session_pk, manage=True)
    if institution_session.exams.exists():
        return redirect(institution_session.exams.get().get_absolute_url())
    form = ExamForm(_posted(request), institution_session=institution_session)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        domains = list(data.pop("domains"))
        try:
            exam = services.create_exam(request.user, institution_session, domains, **data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The knowledge test is defined."))
            return redirect(exam.get_absolute_url())
    return page(
        request,
        "assessment/exam_form.html",
        _("Define the knowledge test of %(session)s") % {"session": institution_session},
        _correspondent_crumbs(),
        status=400 if form.errors else 200,
        form=form,
        institution_session=institution_session,
    )


@role_required(*CORRESPONDENTS)
def exam_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exam = access.get_exam_for_correspondent(request.user, pk)
    if exam.attempts.exists():
        messages.error(request, _("Candidates have started this test: its settings can no longer change."))
        return redirect(exam.get_absolute_url())
    form = ExamForm(_posted(request), instance=exam, institution_session=exam.institution_session)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.EXAM_FIELDS}
        try:
            services.update_exam(exam, request.user, list(form.cleaned_data["domains"]), **data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The knowledge test is saved."))
            return redirect(exam.get_absolute_url())
    return page(
        request,
        "assessment/exam_form.html",
        _("Change %(exam)s") % {"exam": exam.title},
        [*_correspondent_crumbs(), (exam.get_absolute_url(), exam.title)],
        status=400 if form.errors else 200,
        form=form,
        institution_session=exam.institution_session,
        exam=exam,
    )


@role_required(*CORRESPONDENTS)
def exam_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exam = access.get_exam_for_correspondent(request.user, pk)
    domains = exam.ordered_domains()
    rows = services.result_rows(exam)
    now = timezone.now()
    return page(
        request,
        "assessment/exam_detail.html",
        exam.title,
        _correspondent_crumbs(),
        exam=exam,
        domains=domains,
        rows=[
            {
                "attempt": row.attempt,
                "over": row.attempt.is_over(now),
                "cells": [
                    (row.by_domain.get(d.code), format_percent(row.by_domain[d.code].percent))
                    if d.code in row.by_domain
                    else (None, "")
                    for d in domains
                ],
            }
            for row in rows
        ],
        progress=services.exam_progress(exam),
        enrolled=exam.institution_session.enrolments.filter(status=EnrolmentStatus.ACTIVE).count(),
        extra_times=ExtraTime.objects.filter(exam=exam).select_related("enrolment__candidate"),
        extra_form=ExtraTimeForm(institution_session=exam.institution_session),
        questions=len(domains) * exam.per_domain,
    )


@require_POST
@role_required(*CORRESPONDENTS)
def exam_extra_time(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exam = access.get_exam_for_correspondent(request.user, pk)
    form = ExtraTimeForm(request.POST, institution_session=exam.institution_session)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_extra_time(exam, data["enrolment"], data["minutes"], data["reason"], request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The extra time is saved."))
    else:
        messages.error(request, _("Choose a candidate and a number of minutes between 0 and 600."))
    return redirect(exam.get_absolute_url())


@require_http_methods(CONFIRM_METHODS)
@role_required(*CORRESPONDENTS)
def exam_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: how many candidates see their results now and later; POST: the publication."""
    exam = access.get_exam_for_correspondent(request.user, pk)
    if request.method != "POST":
        crumbs = [*_correspondent_crumbs(), (exam.get_absolute_url(), exam.title)]
        return confirmation_page(request, confirmations.publish_results(exam), crumbs)
    try:
        publication = services.publish_results(exam, request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        text = _("Results published: %(n)s candidate(s) see them and find them in their portfolio.") % {
            "n": publication.published
        }
        if publication.running:
            text += " " + _("%(n)s sitting(s) still running will be published when they end.") % {
                "n": publication.running
            }
        messages.success(request, text)
    return redirect(exam.get_absolute_url())


EXPORT_HEADER = ["nom", "prenoms", "ine", "email", "debut", "fin", "etat"]


@role_required(*CORRESPONDENTS)
def exam_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exam = access.get_exam_for_correspondent(request.user, pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    domains = exam.ordered_domains()
    header = [*EXPORT_HEADER, "score_global"]
    for d in domains:
        header += [f"{d.code}_pourcentage", f"{d.code}_positif"]
    now = timezone.now()

    def number(value: float | None) -> Any:
        if value is None:
            return ""
        rounded = round(value, 2)
        return rounded if fmt == "xlsx" else format_percent(rounded).removesuffix(" %")

    def rows() -> Any:
        for row in services.result_rows(exam):
            a, c = row.attempt, row.attempt.enrolment.candidate
            state = _("scored") if a.closed_at else (_("over") if a.is_over(now) else _("running"))
            line = [
                c.last_name,
                c.first_names,
                c.ine,
                c.email,
                timezone.localtime(a.started_at).strftime("%d/%m/%Y %H:%M"),
                timezone.localtime(a.submitted_at or a.deadline).strftime("%d/%m/%Y %H:%M"),
                state,
                number(a.score),
            ]
            for d in domains:
                result = row.by_domain.get(d.code)
                line += [number(result.percent), "oui" if result.positive else "non"] if result else ["", ""]
            yield line

    name = f"resultats-{exam.institution_session.institution.uai}-{exam.pk}"
    if fmt == "csv":
        return csv_response(name, header, rows())
    return xlsx_response(name, header, rows(), _("Results"))


@role_required(*CORRESPONDENTS)
def exam_statistics(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exam = access.get_exam_for_correspondent(request.user, pk)
    closed = exam.attempts.filter(closed_at__isnull=False)
    return page(
        request,
        "assessment/exam_statistics.html",
        _("Item statistics"),
        [*_correspondent_crumbs(), (exam.get_absolute_url(), exam.title)],
        exam=exam,
        rows=services.item_statistics(closed),
        sittings=closed.count(),
        whole_bank=access.sees_whole_bank(request.user),
    )


@role_required(*CORRESPONDENTS)
def attempt_reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = access.get_attempt_for_correspondent(request.user, pk)
    form = ReopenForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.reopen_attempt(attempt, request.user, form.cleaned_data["reason"], form.cleaned_data["minutes"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The sitting is reopened; the reason is kept in the audit trail."))
            return redirect(attempt.exam.get_absolute_url())
    return page(
        request,
        "assessment/reopen.html",
        _("Reopen the sitting of %(name)s") % {"name": attempt.enrolment.candidate.full_name},
        [*_correspondent_crumbs(), (attempt.exam.get_absolute_url(), attempt.exam.title)],
        status=400 if form.errors else 200,
        form=form,
        attempt=attempt,
    )


# --- candidates ---------------------------------------------------------------


def _my_crumbs() -> list[tuple[str, str]]:
    return [
        (reverse("enrolment:my_space"), _("My certification")),
        (reverse("assessment:my_exams"), _("My tests")),
    ]


@role_required("is_candidate")
def my_exams(request: AuthenticatedRequest) -> HttpResponse:
    exams_ = list(access.exams_for_candidate(request.user).order_by("opens_at"))
    attempts = {a.exam_id: a for a in Attempt.objects.filter(user=request.user, exam__in=exams_)}
    now = timezone.now()
    return page(
        request,
        "assessment/my_exams.html",
        _("My tests"),
        [(reverse("enrolment:my_space"), _("My certification"))],
        rows=[(e, attempts.get(e.pk), e.is_open(now)) for e in exams_],
        now=now,
    )


@role_required("is_candidate")
def my_exam(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exam, enrolment = access.get_exam_for_candidate(request.user, pk)
    attempt = Attempt.objects.filter(exam=exam, user=request.user).first()
    now = timezone.now()
    if attempt is not None and attempt.closed_at is None and attempt.is_over(now):
        attempt = services.finalise_attempt(attempt, now=now)  # closing derived at read time
    results = None
    if attempt is not None and attempt.closed_at is not None and exam.is_published:
        results = [
            (r, format_percent(r.percent))
            for r in attempt.domain_results.select_related("domain").order_by("domain__position")
        ]
    extra = services.extra_minutes(exam, enrolment) if enrolment else 0
    can_start = (
        attempt is None
        and enrolment is not None
        and enrolment.status == EnrolmentStatus.ACTIVE
        and exam.is_open(now)
        and not exam.institution_session.deliberated  # docs/lifecycle.md: the jury has closed
    )
    return page(
        request,
        "assessment/my_exam.html",
        exam.title,
        _my_crumbs(),
        exam=exam,
        attempt=attempt,
        running=attempt is not None and not attempt.is_over(now),
        results=results,
        extra=extra,
        can_start=can_start,
        start_form=StartForm() if can_start and exam.access_code else None,
        questions=len(exam.ordered_domains()) * exam.per_domain,
        now=now,
    )


@require_POST
@role_required("is_candidate")
def exam_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exam, enrolment = access.get_exam_for_candidate(request.user, pk)
    if enrolment is None:
        raise Http404
    try:
        attempt = services.start_attempt(
            exam,
            enrolment,
            request.user,
            access_code=request.POST.get("access_code", ""),
            address=access.client_ip(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(exam.get_candidate_url())
    _remember_networks(request, attempt)
    return redirect(attempt.get_absolute_url())


def _remember_networks(request: HttpRequest, attempt: Attempt) -> list[str]:
    networks = attempt.exam.network_texts()
    cache = dict(request.session.get(access.NETWORKS_KEY, {}))
    if cache.get(str(attempt.pk)) != networks:
        cache[str(attempt.pk)] = networks
        request.session[access.NETWORKS_KEY] = cache
    return networks


@dataclass
class ShownQuestion:
    """A drawn question as the candidate sees it: never which options are right."""

    position: int
    stem: SafeString
    has_image: bool
    options: list[tuple[int, SafeString]]
    ticked: set[int] = field(default_factory=set)
    answered_at: Any = None
    seq: int = 0


def shown_questions(attempt: Attempt) -> list[ShownQuestion]:
    items = list(
        AttemptQuestion.objects.filter(attempt=attempt)
        .select_related("question")
        .only(
            "position",
            "option_order",
            "ticked",
            "answered_at",
            "seq",
            "question__stem",
            "question__stem_format",
            "question__image",
        )
        .order_by("position")
    )
    texts: dict[tuple[int, int], str] = {
        (q, p): t
        for q, p, t in Option.objects.filter(question_id__in=[i.question_id for i in items]).values_list(
            "question_id", "position", "text"
        )
    }
    return [
        ShownQuestion(
            position=item.position,
            stem=render_stem(item.question.stem, item.question.stem_format),
            has_image=bool(item.question.image),
            options=[
                (index, render_fragment(texts[(item.question_id, position)]))
                for index, position in enumerate(item.option_order)
            ],
            ticked=set(item.ticked or []),
            answered_at=item.answered_at,
            seq=item.seq,
        )
        for item in items
    ]


def _refused_here(request: HttpRequest, attempt: Attempt, networks: list[str]) -> HttpResponse | None:
    address = access.client_ip(request)
    if access.address_allowed(networks, address):
        return None
    return page(
        request,
        "assessment/refused.html",
        attempt.exam.title,
        _my_crumbs(),
        status=403,
        message=_("This test can only be taken from the rooms the institution has set (your address: %(address)s).")
        % {"address": address or "?"},
    )


def _sitting_gate(request: AuthenticatedRequest, attempt: Attempt) -> HttpResponse | None:
    """Where a candidate goes instead of their sitting's pages: the exam's
    page once the time is over (the sitting scored), or the refusal of a
    room's network; None while they may go on."""
    now = timezone.now()
    if attempt.is_over(now):
        if attempt.closed_at is None:
            services.finalise_attempt(attempt, now=now)
        messages.info(request, _("The test is over: your answers are saved."))
        return redirect(attempt.exam.get_candidate_url())
    return _refused_here(request, attempt, _remember_networks(request, attempt))


@role_required("is_candidate")
def attempt_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = access.get_attempt_for_candidate(request.user, pk)
    gate = _sitting_gate(request, attempt)
    if gate is not None:
        return gate
    now = timezone.now()
    questions = shown_questions(attempt)
    return page(
        request,
        "assessment/attempt.html",
        attempt.exam.title,
        _my_crumbs(),
        attempt=attempt,
        questions=questions,
        answered=sum(1 for q in questions if q.ticked),  # an answer that ticks nothing leaves it unanswered
        seconds_left=(left := attempt.seconds_left(now)),
        time_left=f"{left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}",
    )


def _ticked(request: HttpRequest) -> list[int] | None:
    try:
        return [int(v) for v in request.POST.getlist("option")]
    except ValueError:
        return None


@require_POST
def attempt_answer(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """One answer, to one question. Without JavaScript, the question's form
    (then back to the page); with it, exam.js posts the same URL as JSON,
    the hot path of an exam: stored by `middleware.AnswerFastPath` in one
    statement, or, when that path cannot store it, by `api.answer_json`,
    which says why."""
    if request.content_type == "application/json":
        from c2i.assessment.api import answer_json

        return answer_json(request, pk, position)
    return _answer_form(request, pk, position)  # type: ignore[arg-type]


@role_required("is_candidate")
def _answer_form(request: AuthenticatedRequest, pk: int, position: int) -> HttpResponse:
    attempt = access.get_attempt_for_candidate(request.user, pk)
    refused = _refused_here(request, attempt, _remember_networks(request, attempt))
    if refused is not None:
        return refused
    ticked = _ticked(request)
    outcome = (
        services.BAD_OPTION
        if ticked is None
        else services.save_answer(attempt.pk, request.user.pk, position, ticked).status
    )
    if outcome == services.OVER:
        messages.error(request, _("The test is over: this answer came too late and was not saved (R19)."))
        return redirect(attempt.get_absolute_url())
    if outcome == services.NOT_FOUND:
        raise Http404
    if outcome == services.BAD_OPTION:
        messages.error(request, _("This answer is not valid; it was not saved."))
    return redirect(f"{attempt.get_absolute_url()}#q-{position + 1 if outcome == services.SAVED else position}")


@require_http_methods(["GET", "HEAD", "POST"])
@role_required("is_candidate")
def attempt_finish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """« Remettre votre copie ? »: a page of its own (GET), which says how many
    questions are still unanswered, then the hand-in itself (POST)."""
    attempt = access.get_attempt_for_candidate(request.user, pk)
    if request.method != "POST":
        return _confirm_finish(request, attempt)
    services.finish_attempt(attempt, request.user)
    messages.success(request, _("Your test is handed in; your answers are saved."))
    return redirect(attempt.exam.get_candidate_url())


def _confirm_finish(request: AuthenticatedRequest, attempt: Attempt) -> HttpResponse:
    gate = _sitting_gate(request, attempt)
    if gate is not None:
        return gate
    now = timezone.now()
    ticked = list(attempt.items.order_by("position").values_list("position", "ticked"))
    total = len(ticked)
    unanswered_positions = [position for position, options in ticked if not options]
    unanswered = len(unanswered_positions)
    return page(
        request,
        "assessment/attempt_finish.html",
        _("Hand in your test?"),
        [*_my_crumbs(), (attempt.get_absolute_url(), attempt.exam.title)],
        attempt=attempt,
        total=total,
        unanswered=unanswered,
        unanswered_positions=unanswered_positions,
        seconds_left=(left := attempt.seconds_left(now)),
        time_left=f"{left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}",
        unanswered_text=ngettext(
            "%(n)s question unanswered out of %(total)s.",
            "%(n)s questions unanswered out of %(total)s.",
            unanswered,
        )
        % {"n": unanswered, "total": total},
    )


@role_required("is_candidate")
def attempt_image(request: AuthenticatedRequest, pk: int, position: int) -> HttpResponse:
    attempt = access.get_attempt_for_candidate(request.user, pk)
    if attempt.is_over():
        raise Http404
    item = get_object_or_404(AttemptQuestion.objects.select_related("question"), attempt=attempt, position=position)
    return _image_response(item.question)
