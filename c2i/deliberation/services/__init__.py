"""Jury and deliberation workflows (RULES.md R10–R15). Each runs in a
transaction and raises `DeliberationError` with a code and a message; the
outcomes come from the pure engine `rules.py`.

Decisions are append-only (`CompetencyDecision`): a change is a new row
superseding the current one. While the deliberation is open any juror
decides; once the chair has closed it only a rectification (chair, reason,
audited) adds a row, and it re-issues the candidate's document.

The modules, in the order a session goes through them:

- `policy`: a framework's policy for the engine;
- `guards`: the checks before a workflow acts (open, chair, not a candidate);
- `jury`: seating and removing the jury's members;
- `outcomes`: reading the current state (decisions, carry-overs, computed
  outcomes), stored in bulk by `outcome_store`;
- `decisions`: a juror's decision, the grid's cells, its import and export;
- `closing`: deferral, closing, publication, rectification.

This package re-exports their public functions for callers that want one
name (`from c2i.deliberation import services`).
"""

from c2i.deliberation.services.closing import (
    close_blockers,
    close_deliberation,
    publish_deliberation,
    rectify,
    set_deferred,
)
from c2i.deliberation.services.decisions import (
    Cell,
    export_grid,
    import_grid,
    record_cells,
    record_decision,
    stale_text,
)
from c2i.deliberation.services.errors import DeliberationError
from c2i.deliberation.services.guards import get_deliberation
from c2i.deliberation.services.jury import add_jury_member, command_actor, remove_jury_member
from c2i.deliberation.services.outcomes import (
    LIST_FILTERS,
    Computed,
    active_enrolments,
    candidate_list,
    carried_over_for,
    carried_over_many,
    compute_outcomes,
    current_decision_rows,
    enrolments_in_order,
    list_counts,
)
from c2i.deliberation.services.policy import policy_for

__all__ = [
    "LIST_FILTERS",
    "Cell",
    "Computed",
    "DeliberationError",
    "active_enrolments",
    "add_jury_member",
    "candidate_list",
    "carried_over_for",
    "carried_over_many",
    "close_blockers",
    "close_deliberation",
    "command_actor",
    "compute_outcomes",
    "current_decision_rows",
    "enrolments_in_order",
    "export_grid",
    "get_deliberation",
    "import_grid",
    "list_counts",
    "policy_for",
    "publish_deliberation",
    "record_cells",
    "record_decision",
    "rectify",
    "remove_jury_member",
    "set_deferred",
    "stale_text",
]
