"""Statistical secrecy of the public figures: no one can be singled out. Pure:
no Django import.

A table is a set of cells (counts of candidates) and of additive relations
between them (a total = the sum of its parts: enrolled = students +
continuing; all frameworks = the sum of the frameworks...). Some cells are
never published but follow from published ones (the candidates who did not
validate a domain = final outcomes − those who did): they are `hidden`, and
protected like the others.

- Primary suppression: a cell under `THRESHOLD` candidates (0 included) is
  not published; it is shown « < 5 ».
- Secondary suppression: no suppressed cell (primary, or hidden and under the
  threshold) may be recovered from the published cells through the
  relations, by difference from a total or by any combination of totals.
  Recoverable means determined by the linear system of the relations with
  the published values substituted: the cell's unit vector lies in the row
  space of the unknowns' coefficients (checked exactly, by elimination modulo
  a large prime: the coefficients are small integers). While a protected
  cell is recoverable, the smallest published part of a relation holding it
  is suppressed too (shown « s »), and the check runs again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

THRESHOLD = 5
PRIME = (1 << 61) - 1

SHOWN = "shown"
PRIMARY = "primary"  # under the threshold: « < 5 »
SECONDARY = "secondary"  # hidden so that a small one cannot be recovered: « s »
HIDDEN = "hidden"  # never published


@dataclass(frozen=True)
class Relation:
    total: Hashable
    parts: tuple[Hashable, ...]

    def cells(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


@dataclass
class Table:
    values: dict[Hashable, int]
    relations: list[Relation] = field(default_factory=list)
    hidden: set[Hashable] = field(default_factory=set)

    def add_relation(self, total: Hashable, parts: Iterable[Hashable]) -> None:
        self.relations.append(Relation(total, tuple(parts)))


def _rref_pivot_rows(rows: list[dict[int, int]], width: int) -> dict[int, dict[int, int]]:
    """Reduced row echelon form modulo PRIME of sparse rows (column -> coefficient);
    returns pivot column -> its reduced row."""
    pivots: dict[int, dict[int, int]] = {}
    for raw in rows:
        row = {c: v % PRIME for c, v in raw.items() if v % PRIME}
        # reduce by the known pivots
        for col in list(row):
            if col in pivots and col in row:
                factor = row[col]
                for c, v in pivots[col].items():
                    row[c] = (row.get(c, 0) - factor * v) % PRIME
                    if not row[c]:
                        del row[c]
        if not row:
            continue
        col = min(row)
        inverse = pow(row[col], PRIME - 2, PRIME)
        row = {c: v * inverse % PRIME for c, v in row.items()}
        # eliminate the new pivot from the other pivot rows
        for other in pivots.values():
            if col in other:
                factor = other[col]
                for c, v in row.items():
                    other[c] = (other.get(c, 0) - factor * v) % PRIME
                    if not other[c]:
                        del other[c]
        pivots[col] = row
    return pivots


def recoverable(table: Table, unknown: set[Hashable]) -> set[Hashable]:
    """The unknown cells that the relations determine from the known ones."""
    index = {cell: n for n, cell in enumerate(sorted(unknown, key=repr))}
    rows = []
    for relation in table.relations:
        row: dict[int, int] = {}
        if relation.total in index:
            row[index[relation.total]] = row.get(index[relation.total], 0) + 1
        for part in relation.parts:
            if part in index:
                row[index[part]] = row.get(index[part], 0) - 1
        if row:
            rows.append(row)
    pivots = _rref_pivot_rows(rows, len(index))
    found = {col for col, row in pivots.items() if len(row) == 1}
    return {cell for cell, n in index.items() if n in found}


def protect(table: Table, threshold: int = THRESHOLD) -> dict[Hashable, str]:
    """Each cell's fate: SHOWN, PRIMARY, SECONDARY or HIDDEN."""
    status: dict[Hashable, str] = {}
    for cell, value in table.values.items():
        if cell in table.hidden:
            status[cell] = HIDDEN
        elif value < threshold:
            status[cell] = PRIMARY
        else:
            status[cell] = SHOWN
    sensitive = {c for c, v in table.values.items() if v < threshold}
    by_cell: dict[Hashable, list[Relation]] = {}
    for relation in table.relations:
        for cell in relation.cells():
            by_cell.setdefault(cell, []).append(relation)
    while True:
        unknown = {c for c, s in status.items() if s != SHOWN}
        leaks = sorted(recoverable(table, unknown) & sensitive, key=repr)
        if not leaks:
            return status
        chosen = _fixing_cell(table, status, unknown, leaks[0]) or _next_secondary(table, status, by_cell, leaks[0])
        if chosen is None:  # nothing left to hide: every related cell is hidden already
            return status
        status[chosen] = SECONDARY


def _fixing_cell(
    table: Table, status: Mapping[Hashable, str], unknown: set[Hashable], leak: Hashable, tries: int = 40
) -> Hashable | None:
    """The smallest published cell which, hidden, makes `leak` unrecoverable
    (parts before totals), among the relations that hold an unknown cell."""
    totals = {r.total for r in table.relations}
    candidates = {
        c for r in table.relations if any(x in unknown for x in r.cells()) for c in r.cells() if status[c] == SHOWN
    }
    for cell in sorted(candidates, key=lambda c: (c in totals, table.values[c], repr(c)))[:tries]:
        if leak not in recoverable(table, unknown | {cell}):
            return cell
    return None


def _next_secondary(
    table: Table,
    status: Mapping[Hashable, str],
    by_cell: Mapping[Hashable, Sequence[Relation]],
    leak: Hashable,
) -> Hashable | None:
    """The published cell to hide so that `leak` gets another unknown beside
    it: in the relation of `leak` with the fewest unknowns, its smallest
    published part (the total only when no part is published)."""

    def unknowns(relation: Relation) -> int:
        return sum(status[c] != SHOWN for c in relation.cells())

    seen: set[Hashable] = {leak}
    frontier = [leak]
    while frontier:
        relations = sorted((r for c in frontier for r in by_cell.get(c, ())), key=unknowns)
        for relation in relations:
            parts = [p for p in relation.parts if status[p] == SHOWN and p != leak]
            if parts:
                return min(parts, key=lambda p: (table.values[p], repr(p)))
            if status[relation.total] == SHOWN:
                return relation.total
        # every cell of these relations is unknown: look one step further
        frontier = [c for r in relations for c in r.cells() if c not in seen]
        seen.update(frontier)
    return None


def known(table: Table, status: Mapping[Hashable, str]) -> set[Hashable]:
    """The cells a reader knows: those shown and those the relations give."""
    unknown = {c for c, s in status.items() if s != SHOWN}
    return {c for c, s in status.items() if s == SHOWN} | recoverable(table, unknown)
