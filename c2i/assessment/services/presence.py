"""The exam day on the candidate's side (issue 13): the page reports every few
seconds that it is still there (`touch`), the candidate may call the
invigilator (`request_help`), the page learns what the invigilator did
(`candidate_status`), and the waiting page learns when the candidate is let
in (`seat_status`).

A sitting in an invigilated room (`Attempt.room`) whose page has not been
seen for more than `LOST_AFTER` (a lost connection, a closed laptop, a
reload after a cut) is paused when the page comes back: every drawn
question's `open_until` becomes `PAUSED`, so that the answer path refuses
(`answering._why_not_saved` says why) until the invigilator authorises the
resume (`invigilation.resume`), giving the time back. The deadline keeps
running meanwhile. A sitting without a room is never paused: nobody could
let it resume.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, AuditEntry, User, audit
from c2i.assessment.models import PAUSED, Attempt, AttemptNotice, AttemptQuestion, Exam, NoticeKind, Seat
from c2i.assessment.services.errors import AssessmentError
from c2i.enrolment.models import Enrolment

LOST_AFTER = dt.timedelta(seconds=60)  # no news from the page for longer: the connection was lost
NEAR_END = dt.timedelta(minutes=5)  # the invigilator's list puts these sittings first
TOUCH_EVERY = dt.timedelta(seconds=5)  # `last_seen_at` is written at most this often
MAX_NOTICES = 20  # per status answer; the page asks again for the rest


# --- the page is still there --------------------------------------------------------


def touch(attempt: Attempt, now: dt.datetime | None = None, *, pause: bool = True) -> bool:
    """The candidate's page is there now. Most calls write one row or
    nothing: `last_seen_at`, at most every `TOUCH_EVERY`. When the page was
    not seen for more than `LOST_AFTER` and the sitting is invigilated,
    running and not paused, the sitting is paused (audited with the gap) and
    True is returned. `pause=False`: an answer sent by the page's form, which
    proves the candidate is there without saying anything of the time before.
    `attempt` is the row as just loaded (the view's)."""
    now = now or timezone.now()
    if attempt.is_over(now):
        return False
    seen = attempt.last_seen_at
    if seen is not None and now - seen < TOUCH_EVERY:
        return False
    lost = now - (seen or attempt.started_at) > LOST_AFTER
    if not (pause and lost and attempt.room_id is not None and attempt.paused_at is None):
        Attempt.objects.filter(pk=attempt.pk).update(last_seen_at=now)
        attempt.last_seen_at = now
        return False
    return _pause_after_gap(attempt, now)


@transaction.atomic
def _pause_after_gap(attempt: Attempt, now: dt.datetime) -> bool:
    """The rare case, checked again on the locked row: two tabs coming back
    at once pause once; a resume the invigilator authorised, or a reopening
    by the correspondent, after the gap began (the page was still away) is
    not undone."""
    fresh = Attempt.objects.select_for_update().get(pk=attempt.pk)
    seen = fresh.last_seen_at or fresh.started_at
    if fresh.is_over(now) or fresh.paused_at is not None or now - seen <= LOST_AFTER or _let_go_since(fresh, seen):
        Attempt.objects.filter(pk=fresh.pk).update(last_seen_at=now)
        attempt.last_seen_at, attempt.paused_at = now, fresh.paused_at
        return False
    fresh.paused_at = fresh.last_seen_at = now
    fresh.save(update_fields=["paused_at", "last_seen_at"])
    AttemptQuestion.objects.filter(attempt=fresh).update(open_until=PAUSED)
    audit(
        None,
        AuditAction.ASSESSMENT_ATTEMPT_PAUSE,
        fresh,
        gap_seconds=int((now - seen).total_seconds()),
        last_seen_at=seen.isoformat(),
        room=fresh.room_id,
    )
    attempt.paused_at = attempt.last_seen_at = now
    return True


def _let_go_since(attempt: Attempt, seen: dt.datetime) -> bool:
    if AttemptNotice.objects.filter(attempt=attempt, kind=NoticeKind.RESUMED, created_at__gt=seen).exists():
        return True
    return AuditEntry.objects.filter(
        action=AuditAction.ASSESSMENT_ATTEMPT_REOPEN,
        object_type=attempt._meta.label_lower,
        object_id=str(attempt.pk),
        at__gt=seen,
    ).exists()


# --- the candidate calls the invigilator --------------------------------------------


@transaction.atomic
def request_help(attempt: Attempt, actor: User | None, now: dt.datetime | None = None) -> Attempt:
    """« J'ai besoin d'aide »: the invigilator's list puts the candidate first
    until the invigilator answers (`invigilation.answer_help`). Asking again
    before that changes nothing (the first call keeps its place)."""
    now = now or timezone.now()
    fresh = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if fresh.room_id is None:
        raise AssessmentError(
            "no_invigilator", _("No invigilator watches this sitting: ask the person in charge of the room.")
        )
    if fresh.is_over(now):
        raise AssessmentError("over", _("The test is over: ask the invigilator of the room directly."))
    if fresh.help_requested_at is None:
        fresh.help_requested_at = now
        fresh.save(update_fields=["help_requested_at"])
        audit(actor, AuditAction.ASSESSMENT_HELP_REQUEST, fresh, room=fresh.room_id, paused=fresh.paused_at is not None)
    attempt.help_requested_at = fresh.help_requested_at
    return fresh


# --- what the candidate's page is told ---------------------------------------------

RUNNING = "running"
PAUSED_STATE = "paused"
OVER = "over"


def state_of(attempt: Attempt, now: dt.datetime) -> str:
    if attempt.is_over(now):
        return OVER
    return PAUSED_STATE if attempt.paused_at is not None else RUNNING


def candidate_status(
    attempt: Attempt, after_id: int = 0, now: dt.datetime | None = None, *, newer_notice: bool = True
) -> dict[str, Any]:
    """The status JSON of the candidate's page (the contract): its state, the
    time left (time given back included), whether help is asked, and the
    invigilator's notices written after the one the page already has, oldest
    first (not read when the caller knows there is none: `newer_notice`)."""
    now = now or timezone.now()
    notices = (
        list(
            AttemptNotice.objects.filter(attempt=attempt, pk__gt=after_id)
            .order_by("pk")
            .values("id", "kind", "message")[:MAX_NOTICES]
        )
        if newer_notice
        else []
    )
    return {
        "state": state_of(attempt, now),
        "seconds_left": attempt.seconds_left(now),
        "deadline": attempt.deadline.isoformat(),
        "ends_at": timezone.localtime(attempt.deadline).strftime("%H:%M"),
        "help": attempt.help_requested_at is not None,
        "notices": notices,
    }


def last_notice_id(attempt: Attempt) -> int:
    """The page starts after the notices written before it was loaded."""
    return AttemptNotice.objects.filter(attempt=attempt).order_by("-pk").values_list("pk", flat=True).first() or 0


# --- the waiting page -----------------------------------------------------------------


@dataclass(frozen=True)
class SeatStatus:
    room: str  # "" without a seat
    waiting: bool  # a room where the invigilator lets each candidate in, and not let in yet

    @property
    def admitted(self) -> bool:
        return not self.waiting


def seat_status(exam: Exam, enrolment: Enrolment | None) -> SeatStatus:
    """Where the candidate sits, and whether they still wait to be let in."""
    if enrolment is None:
        return SeatStatus("", False)
    seat = (
        Seat.objects.filter(exam=exam, enrolment=enrolment)
        .select_related("room")
        .only("admitted_at", "room__name", "room__admission_required")
        .first()
    )
    if seat is None:
        return SeatStatus("", False)
    return SeatStatus(seat.room.name, seat.room.admission_required and seat.admitted_at is None)
