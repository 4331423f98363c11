"""How computed outcomes are written: in bulk, each distinct outcome
serialised once, its reasons stored once (`OutcomeExplanation`, by digest),
an unchanged outcome not rewritten, the chair's deferral mark kept. On
PostgreSQL through COPY; elsewhere through `bulk_create`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction

from c2i.deliberation import grid
from c2i.deliberation.models import CandidateOutcome, OutcomeExplanation
from c2i.deliberation.rules import Outcome

BATCH = 2000  # rows per bulk statement (and per chunk of a streamed read)


@dataclass(frozen=True)
class StoredOutcome:
    """An outcome as stored: its status, its JSON columns and the digest of
    its reasons, serialised once per distinct outcome."""

    status: str
    validated: str
    reasons: str
    digest: str

    @classmethod
    def of(cls, outcome: Outcome) -> StoredOutcome:
        reasons = json.dumps(grid.reason_texts(outcome), ensure_ascii=False)
        digest = hashlib.sha1(reasons.encode(), usedforsecurity=False).hexdigest()
        return cls(outcome.status, json.dumps(list(outcome.validated_domains)), reasons, digest)


OUTCOME_COLUMNS = ("status", "validated_domains", "carried_over", "explanation_id", "computed_at")


def upsert_outcomes(institution_session_id: int, rows: Sequence[tuple[int, StoredOutcome, str]], now: Any) -> None:
    """Insert or update the outcomes, keeping the deferral mark. On
    PostgreSQL: the session's first compute COPYs straight into the table;
    later ones COPY into a temporary table, then one INSERT … ON CONFLICT
    (10,000 rows in a fraction of the ORM's time); elsewhere `bulk_create`."""
    if not rows:
        return
    explanations = {stored.digest: stored.reasons for _pk, stored, _carried in rows}
    if connection.vendor != "postgresql":
        # as the PostgreSQL path: an unchanged outcome is not rewritten
        current = {
            pk: (status, json.dumps(validated), json.dumps(carried), explanation)
            for pk, status, validated, carried, explanation in CandidateOutcome.objects.filter(
                institution_session_id=institution_session_id
            ).values_list("enrolment_id", "status", "validated_domains", "carried_over", "explanation_id")
        }
        rows = [
            (pk, stored, carried)
            for pk, stored, carried in rows
            if current.get(pk) != (stored.status, stored.validated, carried, stored.digest)
        ]
        OutcomeExplanation.objects.bulk_create(
            [OutcomeExplanation(digest=d, reasons=json.loads(r)) for d, r in explanations.items()],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        CandidateOutcome.objects.bulk_create(
            [
                CandidateOutcome(
                    enrolment_id=enrolment_id,
                    institution_session_id=institution_session_id,
                    status=stored.status,
                    validated_domains=json.loads(stored.validated),
                    carried_over=json.loads(carried),
                    explanation_id=stored.digest,
                    computed_at=now,
                )
                for enrolment_id, stored, carried in rows
            ],
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["enrolment"],
            update_fields=["status", "validated_domains", "carried_over", "explanation", "computed_at"],
        )
        return
    table = CandidateOutcome._meta.db_table
    with connection.cursor() as cursor:
        _store_explanations(cursor, explanations)
        if not CandidateOutcome.objects.filter(institution_session_id=institution_session_id).exists():
            # The session's first compute (the largest): straight into the table.
            try:
                with (
                    transaction.atomic(),
                    connection.wrap_database_errors,
                    cursor.cursor.copy(
                        f"COPY {table} (enrolment_id, institution_session_id, {', '.join(OUTCOME_COLUMNS)}, deferred) "
                        "FROM STDIN"
                    ) as copy,
                ):
                    copy.write(_copy_lines(institution_session_id, rows, now))
                return
            except IntegrityError:
                pass  # another compute of the session stored outcomes meanwhile: upsert below
        columns = ", ".join(OUTCOME_COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in OUTCOME_COLUMNS)
        compared = ("status", "validated_domains", "carried_over", "explanation_id")
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS c2i_outcome_load "
            "(enrolment_id bigint, status text, validated_domains jsonb, carried_over jsonb, explanation_id text)"
        )
        cursor.execute("TRUNCATE c2i_outcome_load")
        with cursor.cursor.copy(
            "COPY c2i_outcome_load (enrolment_id, status, validated_domains, carried_over, explanation_id) FROM STDIN"
        ) as copy:
            for enrolment_id, stored, carried in rows:
                copy.write_row((enrolment_id, stored.status, stored.validated, carried, stored.digest))
        cursor.execute(
            f"INSERT INTO {table} (enrolment_id, institution_session_id, {columns}, deferred) "  # noqa: S608
            f"SELECT enrolment_id, %s, status, validated_domains, carried_over, explanation_id, %s, false "
            f"FROM c2i_outcome_load ON CONFLICT (enrolment_id) DO UPDATE SET {updates} "
            # an unchanged outcome is not rewritten (a recompute after a few decisions)
            f"WHERE ({', '.join(f'{table}.{c}' for c in compared)}) "
            f"IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in compared)})",
            [institution_session_id, now],
        )
        cursor.execute("TRUNCATE c2i_outcome_load")


def _copy_lines(institution_session_id: int, rows: Sequence[tuple[int, StoredOutcome, str]], now: Any) -> str:
    """The outcome rows in COPY's text format, each distinct outcome and
    carry-over written once and reused (a per-value `write_row` took most
    of the write's time)."""
    fields: dict[tuple[StoredOutcome, str], str] = {}  # (outcome, carried over) -> the middle of a line
    tail = f"\t{_copy_text(now.isoformat())}\tf\n"
    lines = []
    for enrolment_id, stored, carried in rows:
        key = (stored, carried)
        middle = fields.get(key)
        if middle is None:
            values = (stored.status, stored.validated, carried, stored.digest)
            middle = fields[key] = "\t".join(_copy_text(v) for v in values)
        lines.append(f"{enrolment_id}\t{institution_session_id}\t{middle}{tail}")
    return "".join(lines)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A text value for COPY's text format: backslash, tab, newline and
    carriage return escaped."""
    return value.translate(_COPY_ESCAPES)


def _store_explanations(cursor: Any, explanations: dict[str, str]) -> None:
    """PostgreSQL: store the reasons not stored yet (most are, after a
    session's first compute), through COPY (no quoting in Python)."""
    table = OutcomeExplanation._meta.db_table
    cursor.execute(f"SELECT digest FROM {table} WHERE digest = ANY(%s)", [list(explanations)])  # noqa: S608
    missing = explanations.keys() - {digest for (digest,) in cursor.fetchall()}
    if not missing:
        return
    cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS c2i_explanation_load (digest text, reasons jsonb)")
    cursor.execute("TRUNCATE c2i_explanation_load")
    with cursor.cursor.copy("COPY c2i_explanation_load (digest, reasons) FROM STDIN") as copy:
        for digest in missing:
            copy.write_row((digest, explanations[digest]))
    cursor.execute(
        f"INSERT INTO {table} (digest, reasons) SELECT digest, reasons FROM c2i_explanation_load "  # noqa: S608
        "ON CONFLICT (digest) DO NOTHING"
    )
    cursor.execute("TRUNCATE c2i_explanation_load")
