"""Where a portfolio stands, competency by competency: read functions for the
overview pages, the progress picture and the institution's list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _

from c2i.enrolment.models import Candidate
from c2i.frameworks.models import Competency, Domain, Framework
from c2i.portfolio.models import Evidence, EvidenceKind, Portfolio, Positioning


def carried_over_domains(candidate: Candidate, framework: Framework) -> dict[str, str]:
    """R14: the candidate's domains of `framework` validated at a closed
    deliberation and kept, as {domain code: name of the session where it was
    validated}.

    The one hook between the jury and the portfolio: the overview, the
    progress picture and the lists show what this returns. It reads the
    jury's ledger (`deliberation.DomainCredit`, keyed by the R5 identity, not
    revoked) when that model exists, and answers {} otherwise."""
    return _carried([(candidate.identity_key, framework.pk)]).get((candidate.identity_key, framework.pk), {})


def _carried(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict[str, str]]:
    """`carried_over_domains` for many (identity key, framework id) at once."""
    keys = set(keys)
    try:
        credits = apps.get_model("deliberation", "DomainCredit")
    except LookupError:
        return {}
    if not keys:
        return {}
    rows = (
        credits.objects.filter(
            identity_key__in={identity for identity, _framework in keys},
            framework_id__in={framework for _identity, framework in keys},
            revoked_at__isnull=True,
        )
        .select_related("institution_session__session")
        .order_by("created_at", "id")
    )
    result: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for row in rows:
        if (row.identity_key, row.framework_id) in keys:
            result[(row.identity_key, row.framework_id)][row.domain_code] = row.institution_session.session.name
    return result


class State:
    CARRIED = "carried"  # R14: the domain was validated at an earlier session
    COVERED = "covered"  # at least one item that is not a test result (R10)
    TEST_ONLY = "test_only"  # only knowledge-test results: not enough (R10)
    MISSING = "missing"


STATE_COLOURS = {
    State.CARRIED: ("#0063cb", "#ffffff"),  # DSFR info
    State.COVERED: ("#18753c", "#ffffff"),  # DSFR success
    State.TEST_ONLY: ("#fc5d00", "#161616"),  # DSFR warning (425)
    State.MISSING: ("#ffffff", "#3a3a3a"),
}
STATE_MARKS = {State.CARRIED: "↻", State.COVERED: "✓", State.TEST_ONLY: "!", State.MISSING: "·"}


def state_label(state: str) -> str:
    return {
        State.CARRIED: _("carried over"),
        State.COVERED: _("evidence present"),
        State.TEST_ONLY: _("test result only"),
        State.MISSING: _("no evidence yet"),
    }[state]


@dataclass
class CompetencyRow:
    competency: Competency
    state: str
    items: list[Any] = field(default_factory=list)
    positioning: Positioning | None = None
    history: list[Positioning] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return state_label(self.state)


@dataclass
class Cell:
    x: int
    code: str
    state: str
    fill: str
    ink: str
    mark: str


CELL = 56  # width of one competency's cell in the picture
GAP = 4


@dataclass
class DomainRow:
    domain: Domain
    rows: list[CompetencyRow]
    carried_from: str | None = None

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def covered(self) -> int:
        return sum(1 for r in self.rows if r.state in {State.COVERED, State.CARRIED})

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.total) if self.total else 0

    @property
    def missing(self) -> list[CompetencyRow]:
        return [r for r in self.rows if r.state in {State.MISSING, State.TEST_ONLY}]

    @property
    def cells(self) -> list[Cell]:
        return [
            Cell(i * (CELL + GAP), r.competency.code, r.state, *STATE_COLOURS[r.state], STATE_MARKS[r.state])
            for i, r in enumerate(self.rows)
        ]

    @property
    def width(self) -> int:
        return max(self.total * (CELL + GAP) - GAP, CELL)

    @property
    def picture_label(self) -> str:
        """The text alternative of the picture."""
        parts = [
            _("%(domain)s: %(covered)s of %(total)s competencies with evidence")
            % {"domain": self.domain.code, "covered": self.covered, "total": self.total}
        ]
        for r in self.rows:
            parts.append(f"{r.competency.code} {r.state_label}")
        return " — ".join([parts[0], ", ".join(parts[1:])])


@dataclass
class Overview:
    domains: list[DomainRow]

    @property
    def total(self) -> int:
        return sum(d.total for d in self.domains)

    @property
    def covered(self) -> int:
        return sum(d.covered for d in self.domains)

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.total) if self.total else 0

    @property
    def missing(self) -> list[CompetencyRow]:
        return [r for d in self.domains for r in d.missing]


def framework_domains(framework: Framework) -> list[tuple[Domain, list[Competency]]]:
    competencies = Competency.objects.filter(domain__framework=framework, retired=False).select_related("domain")
    by_domain: dict[int, list[Competency]] = defaultdict(list)
    for c in competencies.order_by("domain__position", "position"):
        by_domain[c.domain_id].append(c)
    return [(d, by_domain[d.pk]) for d in framework.domains.order_by("position") if by_domain[d.pk]]


def build_overview(
    framework: Framework,
    items: Sequence[Any],
    carried: dict[str, str],
    positionings: Iterable[Positioning] = (),
) -> Overview:
    """`items` are living (`Evidence`) or submitted (`SubmittedEvidence`)
    items with their competencies prefetched."""
    supporting: dict[int, list[Any]] = defaultdict(list)
    for item in items:
        for c in item.competencies.all():
            supporting[c.pk].append(item)
    history: dict[int, list[Positioning]] = defaultdict(list)
    for p in positionings:  # newest first
        history[p.competency_id].append(p)
    domains = []
    for domain, competencies in framework_domains(framework):
        rows = []
        for c in competencies:
            found = supporting.get(c.pk, [])
            if domain.code in carried:
                state = State.CARRIED
            elif any(i.kind != EvidenceKind.TEST_RESULT for i in found):
                state = State.COVERED
            elif found:
                state = State.TEST_ONLY
            else:
                state = State.MISSING
            past = history.get(c.pk, [])
            rows.append(CompetencyRow(c, state, found, past[0] if past else None, past))
        domains.append(DomainRow(domain, rows, carried.get(domain.code)))
    return Overview(domains)


def portfolio_overview(portfolio: Portfolio) -> Overview:
    items = list(portfolio.items.prefetch_related("competencies", "files__blob"))
    positionings = portfolio.positionings.select_related("author", "competency").order_by("-at", "-id")
    return build_overview(
        portfolio.framework,
        items,
        carried_over_domains(portfolio.candidate, portfolio.framework),
        positionings,
    )


def covered_counts(portfolios: Iterable[Portfolio]) -> dict[int, int]:
    """For the lists: per portfolio, how many current competencies have an item
    that is not a test result (R10), carried-over domains counted as covered."""
    portfolios = list(portfolios)
    through = Evidence.competencies.through
    pairs = (
        through.objects.filter(evidence__portfolio__in=portfolios, competency__retired=False)
        .exclude(evidence__kind=EvidenceKind.TEST_RESULT)
        .values_list("evidence__portfolio_id", "competency_id")
        .distinct()
    )
    covered: dict[int, set[int]] = defaultdict(set)
    for portfolio_id, competency_id in pairs:
        covered[portfolio_id].add(competency_id)
    carried_by_key = _carried((p.candidate.identity_key, p.framework_id) for p in portfolios)
    for p in portfolios:
        if carried := carried_by_key.get((p.candidate.identity_key, p.framework_id)):
            covered[p.pk] |= set(
                Competency.objects.filter(
                    domain__framework=p.framework_id, domain__code__in=carried, retired=False
                ).values_list("pk", flat=True)
            )
    return {p.pk: len(covered[p.pk]) for p in portfolios}


def competency_total(framework: Framework) -> int:
    return Competency.objects.filter(domain__framework=framework, retired=False).count()
