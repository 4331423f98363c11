"""Decisions on competencies while the deliberation is open: one at a time
from the candidate's page, or many cells at once from the grid page or a
CSV/XLSX grid (all or nothing), and the grid's export. Decisions are
append-only: a change is a new row superseding the current one; R10 checks
the cited evidence; a decision taken on a stale view is refused."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.deliberation import grid, sources
from c2i.deliberation.models import CompetencyDecision, DecisionValue
from c2i.deliberation.rules import check_evidence
from c2i.deliberation.services.errors import DeliberationError
from c2i.deliberation.services.guards import (
    check_not_candidate,
    check_not_own,
    check_open,
    enrolment_in,
    get_deliberation,
)
from c2i.deliberation.services.outcome_store import BATCH
from c2i.deliberation.services.outcomes import (
    Computed,
    active_enrolments,
    carried_over_many,
    compute_outcomes,
    current_decision_rows,
    decision_stream,
)
from c2i.deliberation.services.policy import competency_codes, policy_for
from c2i.enrolment.models import Enrolment, InstitutionSession
from c2i.lib import text as lib_text


def _new_row(
    enrolment: Enrolment,
    code: str,
    value: str,
    actor: User,
    current: CompetencyDecision | None,
    evidence: Sequence[int] = (),
    comment: str = "",
    reason: str = "",
) -> CompetencyDecision:
    return CompetencyDecision(
        enrolment=enrolment,
        institution_session_id=enrolment.institution_session_id,
        competency_code=code,
        value=value,
        evidence=list(evidence),
        comment=comment,
        decided_by=actor,
        supersedes=current,
        rectification_reason=reason,
    )


def _check_value(value: str) -> str:
    if value not in DecisionValue.values:
        raise DeliberationError("bad_value", _("A decision is V (validated), NV (not validated) or empty."))
    return value


def _cited(enrolment: Enrolment, code: str, value: str, evidence_ids: Iterable[int]) -> list[int]:
    """R10: the evidence items cited for a validation; refused with the rule's
    message when none of them is other than a knowledge-test result."""
    if value != DecisionValue.VALIDATED:
        return []
    items = {e[0]: e for e in sources.submitted_evidence(enrolment).get(code, [])}
    chosen = [int(i) for i in evidence_ids]
    strangers = [i for i in chosen if i not in items]
    if strangers:
        raise DeliberationError(
            "evidence_unknown",
            _("The cited items are not in the candidate's submitted portfolio for %(code)s.") % {"code": code},
        )
    refusal = check_evidence(code, [items[i][1] for i in chosen])
    if refusal is not None:
        raise DeliberationError("R10", refusal.text)
    return chosen


def stale_text(code: str, current: CompetencyDecision | None) -> str:
    """Why a decision taken on a stale view is refused: who decided what in
    the meantime."""
    if current is None:
        return _("The decision on %(code)s changed in the meantime: reload the page, then decide again.") % {
            "code": code
        }
    return _(
        "%(who)s recorded a decision on %(code)s in the meantime (%(value)s, at %(time)s): yours was not "
        "recorded. Read the current decision, then decide again."
    ) % {
        "who": current.decided_by.get_full_name() or current.decided_by.email,
        "code": code,
        "value": current.get_value_display(),
        "time": timezone.localtime(current.decided_at).strftime("%H:%M:%S"),
    }


def _is_stale(seen: int | None, current: CompetencyDecision | None) -> bool:
    """`seen`: the id of the current decision the juror had before them (0:
    none), None when the caller has no view to compare (a file, a command)."""
    return seen is not None and (current.pk if current is not None else 0) != seen


def _comment_text(comment: str) -> str:
    """A juror's comment as stored: the free-text rule of `c2i.lib.text`
    (invisible controls removed, length limited). The candidate page sends it
    without a form, so the service applies the rule."""
    try:
        return lib_text.clean_free_text(comment, _("Comment"))
    except ValidationError as error:
        raise DeliberationError("too_long", error.messages[0]) from error


def record_row(
    enrolment: Enrolment,
    code: str,
    value: str,
    actor: User,
    evidence_ids: Iterable[int],
    comment: str,
    reason: str = "",
    seen: int | None = None,
) -> CompetencyDecision | None:
    """Write one decision row superseding the current one, checked (known
    competency and value, R10 evidence, stale view); None when it would change
    nothing. A juror's decision and the chair's rectification both go here."""
    if code not in competency_codes(enrolment.institution_session):
        raise DeliberationError("unknown_competency", _("Unknown competency: %(code)s.") % {"code": code})
    _check_value(value)
    comment = _comment_text(comment)
    cited = _cited(enrolment, code, value, evidence_ids)
    current = current_decision_rows([enrolment.pk]).get((enrolment.pk, code))
    if current is not None and (current.value, current.evidence, current.comment) == (value, cited, comment):
        return None
    if _is_stale(seen, current):
        raise DeliberationError("stale", stale_text(code, current))
    if current is None and not value:
        return None
    row = _new_row(enrolment, code, value, actor, current, cited, comment.strip(), reason)
    row.save()
    return row


@transaction.atomic
def record_decision(
    enrolment: Enrolment,
    competency_code: str,
    value: str,
    actor: User,
    evidence_ids: Iterable[int] = (),
    comment: str = "",
    seen: int | None = None,
) -> Computed:
    """A juror's decision on one competency while the deliberation is open.
    `seen` is the id of the current decision the juror decided from (0: none):
    if another has been recorded since, the decision is refused, naming it
    (the deliberation row is locked, so two jurors are compared in turn)."""
    institution_session = enrolment.institution_session
    check_open(get_deliberation(institution_session, lock=True))
    enrolment_in(institution_session, enrolment)
    check_not_own(enrolment, actor)
    check_not_candidate(institution_session, actor)
    row = record_row(enrolment, competency_code, value, actor, evidence_ids, comment, seen=seen)
    if row is not None:
        audit(
            actor, AuditAction.DELIBERATION_DECIDE, row, enrolment=enrolment.pk, competency=competency_code, value=value
        )
    return compute_outcomes(institution_session, [enrolment.pk])[enrolment.pk]


@dataclass(frozen=True)
class Cell:
    """One cell of a grid: the candidate's enrolment, a competency, a value
    (V, NV or empty), how to name it in an error and, from the grid page, the
    id of the decision the juror saw in it (0: none; None: not known)."""

    enrolment_id: int
    competency_code: str
    value: str
    label: str
    seen: int | None = None


@transaction.atomic
def record_cells(institution_session: InstitutionSession, cells: Sequence[Cell], actor: User, source: str) -> int:
    """Record the cells that differ from the current decisions (grid page or
    grid import), all or nothing. A V cell cites every item of the submitted
    portfolio for that competency that is not a test result; with none, R10
    refuses it, naming the cell; so is a cell whose decision changed since the
    juror saw it (`Cell.seen`). Returns the number of rows written."""
    check_open(get_deliberation(institution_session, lock=True))
    check_not_candidate(institution_session, actor)
    known = set(competency_codes(institution_session))
    enrolment_ids = {c.enrolment_id for c in cells}
    enrolments = {e.pk: e for e in active_enrolments(institution_session).filter(pk__in=enrolment_ids)}
    current = current_decision_rows(enrolment_ids)
    evidence = sources.submitted_evidence_many(enrolment_ids)
    errors: list[str] = []
    stale = False
    rows = []
    for cell in cells:
        enrolment = enrolments.get(cell.enrolment_id)
        if enrolment is None:
            errors.append(_("%(cell)s: not a candidate of this session.") % {"cell": cell.label})
            continue
        if cell.competency_code not in known or cell.value not in DecisionValue.values:
            errors.append(_("%(cell)s: unknown competency or value.") % {"cell": cell.label})
            continue
        previous = current.get((cell.enrolment_id, cell.competency_code))
        if (previous.value if previous else "") == cell.value:
            continue
        if _is_stale(cell.seen, previous):
            errors.append(f"{cell.label} : {stale_text(cell.competency_code, previous)}")
            stale = True
            continue
        cited: list[int] = []
        if cell.value == DecisionValue.VALIDATED:
            items = evidence.get(cell.enrolment_id, {}).get(cell.competency_code, [])
            refusal = check_evidence(cell.competency_code, [kind for _i, kind, _t in items])
            if refusal is not None:
                errors.append(f"{cell.label} : {refusal.text}")
                continue
            cited = [i for i, kind, _t in items if kind != "b"]
        rows.append(_new_row(enrolment, cell.competency_code, cell.value, actor, previous, cited))
    if errors:
        raise DeliberationError("stale" if stale else "grid", "\n".join(errors))
    CompetencyDecision.objects.bulk_create(rows, batch_size=BATCH)
    if rows:
        audit(
            actor,
            AuditAction.DELIBERATION_GRID,
            get_deliberation(institution_session),
            source=source,
            decisions=len(rows),
            enrolments=len({r.enrolment_id for r in rows}),
        )
        compute_outcomes(institution_session, {r.enrolment_id for r in rows})
    return len(rows)


def import_grid(institution_session: InstitutionSession, data: bytes, filename: str, actor: User) -> int:
    """Record a CSV grid into the session (see `grid.py`): the whole file or nothing."""
    policy = policy_for(institution_session.session.framework)
    rows = grid.read_grid(data, filename, policy)
    candidates = active_enrolments(institution_session).values_list("pk", "candidate__ine", "candidate__email")
    matched = grid.match_candidates(rows, candidates)
    cells = [
        Cell(matched[row.line], code, value, grid.where(row.line, column, code))
        for row in rows
        for code, (value, column) in row.cells.items()
    ]
    return record_cells(institution_session, cells, actor, "csv")


def export_grid(institution_session: InstitutionSession) -> tuple[list[str], list[list[str]]]:
    """The session's grid: current decisions, test results (where required),
    carried-over domains; the same columns the import reads."""
    policy = policy_for(institution_session.session.framework)
    enrolments = list(
        active_enrolments(institution_session)
        .select_related("candidate")
        .order_by("candidate__last_name", "candidate__first_names", "pk")
    )
    decisions: dict[int, dict[str, str]] = {e.pk: {} for e in enrolments}
    for enrolment_id, code, value in decision_stream(institution_session.pk):
        if enrolment_id in decisions:
            decisions[enrolment_id][code] = value
    tests = sources.test_percentages_many(decisions)
    carried = carried_over_many(institution_session.session.framework_id, [(e.pk, e.identity_key) for e in enrolments])
    needs_tests = any(d.test_required for d in policy.domains)
    header = grid.header_for(policy, tests=needs_tests, carried=True)
    rows = [
        grid.export_row(
            policy,
            grid.identifier(e.candidate.ine, e.candidate.email, e.pk),
            e.candidate.full_name,
            decisions[e.pk],
            tests.get(e.pk, {}) if needs_tests else None,
            carried.get(e.pk, {}),
        )
        for e in enrolments
    ]
    return header, rows
