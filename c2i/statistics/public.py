"""The blocks of the public « Chiffres clés » page, from the protected
published set (`opendata`), and the open data's dictionary."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from c2i.statistics import charts
from c2i.statistics.charts import Series, percent_label
from c2i.statistics.opendata import ALL, Published
from c2i.statistics.tables import Block, Percent, Secret


def _number(value: Any) -> float | None:
    return None if isinstance(value, Secret) else float(value)


def blocks(data: Published, year: int | None, framework: str | None) -> list[Block]:
    """The key figures, the domains and the trend across years; each block is
    there (maybe empty: « no figure ») so that its exports always answer."""
    code = framework or ALL
    out: list[Block] = []
    if year is None or (year, code, "enrolled") not in data.raw:
        out.append(Block("chiffres", _("Key figures"), [_("Figure"), _("Candidates")], []))
    else:
        c = lambda name: data.cell(year, code, name)  # noqa: E731
        rows: list[list[Any]] = [
            [_("Enrolments"), c("enrolled")],
            [_("… students"), c("students")],
            [_("… continuing education"), c("continuing")],
            [_("Portfolios submitted"), c("submitted")],
            [_("Knowledge-test sittings"), c("sat")],
            [_("Final outcomes"), c("decided")],
            [_("Certified (certificate)"), c("certified")],
            [_("Not certified, attestation of validated domains"), c("attested")],
            [_("Not certified, no domain validated"), c("not_certified")],
            [_("Deferred by the jury"), c("deferred")],
            [_("Not yet decided"), c("undecided")],
            [
                _("Success rate (certified among final outcomes)"),
                data.rate((year, code, "certified"), (year, code, "decided")),
            ],
        ]
        block = Block("chiffres", _("Key figures"), [_("Figure"), _("Candidates")], rows)
        outcome_rows = rows[6:11]
        block.chart = charts.bars(
            block.chart_id,
            [r[0] for r in outcome_rows],
            [Series(_("Candidates"), [_number(r[1]) for r in outcome_rows])],
        )
        block.summary = _("%(enrolled)s candidates enrolled, %(certified)s certified.") % {
            "enrolled": c("enrolled"),
            "certified": c("certified"),
        }
        out.append(block)

    frameworks = [] if year is None else [framework] if framework else data.frameworks.get(year, [])
    domain_rows: list[list[Any]] = []
    labels: list[str] = []
    rates: list[float | None] = []
    for f in frameworks:
        for d in data.domains.get((year or 0, f), []):
            key = (year, f, d)
            rate = data.rate((*key, "validated"), (year, f, "decided"))
            domain_rows.append(
                [
                    f,
                    d,
                    data.cell(*key, "validated"),
                    rate,
                    data.cell(*key, "tested"),
                    data.rate((*key, "test_positive"), (*key, "tested")),
                ]
            )
            labels.append(f"{f} {d}")
            rates.append(None if rate is None else float(rate))
    block = Block(
        "domaines",
        _("Validation rate per domain"),
        [
            _("Framework"),
            _("Domain"),
            _("Validated"),
            _("Validation rate"),
            _("Knowledge-test results"),
            _("Positive rate"),
        ],
        domain_rows,
        numeric_from=2,
    )
    out.append(block)
    if domain_rows:
        block.chart = charts.bars(
            block.chart_id, labels, [Series(_("Validation rate"), rates)], maximum=100, label=percent_label
        )
        shown = [(r, label) for label, r in zip(labels, rates, strict=True) if r is not None]
        block.summary = (
            _("Highest: %(high)s (%(high_value)s); lowest: %(low)s (%(low_value)s).")
            % {
                "high": max(shown)[1],
                "high_value": percent_label(max(shown)[0]),
                "low": min(shown)[1],
                "low_value": percent_label(min(shown)[0]),
            }
            if shown
            else _("No rate can be published for this selection.")
        )

    trend: list[list[Any]] = []
    for y in data.years:
        if (y, code, "enrolled") not in data.raw:
            continue
        trend.append(
            [
                str(y),
                data.cell(y, code, "enrolled"),
                data.cell(y, code, "certified"),
                data.rate((y, code, "certified"), (y, code, "decided")),
            ]
        )
    block = Block(
        "annees", _("Trend across years"), [_("Year"), _("Enrolments"), _("Certified"), _("Success rate")], trend
    )
    out.append(block)
    if trend:
        block.chart = charts.columns(
            block.chart_id,
            [r[0] for r in trend],
            [
                Series(_("Enrolments"), [_number(r[1]) for r in trend]),
                Series(_("Certified"), [_number(r[2]) for r in trend], charts.PALETTE[1]),
            ],
        )
        block.summary = (
            "; ".join(
                _("%(year)s: %(enrolled)s enrolled, %(certified)s certified")
                % {"year": r[0], "enrolled": r[1], "certified": r[2]}
                for r in trend
            )
            + "."
        )
    return out


def dictionary() -> list[dict[str, Any]]:
    """The open-data files and their columns: (name, type, description)."""
    count = _(
        "integer, or « < 5 » (fewer than 5 candidates), or « s » (hidden so that a small count cannot be deduced)"
    )
    rate = _("decimal (one decimal place), empty when one of its counts is not published")
    return [
        {
            "name": "c2i-chiffres-cles.csv",
            "title": _("Key figures per year and framework"),
            "columns": [
                ("annee", _("integer"), _("Calendar year of the start of the national session.")),
                ("referentiel", _("text"), _("Framework code (C2i1, C2i2e…); ENSEMBLE: all frameworks together.")),
                ("inscrits", count, _("Active enrolments (withdrawals excluded).")),
                ("inscrits_etudiants", count, _("Enrolments of students of the institution.")),
                ("inscrits_formation_continue", count, _("Enrolments of continuing-education learners.")),
                ("dossiers_deposes", count, _("Enrolments with a submitted portfolio (DNC).")),
                ("passages_epreuve", count, _("Enrolments with a knowledge-test sitting.")),
                (
                    "resultats_definitifs",
                    count,
                    _(
                        "Final outcomes of published deliberations: "
                        "certified, attestations, not certified without document."
                    ),
                ),
                ("certifies", count, _("Certified by a published deliberation (certificate).")),
                ("attestations", count, _("Not certified, with at least one validated domain (attestation).")),
                ("non_certifies_sans_document", count, _("Not certified, no domain validated (no document).")),
                ("ajournes", count, _("Deferred by the jury (ajournés).")),
                ("en_attente_de_decision", count, _("No published outcome yet.")),
                (
                    "taux_reussite_pct",
                    rate,
                    _("Certified ÷ (certified + attestations + not certified without document) × 100."),
                ),
            ],
        },
        {
            "name": "c2i-chiffres-cles-domaines.csv",
            "title": _("Domains per year and framework"),
            "columns": [
                ("annee", _("integer"), _("Calendar year of the start of the national session.")),
                ("referentiel", _("text"), _("Framework code.")),
                ("domaine", _("text"), _("Domain code (D1, A1…).")),
                (
                    "domaine_valide",
                    count,
                    _("Final outcomes with the domain validated (carried-over domains included, R14)."),
                ),
                ("taux_validation_pct", rate, _("Validated ÷ final outcomes of the framework × 100.")),
                ("resultats_epreuve", count, _("Published knowledge-test results for the domain.")),
                ("resultats_positifs", count, _("Of which positive (50 % or more, R18).")),
                ("taux_positif_pct", rate, _("Positive ÷ results × 100.")),
            ],
        },
    ]


__all__ = ["Percent", "blocks", "dictionary"]
