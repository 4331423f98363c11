"""Rebuilding the national figures (the aggregates of `models.py`).

`refresh_all()` rebuilds every row from the records (enrolments, submissions,
sittings, the published outcomes, test results and jury decisions): a few
GROUP BY queries and one pass over the published outcomes (their domain lists
are JSON). `refresh_institution_session()` does the same for one institution
session, when its jury publishes (`outcomes_published`, received in
`apps.py`). What counts, and how, is written in docs/statistics.md.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from c2i.accounts.models import AuditAction, audit
from c2i.assessment.models import Attempt, DomainResult
from c2i.deliberation.models import (
    CandidateOutcome,
    CompetencyDecision,
    DecisionValue,
    Deliberation,
    DeliberationStatus,
    OutcomeStatus,
)
from c2i.enrolment.models import CandidateStatus, Enrolment, EnrolmentStatus, InstitutionSession
from c2i.frameworks.models import Competency, Domain
from c2i.portfolio.models import Submission, SubmissionStatus
from c2i.statistics.models import CompetencyFigures, DomainFigures, Refresh, SessionFigures

logger = logging.getLogger(__name__)

ACTIVE = EnrolmentStatus.ACTIVE
SESSION_COUNTS = (
    "enrolled",
    "submitted",
    "sat",
    "certified",
    "attested",
    "not_certified",
    "deferred",
    "undecided",
    "returning",
    "returning_certified",
    "domains_kept",
)


@dataclass(frozen=True)
class Keys:
    institution_session_id: int
    session_id: int
    framework_id: int
    institution_id: int
    year: int

    def fields(self) -> dict[str, int]:
        return {
            "institution_session_id": self.institution_session_id,
            "session_id": self.session_id,
            "framework_id": self.framework_id,
            "institution_id": self.institution_id,
            "year": self.year,
        }


def _keys(scope: list[int] | None) -> dict[int, Keys]:
    rows = InstitutionSession.objects.values_list(
        "pk", "session_id", "session__framework_id", "institution_id", "session__start"
    )
    if scope is not None:
        rows = rows.filter(pk__in=scope)
    return {pk: Keys(pk, s, f, i, start.year) for pk, s, f, i, start in rows}


def _in_scope(field: str, scope: list[int] | None) -> Q:
    return Q() if scope is None else Q(**{f"{field}__in": scope})


Outcomes = tuple[dict[int, int], dict[tuple[int, str], int], dict[tuple[int, str], int]]


def _session_rows(keys: dict[int, Keys], scope: list[int] | None) -> tuple[list[SessionFigures], Outcomes]:
    """The rows of SessionFigures, and what the domains need from the same pass
    over the outcomes: final outcomes per institution session, and per
    (institution session, domain) the validated and carried-over counts."""
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(SESSION_COUNTS, 0))

    def add(rows: Iterable[tuple[int, str, int]], column: str) -> None:
        for pk, status, n in rows:
            counts[(pk, status)][column] += n

    add(
        Enrolment.objects.filter(_in_scope("institution_session_id", scope), status=ACTIVE)
        .values_list("institution_session_id", "candidate__status")
        .annotate(n=Count("id"))
        .order_by(),
        "enrolled",
    )
    add(
        Submission.objects.filter(
            _in_scope("institution_session_id", scope), status=SubmissionStatus.SUBMITTED, enrolment__status=ACTIVE
        )
        .values_list("institution_session_id", "enrolment__candidate__status")
        .annotate(n=Count("id"))
        .order_by(),
        "submitted",
    )
    add(
        Attempt.objects.filter(_in_scope("enrolment__institution_session_id", scope), enrolment__status=ACTIVE)
        .values_list("enrolment__institution_session_id", "enrolment__candidate__status")
        .annotate(n=Count("id"))
        .order_by(),
        "sat",
    )
    finals: dict[int, int] = defaultdict(int)
    validated: dict[tuple[int, str], int] = defaultdict(int)
    carried: dict[tuple[int, str], int] = defaultdict(int)
    outcomes = (
        CandidateOutcome.objects.filter(
            _in_scope("institution_session_id", scope),
            enrolment__status=ACTIVE,
            institution_session__deliberation__status=DeliberationStatus.PUBLISHED,
        )
        .values_list(
            "institution_session_id",
            "enrolment__candidate__status",
            "status",
            "deferred",
            "validated_domains",
            "carried_over",
        )
        .order_by()
    )
    for pk, candidate_status, status, deferred, domains, carried_over in outcomes.iterator(chunk_size=20_000):
        row = counts[(pk, candidate_status)]
        if deferred:
            row["deferred"] += 1
        elif status == OutcomeStatus.CERTIFIED:
            row["certified"] += 1
        elif status == OutcomeStatus.NOT_CERTIFIED:
            row["attested" if domains else "not_certified"] += 1
        else:
            continue  # incomplete in a published session: counted as undecided below
        if deferred:
            continue
        finals[pk] += 1
        for code in domains:
            validated[(pk, code)] += 1
        for code in carried_over:
            carried[(pk, code)] += 1
        if carried_over:
            row["returning"] += 1
            row["domains_kept"] += len(carried_over)
            if status == OutcomeStatus.CERTIFIED:
                row["returning_certified"] += 1
    rows = []
    for (pk, candidate_status), row in counts.items():
        if pk not in keys or not row["enrolled"]:
            continue
        known = row["certified"] + row["attested"] + row["not_certified"] + row["deferred"]
        row["undecided"] = max(row["enrolled"] - known, 0)
        rows.append(SessionFigures(**keys[pk].fields(), candidate_status=candidate_status, **row))
    return rows, (finals, validated, carried)


def _domain_rows(
    keys: dict[int, Keys],
    scope: list[int] | None,
    finals: dict[int, int],
    validated: dict[tuple[int, str], int],
    carried: dict[tuple[int, str], int],
) -> list[DomainFigures]:
    tests: dict[tuple[int, str], tuple[int, int, float]] = {}
    results = (
        DomainResult.objects.filter(
            _in_scope("attempt__exam__institution_session_id", scope),
            attempt__enrolment__status=ACTIVE,
            attempt__exam__results_published_at__isnull=False,
            questions__gt=0,
        )
        .values_list("attempt__exam__institution_session_id", "domain__code")
        .annotate(n=Count("id"), positive=Count("id", filter=Q(positive=True)), total=Sum("percent"))
        .order_by()
    )
    for pk, code, n, positive, total in results:
        tests[(pk, code)] = (n, positive, float(total or 0))
    domains: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for framework_id, code, position in Domain.objects.values_list("framework_id", "code", "position").order_by(
        "framework_id", "position", "code"
    ):
        domains[framework_id].append((code, position))
    rows = []
    for pk, key in keys.items():
        for code, position in domains.get(key.framework_id, []):
            n, positive, total = tests.get((pk, code), (0, 0, 0.0))
            if not (finals.get(pk) or n):
                continue
            rows.append(
                DomainFigures(
                    **key.fields(),
                    domain_code=code,
                    position=position,
                    decided=finals.get(pk, 0),
                    validated=validated.get((pk, code), 0),
                    carried_over=carried.get((pk, code), 0),
                    tested=n,
                    test_positive=positive,
                    test_percent_sum=total,
                )
            )
    return rows


def _competency_rows(keys: dict[int, Keys], scope: list[int] | None) -> list[CompetencyFigures]:
    positions = {
        (framework_id, code): domain_position * 1000 + position
        for framework_id, code, domain_position, position in Competency.objects.values_list(
            "domain__framework_id", "code", "domain__position", "position"
        )
    }
    decisions = (
        # the current decision: the row no later one supersedes (an anti-join
        # written as NOT EXISTS: the planner keeps it to an index probe)
        CompetencyDecision.objects.filter(
            _in_scope("institution_session_id", scope),
            ~Exists(CompetencyDecision.objects.filter(supersedes_id=OuterRef("pk"))),
            institution_session_id__in=Deliberation.objects.filter(status=DeliberationStatus.PUBLISHED).values(
                "institution_session_id"
            ),
            enrolment_id__in=Enrolment.objects.filter(status=ACTIVE).values("pk"),
            value__in=[DecisionValue.VALIDATED, DecisionValue.NOT_VALIDATED],
        )
        .values_list("institution_session_id", "competency_code")
        .annotate(
            v=Count("id", filter=Q(value=DecisionValue.VALIDATED)),
            nv=Count("id", filter=Q(value=DecisionValue.NOT_VALIDATED)),
        )
        .order_by()
    )
    rows = []
    for pk, code, v, nv in decisions:
        if pk not in keys:
            continue
        key = keys[pk]
        rows.append(
            CompetencyFigures(
                **key.fields(),
                competency_code=code,
                position=positions.get((key.framework_id, code), 999_999),
                validated=v,
                not_validated=nv,
            )
        )
    return rows


def _rebuild(scope: list[int] | None) -> int:
    keys = _keys(scope)
    session_rows, (finals, validated, carried) = _session_rows(keys, scope)
    domain_rows = _domain_rows(keys, scope, finals, validated, carried)
    competency_rows = _competency_rows(keys, scope)
    with transaction.atomic():
        for model in (SessionFigures, DomainFigures, CompetencyFigures):
            stale = model.objects.all() if scope is None else model.objects.filter(institution_session_id__in=scope)
            stale._raw_delete(stale.db)  # type: ignore[attr-defined]  # derived rows: no signal, no cascade
        SessionFigures.objects.bulk_create(session_rows, batch_size=5000)
        DomainFigures.objects.bulk_create(domain_rows, batch_size=5000)
        CompetencyFigures.objects.bulk_create(competency_rows, batch_size=5000)
    return len(session_rows) + len(domain_rows) + len(competency_rows)


def refresh_all(actor: Any = None) -> Refresh:
    """Rebuild every figure from the records (a command, the dashboard's
    button, the synthetic data's end). Audited."""
    started, clock = timezone.now(), time.perf_counter()
    written = _rebuild(None)
    refresh = Refresh.objects.create(started_at=started, seconds=round(time.perf_counter() - clock, 3), rows=written)
    audit(actor, AuditAction.STATISTICS_REFRESH, refresh, scope="all", rows=written, seconds=refresh.seconds)
    return refresh


def refresh_institution_session(institution_session_id: int, actor: Any = None) -> Refresh:
    """Rebuild one institution session's figures (its jury published)."""
    started, clock = timezone.now(), time.perf_counter()
    written = _rebuild([institution_session_id])
    refresh = Refresh.objects.create(
        institution_session_id=institution_session_id,
        started_at=started,
        seconds=round(time.perf_counter() - clock, 3),
        rows=written,
    )
    audit(actor, AuditAction.STATISTICS_REFRESH, refresh, scope=institution_session_id, rows=written)
    return refresh


def on_outcomes_published(sender: Any, *, institution_session_id: int, **kwargs: Any) -> None:
    """The jury published (after its transaction committed): that session's
    figures follow. A failure here must not turn the chair's publication into
    an error page: it is logged, and the next full refresh repairs it."""
    try:
        refresh_institution_session(institution_session_id)
    except Exception:  # figures are derived: the publication stands
        logger.exception("statistics: refresh of institution session %s failed", institution_session_id)


def last_refresh() -> Refresh | None:
    return Refresh.objects.filter(institution_session__isnull=True).first()


CANDIDATE_STATUSES = tuple(CandidateStatus.values)
