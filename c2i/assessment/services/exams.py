"""Exams (R16, R17): an institution session's knowledge test, its domains,
window and rooms, and the deadline of its sittings.

The deadline rule (R19). When a candidate starts, the server fixes the end
of the sitting once and for all:

    deadline = min(start + duration + extra time, window close + extra time)

so a late start does not buy time beyond the window, and a candidate with
extra time keeps it even when they start just before the window closes. The
deadline changes only when the correspondent grants extra time to a running
sitting, changes the enrolment's adjustments during it, or reopens one (with
a logged reason).

Extra time (`extra_minutes`): the enrolment's adjustment, a percentage of the
test's duration set once for every test of the session (the « tiers-temps »
is 33 %), rounded up to the whole minute: ceil(duration × percent / 100),
20 minutes for 33 % of 60. One test's exceptional minutes (an `ExtraTime`
row, set on the exam's page) replace it for that test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.assessment import scoring
from c2i.assessment.models import (
    Attempt,
    Exam,
    ExtraTime,
    Question,
    QuestionKind,
    QuestionStatus,
    parse_networks,
)
from c2i.assessment.services.errors import AssessmentError
from c2i.enrolment import adjustments, freeze
from c2i.enrolment.models import Enrolment, InstitutionSession
from c2i.frameworks.models import Domain, Framework


def default_domains(framework: Framework) -> list[Domain]:
    """R16: the domains the framework requires a test in (all of them for
    C2i1 and C2i2ms, none elsewhere)."""
    if not framework.test_required:
        return []
    return list(framework.domains.order_by("position"))


def bank_for(framework: Framework, domains: Iterable[Domain]) -> list[scoring.BankQuestion]:
    """The drawable questions (R17, R18): validated multiple-choice questions
    with 4 or 5 options, in the domains asked."""
    rows = Question.objects.filter(
        framework=framework,
        status=QuestionStatus.VALIDATED,
        kind=QuestionKind.MULTICHOICE,
        option_count__in=sorted(scoring.DRAWABLE_OPTION_COUNTS),
        competency__domain__in=list(domains),
    ).values_list("id", "competency__domain__code", "competency__code", "option_count")
    return [scoring.BankQuestion(*row) for row in rows]


def check_bank(framework: Framework, domains: Sequence[Domain], per_domain: int) -> None:
    """R17: the bank holds enough validated questions in each domain."""
    try:
        scoring.draw(bank_for(framework, domains), [d.code for d in domains], per_domain, 0)
    except scoring.DrawError as error:
        raise AssessmentError(error.code, error.message) from error


def _check_exam(institution_session: InstitutionSession, domains: Sequence[Domain], fields: dict[str, Any]) -> None:
    framework = institution_session.session.framework
    if not domains:
        raise AssessmentError("no_domain", _("Choose at least one domain to test."))
    if any(d.framework_id != framework.pk for d in domains):
        raise AssessmentError(
            "domain_foreign", _("Every domain tested must belong to %(framework)s.") % {"framework": framework.code}
        )
    if fields["closes_at"] <= fields["opens_at"]:
        raise AssessmentError("window", _("The test must close after it opens."))
    try:
        parse_networks(fields.get("allowed_networks", ""))
    except ValueError as error:
        raise AssessmentError("networks", _("An address range is not valid CIDR.")) from error
    check_bank(framework, domains, fields["per_domain"])


EXAM_FIELDS = ("title", "per_domain", "duration_minutes", "opens_at", "closes_at", "access_code", "allowed_networks")


@transaction.atomic
def create_exam(
    actor: User | None, institution_session: InstitutionSession, domains: Sequence[Domain], **fields: Any
) -> Exam:
    check_not_deliberated(
        institution_session.pk,
        _("The jury of this session deliberated on %(date)s: its knowledge test can no longer change."),
    )
    domains = sorted(domains, key=lambda d: d.position)
    _check_exam(institution_session, domains, fields)
    if Exam.objects.filter(institution_session=institution_session).exists():
        raise AssessmentError("exam_exists", _("This session already has its knowledge test."))
    exam = Exam(institution_session=institution_session, created_by=actor, **fields)
    exam.full_clean(exclude=["domains"])
    exam.save()
    exam.domains.set(domains)
    audit(actor, AuditAction.ASSESSMENT_EXAM_CREATE, exam, domains=[d.code for d in domains], **_exam_details(exam))
    return exam


def _exam_details(exam: Exam) -> dict[str, Any]:
    return {
        "per_domain": exam.per_domain,
        "duration_minutes": exam.duration_minutes,
        "opens_at": exam.opens_at.isoformat(),
        "closes_at": exam.closes_at.isoformat(),
        "access_code": bool(exam.access_code),
        "allowed_networks": exam.network_texts(),
    }


@transaction.atomic
def update_exam(exam: Exam, actor: User | None, domains: Sequence[Domain], **fields: Any) -> Exam:
    """Before the first sitting only: candidates all sit the same test."""
    exam = Exam.objects.select_for_update().select_related("institution_session__session__framework").get(pk=exam.pk)
    check_not_deliberated(
        exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: its knowledge test can no longer change."),
    )
    if exam.attempts.exists():
        raise AssessmentError(
            "exam_started", _("Candidates have started this test: its settings can no longer change.")
        )
    domains = sorted(domains, key=lambda d: d.position)
    _check_exam(exam.institution_session, domains, fields)
    for name, value in fields.items():
        setattr(exam, name, value)
    exam.full_clean(exclude=["domains"])
    exam.save()
    exam.domains.set(domains)
    audit(actor, AuditAction.ASSESSMENT_EXAM_UPDATE, exam, domains=[d.code for d in domains], **_exam_details(exam))
    return exam


def check_not_deliberated(institution_session_id: int, refusal: str) -> None:
    """Once the jury has deliberated, its session's test is over for good (docs/lifecycle.md)."""
    closed = freeze.closed_at(institution_session_id)
    if closed is not None:
        raise AssessmentError("deliberated", refusal % {"date": freeze.date_text(closed)})


def deadline_for(exam: Exam, started_at: dt.datetime, extra_minutes: int) -> dt.datetime:
    """The deadline rule (module docstring)."""
    extra = dt.timedelta(minutes=extra_minutes)
    return min(started_at + dt.timedelta(minutes=exam.duration_minutes) + extra, exam.closes_at + extra)


def percent_minutes(duration_minutes: int, percent: int) -> int:
    """A percentage of the duration, rounded up to the whole minute (33 % of 60 = 20)."""
    return -(-duration_minutes * percent // 100)


def extra_minutes(exam: Exam, enrolment: Enrolment) -> int:
    """The extra time of this candidate in this test (module docstring): the
    exam's exceptional minutes when set, otherwise the enrolment's percentage."""
    row = ExtraTime.objects.filter(exam=exam, enrolment=enrolment).values_list("minutes", flat=True).first()
    return effective_extra(exam, row, enrolment.extra_time_percent)


def extra_minutes_by_enrolment(exam: Exam, enrolments: Iterable[Enrolment]) -> dict[int, int]:
    """`extra_minutes` of many candidates in one query (lists of a room or of the session)."""
    exceptional = dict(ExtraTime.objects.filter(exam=exam).values_list("enrolment_id", "minutes"))
    return {e.pk: effective_extra(exam, exceptional.get(e.pk), e.extra_time_percent) for e in enrolments}


def effective_extra(exam: Exam, exceptional: int | None, percent: int) -> int:
    """The rule of `extra_minutes` once both are read: the exam's own minutes
    when set, otherwise the enrolment's percentage of the duration."""
    return int(exceptional) if exceptional is not None else percent_minutes(exam.duration_minutes, percent)


def theoretical_end(exam: Exam, enrolment: Enrolment, attempt: Attempt | None, now: dt.datetime) -> dt.datetime:
    """When this candidate's sitting ends: its deadline once started;
    otherwise the deadline it would get starting now (or at the opening)."""
    if attempt is not None:
        return attempt.deadline
    return end_if_started(exam, now, extra_minutes(exam, enrolment))


def end_if_started(exam: Exam, now: dt.datetime, extra: int) -> dt.datetime:
    """The deadline of a sitting not started yet, were it started now (or at
    the opening), with `extra` minutes: `theoretical_end` and the
    invigilator's list."""
    return deadline_for(exam, max(now, exam.opens_at), extra)


@dataclass(frozen=True)
class ExamAdjustments:
    """What a candidate's adjustments give in one test, as pages say it."""

    minutes: int  # the extra minutes
    exceptional: bool  # the exam's own minutes, instead of the enrolment's percentage
    labels: list[str]  # « tiers-temps (+33 %) », « gros caractères », …
    note: str

    def __bool__(self) -> bool:
        return bool(self.minutes or self.labels)


def adjustments_in(exam: Exam, enrolment: Enrolment) -> ExamAdjustments:
    row = ExtraTime.objects.filter(exam=exam, enrolment=enrolment).values_list("minutes", flat=True).first()
    return ExamAdjustments(
        minutes=int(row) if row is not None else percent_minutes(exam.duration_minutes, enrolment.extra_time_percent),
        exceptional=row is not None,
        labels=adjustments.enrolment_labels(enrolment),
        note=enrolment.adjustments_note,
    )


def move_running_deadlines(enrolment: Enrolment, previous_percent: int) -> list[dict[str, Any]]:
    """The exam's part in a change of an enrolment's adjustments
    (`enrolment.adjustments.register_hook`): a running sitting of the
    session's test ends later (or sooner) by the difference the new
    percentage makes; time given back by an invigilator stays given. Not a
    sitting that was reopened (its end is the reopening's), nor a test with
    exceptional minutes for this candidate (they replace the percentage)."""
    from c2i.assessment.services.sitting import _schedule_close

    moved: list[dict[str, Any]] = []
    now = timezone.now()
    attempts = Attempt.objects.select_for_update().select_related("exam").filter(enrolment=enrolment)
    for attempt in attempts:
        exam = attempt.exam
        if attempt.is_over(now) or attempt.reopen_count:
            continue
        if ExtraTime.objects.filter(exam=exam, enrolment=enrolment).exists():
            continue
        before = deadline_for(exam, attempt.started_at, percent_minutes(exam.duration_minutes, previous_percent))
        after = deadline_for(exam, attempt.started_at, extra_minutes(exam, enrolment))
        if before == after:
            continue
        attempt.deadline += after - before
        attempt.save(update_fields=["deadline"])
        if attempt.paused_at is None:  # a paused sitting's questions stay closed until the invigilator resumes it
            attempt.items.update(open_until=attempt.deadline)
        _schedule_close(attempt)
        moved.append({"attempt": attempt.pk, "exam": exam.pk, "deadline": attempt.deadline.isoformat()})
    return moved
