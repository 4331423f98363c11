"""Knowledge tests on the correspondents' side: defining an exam, extra
time, publishing results, exporting them, item statistics, reopening a sitting."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from c2i.accounts.access import AuthenticatedRequest, role_required, roles
from c2i.assessment import access, confirmations, scoring, services
from c2i.assessment.forms import ExamForm, ExtraTimeForm, ReopenForm
from c2i.assessment.models import Exam, ExtraTime, Neutralisation, Question
from c2i.assessment.scoring import format_percent
from c2i.assessment.services import neutralisation
from c2i.assessment.views.common import posted
from c2i.enrolment import freeze
from c2i.enrolment.access import get_institution_session_for_staff
from c2i.enrolment.adjustments import enrolment_labels
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession
from c2i.lib.confirm import CONFIRM_METHODS, confirmation_page
from c2i.lib.errors import DomainError
from c2i.lib.pages import page
from c2i.lib.tabular import csv_response, xlsx_response

CORRESPONDENTS = ("is_correspondent", "is_admin")


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
    institution_session = get_institution_session_for_staff(request.user, session_pk, manage=True)
    if institution_session.exams.exists():
        return redirect(institution_session.exams.get().get_absolute_url())
    form = ExamForm(posted(request), institution_session=institution_session)
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
    form = ExamForm(posted(request), instance=exam, institution_session=exam.institution_session)
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
        adjusted=_adjusted_candidates(exam),
        questions=len(domains) * exam.per_domain,
        **_neutralisation_context(request, exam),
    )


def _neutralisation_context(request: AuthenticatedRequest, exam: Any) -> dict[str, Any]:
    """The exam page's « Questions neutralisées »: lifting is offered to the
    allowed people until the jury closes."""
    return {
        "neutralisations": neutralisation.active_neutralisations(exam),
        "can_neutralise": neutralisation.can_neutralise(request.user, exam),
        "jury_closed": freeze.closed_at(exam.institution_session_id),
    }


def _adjusted_candidates(exam: Exam) -> list[tuple[Enrolment, int, bool, list[str]]]:
    """The candidates with extra time or another adjustment in this test:
    (enrolment, effective extra minutes, the exam's exceptional minutes?, the enrolment's adjustments)."""
    exceptional = set(ExtraTime.objects.filter(exam=exam).values_list("enrolment_id", flat=True))
    enrolments = list(
        exam.institution_session.enrolments.filter(status=EnrolmentStatus.ACTIVE)
        .filter(Q(pk__in=exceptional) | Q(extra_time_percent__gt=0) | Q(larger_text=True) | Q(separate_room=True))
        .select_related("candidate")
        .order_by("candidate__last_name", "candidate__first_names")
    )
    minutes = services.extra_minutes_by_enrolment(exam, enrolments)
    return [(e, minutes[e.pk], e.pk in exceptional, enrolment_labels(e)) for e in enrolments]


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
# The enrolment's exam adjustments and the extra minutes this test gave (last columns).
ADJUSTMENT_HEADER = [
    "temps_supplementaire",
    "minutes_supplementaires",
    "gros_caracteres",
    "salle_separee",
    "reference_amenagement",
]


def _adjustment_cells(exam: Exam, enrolment: Enrolment, exceptional: dict[int, int]) -> list[Any]:
    own = services.percent_minutes(exam.duration_minutes, enrolment.extra_time_percent)
    minutes = exceptional.get(enrolment.pk, own)
    return [
        enrolment.extra_time_percent,
        minutes,
        "oui" if enrolment.larger_text else "non",
        "oui" if enrolment.separate_room else "non",
        enrolment.adjustments_note,
    ]


@role_required(*CORRESPONDENTS)
def exam_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exam = access.get_exam_for_correspondent(request.user, pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    domains = exam.ordered_domains()
    header = [*EXPORT_HEADER, "score_global"]
    for d in domains:
        header += [f"{d.code}_pourcentage", f"{d.code}_positif", f"{d.code}_neutralisees"]
    header += ADJUSTMENT_HEADER
    exceptional = dict(ExtraTime.objects.filter(exam=exam).values_list("enrolment_id", "minutes"))
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
                if result is None:
                    line += ["", "", ""]
                elif result.questions == 0:  # every question neutralised: no result, never positive
                    line += [_("not available"), "non", result.neutralised]
                else:
                    line += [number(result.percent), "oui" if result.positive else "non", result.neutralised]
            line += _adjustment_cells(exam, a.enrolment, exceptional)
            yield line

    name = f"resultats-{exam.institution_session.institution.uai}-{exam.pk}"
    if fmt == "csv":
        return csv_response(name, header, rows())
    return xlsx_response(name, header, rows(), _("Results"))


@role_required(*CORRESPONDENTS)
def exam_statistics(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    exam = access.get_exam_for_correspondent(request.user, pk)
    closed = exam.attempts.filter(closed_at__isnull=False)
    neutralised = {n.question_id: n for n in neutralisation.active_neutralisations(exam)}
    rows = services.item_statistics(closed)
    return page(
        request,
        "assessment/exam_statistics.html",
        _("Item statistics"),
        [*_correspondent_crumbs(), (exam.get_absolute_url(), exam.title)],
        exam=exam,
        rows=rows,
        lines=[(row, neutralised.get(row.question_id)) for row in rows],  # with each one's neutralisation
        sittings=closed.count(),
        whole_bank=access.sees_whole_bank(request.user),
        reader_id=request.user.pk,  # a question's author opens its page too
        can_neutralise=neutralisation.can_neutralise(request.user, exam),
        neutralised=neutralised,
        flagged=sum(1 for row in rows if row.flag_codes),
        bounds={
            "difficulty_min": f"{number_format(scoring.DIFFICULTY_MIN * 100, 0)} %",
            "difficulty_max": f"{number_format(scoring.DIFFICULTY_MAX * 100, 0)} %",
            "discrimination_min": number_format(scoring.DISCRIMINATION_MIN, 1),
        },
    )


@require_http_methods(CONFIRM_METHODS)
@role_required(*CORRESPONDENTS)
def exam_neutralise(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A faulty question taken out of every sitting's score: GET says what
    follows and asks the reason, POST neutralises (the service checks who
    may: the test's author, the national administrator)."""
    exam = access.get_exam_for_correspondent(request.user, pk)
    number = request.POST.get("question", "") if request.method == "POST" else request.GET.get("question", "")
    question = Question.objects.filter(pk=int(number)).first() if number.isdigit() else None
    if question is None:
        messages.error(request, _("Choose the question to neutralise."))
        return redirect(reverse("assessment:exam_statistics", args=[exam.pk]))
    crumbs = [
        *_correspondent_crumbs(),
        (exam.get_absolute_url(), exam.title),
        (reverse("assessment:exam_statistics", args=[exam.pk]), _("Item statistics")),
    ]
    reason = request.POST.get("reason", "")
    if request.method != "POST":
        try:
            neutralisation.check_allowed(request.user, exam)
            blocked = ""
        except DomainError as error:
            blocked = error.message
        return confirmation_page(request, confirmations.neutralise_question(exam, question, blocked=blocked), crumbs)
    try:
        neutralisation.neutralise(exam, question, reason, request.user)
    except DomainError as error:
        on_reason = error.code in {"reason_required", "too_long"}
        confirmation = confirmations.neutralise_question(
            exam,
            question,
            reason=reason,
            error="" if on_reason else error.message,
            reason_error=error.message if on_reason else "",
        )
        return confirmation_page(request, confirmation, crumbs, status=400)
    messages.success(
        request,
        _(
            "Question %(n)s is neutralised: every sitting's results are recomputed without it, and it goes "
            "back to review."
        )
        % {"n": question.pk},
    )
    return redirect(reverse("assessment:exam_statistics", args=[exam.pk]))


@require_POST
@role_required(*CORRESPONDENTS)
def neutralisation_lift(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = Neutralisation.objects.filter(pk=pk, exam__in=access.exams_for_correspondent(request.user)).first()
    if found is None:
        raise Http404
    try:
        neutralisation.restore(found, request.POST.get("reason", ""), request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The neutralisation is lifted: the question counts again in every sitting."))
    return redirect(found.exam.get_absolute_url())


@role_required(*CORRESPONDENTS)
def attempt_reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = access.get_attempt_for_correspondent(request.user, pk)
    form = ReopenForm(posted(request))
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
