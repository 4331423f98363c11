"""The exam's answer path, in one module: what an answer is, where it may
come from, and how it is stored (R19: answers are kept as they are given).

Three doors lead here, and each uses the same pieces:

- the page's script (`static/c2i/exam.js`) posts JSON to the question form's
  URL: `middleware.AnswerFastPath` stores it in one statement shared with
  the answers that arrive together (`save_answers_in_sessions`,
  `answer_queue`); what that path cannot store goes on to the regular view,
  `api.answer_json`, which says why (`answer_request`);
- the JSON API (`api.save_answer`), `answer_request` too;
- the page's form without JavaScript (`views`), `read_form` then `save_answer`.

One validator (`read_answer`: a JSON object, the API's body, the form's
values, any caller of `save_answer`), one cache of the exams' address ranges
(`NETWORKS`, per server process), one statement per answer or per group.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from c2i.accounts.models import Session
from c2i.assessment.answer_queue import PendingAnswer
from c2i.assessment.models import PAUSED as PAUSED_UNTIL
from c2i.assessment.models import Attempt, AttemptQuestion, Exam
from c2i.lib import metrics
from c2i.lib.net import client_ip

# --- what an answer is ------------------------------------------------------------

MAX_TICKED = 5  # options ticked at most (R18: 4 or 5 options)
MAX_OPTION = 9  # the highest option index accepted before the row's own count is checked
MAX_SEQ = 2**62


@dataclass(frozen=True, slots=True)
class Answer:
    ticked: list[int]  # the options ticked, as their indexes in the order shown (0 = first)
    seq: int | None  # increases with each click; None: the server's clock (`clock_seq`)


def read_answer(data: object) -> Answer | None:
    """The one check of an answer, whichever door it came through: an object
    with `ticked`, a list of at most MAX_TICKED integers from 0 to MAX_OPTION
    (no strings, no booleans), and an optional `seq` from 1 to MAX_SEQ.
    None when it is not one (422, « No such option. »)."""
    if not isinstance(data, dict):
        return None
    ticked, seq = data.get("ticked"), data.get("seq")
    if not isinstance(ticked, list) or len(ticked) > MAX_TICKED:
        return None
    if not all(type(i) is int and 0 <= i <= MAX_OPTION for i in ticked):
        return None
    if seq is not None and not (type(seq) is int and 1 <= seq <= MAX_SEQ):
        return None
    return Answer(ticked, seq)


def read_form(values: Sequence[str]) -> Answer | None:
    """The page's form without JavaScript: its ticked `option` boxes."""
    try:
        ticked = [int(v) for v in values]
    except ValueError:
        return None
    return read_answer({"ticked": ticked})


def clock_seq(now: dt.datetime) -> int:
    """An answer's sequence number when the page posts none: the server's
    clock in milliseconds."""
    return int(now.timestamp() * 1000)


# --- where it may come from ---------------------------------------------------------

NETWORKS_TTL_S = 60.0
NETWORKS_CACHED = 10_000


def address_allowed(networks: Sequence[str], address: str) -> bool:
    """No range: from anywhere; otherwise the address must fall in one."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


class Networks:
    """Sitting id -> the address ranges of its exam, kept by each server
    process for NETWORKS_TTL_S, so that an answer is checked without a query.
    The ranges of an exam cannot change once a candidate has started it
    (`update_exam` refuses), so what is kept stays true; the time limit only
    bounds the memory. The sitting's page fills it (`remember`), the first
    answer of a process otherwise (one query)."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[float, tuple[str, ...]]] = {}

    def get(self, attempt_id: int) -> tuple[str, ...] | None:
        """The ranges (empty: from anywhere); None when there is no such sitting."""
        now = time.monotonic()
        kept = self._kept.get(attempt_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        exam = Exam.objects.filter(attempts__pk=attempt_id).only("allowed_networks").first()
        if exam is None:
            return None
        return self._keep(attempt_id, tuple(exam.network_texts()), now)

    def remember(self, attempt: Attempt) -> tuple[str, ...]:
        """Keep the ranges of a sitting already loaded with its exam."""
        return self._keep(attempt.pk, tuple(attempt.exam.network_texts()), time.monotonic())

    def clear(self) -> None:
        self._kept.clear()

    def _keep(self, attempt_id: int, networks: tuple[str, ...], now: float) -> tuple[str, ...]:
        if len(self._kept) >= NETWORKS_CACHED:
            self._kept.clear()
        self._kept[attempt_id] = (now + NETWORKS_TTL_S, networks)
        return networks


NETWORKS = Networks()


# --- how it is stored ---------------------------------------------------------------

# What became of an answer, for the API and the page.
SAVED = "saved"
NOT_FOUND = "not_found"
OVER = "over"
PAUSED = "paused"  # the sitting waits for the invigilator's authorisation (services.presence)
BAD_OPTION = "bad_option"
STALE = "stale"


@dataclass(frozen=True)
class SaveResult:
    status: str
    seq: int  # the stored answer's sequence number (the newer one when STALE)


def save_answer(
    attempt_id: int,
    user_id: int,
    position: int,
    ticked: Iterable[int],
    seq: int | None = None,
    now: dt.datetime | None = None,
) -> SaveResult:
    """Store the set of options the candidate ticks now (R19: answers are kept
    as they are given), once checked by `read_answer`. One update of one
    row, by its unique index, checked on the row itself: the candidate's own
    sitting, before its end, options that exist, and not older than what is
    stored (`seq`, increasing per click; the server's clock in milliseconds
    when the page posts without it). Idempotent: the same set stored twice
    is the same answer."""
    answer = read_answer({"ticked": list(ticked), "seq": seq})
    if answer is None:
        return SaveResult(BAD_OPTION, 0)
    return _store(attempt_id, user_id, position, answer, now or timezone.now())


def _store(attempt_id: int, user_id: int, position: int, answer: Answer, now: dt.datetime) -> SaveResult:
    shown = sorted(set(answer.ticked))
    seq = answer.seq if answer.seq is not None else clock_seq(now)
    # The ORM's update, written once as SQL: compiling it cost a third of the request.
    db = connections[DEFAULT_DB_ALIAS]  # the thread's own, resolved once (`connection` is a proxy)
    moment = db.ops.adapt_datetimefield_value(now)
    ticked_value = AttemptQuestion._meta.get_field("ticked").get_db_prep_save(shown, db)
    with _answer_cursor(db) as cursor:
        cursor.execute(
            _save_sql(db.vendor),
            [ticked_value, seq, moment, attempt_id, position, moment, shown[-1] if shown else -1, seq, user_id],
        )
        stored = cursor.rowcount == 1
    if stored:
        metrics.answers_saved()
        return SaveResult(SAVED, seq)
    return _why_not_saved(attempt_id, user_id, position, shown, now)


def save_answers_in_sessions(answers: Sequence[PendingAnswer]) -> set[tuple[int, int]]:
    """Store a group of answers (`answer_queue`: those that arrived together
    in one server process) in one statement, each owned by the user of a
    live login session (the `accounts.Session` row, checked in the same
    statement): the answer fast path (`middleware.AnswerFastPath`), which
    loads neither the session nor the user. Each row is checked as in
    `save_answer`. Returns the (sitting, question number) of the rows
    stored; at most one answer per row (an UPDATE changes a row once)."""
    db = connections[DEFAULT_DB_ALIAS]
    moment = db.ops.adapt_datetimefield_value(timezone.now())
    ticked = AttemptQuestion._meta.get_field("ticked")
    values: list[Any] = []
    for answer in answers:
        values += [
            answer.attempt_id,
            answer.position,
            ticked.get_db_prep_save(answer.shown, db),
            answer.seq,
            answer.shown[-1] if answer.shown else -1,
            answer.session_key,
        ]
    with _answer_cursor(db) as cursor:
        cursor.execute(_group_sql(db.vendor, len(answers)), [*values, moment, moment, moment])
        stored = {(attempt_id, position) for attempt_id, position in cursor.fetchall()}
    metrics.answers_saved(len(stored))
    return stored


def _answer_cursor(db: Any) -> Any:
    """On PostgreSQL, a cursor that binds the values on the server, so that
    the answer's update is parsed and planned once per connection (prepared
    after a few runs, see DATABASES' prepare_threshold); elsewhere, and for
    the rest of the code, Django's usual cursor."""
    if db.vendor != "postgresql":
        return db.cursor()
    import psycopg  # only on PostgreSQL

    db.ensure_connection()
    raw = psycopg.Cursor(db.connection)
    return (CursorDebugWrapper if db.queries_logged else CursorWrapper)(raw, db)


@functools.cache
def _save_sql(vendor: str) -> str:
    """UPDATE … WHERE attempt, position (the unique index), before the end,
    options that exist, not older than what is stored, and the user's own."""
    q = connection.ops.quote_name  # identifiers from the model, quoted; every value is a parameter
    return (
        f"UPDATE {q(AttemptQuestion._meta.db_table)} SET {q('ticked')} = %s, {q('seq')} = %s, "  # noqa: S608
        f"{q('answered_at')} = %s WHERE {q('attempt_id')} = %s AND {q('position')} = %s AND "
        f"{q('open_until')} > %s AND {q('n_options')} > %s AND {q('seq')} < %s AND {q('user_id')} = %s"
    )


# The SQL types of a group's columns (`save_answers_in_sessions`): the values
# are parameters, whose types a VALUES list does not infer.
_GROUP_TYPES = {
    "postgresql": ("integer", "integer", "jsonb", "bigint", "integer", "varchar"),
    "sqlite": ("integer", "integer", "text", "integer", "integer", "text"),
}


@functools.cache
def _group_sql(vendor: str, size: int) -> str:
    """The update of `size` rows: WITH v AS (VALUES …) UPDATE … FROM v, each
    row found by its unique index (sitting, question number) and checked as
    in `_save_sql`, with the owner the user of a live login session; RETURNING
    the rows stored. One text per group size, so each is prepared once."""
    q = connection.ops.quote_name  # identifiers from the model, quoted; every value is a parameter
    table, sessions = q(AttemptQuestion._meta.db_table), q(Session._meta.db_table)
    row = "(" + ", ".join(f"CAST(%s AS {kind})" for kind in _GROUP_TYPES.get(vendor, _GROUP_TYPES["sqlite"])) + ")"
    return (
        f"WITH v (a, p, tk, sq, top, sk) AS (VALUES {', '.join([row] * size)}) "  # noqa: S608
        f"UPDATE {table} SET {q('ticked')} = v.tk, {q('seq')} = v.sq, {q('answered_at')} = %s FROM v "
        f"WHERE {table}.{q('attempt_id')} = v.a AND {table}.{q('position')} = v.p "
        f"AND {table}.{q('open_until')} > %s AND {table}.{q('n_options')} > v.top AND {table}.{q('seq')} < v.sq "
        f"AND EXISTS (SELECT 1 FROM {sessions} WHERE {sessions}.{q('session_key')} = v.sk "
        f"AND {sessions}.{q('expire_date')} > %s AND {sessions}.{q('user_id')} = {table}.{q('user_id')}) "
        f"RETURNING {table}.{q('attempt_id')}, {table}.{q('position')}"
    )


def _why_not_saved(attempt_id: int, user_id: int, position: int, shown: list[int], now: dt.datetime) -> SaveResult:
    row = (
        AttemptQuestion.objects.filter(attempt_id=attempt_id, position=position, user_id=user_id)
        .values("open_until", "n_options", "seq")
        .first()
    )
    if row is None:
        return SaveResult(NOT_FOUND, 0)
    if row["open_until"] == PAUSED_UNTIL:
        return SaveResult(PAUSED, row["seq"])
    if row["open_until"] <= now:
        return SaveResult(OVER, row["seq"])
    if shown and shown[-1] >= row["n_options"]:
        return SaveResult(BAD_OPTION, row["seq"])
    return SaveResult(STALE, row["seq"])  # a newer answer is already stored


# --- the regular path's answer (the API and the page's JSON) ------------------------

ERRORS = {
    NOT_FOUND: (404, gettext_lazy("No such question in your sittings.")),
    OVER: (409, gettext_lazy("The test is over: nothing is accepted after the end (R19).")),
    # 423 Locked, not 409: the sitting goes on once the invigilator lets it resume
    PAUSED: (
        423,
        gettext_lazy("Your test is paused: the invigilator must authorise the resume. Your answer was not saved."),
    ),
    BAD_OPTION: (422, gettext_lazy("No such option.")),
}


def refusal(status: str) -> tuple[int, dict[str, Any]]:
    code, detail = ERRORS[status]
    return code, {"status": status, "detail": str(detail)}


def answer_request(
    request: HttpRequest, attempt_id: int, position: int, answer: Answer | None
) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body of an answer posted by a logged-in user:
    checked (`read_answer`), from the exam's rooms (`NETWORKS`), then stored
    by one update (`save_answer`); otherwise why not."""
    if answer is None:
        return refusal(BAD_OPTION)
    user_id = int(request.user.pk or 0)
    networks = NETWORKS.get(attempt_id)
    if networks is None:
        return refusal(NOT_FOUND)
    if not address_allowed(networks, client_ip(request)):
        if not Attempt.objects.filter(pk=attempt_id, user_id=user_id).exists():
            return refusal(NOT_FOUND)  # another's sitting: nothing said of its rooms
        return 403, {"status": "network", "detail": str(gettext_lazy("Not from the rooms set for this test."))}
    result = _store(attempt_id, user_id, position, answer, timezone.now())
    if result.status in ERRORS:
        return refusal(result.status)
    return 200, {"saved": True, "status": result.status, "seq": result.seq}
