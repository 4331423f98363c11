"""The test on the candidates' side: their tests, the sitting and its
answers, the hand-in. Answering works without JavaScript: each question is its
own form; `static/c2i/exam.js` saves each click through the API instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from c2i.accounts.access import AuthenticatedRequest, role_required
from c2i.assessment import access, answering, services
from c2i.assessment.forms import StartForm
from c2i.assessment.models import Attempt, AttemptQuestion, Exam, Option
from c2i.assessment.services import presence
from c2i.assessment.services.results import percent_text
from c2i.assessment.text import render_fragment, render_stem
from c2i.assessment.views.common import image_response
from c2i.enrolment.models import Enrolment, EnrolmentStatus
from c2i.lib.errors import DomainError
from c2i.lib.net import client_ip
from c2i.lib.pages import page


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
            (r, percent_text(r))  # a domain without a question left says so
            for r in attempt.domain_results.select_related("domain").order_by("domain__position")
        ]
    extra = services.adjustments_in(exam, enrolment) if enrolment else None  # the effective minutes, the labels
    can_start = _can_start(exam, enrolment, attempt, now)
    seat = presence.seat_status(exam, enrolment)
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
        waiting=can_start and seat.waiting,  # the invigilator lets the candidate in first
        seat=seat,
        start_form=StartForm() if can_start and exam.access_code else None,
        questions=len(exam.ordered_domains()) * exam.per_domain,
        now=now,
    )


def _can_start(exam: Exam, enrolment: Enrolment | None, attempt: Attempt | None, now: Any) -> bool:
    return (
        attempt is None
        and enrolment is not None
        and enrolment.status == EnrolmentStatus.ACTIVE
        and exam.is_open(now)
        and not exam.institution_session.deliberated  # docs/lifecycle.md: the jury has closed
    )


@require_http_methods(["GET", "HEAD"])
@role_required("is_candidate")
def my_exam_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The waiting page asks every few seconds whether the invigilator let
    the candidate in (`my_exam.html`, exam.js): then its start button works."""
    exam, enrolment = access.get_exam_for_candidate(request.user, pk)
    attempt = Attempt.objects.filter(exam=exam, user=request.user).only("pk").first()
    seat = presence.seat_status(exam, enrolment)
    can_start = _can_start(exam, enrolment, attempt, timezone.now())
    return JsonResponse(
        {
            "room": seat.room,
            "admitted": seat.admitted,
            "started": attempt is not None,
            "can_start": can_start and seat.admitted,
        }
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
            address=client_ip(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(exam.get_candidate_url())
    return redirect(attempt.get_absolute_url())


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


def _refused_here(request: HttpRequest, attempt: Attempt) -> HttpResponse | None:
    address = client_ip(request)
    if answering.address_allowed(attempt.exam.network_texts(), address):
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
    return _refused_here(request, attempt)


@role_required("is_candidate")
def attempt_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = access.get_attempt_for_candidate(request.user, pk)
    gate = _sitting_gate(request, attempt)
    if gate is not None:
        return gate
    now = timezone.now()
    presence.touch(attempt, now)  # a reload after a cut pauses an invigilated sitting
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
        paused=attempt.paused_at is not None,
        larger_text=attempt.enrolment.larger_text,
        notice_after=presence.last_notice_id(attempt),
        poll_ms=settings.C2I_EXAM_POLL_SECONDS * 1000,
    )


MAX_NOTICE_ID = 2**62


@require_http_methods(["GET", "HEAD"])
def attempt_status(request: HttpRequest, pk: int) -> HttpResponse:
    """What the sitting's page asks every few seconds (exam.js): it is still
    there (`presence.touch`, which pauses an invigilated sitting after a lost
    connection), and what it should show: running, paused or over, the time
    left, the invigilator's notices after `?after=` (the last one it has).
    Every candidate of a room asks it: the sitting's owner is its only gate
    (404 for anyone else, like the answers' JSON), no role lookup, no join;
    five queries with the session and the user. Most polls are answered
    before this view by `middleware.StatusFastPath`, the same way."""
    if not request.user.is_authenticated:
        return JsonResponse({"status": "unauthenticated", "detail": _("Log in again.")}, status=401)
    attempt = Attempt.objects.filter(pk=pk, user_id=request.user.pk).first()
    if attempt is None:
        raise Http404
    now = timezone.now()
    presence.touch(attempt, now)
    return JsonResponse(presence.candidate_status(attempt, notices_after(request), now))


def notices_after(request: HttpRequest) -> int:
    """The last notice the page has (`?after=`), 0 when unreadable."""
    try:
        return min(max(0, int(request.GET.get("after", "0"))), MAX_NOTICE_ID)
    except ValueError:
        return 0


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@role_required("is_candidate")
def attempt_help(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """« J'ai besoin d'aide »: a form that works without JavaScript (back to
    the sitting's page), sent by exam.js with fetch (JSON)."""
    attempt = access.get_attempt_for_candidate(request.user, pk)
    try:
        presence.request_help(attempt, request.user)
    except DomainError as error:
        if _wants_json(request):
            return JsonResponse({"status": error.code, "detail": error.message}, status=409)
        messages.error(request, error.message)
        return redirect(attempt.get_absolute_url())
    if _wants_json(request):
        return JsonResponse({"help": True})
    messages.success(request, _("Your call for help was sent to the invigilator of your room."))
    return redirect(attempt.get_absolute_url())


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
    refused = _refused_here(request, attempt)
    if refused is not None:
        return refused
    presence.touch(attempt, pause=False)  # the candidate is there; their page may not poll (no JavaScript)
    answer = answering.read_form(request.POST.getlist("option"))
    outcome = (
        services.BAD_OPTION
        if answer is None
        else services.save_answer(attempt.pk, request.user.pk, position, answer.ticked).status
    )
    if outcome == services.OVER:
        messages.error(request, _("The test is over: this answer came too late and was not saved (R19)."))
        return redirect(attempt.get_absolute_url())
    if outcome == answering.PAUSED:
        messages.error(request, str(answering.ERRORS[answering.PAUSED][1]))
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
    presence.touch(attempt, now)  # a page of the sitting, as its own (attempt_view)
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
        poll_ms=settings.C2I_EXAM_POLL_SECONDS * 1000,
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
    return image_response(item.question)
