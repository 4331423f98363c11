"""The deliberation grid as a CSV file: candidates × competencies.

Columns (header on line 1; CSV or XLSX, read by `c2i.lib.tabular.read_rows`):

- `candidate`: the candidate's identifier — the INE when the candidate has
  one, else the e-mail address, else the enrolment number (what the export
  writes; on import any of the three is recognised, INE and e-mail ignoring
  case and spaces);
- `nom` (optional, ignored on import): the candidate's name, for people;
- one column per competency code: `V`, `NV` or nothing (undecided);
- `QCM:<domain>` (optional): the domain's test percentage, decimal point or
  comma;
- `acquis:<domain>` (optional): `1` for a domain carried over (R14).

Into a session only the competency cells are recorded; the test results and
the carried-over domains are the platform's own (assessment results, R14
ledger), so those columns are read and checked but not stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.utils.translation import gettext as _

from c2i.deliberation.rules import CandidateFile, Decision, Outcome, Policy
from c2i.lib.errors import DomainError
from c2i.lib.tabular import read_rows

CANDIDATE = "candidate"
NAME = "nom"
TEST_PREFIX = "qcm:"
CARRIED_PREFIX = "acquis:"

K = TypeVar("K")


class GridError(DomainError):
    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("grid", "\n".join(errors))
        self.errors = list(errors)


@dataclass
class GridRow:
    line: int
    candidate: str
    cells: dict[str, tuple[str, int]] = field(default_factory=dict)  # code -> (V/NV/"", column number)
    tests: dict[str, float] = field(default_factory=dict)
    carried: set[str] = field(default_factory=set)

    def file(self) -> CandidateFile:
        return CandidateFile(
            decisions={code: Decision(v) for code, (v, _c) in self.cells.items() if v},
            test_percent=dict(self.tests),
            carried_over=frozenset(self.carried),
        )


def where(line: int, column: int, header: str) -> str:
    return _("Line %(line)s, column %(column)s (%(header)s)") % {"line": line, "column": column, "header": header}


def read_grid(data: bytes, filename: str, policy: Policy) -> list[GridRow]:
    """Parse and check a grid for `policy`; every problem is reported with its
    line and column, and any problem refuses the whole file."""
    try:
        rows = list(read_rows(data, filename))
    except DomainError as error:
        raise GridError([error.message]) from error
    if not rows:
        raise GridError([_("The grid is empty.")])
    header_line, header = rows[0]
    competencies = {c for d in policy.domains for c in d.competencies}
    domains = {d.code for d in policy.domains}
    errors: list[str] = []
    kinds: list[tuple[str, str]] = []  # per column: (kind, code)
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        lowered = name.lower()
        if lowered in seen and name:
            errors.append(where(header_line, number, name) + " : " + _("duplicate column."))
            kinds.append(("ignore", ""))
            continue
        seen.add(lowered)
        if lowered == CANDIDATE:
            kinds.append(("candidate", ""))
        elif lowered == NAME or not name:
            kinds.append(("ignore", ""))
        elif name in competencies:
            kinds.append(("competency", name))
        elif lowered.startswith((TEST_PREFIX, CARRIED_PREFIX)):
            kind = "test" if lowered.startswith(TEST_PREFIX) else "carried"
            code = name.split(":", 1)[1].strip()
            if code not in domains:
                errors.append(
                    where(header_line, number, name)
                    + " : "
                    + _("unknown domain code in %(framework)s.") % {"framework": policy.framework}
                )
            kinds.append((kind, code))
        else:
            errors.append(
                where(header_line, number, name)
                + " : "
                + _("unknown competency code in %(framework)s.") % {"framework": policy.framework}
            )
            kinds.append(("ignore", ""))
    if ("candidate", "") not in kinds:
        errors.append(_("Line %(line)s: the « candidate » column is missing.") % {"line": header_line})
    if errors:
        raise GridError(errors)
    result: list[GridRow] = []
    by_candidate: dict[str, int] = {}
    for line, cells in rows[1:]:
        row = GridRow(line, "")
        for number, (kind, code) in enumerate(kinds, start=1):
            value = cells[number - 1] if number - 1 < len(cells) else ""
            here = where(line, number, header[number - 1])
            if kind == "candidate":
                row.candidate = value
                key = value.replace(" ", "").lower()
                if not value:
                    errors.append(here + " : " + _("the candidate's identifier is missing."))
                elif key in by_candidate:
                    errors.append(here + " : " + _("candidate already on line %(line)s.") % {"line": by_candidate[key]})
                else:
                    by_candidate[key] = line
            elif kind == "competency":
                decision = value.upper()
                if decision not in ("V", "NV", ""):
                    errors.append(here + " : " + _("« %(value)s » is not V, NV or empty.") % {"value": value})
                else:
                    row.cells[code] = (decision, number)
            elif kind == "test" and value:
                try:
                    percent = float(value.replace(",", ".").replace("%", "").strip())
                except ValueError:
                    percent = -1.0
                if not 0 <= percent <= 100:
                    errors.append(
                        here + " : " + _("« %(value)s » is not a percentage from 0 to 100.") % {"value": value}
                    )
                else:
                    row.tests[code] = percent
            elif kind == "carried":
                if value == "1":
                    row.carried.add(code)
                elif value not in ("", "0"):
                    errors.append(here + " : " + _("« %(value)s » is neither 1 nor empty.") % {"value": value})
        result.append(row)
    if errors:
        raise GridError(errors)
    return result


def identifier(ine: str, email: str, enrolment_id: int) -> str:
    """The grid's candidate identifier: INE, else e-mail, else enrolment number."""
    return ine or email or str(enrolment_id)


def match_candidates(rows: Iterable[GridRow], candidates: Iterable[tuple[int, str, str]]) -> dict[int, int]:
    """{grid line: enrolment id} for (enrolment id, INE, e-mail) triples; an
    unknown or ambiguous identifier is refused with its line."""
    index: dict[str, set[int]] = {}
    for pk, ine, email in candidates:
        index.setdefault(str(pk), set()).add(pk)
        if ine:
            index.setdefault(ine.replace(" ", "").lower(), set()).add(pk)
        if email:
            index.setdefault(email.strip().lower(), set()).add(pk)
    errors = []
    result = {}
    for row in rows:
        found = index.get(row.candidate.replace(" ", "").lower(), set())
        if len(found) != 1:
            message = _("unknown candidate in this session.") if not found else _("ambiguous identifier.")
            errors.append(where(row.line, 1, CANDIDATE) + f" : « {row.candidate} » — " + message)
        else:
            result[row.line] = next(iter(found))
    if errors:
        raise GridError(errors)
    return result


def outcome_json(candidate: str, outcome: Outcome) -> dict[str, object]:
    """One line of `manage.py deliberate --json`."""
    return {
        "candidate": candidate,
        "certified": outcome.certified,
        "validated_domains": list(outcome.validated_domains),
        "reasons": reason_texts(outcome),
    }


def reason_texts(outcome: Outcome) -> list[str]:
    return [r.text for d in outcome.domains for r in d.reasons] + [r.text for r in outcome.reasons]


def header_for(policy: Policy, *, tests: bool, carried: bool) -> list[str]:
    header = [CANDIDATE, NAME, *(c for d in policy.domains for c in d.competencies)]
    if tests:
        header += [f"QCM:{d.code}" for d in policy.domains if d.test_required]
    if carried:
        header += [f"acquis:{d.code}" for d in policy.domains]
    return header


def percent_text(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def export_row(
    policy: Policy,
    ident: str,
    name: str,
    decisions: Mapping[str, str],
    tests: Mapping[str, float] | None,
    carried: Iterable[str] | None,
) -> list[str]:
    row = [ident, name, *(decisions.get(c, "") for d in policy.domains for c in d.competencies)]
    if tests is not None:
        row += [percent_text(tests.get(d.code)) for d in policy.domains if d.test_required]
    if carried is not None:
        kept = set(carried)
        row += ["1" if d.code in kept else "" for d in policy.domains]
    return row


def split_refusal(lines: Iterable[str], labels: Mapping[K, str]) -> tuple[dict[K, tuple[str, str]], list[str]]:
    """A refusal of the grid page, line by line: the cells a line names (it
    starts with the label the page gave the cell, then « : ») with the line
    and its reason (the line without the label), and the lines that name no
    cell. The page marks the first, lists both."""
    by_cell: dict[K, tuple[str, str]] = {}
    others: list[str] = []
    for line in lines:
        for key, label in labels.items():
            rest = line[len(label) :].lstrip() if line.startswith(label) else ""
            if rest.startswith(":"):
                by_cell[key] = (line, rest[1:].strip())
                break
        else:
            others.append(line)
    return by_cell, others
