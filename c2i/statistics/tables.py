"""The blocks of the figures pages: each a table (what is exported to CSV and
XLSX) and, where a picture helps, its chart and the sentence that says what
the chart shows. The pages and their exports build the same blocks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from c2i.enrolment.models import CandidateStatus
from c2i.statistics import charts, figures
from c2i.statistics.charts import Series, percent_label
from c2i.statistics.figures import Counts, Filters

# Rows of the key figures: the count's name and its label.
MEASURES: tuple[tuple[str, Callable[[], str]], ...] = (
    ("enrolled", lambda: _("Enrolments")),
    ("submitted", lambda: _("Portfolios submitted")),
    ("sat", lambda: _("Knowledge-test sittings")),
    ("certified", lambda: _("Certified (certificate)")),
    ("attested", lambda: _("Not certified, attestation of validated domains")),
    ("not_certified", lambda: _("Not certified, no domain validated")),
    ("deferred", lambda: _("Deferred by the jury")),
    ("undecided", lambda: _("Not yet decided")),
    ("returning", lambda: _("Came back with carried-over domains")),
    ("returning_certified", lambda: _("Came back and certified")),
    ("domains_kept", lambda: _("Domains carried over")),
)
OUTCOMES = ("certified", "attested", "not_certified", "deferred", "undecided")


class Percent(float):
    """A rate in percent: shown « 78,5 % », exported as 78.5."""


@dataclass(frozen=True)
class Secret:
    """A value not published (statistical secrecy)."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Block:
    key: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    chart: SafeString | None = None
    summary: str = ""
    note: str = ""
    numeric_from: int = 1  # the first numeric column (right-aligned)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chart_id(self) -> str:
        return f"chart-{self.key}"


def pct(value: float | None) -> Percent | None:
    return None if value is None else Percent(value)


def export_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Percent):
        return round(float(value), 1)
    if isinstance(value, Secret):
        return str(value)
    return value


def _extremes(labels: Sequence[str], values: Sequence[float | None]) -> str:
    present = [(v, label) for label, v in zip(labels, values, strict=True) if v is not None]
    if not present:
        return _("No figure yet for this selection.")
    high = max(present)
    low = min(present)
    return _("Highest: %(high)s (%(high_value)s); lowest: %(low)s (%(low_value)s).") % {
        "high": high[1],
        "high_value": percent_label(high[0]),
        "low": low[1],
        "low_value": percent_label(low[0]),
    }


def _status_label(status: str) -> str:
    return str(CandidateStatus(status).label) if status in CandidateStatus.values else status


# --- the national dashboard -----------------------------------------------------


def key_figures(overview: figures.Overview) -> Block:
    statuses = [s for s in CandidateStatus.values]
    header = [_("Figure"), *[_status_label(s).capitalize() for s in statuses], _("Total")]
    rows: list[list[Any]] = []
    for name, label in MEASURES:
        rows.append(
            [
                label(),
                *[getattr(overview.by_status.get(s, Counts()), name) for s in statuses],
                getattr(overview.total, name),
            ]
        )
    rows.append(
        [
            _("Success rate (certified among final outcomes)"),
            *[pct(overview.by_status.get(s, Counts()).success_rate) for s in statuses],
            pct(overview.total.success_rate),
        ]
    )
    total = overview.total
    labels = [label() for name, label in MEASURES if name in OUTCOMES]
    values: list[float | None] = [float(getattr(total, name)) for name in OUTCOMES]
    block = Block("chiffres", _("Key figures"), header, rows)
    block.chart = charts.bars(block.chart_id, labels, [Series(_("Candidates"), values)])
    block.summary = _(
        "Of %(enrolled)s enrolled candidates, %(certified)s are certified, %(attested)s received an attestation, "
        "%(undecided)s are not yet decided; success rate %(rate)s."
    ) % {
        "enrolled": total.enrolled,
        "certified": total.certified,
        "attested": total.attested,
        "undecided": total.undecided,
        "rate": percent_label(total.success_rate) if total.success_rate is not None else "—",
    }
    return block


def domain_block(rows: list[figures.DomainRow]) -> Block:
    header = [_("Framework"), _("Domain"), _("Final outcomes"), _("Validated"), _("Validation rate"), _("Carried over")]
    table = [[r.framework, r.code, r.decided, r.validated, pct(r.validation_rate), r.carried_over] for r in rows]
    block = Block("domaines", _("Validation rate per domain"), header, table, numeric_from=2)
    shown = [r for r in rows if r.decided]
    labels = [f"{r.framework} {r.code}" for r in shown]
    rates = [r.validation_rate for r in shown]
    if shown:
        block.chart = charts.bars(
            block.chart_id, labels, [Series(_("Validation rate"), rates)], maximum=100, label=percent_label
        )
    block.summary = _extremes(labels, rates)
    return block


def competency_block(rows: list[figures.CompetencyRow], framework_chosen: bool) -> Block:
    header = [_("Framework"), _("Competency"), _("Validated"), _("Not validated"), _("Validation rate")]
    table = [[r.framework, r.code, r.validated, r.not_validated, pct(r.validation_rate)] for r in rows]
    block = Block("competences", _("Validation rate per competency"), header, table, numeric_from=2)
    labels = [f"{r.framework} {r.code}" for r in rows]
    rates = [r.validation_rate for r in rows]
    if rows and (framework_chosen or len(rows) <= 40):
        block.chart = charts.bars(
            block.chart_id, labels, [Series(_("Validation rate"), rates)], maximum=100, label=percent_label
        )
    elif rows:
        block.note = _("Choose a framework to see its competencies as a chart.")
    block.summary = _extremes(labels, rates)
    return block


def test_block(rows: list[figures.DomainRow]) -> Block:
    header = [
        _("Framework"),
        _("Domain"),
        _("Results published"),
        _("Positive (50 % or more)"),
        _("Positive rate"),
        _("Mean score"),
    ]
    tested = [r for r in rows if r.tested]
    table = [[r.framework, r.code, r.tested, r.positive, pct(r.positive_rate), pct(r.mean_percent)] for r in tested]
    block = Block("epreuves", _("Knowledge-test results per domain"), header, table, numeric_from=2)
    labels = [f"{r.framework} {r.code}" for r in tested]
    if tested:
        block.chart = charts.bars(
            block.chart_id,
            labels,
            [
                Series(_("Positive rate"), [r.positive_rate for r in tested]),
                Series(_("Mean score"), [r.mean_percent for r in tested], charts.PALETTE[1]),
            ],
            maximum=100,
            label=percent_label,
        )
    block.summary = _extremes(labels, [r.positive_rate for r in tested])
    return block


def carry_over_block(rows: list[figures.Labelled]) -> Block:
    header = [
        _("Framework"),
        _("Final outcomes"),
        _("Success rate"),
        _("Came back with carried-over domains"),
        _("Came back and certified"),
        _("Their success rate"),
        _("Domains carried over"),
    ]
    table = [
        [
            r.label,
            r.counts.decided,
            pct(r.counts.success_rate),
            r.counts.returning,
            r.counts.returning_certified,
            pct(r.counts.returning_success_rate),
            r.counts.domains_kept,
        ]
        for r in rows
    ]
    block = Block("reports", _("Carry-over of validated domains (R14)"), header, table)
    labels = [r.label for r in rows]
    if rows:
        block.chart = charts.bars(
            block.chart_id,
            labels,
            [
                Series(_("All candidates"), [r.counts.success_rate for r in rows]),
                Series(
                    _("Candidates who came back"), [r.counts.returning_success_rate for r in rows], charts.PALETTE[2]
                ),
            ],
            maximum=100,
            label=percent_label,
        )
    returning = sum(r.counts.returning for r in rows)
    certified = sum(r.counts.returning_certified for r in rows)
    block.summary = _(
        "%(returning)s candidates came back with carried-over domains; %(certified)s of them are certified."
    ) % {
        "returning": returning,
        "certified": certified,
    }
    return block


def institution_block(rows: list[figures.Labelled], order: str) -> Block:
    header = [
        _("Rank"),
        _("Institution"),
        _("Town"),
        _("Enrolments"),
        _("Final outcomes"),
        _("Certified"),
        _("Success rate"),
    ]
    table = [
        [n, r.label, r.detail, r.counts.enrolled, r.counts.decided, r.counts.certified, pct(r.counts.success_rate)]
        for n, r in enumerate(rows, start=1)
    ]
    block = Block("etablissements", _("Institutions ranked"), header, table, numeric_from=3)
    block.extra["order"] = order
    top = rows[:15]
    if top:
        if order == "success":
            block.chart = charts.bars(
                block.chart_id,
                [r.label for r in top],
                [Series(_("Success rate"), [r.counts.success_rate for r in top])],
                maximum=100,
                label=percent_label,
            )
        else:
            block.chart = charts.bars(
                block.chart_id,
                [r.label for r in top],
                [Series(_("Enrolments"), [float(r.counts.enrolled) for r in top])],
            )
        block.summary = _("The first %(n)s of %(total)s institutions in this order; the table lists them all.") % {
            "n": len(top),
            "total": len(rows),
        }
    return block


def year_block(rows: list[figures.Labelled]) -> Block:
    header = [
        _("Year"),
        _("Enrolments"),
        _("Portfolios submitted"),
        _("Final outcomes"),
        _("Certified"),
        _("Success rate"),
    ]
    table = [
        [
            r.label,
            r.counts.enrolled,
            r.counts.submitted,
            r.counts.decided,
            r.counts.certified,
            pct(r.counts.success_rate),
        ]
        for r in rows
    ]
    block = Block("annees", _("Trend across years"), header, table)
    if rows:
        block.chart = charts.columns(
            block.chart_id,
            [r.label for r in rows],
            [
                Series(_("Enrolments"), [float(r.counts.enrolled) for r in rows]),
                Series(_("Certified"), [float(r.counts.certified) for r in rows], charts.PALETTE[1]),
            ],
        )
        first, last = rows[0], rows[-1]
        block.summary = _(
            "From %(first)s to %(last)s, enrolments went from %(a)s to %(b)s "
            "and certified candidates from %(c)s to %(d)s."
        ) % {
            "first": first.label,
            "last": last.label,
            "a": first.counts.enrolled,
            "b": last.counts.enrolled,
            "c": first.counts.certified,
            "d": last.counts.certified,
        }
    return block


def session_block(rows: list[figures.Labelled]) -> Block:
    header = [
        _("National session"),
        _("Framework"),
        _("Institutions"),
        _("Enrolments"),
        _("Portfolios submitted"),
        _("Knowledge-test sittings"),
        _("Certified"),
        _("Success rate"),
    ]
    table = [
        [
            r.label,
            r.detail,
            r.counts.institutions,
            r.counts.enrolled,
            r.counts.submitted,
            r.counts.sat,
            r.counts.certified,
            pct(r.counts.success_rate),
        ]
        for r in rows
    ]
    block = Block("sessions", _("Trend across national sessions"), header, table, numeric_from=2)
    if 1 < len(rows) <= 30:
        block.chart = charts.columns(
            block.chart_id,
            [str(n) for n in range(1, len(rows) + 1)],
            [Series(_("Success rate"), [r.counts.success_rate for r in rows])],
            maximum=100,
            label=lambda v: f"{v:.0f}\u00a0%",
        )
        block.summary = _(
            "Success rate of each national session in time order (numbered as in the table): %(list)s."
        ) % {
            "list": "; ".join(
                f"{n}. {r.label} {percent_label(r.counts.success_rate) if r.counts.success_rate is not None else '—'}"
                for n, r in enumerate(rows, start=1)
            )
        }
    return block


def national_blocks(filters: Filters, order: str = "enrolled") -> list[Block]:
    domain_rows = figures.domains(filters)
    return [
        key_figures(figures.overview(filters)),
        domain_block(domain_rows),
        competency_block(figures.competencies(filters), bool(filters.framework)),
        test_block(domain_rows),
        carry_over_block(figures.by_framework(filters)),
        institution_block(figures.institutions(filters, order), order),
        year_block(figures.years(filters)),
        session_block(figures.sessions(filters)),
    ]


# --- the institution beside the nation ----------------------------------------------

# The nation's figures are shown beside an institution's only when the
# selection gathers enough other institutions: otherwise the difference
# would be another institution's figures.
MIN_OTHER_INSTITUTIONS = 3


def _beside(own: Sequence[float | None], nation: Sequence[float | None]) -> list[Series]:
    return [Series(_("Your institution"), own), Series(_("Nation"), nation, charts.PALETTE[1])]


def institution_blocks(institution_id: int, filters: Filters) -> list[Block]:
    own_filters = filters.but(institution=institution_id)
    nation_filters = filters.but(institution=None)
    own = figures.overview(own_filters).total
    nation = figures.overview(nation_filters).total
    others = nation.institutions - (1 if own.enrolled else 0)
    nation_ok = others >= MIN_OTHER_INSTITUTIONS

    def n(value: Any) -> Any:
        return value if nation_ok else None

    blocks = []
    header = [_("Figure"), _("Your institution"), _("Nation")]
    rows: list[list[Any]] = [[label(), getattr(own, name), n(getattr(nation, name))] for name, label in MEASURES]
    rates = (
        (_("Success rate (certified among final outcomes)"), own.success_rate, nation.success_rate),
        (_("Portfolios submitted per enrolment"), own.submission_rate, nation.submission_rate),
        (_("Knowledge-test sittings per enrolment"), own.sitting_rate, nation.sitting_rate),
    )
    rows += [[label, pct(a), n(pct(b))] for label, a, b in rates]
    block = Block("chiffres", _("Key figures"), header, rows)
    block.chart = charts.bars(
        block.chart_id,
        [_("Success rate"), _("Portfolios submitted per enrolment"), _("Knowledge-test sittings per enrolment")],
        _beside([r[1] for r in rates], [n(r[2]) for r in rates]),
        maximum=100,
        label=percent_label,
    )
    block.summary = _("Your institution: success rate %(own)s; nation: %(nation)s.") % {
        "own": percent_label(own.success_rate) if own.success_rate is not None else "—",
        "nation": percent_label(nation.success_rate) if nation_ok and nation.success_rate is not None else "—",
    }
    if not nation_ok:
        block.note = _("The nation's figures are not shown for this selection: too few other institutions take part.")
    blocks.append(block)

    own_domains = {(r.framework, r.code): r for r in figures.domains(own_filters)}
    nation_domains = figures.domains(nation_filters)
    keys = [(r.framework, r.code) for r in nation_domains if (r.framework, r.code) in own_domains]
    by_key = {(r.framework, r.code): r for r in nation_domains}
    header = [
        _("Framework"),
        _("Domain"),
        _("Your validation rate"),
        _("Nation's validation rate"),
        _("Your positive test rate"),
        _("Nation's positive test rate"),
    ]
    table = [
        [
            f,
            c,
            pct(own_domains[(f, c)].validation_rate),
            n(pct(by_key[(f, c)].validation_rate)),
            pct(own_domains[(f, c)].positive_rate),
            n(pct(by_key[(f, c)].positive_rate)),
        ]
        for f, c in keys
    ]
    block = Block("domaines", _("Domains: validation and knowledge test"), header, table, numeric_from=2)
    labels = [f"{f} {c}" for f, c in keys]
    if keys:
        block.chart = charts.bars(
            block.chart_id,
            labels,
            _beside([own_domains[k].validation_rate for k in keys], [n(by_key[k].validation_rate) for k in keys]),
            maximum=100,
            label=percent_label,
        )
    block.summary = _extremes(labels, [own_domains[k].validation_rate for k in keys])
    blocks.append(block)

    own_comp = {(r.framework, r.code): r for r in figures.competencies(own_filters)}
    nation_comp = {(r.framework, r.code): r for r in figures.competencies(nation_filters)}
    header = [_("Framework"), _("Competency"), _("Your validation rate"), _("Nation's validation rate")]
    table = [
        [f, c, pct(r.validation_rate), n(pct(nation_comp[(f, c)].validation_rate)) if (f, c) in nation_comp else None]
        for (f, c), r in own_comp.items()
    ]
    blocks.append(Block("competences", _("Validation rate per competency"), header, table, numeric_from=2))

    own_years = {r.key: r for r in figures.years(own_filters)}
    nation_years = figures.years(nation_filters)
    header = [_("Year"), _("Your enrolments"), _("Your success rate"), _("Nation's success rate")]
    year_rows = [r for r in nation_years if r.key in own_years]

    def n_row(r: figures.Labelled) -> bool:
        return r.counts.institutions - 1 >= MIN_OTHER_INSTITUTIONS

    table = [
        [
            r.label,
            own_years[r.key].counts.enrolled,
            pct(own_years[r.key].counts.success_rate),
            pct(r.counts.success_rate) if n_row(r) else None,
        ]
        for r in year_rows
    ]
    block = Block("annees", _("Trend across years"), header, table)
    if year_rows:
        block.chart = charts.columns(
            block.chart_id,
            [r.label for r in year_rows],
            _beside(
                [own_years[r.key].counts.success_rate for r in year_rows],
                [r.counts.success_rate if n_row(r) else None for r in year_rows],
            ),
            maximum=100,
            label=lambda v: f"{v:.0f}\u00a0%",
        )
        block.summary = _extremes(
            [r.label for r in year_rows], [own_years[r.key].counts.success_rate for r in year_rows]
        )
    blocks.append(block)

    own_sessions = {r.key: r for r in figures.sessions(own_filters)}
    header = [
        _("National session"),
        _("Framework"),
        _("Your enrolments"),
        _("Your certified"),
        _("Your success rate"),
        _("Nation's success rate"),
    ]
    table = [
        [
            r.label,
            r.detail,
            own_sessions[r.key].counts.enrolled,
            own_sessions[r.key].counts.certified,
            pct(own_sessions[r.key].counts.success_rate),
            pct(r.counts.success_rate) if n_row(r) else None,
        ]
        for r in figures.sessions(nation_filters)
        if r.key in own_sessions
    ]
    blocks.append(Block("sessions", _("Trend across national sessions"), header, table, numeric_from=2))
    return blocks
