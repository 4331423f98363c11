"""The end of a deliberation: the chair's deferrals, closing (what is not
over yet, the R14 ledger written, running sittings ended), publication (the
documents issued, R15) and, after closing, rectification."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.credentials import services as credentials
from c2i.deliberation.models import CandidateOutcome, Deliberation, DeliberationStatus, DomainCredit
from c2i.deliberation.services.decisions import record_row
from c2i.deliberation.services.errors import DeliberationError
from c2i.deliberation.services.guards import (
    check_chair,
    check_not_candidate,
    check_not_own,
    check_open,
    enrolment_in,
    get_deliberation,
)
from c2i.deliberation.services.outcome_store import BATCH
from c2i.deliberation.services.outcomes import Computed, compute_outcomes
from c2i.deliberation.signals import outcomes_published
from c2i.enrolment.models import Enrolment, InstitutionSession
from c2i.lib import text as lib_text


@transaction.atomic
def set_deferred(enrolment: Enrolment, deferred: bool, actor: User) -> None:
    """The chair marks an undecided candidate as deferred (ajourné), which lets
    the deliberation close without their decisions."""
    institution_session = enrolment.institution_session
    check_open(get_deliberation(institution_session, lock=True))
    check_chair(institution_session, actor)
    check_not_candidate(institution_session, actor)
    enrolment_in(institution_session, enrolment)
    compute_outcomes(institution_session, [enrolment.pk])
    CandidateOutcome.objects.filter(enrolment=enrolment).update(deferred=deferred)
    audit(actor, AuditAction.DELIBERATION_DEFER, enrolment, deferred=deferred)


def _sync_credits(institution_session: InstitutionSession, computed: Mapping[int, Computed], reason: str = "") -> None:
    """R14: the ledger holds, for each enrolment, the domains it validated
    itself (carried-over ones stay credited to their own session)."""
    framework_id = institution_session.session.framework_id
    existing: dict[tuple[int, str], DomainCredit] = {
        (c.enrolment_id, c.domain_code): c
        for c in DomainCredit.objects.filter(enrolment_id__in=list(computed), revoked_at__isnull=True)
    }
    keys = dict(Enrolment.objects.filter(pk__in=list(computed)).values_list("pk", "identity_key"))
    now = timezone.now()
    new = []
    for enrolment_id, result in computed.items():
        earned = {d.code for d in result.outcome.domains if d.validated and not d.carried_over}
        for code in sorted(earned):
            if (enrolment_id, code) not in existing:
                new.append(
                    DomainCredit(
                        identity_key=keys[enrolment_id],
                        framework_id=framework_id,
                        domain_code=code,
                        institution_session=institution_session,
                        enrolment_id=enrolment_id,
                    )
                )
        for (owner, code), credit in existing.items():
            if owner == enrolment_id and code not in earned:
                credit.revoked_at = now
                credit.revoked_reason = reason
                credit.save(update_fields=["revoked_at", "revoked_reason"])
    DomainCredit.objects.bulk_create(new, batch_size=BATCH)


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _running_sittings(institution_session: InstitutionSession, now: Any) -> QuerySet[Any]:
    from c2i.assessment.models import Attempt

    return Attempt.objects.filter(
        exam__institution_session=institution_session, submitted_at__isnull=True, deadline__gt=now
    )


def close_blockers(institution_session: InstitutionSession, now: Any = None) -> list[str]:
    """What is not over yet in the session, in French sentences: the
    portfolio deadline, the knowledge test's window and its sittings, the
    jury's date. Closing before them needs the chair's reason (docs/lifecycle.md)."""
    from c2i.assessment.models import Exam

    now = now or timezone.now()
    blockers = []
    if institution_session.portfolio_deadline > now:
        blockers.append(
            _("The portfolio deadline (%(when)s) has not passed.")
            % {"when": _when(institution_session.portfolio_deadline)}
        )
    closes = [
        c for c in Exam.objects.filter(institution_session=institution_session).values_list("closes_at", flat=True)
    ]
    if not closes and institution_session.test_closes is not None:
        closes = [institution_session.test_closes]
    for moment in closes:
        if moment > now:
            blockers.append(_("The knowledge test window closes on %(when)s.") % {"when": _when(moment)})
    running = _running_sittings(institution_session, now).count()
    if running:
        blockers.append(_("%(n)s knowledge-test sitting(s) are still running.") % {"n": running})
    if institution_session.jury_date > timezone.localtime(now).date():
        blockers.append(
            _("The date of the jury (%(date)s) has not come yet.")
            % {"date": institution_session.jury_date.strftime("%d/%m/%Y")}
        )
    return blockers


def _end_running_sittings(institution_session: InstitutionSession, actor: User, now: Any) -> int:
    """A sitting still running when the jury closes ends then, scored as it stands."""
    from c2i.assessment.services.sitting import finish_attempt

    ended = 0
    for attempt in _running_sittings(institution_session, now):
        finish_attempt(attempt, actor, now=now)
        ended += 1
    return ended


@transaction.atomic
def close_deliberation(institution_session: InstitutionSession, actor: User, reason: str = "") -> Deliberation:
    """The chair closes: every candidate decided or deferred; the outcomes are
    final, the validated domains enter the R14 ledger, the session's
    enrolments and submitted portfolios are frozen. Before the portfolio
    deadline, the end of the test or the jury's date (`close_blockers`) only
    with the chair's reason, kept on the deliberation, in the minutes and the
    audit trail."""
    deliberation = get_deliberation(institution_session, lock=True)
    check_open(deliberation)
    check_chair(institution_session, actor)
    check_not_candidate(institution_session, actor)
    now = timezone.now()
    try:
        reason = lib_text.clean_free_text(reason or "", _("Reason")).strip()
    except ValidationError as error:
        raise DeliberationError("too_long", error.messages[0]) from error
    blockers = close_blockers(institution_session, now)
    computed = compute_outcomes(institution_session)
    deferred = set(
        CandidateOutcome.objects.filter(institution_session=institution_session, deferred=True).values_list(
            "enrolment_id", flat=True
        )
    )
    blocking = [pk for pk, c in computed.items() if c.outcome.certified is None and pk not in deferred]
    if blocking:
        names = [
            e.candidate.full_name
            for e in Enrolment.objects.filter(pk__in=blocking[:10]).select_related("candidate").order_by("pk")
        ]
        raise DeliberationError(
            "undecided",
            _(
                "%(n)s candidate(s) still have competencies without a decision (%(names)s): decide them "
                "or mark them as deferred before closing."
            )
            % {"n": len(blocking), "names": ", ".join(names) + ("…" if len(blocking) > 10 else "")},
        )
    if blockers and not reason:
        raise DeliberationError(
            "too_early",
            _(
                "The deliberation cannot close yet: %(blockers)s To close it now, give the reason; it is "
                "written into the minutes."
            )
            % {"blockers": " ".join(blockers)},
        )
    ended = _end_running_sittings(institution_session, actor, now)
    if ended:  # their scores may change the outcomes
        computed = compute_outcomes(institution_session)
    _sync_credits(institution_session, computed)
    deliberation.status = DeliberationStatus.CLOSED
    deliberation.closed_at = now
    deliberation.closed_by = actor
    deliberation.close_reason = reason if blockers else ""
    deliberation.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
    audit(
        actor,
        AuditAction.DELIBERATION_CLOSE,
        deliberation,
        candidates=len(computed),
        deferred=len(deferred),
        early=blockers,
        reason=deliberation.close_reason,
        sittings_ended=ended,
    )
    return deliberation


@transaction.atomic
def publish_deliberation(institution_session: InstitutionSession, actor: User) -> Deliberation:
    """The chair publishes a closed deliberation: the documents are issued (R15)."""
    deliberation = get_deliberation(institution_session, lock=True)
    check_chair(institution_session, actor)
    check_not_candidate(institution_session, actor)
    if deliberation.status != DeliberationStatus.CLOSED:
        raise DeliberationError("not_closed", _("Only a closed, unpublished deliberation can be published."))
    deliberation.status = DeliberationStatus.PUBLISHED
    deliberation.published_at = timezone.now()
    deliberation.published_by = actor
    deliberation.save(update_fields=["status", "published_at", "published_by"])
    audit(actor, AuditAction.DELIBERATION_PUBLISH, deliberation)
    # not robust: a failure to hand the documents over propagates (the batch page records production failures)
    transaction.on_commit(lambda: credentials.enqueue_session_documents(institution_session, actor))
    # the e-mails, by the worker (notifications' receiver)
    transaction.on_commit(lambda: outcomes_published.send(None, institution_session_id=institution_session.pk))
    return deliberation


@transaction.atomic
def rectify(
    enrolment: Enrolment,
    competency_code: str,
    value: str,
    reason: str,
    actor: User,
    evidence_ids: Iterable[int] = (),
) -> Computed:
    """After closing: the chair's correction of one decision, with a reason.
    A new decision row (the old one stays), the outcome and the ledger
    recomputed, the candidate's document re-issued if documents were issued."""
    institution_session = enrolment.institution_session
    deliberation = get_deliberation(institution_session, lock=True)
    if deliberation.is_open:
        raise DeliberationError("open", _("The deliberation is open: change the decision directly."))
    check_chair(institution_session, actor)
    enrolment_in(institution_session, enrolment)
    check_not_own(enrolment, actor)
    check_not_candidate(institution_session, actor)
    reason = reason.strip()
    if not reason:
        raise DeliberationError("reason", _("A rectification needs its reason."))
    if not value:
        raise DeliberationError("bad_value", _("A rectification validates or does not validate the competency."))
    row = record_row(enrolment, competency_code, value, actor, evidence_ids, "", reason)
    if row is None:
        raise DeliberationError("unchanged", _("This is already the decision recorded."))
    computed = compute_outcomes(institution_session, [enrolment.pk])
    _sync_credits(institution_session, computed, reason)
    result = computed[enrolment.pk]
    audit(
        actor,
        AuditAction.DELIBERATION_RECTIFY,
        row,
        enrolment=enrolment.pk,
        competency=competency_code,
        value=value,
        reason=reason,
        supersedes=row.supersedes_id,
        outcome=result.outcome.status,
    )
    if deliberation.status == DeliberationStatus.PUBLISHED:
        transaction.on_commit(lambda: credentials.reissue_document(enrolment, actor, reason))
    return result


@transaction.atomic
def rectify_test_results(
    institution_session: InstitutionSession, enrolment_ids: Iterable[int], reason: str, actor: User | None
) -> dict[int, Computed]:
    """After closing: knowledge-test results corrected (a question
    neutralised): the affected enrolments' outcomes and R14 ledger computed
    again on the new percentages, each audited with its old and new outcome,
    their documents re-issued if the deliberation was published (a new
    document only where the outcome changed: `reissue_document`)."""
    deliberation = get_deliberation(institution_session, lock=True)
    if deliberation.is_open:
        raise DeliberationError("open", _("The deliberation is open: the jury sees the new results directly."))
    reason = reason.strip()
    if not reason:
        raise DeliberationError("reason", _("A rectification needs its reason."))
    ids = sorted(set(enrolment_ids))
    before = {
        o.enrolment_id: (o.status, list(o.validated_domains))
        for o in CandidateOutcome.objects.filter(institution_session=institution_session, enrolment_id__in=ids)
    }
    computed = compute_outcomes(institution_session, ids)
    _sync_credits(institution_session, computed, reason)
    enrolments = Enrolment.objects.in_bulk(list(computed))
    for enrolment_id, result in computed.items():
        old_status, old_validated = before.get(enrolment_id, ("", []))
        audit(
            actor,
            AuditAction.DELIBERATION_TEST_RECTIFY,
            enrolments[enrolment_id],
            reason=reason,
            tests=dict(result.test_percent),
            old_outcome=old_status,
            old_validated=old_validated,
            outcome=result.outcome.status,
            validated=list(result.outcome.validated_domains),
        )
    if deliberation.status == DeliberationStatus.PUBLISHED:
        for enrolment in enrolments.values():
            transaction.on_commit(lambda e=enrolment: credentials.reissue_document(e, actor, reason))  # type: ignore[misc]
    return computed


def on_test_results_changed(
    sender: Any,
    *,
    institution_session_id: int,
    enrolment_ids: Iterable[int],
    reason: str,
    actor: User | None,
    **kwargs: Any,
) -> None:
    """The knowledge test corrected published results (`assessment.signals.
    test_results_changed`, inside its transaction): while the jury
    deliberates, the stored outcomes follow the new percentages; once it has
    closed, through the audited rectification."""
    institution_session = InstitutionSession.objects.select_related("session__framework").get(pk=institution_session_id)
    if get_deliberation(institution_session).is_open:
        compute_outcomes(institution_session, list(enrolment_ids))
    else:
        rectify_test_results(institution_session, enrolment_ids, reason, actor)
