"""The public figures (« Chiffres clés ») and the open data: per year and
framework, national only, counts protected by `secrecy` (under 5 candidates:
« < 5 »; hidden so that no small count follows by difference: « s »).

The whole published set (every year, every framework and their sum) is
protected at once, so that the page, its exports and the open-data files show
the same cells and no combination of them gives a small count away."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Sum

from c2i.statistics import secrecy
from c2i.statistics.models import DomainFigures, Refresh, SessionFigures
from c2i.statistics.tables import Percent, Secret

ALL = "ENSEMBLE"  # the framework code of the sum of all frameworks, in the data
LICENCE = "Licence Ouverte / Open Licence version 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"

# The published columns of the main file, in order.
COLUMNS = (
    "enrolled",
    "students",
    "continuing",
    "submitted",
    "sat",
    "decided",
    "certified",
    "attested",
    "not_certified",
    "deferred",
    "undecided",
)
HIDDEN: tuple[str, ...] = ()
DOMAIN_COLUMNS = ("validated", "tested", "test_positive")
DOMAIN_HIDDEN = ("not_validated", "test_negative")

LESS_THAN = Secret("< 5")
SECRET = Secret("s")


@dataclass
class Published:
    """Every published cell's value, as shown (an int, or a Secret), and the
    cells a reader knows (shown or following from the shown ones)."""

    values: dict[Hashable, Any]
    raw: dict[Hashable, int]
    known: set[Hashable]
    years: list[int]
    frameworks: dict[int, list[str]]  # year -> framework codes with enrolments
    domains: dict[tuple[int, str], list[str]]  # (year, framework) -> domain codes

    def cell(self, *key: Any) -> Any:
        return self.values.get(tuple(key), 0)

    def rate(self, part: tuple[Any, ...], whole: tuple[Any, ...]) -> Percent | None:
        """A rate is published only when both of its counts are known."""
        if part not in self.known or whole not in self.known or not self.raw.get(whole):
            return None
        return Percent(100.0 * self.raw[part] / self.raw[whole])


# The counts of a session the public figures add up (the returning candidates'
# counts stay on the staff's dashboards).
PUBLISHED_COUNTS = ("enrolled", "submitted", "sat", "certified", "attested", "not_certified", "deferred", "undecided")


def _build() -> Published:
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        SessionFigures.objects.values("year", "framework__code", "candidate_status")
        .annotate(**{name: Sum(name) for name in PUBLISHED_COUNTS})
        .order_by()
    )
    for srow in rows:
        row: dict[str, Any] = dict(srow)
        for framework in (row["framework__code"], ALL):
            target = counts[(row["year"], framework)]
            for name in PUBLISHED_COUNTS:
                target[name] += row[name] or 0
            target["students" if row["candidate_status"] == "student" else "continuing"] += row["enrolled"] or 0
    table = secrecy.Table({})
    years: set[int] = set()
    frameworks: dict[int, list[str]] = defaultdict(list)
    for (year, framework), c in sorted(counts.items()):
        if not c["enrolled"]:
            continue  # no candidate: the row is not published at all (its zeros are no secret)
        years.add(year)
        if framework != ALL:
            frameworks[year].append(framework)
        c["decided"] = c["certified"] + c["attested"] + c["not_certified"]
        for name in (*COLUMNS, *HIDDEN):
            table.values[(year, framework, name)] = c[name]

        def k(name: str, year: int = year, framework: str = framework) -> tuple[int, str, str]:
            return (year, framework, name)

        table.add_relation(k("enrolled"), [k("students"), k("continuing")])
        table.add_relation(
            k("enrolled"), [k(n) for n in ("certified", "attested", "not_certified", "deferred", "undecided")]
        )
        table.add_relation(k("decided"), [k(n) for n in ("certified", "attested", "not_certified")])
    for year in years:
        for name in (*COLUMNS, *HIDDEN):
            table.add_relation((year, ALL, name), [(year, f, name) for f in frameworks[year]])
    domains: dict[tuple[int, str], list[str]] = defaultdict(list)
    domain_rows = (
        DomainFigures.objects.values("year", "framework__code", "domain_code")
        .annotate(
            pos=Max("position"),
            decided=Sum("decided"),
            validated=Sum("validated"),
            tested=Sum("tested"),
            positive=Sum("test_positive"),
        )
        .order_by("year", "framework__code", "pos", "domain_code")
    )
    for drow in domain_rows:
        row = dict(drow)
        year, framework, code = row["year"], row["framework__code"], row["domain_code"]
        if (year, framework, "decided") not in table.values:
            continue
        domains[(year, framework)].append(code)
        key = (year, framework, code)
        values = {
            "validated": row["validated"] or 0,
            "not_validated": (row["decided"] or 0) - (row["validated"] or 0),
            "tested": row["tested"] or 0,
            "test_positive": row["positive"] or 0,
            "test_negative": (row["tested"] or 0) - (row["positive"] or 0),
        }
        for name, value in values.items():
            table.values[(*key, name)] = value
        table.hidden.update({(*key, "not_validated"), (*key, "test_negative")})
        # the domain's final outcomes are the framework row's (its decided candidates)
        table.add_relation((year, framework, "decided"), [(*key, "validated"), (*key, "not_validated")])
        table.add_relation((*key, "tested"), [(*key, "test_positive"), (*key, "test_negative")])
    status = secrecy.protect(table)
    shown: dict[Hashable, Any] = {}
    for cell, fate in status.items():
        if fate == secrecy.SHOWN:
            shown[cell] = table.values[cell]
        elif fate == secrecy.PRIMARY:
            shown[cell] = LESS_THAN
        elif fate == secrecy.SECONDARY:
            shown[cell] = SECRET
    return Published(
        values=shown,
        raw=dict(table.values),
        known=secrecy.known(table, status),
        years=sorted(years),
        frameworks=dict(frameworks),
        domains=dict(domains),
    )


def published() -> Published:
    """The published set, computed once per refresh of the figures."""
    marker = Refresh.objects.order_by("-id").values_list("id", flat=True).first() or 0
    key = f"c2i:statistics:published:{marker}:{SessionFigures.objects.count()}"
    found = _MEMO.get(key)
    if found is None:
        found = _build()
        _MEMO.clear()  # one published set per process: the latest
        _MEMO[key] = found
    return found


_MEMO: dict[str, Published] = {}


def main_rows(data: Published) -> list[list[Any]]:
    """The open-data file: one line per year and framework (and their sum)."""
    rows = []
    for year in data.years:
        for framework in [*data.frameworks.get(year, []), ALL]:
            rows.append(
                [
                    year,
                    framework,
                    *[data.cell(year, framework, name) for name in COLUMNS],
                    data.rate((year, framework, "certified"), (year, framework, "decided")),
                ]
            )
    return rows


def domain_rows(data: Published) -> list[list[Any]]:
    rows = []
    for year in data.years:
        for framework in data.frameworks.get(year, []):
            for code in data.domains.get((year, framework), []):
                key = (year, framework, code)
                rows.append(
                    [
                        year,
                        framework,
                        code,
                        data.cell(*key, "validated"),
                        data.rate((*key, "validated"), (year, framework, "decided")),
                        data.cell(*key, "tested"),
                        data.cell(*key, "test_positive"),
                        data.rate((*key, "test_positive"), (*key, "tested")),
                    ]
                )
    return rows


MAIN_HEADER = (
    "annee",
    "referentiel",
    "inscrits",
    "inscrits_etudiants",
    "inscrits_formation_continue",
    "dossiers_deposes",
    "passages_epreuve",
    "resultats_definitifs",
    "certifies",
    "attestations",
    "non_certifies_sans_document",
    "ajournes",
    "en_attente_de_decision",
    "taux_reussite_pct",
)
DOMAIN_HEADER = (
    "annee",
    "referentiel",
    "domaine",
    "domaine_valide",
    "taux_validation_pct",
    "resultats_epreuve",
    "resultats_positifs",
    "taux_positif_pct",
)
