"""The question bank: authors write questions, reviewers review, retire,
import and export them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from c2i.accounts.access import AuthenticatedRequest, role_required, roles
from c2i.assessment import access, confirmations, services
from c2i.assessment.formats.model import Rejected
from c2i.assessment.forms import BankFilterForm, ExportForm, ImportForm, QuestionForm, ReviewForm
from c2i.assessment.interchange import ImportReport, export_questions, import_questions
from c2i.assessment.models import Attempt, Question, QuestionStatus, Review, ReviewVerdict
from c2i.assessment.services.questions import QuestionDraft, clean_label
from c2i.assessment.text import fragment_to_plain, plain_to_fragment, render_fragment, render_stem
from c2i.assessment.views.common import image_response, posted, posted_files
from c2i.lib.confirm import CONFIRM_METHODS, confirmation_page
from c2i.lib.errors import DomainError
from c2i.lib.pages import page, paginate

AUTHORS = ("is_admin", "is_reviewer", "is_correspondent")
REVIEWERS = ("is_admin", "is_reviewer")


def _bank_crumbs() -> list[tuple[str, str]]:
    return [(reverse("assessment:bank"), _("Question bank"))]


@role_required(*AUTHORS)
def bank(request: AuthenticatedRequest) -> HttpResponse:
    form = BankFilterForm(request.GET or None)
    qs = access.questions_for_user(request.user).order_by("framework__code", "competency__code", "id")
    if form.is_valid():
        data = form.cleaned_data
        if data["framework"]:
            qs = qs.filter(framework=data["framework"])
        if data["domain"]:
            qs = qs.filter(competency__domain=data["domain"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if text := data["q"].strip():
            qs = qs.filter(Q(name__icontains=text) | Q(stem__icontains=text) | Q(competency__code__iexact=text))
        if label := clean_label(data["label"]):
            # a subquery, not a join: no question twice, and no DISTINCT over the sorted rows
            labelled = Question.labels.through.objects.filter(question=OuterRef("pk"), label__name__iexact=label)
            qs = qs.filter(Exists(labelled))
        if data["to_review"]:
            mine = Review.objects.filter(question=OuterRef("pk"), reviewer=request.user, round=OuterRef("review_round"))
            qs = qs.filter(status=QuestionStatus.IN_REVIEW).exclude(author=request.user).exclude(Exists(mine))
    # A national bank holds thousands of questions: the page's 50 are chosen by
    # sorting their ids only (narrow rows), then read with what the rows show.
    current, querystring = paginate(request, qs.values_list("pk", flat=True), 50)
    ids = list(current.object_list)
    approvals = Count("reviews", filter=Q(reviews__round=F("review_round"), reviews__verdict=ReviewVerdict.APPROVE))
    rows = (
        access.questions_for_user(request.user)
        .filter(pk__in=ids)
        .annotate(approvals=approvals)
        .prefetch_related("labels")
        .in_bulk()
    )
    current.object_list = [rows[pk] for pk in ids]
    return page(
        request,
        "assessment/bank.html",
        _("Question bank"),
        form=form,
        questions=current,
        querystring=querystring,
        can_review=access.can_review(request.user),
        whole_bank=access.sees_whole_bank(request.user),
        required=services.required_approvals(),
    )


def _option_inputs(form: QuestionForm) -> list[services.OptionInput]:
    rows = form.options()
    fractions = services.fractions_for([correct for _, correct, _ in rows])
    return [
        services.OptionInput(plain_to_fragment(text), fraction, plain_to_fragment(feedback))
        for (text, _, feedback), fraction in zip(rows, fractions, strict=True)
    ]


def _image_bytes(form: QuestionForm) -> bytes | None:
    """The uploaded image's bytes, or None when no file was sent."""
    upload = form.cleaned_data.get("image")
    return upload.read() if upload else None


def _draft(form: QuestionForm, question: Question | None = None) -> QuestionDraft:
    """The question the form holds; a changed `question` keeps what the form
    does not show (its kind, text format, `single` and Moodle idnumber)."""
    data = form.cleaned_data
    draft = QuestionDraft(
        competency=data["competency"],
        name=data["name"],
        stem=data["stem"].strip(),
        feedback=plain_to_fragment(data["feedback"]),
        options=_option_inputs(form),
        image=_image_bytes(form),
        labels=data["labels"].split(","),
    )
    if question is None:
        return draft
    return replace(
        draft,
        kind=question.kind,
        stem_format=question.stem_format,
        single=question.single,
        idnumber=question.idnumber,
    )


@role_required(*AUTHORS)
def question_create(request: AuthenticatedRequest) -> HttpResponse:
    form = QuestionForm(posted(request), posted_files(request))
    if request.method == "POST" and form.is_valid():
        draft = _draft(form)
        try:
            question = services.create_question(request.user, draft.competency.domain.framework, draft)
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
    if code.startswith("label"):
        return "labels"
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
        "labels": ", ".join(label.name for label in question.labels.all()),
    }
    for option in question.options.all():
        initial[f"option_{option.position + 1}"] = fragment_to_plain(option.text)
        initial[f"correct_{option.position + 1}"] = option.is_correct
        initial[f"option_feedback_{option.position + 1}"] = fragment_to_plain(option.feedback)
    form = QuestionForm(posted(request), posted_files(request), initial=initial, has_image=bool(question.image))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_question(
                question,
                request.user,
                _draft(form, question),
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
    return image_response(question)


IMPORT_REPORT_KEY = "assessment.import_report"


@role_required(*REVIEWERS)
def bank_import(request: AuthenticatedRequest) -> HttpResponse:
    """Post/Redirect/Get: an import's report is kept in the session and shown
    at `?rapport=1`, so that reloading shows it again and imports nothing."""
    may_validate = roles(request.user).is_admin
    form = ImportForm(posted(request), posted_files(request), may_validate=may_validate)
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
        "not_kept": [[str(r.where), str(r.reason)] for r in report.not_kept],
    }


def _report_from_session(data: Any) -> ImportReport | None:
    if not isinstance(data, dict):
        return None
    return ImportReport(
        imported=int(data.get("imported", 0)),
        accepted=int(data.get("accepted", 0)),
        dry_run=bool(data.get("dry_run")),
        rejected=[Rejected(where, reason) for where, reason in data.get("rejected", [])],
        not_kept=[Rejected(where, reason) for where, reason in data.get("not_kept", [])],
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
        .prefetch_related("options", "labels")
        .order_by("competency__domain__position", "competency__position", "id")
    )
    if form.cleaned_data["status"] == "validated":
        questions = questions.filter(status=QuestionStatus.VALIDATED)
    data = export_questions(questions, fmt)
    extension, content_type = ("gift.txt", "text/plain; charset=utf-8") if fmt == "gift" else ("xml", "application/xml")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="questions-{framework.code}.{extension}"'
    return response
