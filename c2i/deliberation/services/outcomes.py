"""Reading the current state of a session's deliberation: its candidates, the
current decisions (append-only rows, the latest wins), the domains carried
over from earlier sessions (R14 ledger), and each candidate's outcome as the
pure engine `rules.py` computes it, stored through `outcome_store`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from c2i.deliberation import sources
from c2i.deliberation.models import CandidateOutcome, CompetencyDecision, Deliberation, DomainCredit, OutcomeStatus
from c2i.deliberation.rules import CandidateFile, Decision, Outcome, deliberate
from c2i.deliberation.services.outcome_store import BATCH, StoredOutcome, upsert_outcomes
from c2i.deliberation.services.policy import policy_for
from c2i.enrolment.models import Candidate, Enrolment, EnrolmentStatus, InstitutionSession
from c2i.frameworks.models import Framework

DECISIONS = {d.value: d for d in Decision}


def active_enrolments(institution_session: InstitutionSession) -> QuerySet[Enrolment]:
    return institution_session.enrolments.filter(status=EnrolmentStatus.ACTIVE)


# The jury's lists filter on a candidate state: every outcome, « undecided »
# (no outcome yet or an incomplete one), « deferred » (the chair's mark).
LIST_FILTERS = ("certified", "not_certified", "undecided", "deferred")


def _scalar(queryset: QuerySet[Any], field: str, outer: str, key: str = "pk") -> Subquery:
    """`field` of the row of `queryset` whose `key` is the outer row's
    `outer`, as a scalar subquery. PostgreSQL runs it as one index lookup per
    enrolment of the session, where a join (or an EXISTS, which it turns into
    one) makes it hash the whole national table first (950,000 candidates, a
    million outcomes): 150 ms against 20."""
    return Subquery(queryset.filter(**{key: OuterRef(outer)}).order_by().values(field)[:1])


def candidate_list(institution_session: InstitutionSession, name: str = "", state: str = "") -> QuerySet[Any]:
    """The ids of the session's active enrolments in the jury's order (name,
    first names, id), narrowed to a name (every word found in the last name,
    first names, INE or e-mail address) and a state (`LIST_FILTERS`). The
    caller pages it and reads the page's enrolments (`enrolments_in_order`)."""
    names = Candidate.objects.all()
    rows = active_enrolments(institution_session).annotate(
        _last=_scalar(names, "last_name", "candidate_id"), _first=_scalar(names, "first_names", "candidate_id")
    )
    words = name.split()
    if words:
        match = Q()
        for word in words:
            match &= (
                Q(last_name__icontains=word)
                | Q(first_names__icontains=word)
                | Q(ine__icontains=word)
                | Q(email__icontains=word)
            )
        rows = rows.annotate(_found=_scalar(names.filter(match), "pk", "candidate_id")).filter(_found__isnull=False)
    outcomes = CandidateOutcome.objects.all()
    if state == "deferred":
        rows = rows.annotate(_deferred=_scalar(outcomes, "deferred", "pk", "enrolment_id")).filter(_deferred=True)
    elif state == "undecided":
        rows = rows.annotate(_status=_scalar(outcomes, "status", "pk", "enrolment_id")).filter(
            Q(_status__isnull=True) | Q(_status=OutcomeStatus.INCOMPLETE)
        )
    elif state in LIST_FILTERS:
        rows = rows.annotate(_status=_scalar(outcomes, "status", "pk", "enrolment_id")).filter(_status=state)
    return rows.order_by("_last", "_first", "pk").values_list("pk", flat=True)


def enrolments_in_order(ids: Iterable[int]) -> list[Enrolment]:
    """The enrolments of these ids, with their candidate, in the ids' order."""
    ids = list(ids)
    found = Enrolment.objects.select_related("candidate").in_bulk(ids)
    return [found[i] for i in ids if i in found]


def list_counts(institution_session: InstitutionSession) -> dict[str, int]:
    """How many active enrolments of the session each filter of
    `candidate_list` keeps, and "all": counted by the database, never by
    reading every candidate. The outcomes of the session by their index,
    less those of its withdrawn enrolments (a few, looked up by their key)."""
    total = active_enrolments(institution_session).count()
    counts = dict.fromkeys(LIST_FILTERS, 0)
    outcomes = CandidateOutcome.objects.filter(institution_session_id=institution_session.pk)
    withdrawn = institution_session.enrolments.exclude(status=EnrolmentStatus.ACTIVE).values("pk")
    for rows, sign in ((outcomes, 1), (outcomes.filter(enrolment__in=withdrawn), -1)):
        for status, deferred, n in rows.values_list("status", "deferred").annotate(n=Count("pk")).order_by():
            if status in counts:
                counts[status] += sign * n
            if deferred:
                counts["deferred"] += sign * n
    counts["undecided"] = total - counts["certified"] - counts["not_certified"]
    counts["all"] = total
    return counts


def current_decision_rows(enrolment_ids: Iterable[int]) -> dict[tuple[int, str], CompetencyDecision]:
    """The current row (superseded by none) per (enrolment, competency)."""
    # NOT EXISTS, not the reverse join's IS NULL: PostgreSQL runs it as an
    # anti-join on the `supersedes` key, where the join made it plan parallel
    # workers for a page of 50 candidates (60 ms instead of 1 on a busy host)
    later = CompetencyDecision.objects.filter(supersedes_id=OuterRef("pk"))
    rows = CompetencyDecision.objects.filter(enrolment_id__in=list(enrolment_ids)).filter(~Exists(later))
    return {(r.enrolment_id, r.competency_code): r for r in rows}


def decision_stream(institution_session_id: int) -> Iterator[tuple[int, str, str]]:
    """Every decision row of the session in id order: a later row overrides
    an earlier one, so the last value seen is the current one."""
    return (
        CompetencyDecision.objects.filter(institution_session_id=institution_session_id)
        .order_by("id")
        .values_list("enrolment_id", "competency_code", "value")
        .iterator(chunk_size=BATCH)
    )


def carried_over_many(
    framework_id: int, enrolments: Sequence[tuple[int, str]], institution_session_id: int | None = None
) -> dict[int, dict[str, str]]:
    """R14: {enrolment id: {domain code: name of the session where it was
    validated}} from the ledger, for (enrolment id, identity key) pairs (all
    the active enrolments of `institution_session_id` when given). A credit
    earned by the enrolment itself is not a carry-over, nor one whose session
    closed after the enrolment's own did: a closed session is recomputed (a
    rectification) with what was kept when its jury closed, never with what
    the candidate validated later."""
    keys: Any = {key for _id, key in enrolments}
    if not keys:
        return {}
    if institution_session_id is not None:
        keys = Enrolment.objects.filter(
            institution_session_id=institution_session_id, status=EnrolmentStatus.ACTIVE
        ).values("identity_key")
        closed = Deliberation.objects.filter(institution_session_id=institution_session_id).values_list(
            "closed_at", flat=True
        )
        moment = next(iter(closed), None)
        closings: dict[int, Any] = {enrolment_id: moment for enrolment_id, _key in enrolments} if moment else {}
    else:
        closings = dict(
            Enrolment.objects.filter(
                pk__in=[enrolment_id for enrolment_id, _key in enrolments if enrolment_id],
                institution_session__deliberation__closed_at__isnull=False,
            ).values_list("pk", "institution_session__deliberation__closed_at")
        )
    credits: dict[str, list[tuple[int, str, str, Any]]] = {}
    rows = (
        DomainCredit.objects.filter(framework_id=framework_id, identity_key__in=keys, revoked_at__isnull=True)
        .order_by("created_at", "id")
        .values_list(
            "identity_key",
            "enrolment_id",
            "domain_code",
            "institution_session__session__name",
            "institution_session__deliberation__closed_at",
        )
    )
    for key, enrolment_id, code, session_name, source_closed in rows:
        credits.setdefault(key, []).append((enrolment_id, code, session_name, source_closed))
    result: dict[int, dict[str, str]] = {}
    for enrolment_id, key in enrolments:
        mine: dict[str, str] = {}
        own_closing = closings.get(enrolment_id)
        for source, code, session_name, source_closed in credits.get(key, ()):
            if source == enrolment_id:
                continue
            if own_closing is not None and source_closed is not None and source_closed >= own_closing:
                continue  # validated after this session's jury closed
            mine.setdefault(code, session_name)
        if mine:
            result[enrolment_id] = mine
    return result


def carried_over_for(candidate: Any, framework: Framework, exclude_enrolment: int | None = None) -> dict[str, str]:
    """{domain code: session name} carried over for a candidate in a framework."""
    return carried_over_many(framework.pk, [(exclude_enrolment or 0, candidate.identity_key)]).get(
        exclude_enrolment or 0, {}
    )


@dataclass(frozen=True)
class Computed:
    outcome: Outcome
    carried_over: Mapping[str, str]
    test_percent: Mapping[str, float]


def _decision_texts(institution_session_id: int, enrolment_ids: list[int] | None) -> dict[int, str]:
    """Each enrolment's decision rows as one text « code:value,… » in id order
    (a later row overrides an earlier one; an empty value withdraws). On
    PostgreSQL the database aggregates (10,000 texts cross the wire instead of
    280,000 rows); elsewhere the rows are streamed and joined here."""
    if connection.vendor == "postgresql":
        table = CompetencyDecision._meta.db_table
        sql = (
            f"SELECT enrolment_id, string_agg(competency_code || ':' || value, ',' ORDER BY id) "  # noqa: S608
            f"FROM {table} WHERE institution_session_id = %s"
        )
        params: list[Any] = [institution_session_id]
        if enrolment_ids is not None:
            sql += " AND enrolment_id = ANY(%s)"
            params.append(enrolment_ids)
        with connection.cursor() as cursor:
            cursor.execute(sql + " GROUP BY enrolment_id", params)
            return dict(cursor.fetchall())
    parts: dict[int, list[str]] = {}
    rows: Iterable[tuple[int, str, str]] = decision_stream(institution_session_id)
    if enrolment_ids is not None:
        rows = (
            CompetencyDecision.objects.filter(enrolment_id__in=enrolment_ids)
            .order_by("id")
            .values_list("enrolment_id", "competency_code", "value")
        )
    for enrolment_id, code, value in rows:
        parts.setdefault(enrolment_id, []).append(f"{code}:{value}")
    return {pk: ",".join(p) for pk, p in parts.items()}


def _parse_decisions(text: str, known: set[str]) -> dict[str, Decision]:
    decisions: dict[str, Decision] = {}
    for pair in text.split(",") if text else ():
        code, _sep, value = pair.partition(":")
        if code not in known:
            continue
        if value:
            decisions[code] = DECISIONS[value]
        else:
            decisions.pop(code, None)
    return decisions


def compute_outcomes(
    institution_session: InstitutionSession, enrolment_ids: Iterable[int] | None = None
) -> dict[int, Computed]:
    """Compute and store the outcome of the session's active enrolments (all,
    or those given): one query for the decisions (aggregated per enrolment),
    one for the enrolments, one for the test results, one for the ledger; the
    engine once per distinct candidate file; then a bulk upsert of
    `CandidateOutcome` (the chair's deferral mark is kept)."""
    framework = institution_session.session.framework
    policy = policy_for(framework)
    known = {c for d in policy.domains for c in d.competencies}
    enrolments_qs = active_enrolments(institution_session)
    wanted = None if enrolment_ids is None else list(enrolment_ids)
    if wanted is not None:
        enrolments_qs = enrolments_qs.filter(pk__in=wanted)
    enrolments = list(enrolments_qs.values_list("pk", "identity_key"))
    texts = _decision_texts(institution_session.pk, wanted)
    if wanted is None:  # the whole session: filter by session, not by 10,000 ids
        tests = sources.test_percentages_for_session(institution_session.pk)
        carried = carried_over_many(framework.pk, enrolments, institution_session_id=institution_session.pk)
    else:
        tests = sources.test_percentages_many(wanted)
        carried = carried_over_many(framework.pk, enrolments)
    now = timezone.now()
    parsed: dict[str, dict[str, Decision]] = {}
    memo: dict[Any, tuple[Outcome, StoredOutcome]] = {}
    results: dict[int, Computed] = {}
    rows: list[tuple[int, StoredOutcome, str]] = []
    carried_json: dict[frozenset[str], str] = {}
    for enrolment_id, _key in enrolments:
        text = texts.get(enrolment_id, "")
        mine = parsed.get(text)
        if mine is None:
            mine = parsed[text] = _parse_decisions(text, known)
        percents = tests.get(enrolment_id, {})
        carry = carried.get(enrolment_id, {})
        carry_set = frozenset(carry)
        # Many candidates share the same file (all validated, one given
        # competency not validated…): deliberate and serialise once per file.
        memo_key = (text, frozenset(percents.items()) if percents else None, carry_set)
        known_outcome = memo.get(memo_key)
        if known_outcome is None:
            outcome = deliberate(policy, CandidateFile(mine, percents, carry_set))
            known_outcome = memo[memo_key] = (outcome, StoredOutcome.of(outcome))
        if carry_set not in carried_json:
            carried_json[carry_set] = json.dumps(sorted(carry_set))
        results[enrolment_id] = Computed(known_outcome[0], carry, percents)
        rows.append((enrolment_id, known_outcome[1], carried_json[carry_set]))
    upsert_outcomes(institution_session.pk, rows, now)
    return results
