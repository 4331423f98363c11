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
from typing import Literal, TypeVar

from django.utils.translation import gettext as _

from c2i.deliberation.rules import CandidateFile, Decision, Outcome, Policy
from c2i.lib.errors import DomainError
from c2i.lib.tabular import Row, read_rows

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
    rows = _table(data, filename)
    (header_line, header), lines = rows[0], rows[1:]
    columns = _columns(header_line, header, policy)
    return _grid_rows(lines, header, columns)


Kind = Literal["candidate", "competency", "test", "carried", "ignore"]


@dataclass(frozen=True)
class Column:
    """What a column of the grid holds: `code` is the competency's or the
    domain's code of a competency, test or carried-over column."""

    kind: Kind
    code: str = ""


IGNORED = Column("ignore")


def _table(data: bytes, filename: str) -> list[Row]:
    try:
        rows = list(read_rows(data, filename))
    except DomainError as error:
        raise GridError([error.message]) from error
    if not rows:
        raise GridError([_("The grid is empty.")])
    return rows


# --- the header: one Column per column name ---------------------------------------------------


def _columns(header_line: int, header: list[str], policy: Policy) -> list[Column]:
    """The header's columns, or every header problem at once."""
    codes = _Codes.of(policy)
    columns: list[Column] = []
    errors: list[str] = []
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        column, problem = _column(name, seen, codes)
        columns.append(column)
        if problem:
            errors.append(where(header_line, number, name) + " : " + problem)
    if Column("candidate") not in columns:
        errors.append(_("Line %(line)s: the « candidate » column is missing.") % {"line": header_line})
    if errors:
        raise GridError(errors)
    return columns


@dataclass(frozen=True)
class _Codes:
    framework: str
    competencies: frozenset[str]
    domains: frozenset[str]

    @classmethod
    def of(cls, policy: Policy) -> _Codes:
        return cls(
            policy.framework,
            frozenset(c for d in policy.domains for c in d.competencies),
            frozenset(d.code for d in policy.domains),
        )


def _column(name: str, seen: set[str], codes: _Codes) -> tuple[Column, str]:
    """The column a header cell names and what is wrong with it ("" if
    nothing); `seen` holds the names met so far, in lower case."""
    lowered = name.lower()
    if lowered in seen and name:
        return IGNORED, _("duplicate column.")
    seen.add(lowered)
    if lowered == CANDIDATE:
        return Column("candidate"), ""
    if lowered == NAME or not name:
        return IGNORED, ""
    if name in codes.competencies:
        return Column("competency", name), ""
    if lowered.startswith((TEST_PREFIX, CARRIED_PREFIX)):
        code = name.split(":", 1)[1].strip()
        column = Column("test" if lowered.startswith(TEST_PREFIX) else "carried", code)
        if code not in codes.domains:
            return column, _("unknown domain code in %(framework)s.") % {"framework": codes.framework}
        return column, ""
    return IGNORED, _("unknown competency code in %(framework)s.") % {"framework": codes.framework}


# --- the lines: one GridRow per line, each cell checked --------------------------------------


def _grid_rows(lines: list[Row], header: list[str], columns: list[Column]) -> list[GridRow]:
    """The grid's lines, or every cell problem at once, line by line."""
    result: list[GridRow] = []
    errors: list[str] = []
    first_line: dict[str, int] = {}  # candidate key -> the line it is on
    for line, cells in lines:
        row = GridRow(line, "")
        for number, column in enumerate(columns, start=1):
            value = cells[number - 1] if number - 1 < len(cells) else ""
            problem = _read_cell(row, column, number, value, first_line)
            if problem:
                errors.append(where(line, number, header[number - 1]) + " : " + problem)
        result.append(row)
    if errors:
        raise GridError(errors)
    return result


def _read_cell(row: GridRow, column: Column, number: int, value: str, first_line: dict[str, int]) -> str:
    """Records the cell at column `number` in `row`; what is wrong with it ("" if nothing)."""
    if column.kind == "candidate":
        return _candidate(row, value, first_line)
    if column.kind == "competency":
        return _decision(row, column.code, number, value)
    if column.kind == "test":
        return _test_percent(row, column.code, value)
    if column.kind == "carried":
        return _carried(row, column.code, value)
    return ""


def _candidate(row: GridRow, value: str, first_line: dict[str, int]) -> str:
    row.candidate = value
    key = value.replace(" ", "").lower()
    if not value:
        return _("the candidate's identifier is missing.")
    if key in first_line:
        return _("candidate already on line %(line)s.") % {"line": first_line[key]}
    first_line[key] = row.line
    return ""


def _decision(row: GridRow, code: str, number: int, value: str) -> str:
    decision = value.upper()
    if decision not in ("V", "NV", ""):
        return _("« %(value)s » is not V, NV or empty.") % {"value": value}
    row.cells[code] = (decision, number)
    return ""


def _test_percent(row: GridRow, code: str, value: str) -> str:
    if not value:
        return ""
    try:
        percent = float(value.replace(",", ".").replace("%", "").strip())
    except ValueError:
        percent = -1.0
    if not 0 <= percent <= 100:
        return _("« %(value)s » is not a percentage from 0 to 100.") % {"value": value}
    row.tests[code] = percent
    return ""


def _carried(row: GridRow, code: str, value: str) -> str:
    if value == "1":
        row.carried.add(code)
    elif value not in ("", "0"):
        return _("« %(value)s » is neither 1 nor empty.") % {"value": value}
    return ""


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
