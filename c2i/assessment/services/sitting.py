"""Sitting the test (R17, R19): start (the draw), extra time, handing in and
reopening. The deadline rule is in `exams`; the answers in
`c2i.assessment.answering`."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, AuditEntry, User, audit
from c2i.assessment import scoring
from c2i.assessment.answering import address_allowed
from c2i.assessment.models import Attempt, AttemptQuestion, Exam, ExamRoom, ExtraTime
from c2i.assessment.services.errors import AssessmentError
from c2i.assessment.services.exams import bank_for, check_not_deliberated, deadline_for, extra_minutes
from c2i.assessment.services.invigilation import check_admitted
from c2i.assessment.services.results import finalise_attempt
from c2i.enrolment.models import Enrolment, EnrolmentStatus


def _check_network(exam: Exam, address: str) -> None:
    if not address_allowed(exam.network_texts(), address):
        raise AssessmentError(
            "network",
            _("This test can only be taken from the rooms the institution has set (your address: %(address)s).")
            % {"address": address or "?"},
        )


def _schedule_close(attempt: Attempt) -> None:
    """Score the sitting at its deadline even if the candidate never comes back."""
    from c2i.assessment.tasks import finalise_attempt_task

    run_after = attempt.deadline + dt.timedelta(seconds=2)
    pk = attempt.pk
    transaction.on_commit(lambda: finalise_attempt_task.using(run_after=run_after).enqueue(pk))


def _refuse_second_sitting() -> AssessmentError:
    return AssessmentError(
        "r19_already_sat",
        _("You have already sat this test; a test is taken once. Only the correspondent can reopen it."),
    )


MAX_CODE_TRIES = 5  # wrong access codes per candidate and exam in CODE_TRIES_WINDOW
CODE_TRIES_WINDOW = dt.timedelta(minutes=15)


def _check_access_code(exam: Exam, enrolment: Enrolment, actor: User, given: str, now: dt.datetime) -> None:
    """The code given in the room; each wrong try is audited (and kept: this
    runs outside the sitting's transaction), a few of them lock for a while."""
    if not exam.access_code:
        return
    tries = AuditEntry.objects.filter(
        action=AuditAction.ASSESSMENT_ACCESS_CODE_REFUSED,
        object_type=exam._meta.label_lower,
        object_id=str(exam.pk),
        details__enrolment=enrolment.pk,
        at__gte=now - CODE_TRIES_WINDOW,
    ).count()
    if tries >= MAX_CODE_TRIES:
        raise AssessmentError(
            "access_code_locked",
            _("Too many wrong access codes: wait a few minutes, or ask the supervisor of the room."),
        )
    if not hmac.compare_digest(given.strip().upper().encode(), exam.access_code.strip().upper().encode()):
        audit(actor, AuditAction.ASSESSMENT_ACCESS_CODE_REFUSED, exam, enrolment=enrolment.pk)
        raise AssessmentError("access_code", _("The access code is not right. Ask the supervisor of the room."))


def start_attempt(
    exam: Exam,
    enrolment: Enrolment,
    actor: User,
    *,
    access_code: str = "",
    address: str = "",
    now: dt.datetime | None = None,
) -> Attempt:
    """Start (or resume) the candidate's sitting: checks, then the draw (R17)."""
    now = now or timezone.now()
    check_not_deliberated(
        exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: its knowledge test can no longer be taken."),
    )
    existing = Attempt.objects.filter(exam=exam, enrolment=enrolment).first()
    if existing is not None:
        if existing.is_over(now):
            raise _refuse_second_sitting()
        _check_network(exam, address)
        return existing
    if enrolment.status != EnrolmentStatus.ACTIVE or enrolment.institution_session_id != exam.institution_session_id:
        raise AssessmentError("not_enrolled", _("You are not enrolled in the session of this test."))
    if enrolment.candidate.user_id != actor.pk:
        raise AssessmentError("not_yours", _("Only the candidate sits their test."))
    if now < exam.opens_at:
        raise AssessmentError(
            "not_open",
            _("The test opens on %(when)s.") % {"when": timezone.localtime(exam.opens_at).strftime("%d/%m/%Y %H:%M")},
        )
    if now >= exam.closes_at:
        raise AssessmentError(
            "closed",
            _("The test closed on %(when)s.") % {"when": timezone.localtime(exam.closes_at).strftime("%d/%m/%Y %H:%M")},
        )
    _check_access_code(exam, enrolment, actor, access_code, now)
    _check_network(exam, address)
    room = check_admitted(exam, enrolment)  # a seat in a room where the invigilator lets each candidate in
    with transaction.atomic():
        return _draw_and_start(exam, enrolment, actor, now, room)


def _draw_and_start(
    exam: Exam, enrolment: Enrolment, actor: User, now: dt.datetime, room: ExamRoom | None = None
) -> Attempt:
    framework = exam.institution_session.session.framework
    domains = exam.ordered_domains()
    seed = secrets.randbits(62)
    try:
        drawn = scoring.draw(bank_for(framework, domains), [d.code for d in domains], exam.per_domain, seed)
    except scoring.DrawError as error:
        raise AssessmentError(error.code, error.message) from error
    deadline = deadline_for(exam, now, extra_minutes(exam, enrolment))
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                exam=exam, enrolment=enrolment, user=actor, seed=seed, started_at=now, deadline=deadline, room=room
            )
    except IntegrityError:  # a second tab started at the same moment: one sitting (R19)
        attempt = Attempt.objects.get(exam=exam, enrolment=enrolment)
        if attempt.is_over(now):
            raise _refuse_second_sitting() from None
        return attempt
    domain_ids = {d.code: d.pk for d in domains}
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            position=i,
            user=actor,
            open_until=deadline,
            question_id=q.question_id,
            domain_id=domain_ids[q.domain],
            option_order=list(q.option_order),
            n_options=len(q.option_order),
        )
        for i, q in enumerate(drawn, start=1)
    )
    audit(
        actor,
        AuditAction.ASSESSMENT_ATTEMPT_START,
        attempt,
        deadline=deadline.isoformat(),
        questions=len(drawn),
        seed=seed,
    )
    _schedule_close(attempt)
    return attempt


def redraw(attempt: Attempt) -> list[scoring.DrawnQuestion]:
    """The draw of an attempt, recomputed from its seed and today's bank (for audit)."""
    exam = attempt.exam
    domains = exam.ordered_domains()
    framework = exam.institution_session.session.framework
    return scoring.draw(bank_for(framework, domains), [d.code for d in domains], exam.per_domain, attempt.seed)


@transaction.atomic
def set_extra_time(exam: Exam, enrolment: Enrolment, minutes: int, reason: str, actor: User | None) -> ExtraTime | None:
    """Grant (or with 0 remove) extra time; a running sitting gets its new deadline."""
    if enrolment.institution_session_id != exam.institution_session_id:
        raise AssessmentError("foreign_enrolment", _("This candidate is not enrolled in the session of this test."))
    check_not_deliberated(
        exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: the test's sittings can no longer change."),
    )
    if not 0 <= minutes <= 600:
        raise AssessmentError("extra_time_range", _("Extra time is between 0 and 600 minutes."))
    obj: ExtraTime | None = None
    if minutes:
        obj, _created = ExtraTime.objects.update_or_create(
            exam=exam, enrolment=enrolment, defaults={"minutes": minutes, "reason": reason.strip()[:200]}
        )
    else:
        ExtraTime.objects.filter(exam=exam, enrolment=enrolment).delete()
    attempt = Attempt.objects.select_for_update().filter(exam=exam, enrolment=enrolment).first()
    details: dict[str, Any] = {"enrolment": enrolment.pk, "minutes": minutes, "reason": reason.strip()}
    if attempt is not None and not attempt.is_over() and not attempt.reopen_count:
        # 0 removes the exam's minutes: the enrolment's adjustment applies again
        attempt.deadline = deadline_for(exam, attempt.started_at, extra_minutes(exam, enrolment))
        attempt.save(update_fields=["deadline"])
        attempt.items.update(open_until=attempt.deadline)
        details["new_deadline"] = attempt.deadline.isoformat()
        _schedule_close(attempt)
    audit(actor, AuditAction.ASSESSMENT_EXTRA_TIME, exam, **details)
    return obj


@transaction.atomic
def finish_attempt(attempt: Attempt, actor: User | None, now: dt.datetime | None = None) -> Attempt:
    """The candidate hands in before the deadline; the sitting is scored."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.is_over(now):
        return finalise_attempt(attempt, now=now)
    attempt.submitted_at = now
    attempt.save(update_fields=["submitted_at"])
    audit(actor, AuditAction.ASSESSMENT_ATTEMPT_FINISH, attempt)
    return finalise_attempt(attempt, now=now)


@transaction.atomic
def reopen_attempt(attempt: Attempt, actor: User | None, reason: str, minutes: int) -> Attempt:
    """R19's one exception: the correspondent reopens a sitting (an incident
    in the room), for `minutes` from now, with a reason kept in the audit trail."""
    attempt = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
    check_not_deliberated(
        attempt.exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: the test's sittings can no longer change."),
    )
    if not reason.strip():
        raise AssessmentError("reason_required", _("Give the reason for reopening: it is kept in the audit trail."))
    if not 1 <= minutes <= 600:
        raise AssessmentError("minutes_range", _("Reopen for 1 to 600 minutes."))
    now = timezone.now()
    if not attempt.is_over(now):
        raise AssessmentError("running", _("This sitting is still running."))
    if attempt.domain_results.filter(evidence__isnull=False).exists():
        raise AssessmentError(
            "published", _("The results of this sitting are published in the portfolio: it cannot be reopened.")
        )
    previous = attempt.deadline
    attempt.deadline = now + dt.timedelta(minutes=minutes)
    attempt.submitted_at = None
    attempt.closed_at = None
    attempt.score = None
    attempt.reopen_count += 1
    attempt.save(update_fields=["deadline", "submitted_at", "closed_at", "score", "reopen_count"])
    attempt.domain_results.all().delete()
    attempt.items.update(open_until=attempt.deadline, score=None)
    audit(
        actor,
        AuditAction.ASSESSMENT_ATTEMPT_REOPEN,
        attempt,
        reason=reason.strip(),
        minutes=minutes,
        previous_deadline=previous.isoformat(),
        deadline=attempt.deadline.isoformat(),
    )
    _schedule_close(attempt)
    return attempt
