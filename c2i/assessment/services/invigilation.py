"""The exam day on the invigilator's side (issue 13): the rooms of an exam,
where each candidate sits, who may watch a room, what they see (`room_rows`)
and what they do (let in, resume, end early, answer a call, report an
incident).

An invigilator needs no account: the correspondent gives them the room's code
and a password (shown once, stored hashed); they sign in with both and their
name. A new password ends every invigilator session of the room (the session
remembers `password_set_at`). An institution may switch this off
(`Institution.invigilation_by_code`): then only its staff accounts (its
correspondents, the national administrator) open the room pages.

Every action is audited with its reason and the invigilator's name, and told
to the candidate's page through an `AttemptNotice` when they have a sitting.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import connection, transaction
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from c2i.accounts.access import roles
from c2i.accounts.models import AuditAction, User, audit
from c2i.assessment.models import (
    Attempt,
    AttemptNotice,
    AttemptQuestion,
    Exam,
    ExamRoom,
    ExtraTime,
    Incident,
    IncidentKind,
    NoticeKind,
    Seat,
)
from c2i.assessment.services.errors import AssessmentError
from c2i.assessment.services.exams import check_not_deliberated, effective_extra, end_if_started
from c2i.assessment.services.presence import LOST_AFTER, NEAR_END  # the candidate's side owns them
from c2i.enrolment.models import Candidate, Enrolment, EnrolmentStatus
from c2i.lib import ratelimit

# Room codes: no look-alike characters (0/O, 1/I/L), like a ticket secret.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet, not a password
PASSWORD_LENGTH = 10
SESSION_KEY = "invigilation"
THROTTLE_SCOPE = "invigilation"
MAX_REASON = 300


# --- rooms ----------------------------------------------------------------------


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not ExamRoom.objects.filter(code=code).exists():
            return code


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _check_rooms_editable(exam: Exam) -> None:
    check_not_deliberated(
        exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: its knowledge test can no longer change."),
    )


def _check_no_sitting(room: ExamRoom) -> None:
    if room.attempts.exists():
        raise AssessmentError(
            "room_in_use",
            _("A candidate has started in the room « %(room)s »: it can no longer change.") % {"room": room},
        )


def _room_details(room: ExamRoom) -> dict[str, Any]:
    return {
        "exam": room.exam_id,
        "name": room.name,
        "code": room.code,
        "capacity": room.capacity,
        "separate": room.separate,
        "admission_required": room.admission_required,
    }


def _clean_name(exam: Exam, name: str, room: ExamRoom | None = None) -> str:
    name = " ".join(name.split())[:100]
    if not name:
        raise AssessmentError("room_name", _("Give the room a name (e.g. « Salle B204 »)."))
    others = ExamRoom.objects.filter(exam=exam, name=name)
    if room is not None:
        others = others.exclude(pk=room.pk)
    if others.exists():
        raise AssessmentError("room_name_taken", _("This test already has a room named « %(name)s ».") % {"name": name})
    return name


@transaction.atomic
def create_room(
    exam: Exam,
    actor: User | None,
    name: str,
    *,
    capacity: int | None = None,
    separate: bool = False,
    admission_required: bool = True,
    code: str = "",
) -> ExamRoom:
    """A room of the exam, with a fresh code (`code` only for the demo data)."""
    _check_rooms_editable(exam)
    room = ExamRoom.objects.create(
        exam=exam,
        name=_clean_name(exam, name),
        code=code or new_code(),
        capacity=capacity,
        separate=separate,
        admission_required=admission_required,
    )
    audit(actor, AuditAction.ASSESSMENT_ROOM_CREATE, room, **_room_details(room))
    return room


@transaction.atomic
def update_room(
    room: ExamRoom,
    actor: User | None,
    name: str,
    *,
    capacity: int | None,
    separate: bool,
    admission_required: bool,
) -> ExamRoom:
    room = ExamRoom.objects.select_for_update().select_related("exam").get(pk=room.pk)
    _check_rooms_editable(room.exam)
    _check_no_sitting(room)
    room.name = _clean_name(room.exam, name, room)
    room.capacity = capacity
    room.separate = separate
    room.admission_required = admission_required
    room.save(update_fields=["name", "capacity", "separate", "admission_required"])
    audit(actor, AuditAction.ASSESSMENT_ROOM_UPDATE, room, **_room_details(room))
    return room


@transaction.atomic
def delete_room(room: ExamRoom, actor: User | None) -> None:
    """Before the first sitting in the room only; its seats go with it."""
    room = ExamRoom.objects.select_for_update().select_related("exam").get(pk=room.pk)
    _check_rooms_editable(room.exam)
    _check_no_sitting(room)
    if room.incidents.exists():
        raise AssessmentError("room_incidents", _("Incidents were reported in this room: it is kept."))
    details = _room_details(room)
    audit(actor, AuditAction.ASSESSMENT_ROOM_UPDATE, room, deleted=True, **details)
    room.delete()


@transaction.atomic
def set_password(room: ExamRoom, actor: User | None, password: str = "") -> str:
    """Set (or regenerate) the invigilators' password; returned once, stored
    hashed. Every invigilator session of the room ends."""
    password = password.strip() or new_password()
    if len(password) < 8:
        raise AssessmentError("room_password_short", _("The password needs at least 8 characters."))
    room.password_hash = make_password(password)
    room.password_set_at = timezone.now()
    room.save(update_fields=["password_hash", "password_set_at"])
    audit(actor, AuditAction.ASSESSMENT_ROOM_PASSWORD, room, code=room.code)
    return password


# --- placement ------------------------------------------------------------------


def _active_enrolments(exam: Exam) -> Any:
    return Enrolment.objects.filter(institution_session_id=exam.institution_session_id, status=EnrolmentStatus.ACTIVE)


@transaction.atomic
def seat_candidate(room: ExamRoom, enrolment: Enrolment, actor: User | None) -> Seat:
    """Place one candidate in a room (moving them if placed elsewhere, before they start)."""
    exam = room.exam
    _check_rooms_editable(exam)
    if not _active_enrolments(exam).filter(pk=enrolment.pk).exists():
        raise AssessmentError("foreign_enrolment", _("This candidate is not enrolled in the session of this test."))
    if Attempt.objects.filter(exam=exam, enrolment=enrolment).exists():
        raise AssessmentError("seat_started", _("This candidate has started the test: their room no longer changes."))
    if enrolment.separate_room and not room.separate:
        raise AssessmentError(
            "seat_separate", _("This candidate sits in a separate room: choose a room marked « separate room ».")
        )
    taken = Seat.objects.filter(room=room).exclude(enrolment=enrolment).count()
    if room.capacity is not None and taken >= room.capacity:
        raise AssessmentError(
            "room_full", _("The room « %(room)s » is full (%(n)s seats).") % {"room": room, "n": room.capacity}
        )
    seat, _created = Seat.objects.update_or_create(
        exam=exam, enrolment=enrolment, defaults={"room": room, "admitted_at": None, "admitted_by": ""}
    )
    audit(actor, AuditAction.ASSESSMENT_SEATS, exam, room=room.pk, enrolments=[enrolment.pk])
    return seat


@dataclass
class Placement:
    placed: int = 0
    left: int = 0  # candidates for whom no room had a seat


@transaction.atomic
def place_unseated(exam: Exam, actor: User | None) -> Placement:
    """« Placer les candidats non placés »: fill the rooms up to their capacity,
    in the rooms' order, candidates by name; those who need a separate room
    only into separate rooms, the others only into the ordinary rooms (a
    separate room keeps its seats for those who need it)."""
    _check_rooms_editable(exam)
    rooms = list(ExamRoom.objects.filter(exam=exam).annotate(n=Count("seats")).order_by("name"))
    unseated = list(
        _active_enrolments(exam)
        .exclude(seats__exam=exam)
        .exclude(attempts__exam=exam)
        .select_related("candidate")
        .order_by("candidate__last_name", "candidate__first_names", "pk")
    )
    free = {room.pk: (math.inf if room.capacity is None else room.capacity - room.n) for room in rooms}
    result = Placement()
    seats: list[Seat] = []
    for enrolment in unseated:
        eligible = [r for r in rooms if r.separate] if enrolment.separate_room else [r for r in rooms if not r.separate]
        room = next((r for r in eligible if free[r.pk] > 0), None)
        if room is None:
            result.left += 1
            continue
        free[room.pk] -= 1
        seats.append(Seat(exam=exam, room=room, enrolment=enrolment))
    Seat.objects.bulk_create(seats)
    result.placed = len(seats)
    if seats:
        audit(actor, AuditAction.ASSESSMENT_SEATS, exam, placed=result.placed, left=result.left)
    return result


def seat_of(exam: Exam, enrolment: Enrolment) -> Seat | None:
    return Seat.objects.select_related("room").filter(exam=exam, enrolment=enrolment).first()


def check_admitted(exam: Exam, enrolment: Enrolment) -> ExamRoom | None:
    """For `start_attempt`: the candidate's room, or the refusal while the
    invigilator has not let them in."""
    seat = seat_of(exam, enrolment)
    if seat is None:
        return None
    if seat.room.admission_required and seat.admitted_at is None:
        raise AssessmentError(
            "not_admitted",
            _("Wait for the invigilator of your room (%(room)s) to let you in, then start the test.")
            % {"room": seat.room.name},
        )
    return seat.room


# --- who watches a room ---------------------------------------------------------


@dataclass(frozen=True)
class Invigilator:
    room: ExamRoom
    name: str
    user: User | None = None  # a staff account; None: signed in with the room's code


def _throttle_keys(request: HttpRequest, code: str) -> tuple[str, str]:
    return ratelimit.name_key(THROTTLE_SCOPE, code), ratelimit.address_key(request, THROTTLE_SCOPE)


def _room_with_exam() -> Any:
    return ExamRoom.objects.select_related("exam__institution_session__institution")


def sign_in(request: HttpRequest, code: str, password: str, name: str) -> ExamRoom:
    """Check the room's code, password and the invigilator's name; throttled
    like logins (per code and per address), every refusal audited. On
    success the session holds the grant."""
    code = code.strip().upper().replace(" ", "")
    name = " ".join(name.split())[:150]
    if not name:
        raise AssessmentError("invigilator_name", _("Give your name: it is written next to each of your actions."))
    code_key, address_key = _throttle_keys(request, code)
    wait = ratelimit.seconds_left(
        [(code_key, settings.C2I_LOGIN_FAILURES_PER_ACCOUNT), (address_key, settings.C2I_LOGIN_FAILURES_PER_ADDRESS)]
    )
    if wait:
        raise AssessmentError(
            "invigilation_throttled",
            ngettext(
                "Too many wrong codes or passwords: try again in %(minutes)s minute.",
                "Too many wrong codes or passwords: try again in %(minutes)s minutes.",
                ratelimit.minutes(wait),
            )
            % {"minutes": ratelimit.minutes(wait)},
        )
    ratelimit.count(code_key, settings.C2I_LOGIN_WINDOW)
    room = _room_with_exam().filter(code=code).first() if code else None
    refusal: AssessmentError | None = None
    if room is None or not room.password_hash or not check_password(password, room.password_hash):
        refusal = AssessmentError(
            "invigilation_refused", _("The room code or the password is not right. Ask the correspondent.")
        )
    elif not room.exam.institution_session.institution.invigilation_by_code:
        refusal = AssessmentError(
            "invigilation_by_code_off",
            _("This institution does not open its rooms with a code: sign in with your staff account."),
        )
    if refusal is not None:
        ratelimit.count(address_key, settings.C2I_LOGIN_WINDOW)
        target = room if room is not None else None
        if target is not None:
            audit(None, AuditAction.INVIGILATION_SIGN_IN_REFUSED, target, name=name, reason=refusal.code)
        else:
            # no room to attach it to: the trail records it on the code typed
            from c2i.accounts.models import AuditEntry

            AuditEntry.objects.create(
                actor=None,
                action=AuditAction.INVIGILATION_SIGN_IN_REFUSED,
                object_type="assessment.examroom",
                object_id="",
                details={"name": name, "code": code[:12], "reason": refusal.code},
            )
        raise refusal
    assert room is not None and room.password_set_at is not None
    ratelimit.count(code_key, settings.C2I_LOGIN_WINDOW, -1)
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"room": room.pk, "name": name, "password_set_at": room.password_set_at.isoformat()}
    audit(None, AuditAction.INVIGILATION_SIGN_IN, room, name=name)
    return room


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def granted_room(request: HttpRequest) -> int | None:
    grant = request.session.get(SESSION_KEY)
    return grant.get("room") if isinstance(grant, dict) else None


def is_staff_of(user: Any, room: ExamRoom) -> bool:
    """The institution's correspondents and the national administrator."""
    if not getattr(user, "is_authenticated", False):
        return False
    r = roles(user)
    return r.is_admin or room.exam.institution_session.institution_id in r.correspondent_of


class NoGrant(Exception):
    """Neither a grant for this room nor a staff account: off to the sign-in page."""


def invigilator_for(request: HttpRequest, room_pk: int) -> Invigilator:
    """Who watches this room: `NoGrant` for someone who holds no grant at all
    (sign in), `ExamRoom.DoesNotExist` for a room out of reach (404: a grant
    for another room, a staff account of another institution)."""
    grant = request.session.get(SESSION_KEY)
    user = request.user if request.user.is_authenticated else None
    room = _room_with_exam().filter(pk=room_pk).first()
    if room is not None and user is not None and is_staff_of(user, room):
        return Invigilator(room, user.get_full_name() or user.get_username(), user)  # type: ignore[union-attr]
    if isinstance(grant, dict) and grant.get("room") == room_pk and room is not None:
        valid = (
            room.exam.institution_session.institution.invigilation_by_code
            and room.password_set_at is not None
            and grant.get("password_set_at") == room.password_set_at.isoformat()
        )
        if valid:
            return Invigilator(room, str(grant.get("name", "")))
        request.session.pop(SESSION_KEY, None)  # a new password, or the switch turned off
        raise NoGrant
    if isinstance(grant, dict) or (user is not None and (roles(user).is_admin or roles(user).is_correspondent)):
        raise ExamRoom.DoesNotExist
    raise NoGrant


# --- the live list ----------------------------------------------------------------


class State:
    WAITING = "waiting"  # to be let in
    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    ENDED = "ended"


@dataclass
class Row:
    seat_id: int
    last_name: str
    first_names: str
    state: str
    end: dt.datetime
    extra_percent: int = 0
    extra_minutes: int = 0
    answered: int = 0
    total: int = 0
    attempt_id: int | None = None
    help: bool = False
    lost: bool = False
    near_end: bool = False
    paused: bool = False
    lost_minutes: int = 0  # pre-fills the minutes given back on a resume
    resumable: bool = False  # running, paused, or out of time without having handed in

    @property
    def needs_attention(self) -> bool:
        return self.help or self.lost or self.near_end or self.paused


def _ceil_minutes(delta: dt.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds() / 60))


def _names() -> tuple[Any, Any]:
    """`t(Model)` and `c(Model, field)`: quoted table and column names."""
    q = connection.ops.quote_name

    def t(model: Any) -> str:
        return q(model._meta.db_table)

    def c(model: Any, name: str) -> str:
        return q(model._meta.get_field(name).column)

    return t, c


def _head_columns() -> str:
    """What a list needs of its room and exam (the head `h` of `_rows_sql`),
    from the room `r` and its exam `ex`."""
    t, c = _names()
    through = Exam.domains.through
    return (
        f"r.{c(ExamRoom, 'id')} AS room, r.{c(ExamRoom, 'exam')} AS exam, "  # noqa: S608
        f"r.{c(ExamRoom, 'admission_required')}, r.{c(ExamRoom, 'password_set_at')}, "
        f"ex.{c(Exam, 'opens_at')}, ex.{c(Exam, 'closes_at')}, ex.{c(Exam, 'duration_minutes')}, "
        f"ex.{c(Exam, 'per_domain')}, "
        f"(SELECT COUNT(*) FROM {t(through)} d WHERE d.{c(through, 'exam')} = ex.{c(Exam, 'id')}) AS domains"
    )


HEAD_SIZE = 9  # the columns of `_head_columns`


def _rows_sql(vendor: str, head: str) -> str:
    """One row per seat of the room chosen by `head` (a one-row subquery
    whose first columns are `_head_columns`), its columns first; one row of
    the head with NULL seat columns for an empty room, none without a head.
    The seat columns: the seat, its candidate, the exam's own extra minutes,
    the sitting and its drawn and answered questions."""
    t, c = _names()
    items, aq = t(AttemptQuestion), AttemptQuestion
    if vendor == "postgresql":  # one index scan of each sitting's questions
        counts = (
            f"LEFT JOIN LATERAL (SELECT COUNT(*) AS total, COUNT(i.{c(aq, 'answered_at')}) AS answered "  # noqa: S608
            f"FROM {items} i WHERE i.{c(aq, 'attempt')} = a.{c(Attempt, 'id')}) k ON TRUE "
        )
        total, answered = "k.total", "k.answered"
    else:
        counts = ""
        where = f"FROM {items} i WHERE i.{c(aq, 'attempt')} = a.{c(Attempt, 'id')}"
        total = f"(SELECT COUNT(*) {where})"
        answered = f"(SELECT COUNT(i.{c(aq, 'answered_at')}) {where})"
    return (
        f"SELECT h.*, s.{c(Seat, 'id')}, s.{c(Seat, 'admitted_at')}, e.{c(Enrolment, 'extra_time_percent')}, "  # noqa: S608
        f"p.{c(Candidate, 'last_name')}, p.{c(Candidate, 'first_names')}, x.{c(ExtraTime, 'minutes')}, "
        f"a.{c(Attempt, 'id')}, a.{c(Attempt, 'started_at')}, a.{c(Attempt, 'deadline')}, "
        f"a.{c(Attempt, 'submitted_at')}, a.{c(Attempt, 'last_seen_at')}, a.{c(Attempt, 'help_requested_at')}, "
        f"a.{c(Attempt, 'paused_at')}, a.{c(Attempt, 'ended_early_reason')}, {total}, {answered} "
        f"FROM ({head}) h "
        f"LEFT JOIN {t(Seat)} s ON s.{c(Seat, 'room')} = h.room "
        f"LEFT JOIN {t(Enrolment)} e ON e.{c(Enrolment, 'id')} = s.{c(Seat, 'enrolment')} "
        f"LEFT JOIN {t(Candidate)} p ON p.{c(Candidate, 'id')} = e.{c(Enrolment, 'candidate')} "
        f"LEFT JOIN {t(ExtraTime)} x ON x.{c(ExtraTime, 'exam')} = h.exam "
        f"AND x.{c(ExtraTime, 'enrolment')} = s.{c(Seat, 'enrolment')} "
        f"LEFT JOIN {t(Attempt)} a ON a.{c(Attempt, 'exam')} = h.exam "
        f"AND a.{c(Attempt, 'enrolment')} = s.{c(Seat, 'enrolment')} "
        f"{counts}"
    )


def _room_head() -> str:
    """The head of a room chosen by its id (one parameter)."""
    t, c = _names()
    return (
        f"SELECT {_head_columns()} FROM {t(ExamRoom)} r "  # noqa: S608
        f"JOIN {t(Exam)} ex ON ex.{c(Exam, 'id')} = r.{c(ExamRoom, 'exam')} WHERE r.{c(ExamRoom, 'id')} = %s"
    )


@functools.cache
def _list_sql(vendor: str) -> str:
    """The live list in one statement (`room_rows`), written once per process
    from the models' tables and columns rather than built by the ORM at each
    refresh; the room's id is its one parameter."""
    return _rows_sql(vendor, _room_head())


@functools.cache
def lean_list_sql(vendor: str) -> str:
    """The lean path's statement (`middleware.InvigilationListFastPath`): the
    login session (alive), the room, its exam and the institution's switch,
    and the room's rows, in one statement. Parameters: the session key, now,
    the room's id. No row at all: no such session or room. The grant itself
    is checked in Python (`lean_grant`) before anything is sent."""
    from c2i.accounts.models import Session
    from c2i.enrolment.models import InstitutionSession
    from c2i.institutions.models import Institution

    t, c = _names()
    head = (
        f"SELECT {_head_columns()}, ss.{c(Session, 'session_data')} AS session_data, "  # noqa: S608
        f"ss.{c(Session, 'user')} AS session_user, inst.{c(Institution, 'invigilation_by_code')} AS by_code "
        f"FROM {t(Session)} ss, {t(ExamRoom)} r "
        f"JOIN {t(Exam)} ex ON ex.{c(Exam, 'id')} = r.{c(ExamRoom, 'exam')} "
        f"JOIN {t(InstitutionSession)} isn ON isn.{c(InstitutionSession, 'id')} = ex.{c(Exam, 'institution_session')} "
        f"JOIN {t(Institution)} inst ON inst.{c(Institution, 'id')} = isn.{c(InstitutionSession, 'institution')} "
        f"WHERE ss.{c(Session, 'session_key')} = %s AND ss.{c(Session, 'expire_date')} > %s "
        f"AND r.{c(ExamRoom, 'id')} = %s"
    )
    return _rows_sql(vendor, head)


LEAN_HEAD_SIZE = HEAD_SIZE + 3  # session_data, session_user, by_code


def _aware(value: Any) -> Any:
    """A time as an aware datetime (SQLite gives naive ones, or text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # SQLite stores UTC without its offset
    return value


@dataclass(frozen=True)
class ListHead:
    """What the rows need of the room and its exam (`_head_columns`)."""

    room: int
    exam: int
    admission_required: bool
    password_set_at: dt.datetime | None
    opens_at: dt.datetime
    closes_at: dt.datetime
    duration_minutes: int
    per_domain: int
    domains: int

    @classmethod
    def read(cls, row: Sequence[Any]) -> ListHead:
        room, exam, admission, set_at, opens, closes, duration, per_domain, domains = row[:HEAD_SIZE]
        return cls(
            room, exam, bool(admission), _aware(set_at), _aware(opens), _aware(closes), duration, per_domain, domains
        )

    def exam_times(self) -> Exam:
        """The head as the exam the deadline rules read (`opens_at`,
        `closes_at`, `duration_minutes`: all it has), without building a
        model instance at each refresh."""
        return cast(Exam, self)


def lean_rows(session_key: str, now: dt.datetime, room_pk: int) -> list[tuple[Any, ...]]:
    """Run `lean_list_sql`. On PostgreSQL on the answers' cursor, which binds
    on the server: the statement is prepared after a few runs on a connection
    (DATABASES' prepare_threshold; never behind a transaction-mode pooler),
    so it is not planned again at every refresh; its results come in binary
    (Django's text loader of times runs in Python for each value)."""
    from c2i.assessment.answering import _answer_cursor

    with _answer_cursor(connection) as cursor:
        if connection.vendor == "postgresql":
            from psycopg.pq import Format

            cursor.cursor.format = Format.BINARY  # the results in binary: no text to parse back into times
        cursor.execute(lean_list_sql(connection.vendor), [session_key, now, room_pk])
        return list(cursor.fetchall())


def lean_grant(head: Sequence[Any], grant: Any, room_pk: int) -> bool:
    """The grant branch of `invigilator_for`, on the lean statement's head
    and the session's decoded grant: a grant for this room, the institution
    opening its rooms with a code, the password unchanged since the sign-in."""
    set_at = _aware(head[3])
    return (
        isinstance(grant, dict)
        and grant.get("room") == room_pk
        and bool(head[HEAD_SIZE + 2])
        and set_at is not None
        and grant.get("password_set_at") == set_at.isoformat()
    )


def room_rows(room: ExamRoom, now: dt.datetime | None = None) -> list[Row]:
    """One row per seat, those who need the invigilator first. One statement
    (`_list_sql`): the list is refreshed every few seconds in every room
    while the candidates answer (docs/performance.md)."""
    with connection.cursor() as cursor:
        cursor.execute(_list_sql(connection.vendor), [room.pk])
        fetched = cursor.fetchall()
    return rows_of(fetched, HEAD_SIZE, now or timezone.now())


def rows_of(fetched: Sequence[Sequence[Any]], skip: int, now: dt.datetime) -> list[Row]:
    """The rows of a `_rows_sql` statement's result, whose first `skip`
    columns are its head."""
    if not fetched:
        return []
    head = ListHead.read(fetched[0])
    exam = head.exam_times()
    default_total = head.domains * head.per_domain
    rows = []
    for fetched_row in fetched:
        seat = fetched_row[skip:]
        seat_id, admitted_at, percent, last_name, first_names, exceptional = seat[:6]
        if seat_id is None:
            continue  # an empty room's head
        attempt_id, started_at, deadline, submitted_at, last_seen_at, help_at, paused_at, ended = seat[6:14]
        total, answered = seat[14:16]
        extra = effective_extra(exam, exceptional, percent)
        row = Row(
            seat_id=seat_id,
            last_name=last_name,
            first_names=first_names,
            state=State.NOT_STARTED,
            end=end_if_started(exam, now, extra),
            extra_percent=percent,
            extra_minutes=extra,
            total=default_total,
        )
        if attempt_id is None:
            if head.admission_required and admitted_at is None:
                row.state = State.WAITING
        else:
            deadline, submitted_at, paused_at = _aware(deadline), _aware(submitted_at), _aware(paused_at)
            row.attempt_id = attempt_id
            row.end = deadline  # exams.theoretical_end once started
            row.answered, row.total = answered or 0, total or default_total
            if ended:
                row.state = State.ENDED
            elif submitted_at is not None or now >= deadline:  # Attempt.is_over
                row.state = State.FINISHED
                row.resumable = submitted_at is None
            elif paused_at is not None:
                row.state = State.PAUSED
                row.paused = True
                row.lost_minutes = _ceil_minutes(now - paused_at + LOST_AFTER)
            else:
                row.state = State.RUNNING
                seen = _aware(last_seen_at) or _aware(started_at)
                row.lost = now - seen > LOST_AFTER
                if row.lost:
                    row.lost_minutes = _ceil_minutes(now - seen)
                row.near_end = deadline - now < NEAR_END
            row.resumable = row.resumable or row.state in (State.RUNNING, State.PAUSED)
            row.help = help_at is not None and row.state in (State.RUNNING, State.PAUSED)
        rows.append(row)
    rows.sort(key=_attention_order)
    return rows


def _attention_order(row: Row) -> tuple[int, str, str]:
    if row.help:
        rank = 0
    elif row.paused or row.lost:
        rank = 1
    elif row.near_end:
        rank = 2
    elif row.state == State.WAITING:
        rank = 3
    else:
        rank = 4
    return rank, row.last_name.casefold(), row.first_names.casefold()


# --- the invigilator's actions ------------------------------------------------------


def _reason(reason: str, required: bool = True) -> str:
    reason = " ".join(reason.split())[:MAX_REASON]
    if required and not reason:
        raise AssessmentError("reason_required", _("Give the reason: it is kept in the audit trail."))
    return reason


def _notice(attempt: Attempt, kind: NoticeKind, message: str) -> AttemptNotice:
    return AttemptNotice.objects.create(attempt=attempt, kind=kind, message=message[:300])


def _seat_in(room: ExamRoom, seat_pk: int) -> Seat:
    seat = Seat.objects.select_related("enrolment__candidate").filter(room=room, pk=seat_pk).first()
    if seat is None:
        raise Seat.DoesNotExist
    return seat


def attempt_of(seat: Seat) -> Attempt | None:
    return Attempt.objects.filter(exam_id=seat.exam_id, enrolment_id=seat.enrolment_id).first()


def _running_attempt(seat: Seat) -> Attempt:
    attempt = attempt_of(seat)
    if attempt is None:
        raise AssessmentError("not_started", _("This candidate has not started the test."))
    return Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)


@transaction.atomic
def admit(who: Invigilator, seat: Seat, reason: str = "") -> Seat:
    seat = Seat.objects.select_for_update().get(pk=seat.pk)
    if seat.admitted_at is None:
        seat.admitted_at = timezone.now()
        seat.admitted_by = who.name
        seat.save(update_fields=["admitted_at", "admitted_by"])
    details = {
        "enrolment": seat.enrolment_id,
        "room": seat.room_id,
        "invigilator": who.name,
        "reason": _reason(reason, False),
    }
    audit(who.user, AuditAction.INVIGILATION_ADMIT, seat, **details)
    attempt = attempt_of(seat)
    if attempt is not None:
        _notice(attempt, NoticeKind.ADMITTED, _("The invigilator let you in."))
    return seat


def minutes_lost(seat: Seat, now: dt.datetime | None = None) -> int:
    """What the resume form proposes to give back, rounded up: a paused
    sitting, the gap that paused it (its audit entry) and the wait since; a
    running one that lost its connection, the time since the page was last
    seen; one that ran out of time during a cut, the time it could not use."""
    from c2i.accounts.models import AuditEntry

    now = now or timezone.now()
    attempt = attempt_of(seat)
    if attempt is None or attempt.ended_early_reason or attempt.submitted_at is not None:
        return 0
    seen = attempt.last_seen_at or attempt.started_at
    if attempt.paused_at is not None:
        pause = (
            AuditEntry.objects.filter(
                action=AuditAction.ASSESSMENT_ATTEMPT_PAUSE, object_type="assessment.attempt", object_id=str(attempt.pk)
            )
            .order_by("-pk")
            .first()
        )
        gap = pause.details.get("gap_seconds") if pause is not None else None
        lost = dt.timedelta(seconds=int(gap)) if isinstance(gap, int) else LOST_AFTER
        return _ceil_minutes(lost + (now - attempt.paused_at))
    if attempt.is_over(now):
        return _ceil_minutes(attempt.deadline - seen) if attempt.deadline > seen else 0
    return _ceil_minutes(now - seen) if now - seen > LOST_AFTER else 0


@transaction.atomic
def resume(who: Invigilator, seat: Seat, minutes: int, reason: str) -> Attempt:
    """Let a sitting go on after an interruption, giving `minutes` back (a
    sitting that ran out of time during the cut is reopened for them)."""
    from c2i.assessment.services.sitting import _schedule_close

    reason = _reason(reason)
    if not 0 <= minutes <= 600:
        raise AssessmentError("minutes_range", _("Give back between 0 and 600 minutes."))
    attempt = _running_attempt(seat)
    check_not_deliberated(
        attempt.exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: the test's sittings can no longer change."),
    )
    now = timezone.now()
    previous = attempt.deadline
    reopened = False
    if attempt.is_over(now):
        if attempt.ended_early_reason or attempt.submitted_at is not None:
            raise AssessmentError("handed_in", _("This sitting was handed in: it cannot resume."))
        if attempt.domain_results.filter(evidence__isnull=False).exists():
            raise AssessmentError(
                "published", _("The results of this sitting are published in the portfolio: it cannot be reopened.")
            )
        if minutes < 1:
            raise AssessmentError("minutes_range", _("The time is up: give back at least one minute."))
        attempt.deadline = now + dt.timedelta(minutes=minutes)
        attempt.closed_at = None
        attempt.score = None
        attempt.reopen_count += 1
        attempt.domain_results.all().delete()
        reopened = True
    else:
        attempt.deadline += dt.timedelta(minutes=minutes)
    attempt.paused_at = None
    attempt.last_seen_at = now  # the invigilator saw the candidate: the lost connection is behind
    attempt.save(update_fields=["deadline", "paused_at", "last_seen_at", "closed_at", "score", "reopen_count"])
    attempt.items.update(open_until=attempt.deadline, **({"score": None} if reopened else {}))
    audit(
        who.user,
        AuditAction.INVIGILATION_RESUME,
        attempt,
        invigilator=who.name,
        reason=reason,
        minutes=minutes,
        reopened=reopened,
        previous_deadline=previous.isoformat(),
        deadline=attempt.deadline.isoformat(),
    )
    _schedule_close(attempt)
    end = timezone.localtime(attempt.deadline).strftime("%H:%M")
    _notice(
        attempt,
        NoticeKind.RESUMED,
        ngettext(
            "The invigilator let you resume: %(minutes)s minute given back, the test now ends at %(end)s.",
            "The invigilator let you resume: %(minutes)s minutes given back, the test now ends at %(end)s.",
            minutes,
        )
        % {"minutes": minutes, "end": end},
    )
    return attempt


@transaction.atomic
def end_early(who: Invigilator, seat: Seat, reason: str) -> Attempt:
    """Cheating, illness: the sitting ends now and is scored."""
    from c2i.assessment.services.results import finalise_attempt

    reason = _reason(reason)
    attempt = _running_attempt(seat)
    now = timezone.now()
    if attempt.is_over(now):
        raise AssessmentError("over", _("This sitting is already over."))
    attempt.submitted_at = now
    attempt.paused_at = None
    attempt.ended_early_reason = reason
    attempt.save(update_fields=["submitted_at", "paused_at", "ended_early_reason"])
    audit(who.user, AuditAction.INVIGILATION_END, attempt, invigilator=who.name, reason=reason)
    _notice(attempt, NoticeKind.ENDED, _("The invigilator ended your sitting: %(reason)s") % {"reason": reason})
    return finalise_attempt(attempt, now=now)


@transaction.atomic
def answer_help(who: Invigilator, seat: Seat, reason: str = "") -> Attempt:
    attempt = _running_attempt(seat)
    asked = attempt.help_requested_at
    attempt.help_requested_at = None
    attempt.save(update_fields=["help_requested_at"])
    audit(
        who.user,
        AuditAction.INVIGILATION_HELP_ANSWERED,
        attempt,
        invigilator=who.name,
        reason=_reason(reason, False),
        asked_at=asked.isoformat() if asked else None,
    )
    _notice(attempt, NoticeKind.HELP, _("The invigilator is coming."))
    return attempt


@transaction.atomic
def report_incident(
    who: Invigilator,
    kind: str,
    occurred_at: dt.datetime,
    text: str,
    seat: Seat | None = None,
) -> Incident:
    """An incident report, attached to the candidate's sitting when there is one."""
    if kind not in IncidentKind.values:
        raise AssessmentError("incident_kind", _("Choose the kind of incident."))
    text = text.strip()[:5000]
    if not text:
        raise AssessmentError("incident_text", _("Describe the incident: what happened, who, what was done."))
    attempt = attempt_of(seat) if seat is not None else None
    incident = Incident.objects.create(
        exam_id=who.room.exam_id,
        room=who.room,
        enrolment_id=seat.enrolment_id if seat is not None else None,
        attempt=attempt,
        kind=kind,
        occurred_at=occurred_at,
        text=text,
        reported_by=who.name[:150],
        reported_by_user=who.user,
    )
    audit(
        who.user,
        AuditAction.INVIGILATION_INCIDENT,
        incident,
        invigilator=who.name,
        reason=text,
        kind=kind,
        room=who.room.pk,
        enrolment=incident.enrolment_id,
        attempt=attempt.pk if attempt else None,
    )
    return incident


def incidents_of(exam: Exam) -> Any:
    return (
        Incident.objects.filter(exam=exam).select_related("room", "enrolment__candidate").order_by("occurred_at", "pk")
    )
