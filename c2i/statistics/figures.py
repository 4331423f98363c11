"""Reading the national figures from the aggregates (never from the
enrolments): the totals, domains, competencies, tests, institutions and
trends of a selection (`Filters`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum

from c2i.statistics.models import CompetencyFigures, DomainFigures, SessionFigures
from c2i.statistics.services import SESSION_COUNTS


@dataclass(frozen=True)
class Filters:
    """A selection: year, framework, national session, institution (ids)."""

    year: int | None = None
    framework: int | None = None
    session: int | None = None
    institution: int | None = None

    def q(self, *, institution: bool = True, year: bool = True, session: bool = True) -> Q:
        q = Q()
        if year and self.year:
            q &= Q(year=self.year)
        if self.framework:
            q &= Q(framework_id=self.framework)
        if session and self.session:
            q &= Q(session_id=self.session)
        if institution and self.institution:
            q &= Q(institution_id=self.institution)
        return q

    def but(self, **changes: Any) -> Filters:
        return Filters(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})


def rate(part: int, whole: int) -> float | None:
    return None if not whole else 100.0 * part / whole


@dataclass
class Counts:
    enrolled: int = 0
    submitted: int = 0
    sat: int = 0
    certified: int = 0
    attested: int = 0
    not_certified: int = 0
    deferred: int = 0
    undecided: int = 0
    returning: int = 0
    returning_certified: int = 0
    domains_kept: int = 0
    institutions: int = 0

    @property
    def decided(self) -> int:
        """Final outcomes: certified or not (deferred candidates excluded)."""
        return self.certified + self.attested + self.not_certified

    @property
    def success_rate(self) -> float | None:
        return rate(self.certified, self.decided)

    @property
    def returning_success_rate(self) -> float | None:
        return rate(self.returning_certified, self.returning)

    @property
    def submission_rate(self) -> float | None:
        return rate(self.submitted, self.enrolled)

    @property
    def sitting_rate(self) -> float | None:
        return rate(self.sat, self.enrolled)

    def add(self, other: Counts) -> None:
        for name in SESSION_COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


SUMS = {name: Sum(name) for name in SESSION_COUNTS}


def _counts(row: dict[str, Any]) -> Counts:
    return Counts(
        **{name: int(row.get(name) or 0) for name in SESSION_COUNTS}, institutions=int(row.get("n_inst") or 0)
    )


@dataclass
class Overview:
    total: Counts
    by_status: dict[str, Counts] = field(default_factory=dict)


def overview(filters: Filters) -> Overview:
    by_status = {}
    total = Counts()
    for row in SessionFigures.objects.filter(filters.q()).values("candidate_status").annotate(**SUMS).order_by():
        counts = _counts(dict(row))
        by_status[row["candidate_status"]] = counts
        total.add(counts)
    total.institutions = (
        SessionFigures.objects.filter(filters.q()).aggregate(n=Count("institution_id", distinct=True))["n"] or 0
    )
    return Overview(total, by_status)


@dataclass(frozen=True)
class DomainRow:
    framework: str
    code: str
    decided: int
    validated: int
    carried_over: int
    tested: int
    positive: int
    percent_sum: float

    @property
    def validation_rate(self) -> float | None:
        return rate(self.validated, self.decided)

    @property
    def positive_rate(self) -> float | None:
        return rate(self.positive, self.tested)

    @property
    def mean_percent(self) -> float | None:
        return None if not self.tested else self.percent_sum / self.tested


def domains(filters: Filters) -> list[DomainRow]:
    rows = (
        DomainFigures.objects.filter(filters.q())
        .values("framework__code", "domain_code")
        .annotate(
            pos=Min("position"),
            d=Sum("decided"),
            v=Sum("validated"),
            c=Sum("carried_over"),
            t=Sum("tested"),
            p=Sum("test_positive"),
            s=Sum("test_percent_sum"),
        )
        .order_by("framework__code", "pos", "domain_code")
    )
    return [
        DomainRow(r["framework__code"], r["domain_code"], r["d"], r["v"], r["c"], r["t"], r["p"], float(r["s"] or 0))
        for r in rows
    ]


@dataclass(frozen=True)
class CompetencyRow:
    framework: str
    code: str
    validated: int
    not_validated: int

    @property
    def decided(self) -> int:
        return self.validated + self.not_validated

    @property
    def validation_rate(self) -> float | None:
        return rate(self.validated, self.decided)


def competencies(filters: Filters) -> list[CompetencyRow]:
    rows = (
        CompetencyFigures.objects.filter(filters.q())
        .values("framework__code", "competency_code")
        .annotate(pos=Min("position"), v=Sum("validated"), nv=Sum("not_validated"))
        .order_by("framework__code", "pos", "competency_code")
    )
    return [CompetencyRow(r["framework__code"], r["competency_code"], r["v"], r["nv"]) for r in rows]


@dataclass(frozen=True)
class Labelled:
    key: Any
    label: str
    detail: str
    counts: Counts


def _grouped(qs: QuerySet[SessionFigures], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return list(qs.values(*keys).annotate(**SUMS, n_inst=Count("institution_id", distinct=True)).order_by(*keys))


def by_framework(filters: Filters) -> list[Labelled]:
    rows = _grouped(SessionFigures.objects.filter(filters.q()), ("framework__code",))
    return [Labelled(r["framework__code"], r["framework__code"], "", _counts(r)) for r in rows]


RANKINGS = {
    "enrolled": lambda r: (-r.counts.enrolled, r.label),
    "success": lambda r: (-(r.counts.success_rate or -1), -r.counts.decided, r.label),
    "name": lambda r: (r.label,),
}


def institutions(filters: Filters, order: str = "enrolled") -> list[Labelled]:
    rows = _grouped(
        SessionFigures.objects.filter(filters.q()), ("institution_id", "institution__name", "institution__town")
    )
    found = [Labelled(r["institution_id"], r["institution__name"], r["institution__town"], _counts(r)) for r in rows]
    return sorted(found, key=RANKINGS.get(order, RANKINGS["enrolled"]))


def years(filters: Filters) -> list[Labelled]:
    """Across years: the selection without its year and session."""
    rows = _grouped(SessionFigures.objects.filter(filters.q(year=False, session=False)), ("year",))
    return [Labelled(r["year"], str(r["year"]), "", _counts(r)) for r in rows]


def sessions(filters: Filters) -> list[Labelled]:
    """Across the national sessions of the selection (its session aside), in time order."""
    rows = _grouped(
        SessionFigures.objects.filter(filters.q(session=False)),
        ("session__start", "session_id", "session__name", "framework__code"),
    )
    return [Labelled(r["session_id"], r["session__name"], r["framework__code"], _counts(r)) for r in rows]


def institution_counts_by(filters: Filters, key: str) -> dict[Any, int]:
    """How many institutions each group (year, session...) gathers."""
    out: dict[Any, int] = defaultdict(int)
    for row in (
        SessionFigures.objects.filter(filters.q()).values(key).annotate(n=Count("institution_id", distinct=True))
    ):
        out[row[key]] = row["n"]
    return out
