"""What the chair and the correspondent are asked to confirm: closing,
publishing, removing a jury member — with the counts of what follows.
Read only: the stored outcomes, recomputed whenever a decision changes."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from c2i.credentials import services as credentials_services
from c2i.deliberation.models import CandidateOutcome, DeliberationStatus, JuryMember, OutcomeStatus
from c2i.deliberation.services.closing import close_blockers
from c2i.deliberation.services.guards import get_deliberation
from c2i.deliberation.services.outcomes import active_enrolments
from c2i.enrolment.models import InstitutionSession
from c2i.lib.confirm import Confirmation, Reason


@dataclass(frozen=True)
class ClosingCounts:
    candidates: int
    decided: int
    deferred: int
    undecided: int
    certified: int
    domains_only: int  # not certified, some domain validated
    nothing: int  # not certified, no domain validated


def closing_counts(institution_session: InstitutionSession) -> ClosingCounts:
    enrolments = list(active_enrolments(institution_session).values_list("pk", flat=True))
    outcomes = {
        o.enrolment_id: o
        for o in CandidateOutcome.objects.filter(enrolment_id__in=enrolments).only(
            "enrolment_id", "status", "validated_domains", "deferred"
        )
    }
    deferred = decided = certified = domains_only = nothing = 0
    for pk in enrolments:
        outcome = outcomes.get(pk)
        if outcome is not None and outcome.deferred:
            deferred += 1
        elif outcome is None or outcome.status == OutcomeStatus.INCOMPLETE:
            continue
        else:
            decided += 1
            if outcome.status == OutcomeStatus.CERTIFIED:
                certified += 1
            elif outcome.validated_domains:
                domains_only += 1
            else:
                nothing += 1
    return ClosingCounts(
        len(enrolments),
        decided,
        deferred,
        len(enrolments) - decided - deferred,
        certified,
        domains_only,
        nothing,
    )


def _decided_line(counts: ClosingCounts) -> str:
    decided = ngettext("%(n)s candidate decided", "%(n)s candidates decided", counts.decided) % {"n": counts.decided}
    deferred = ngettext("%(n)s deferred", "%(n)s deferred", counts.deferred) % {"n": counts.deferred}
    return _("%(decided)s, %(deferred)s.") % {"decided": decided, "deferred": deferred}


def _outcomes_line(counts: ClosingCounts) -> str:
    return _("Outcomes: %(certified)s, %(domains)s, %(nothing)s.") % {
        "certified": ngettext("%(n)s certified", "%(n)s certified", counts.certified) % {"n": counts.certified},
        "domains": ngettext(
            "%(n)s with validated domains only", "%(n)s with validated domains only", counts.domains_only
        )
        % {"n": counts.domains_only},
        "nothing": ngettext("%(n)s with no domain validated", "%(n)s with no domain validated", counts.nothing)
        % {"n": counts.nothing},
    }


def close(
    institution_session: InstitutionSession, reason: str = "", error: str = "", reason_error: str = ""
) -> Confirmation:
    counts = closing_counts(institution_session)
    blockers = list(close_blockers(institution_session))
    consequences = [_decided_line(counts), _outcomes_line(counts)]
    warnings = list(blockers)
    if counts.undecided:
        warnings.append(
            ngettext(
                "%(n)s candidate still has competencies without a decision: the closing is refused until "
                "they are decided or deferred.",
                "%(n)s candidates still have competencies without a decision: the closing is refused until "
                "they are decided or deferred.",
                counts.undecided,
            )
            % {"n": counts.undecided}
        )
    consequences += [
        _("The decisions become final: afterwards only the chair's rectification, with its reason, changes one."),
        _("The validated domains are kept for the candidates' next sessions (R14)."),
        _("The candidates' portfolios and enrolments in this session are frozen."),
        _("The minutes are drawn up with the closing date; the results are not shown to candidates until published."),
    ]
    return Confirmation(
        blocked="" if get_deliberation(institution_session).is_open else _("This deliberation is closed already."),
        title=_("Close the deliberation of %(session)s?") % {"session": institution_session},
        lead=ngettext(
            "%(n)s active candidate in this session.", "%(n)s active candidates in this session.", counts.candidates
        )
        % {"n": counts.candidates},
        consequences=consequences,
        warnings_title=_("Before closing"),
        warnings=warnings,
        error=error,
        reason=Reason(
            label=_("Reason for closing now"),
            hint=_("Required: it is written into the minutes."),
            value=reason,
            error=reason_error,
        )
        if blockers
        else None,
        confirm_label=_("Confirm the closing"),
        cancel_url=reverse("deliberation:session", args=[institution_session.pk]),
    )


def issuance_lines(counts: dict[str, int]) -> list[str]:
    """« 25 certificats et 13 attestations seront délivrés », « 2 candidats
    recevront leur résultat sans document », « 2 ajournés »."""
    certificates, attestations = counts.get("certificates", 0), counts.get("attestations", 0)
    lines = []
    if certificates and attestations:
        lines.append(
            _("%(certificates)s and %(attestations)s will be issued.")
            % {
                "certificates": ngettext("%(n)s certificate", "%(n)s certificates", certificates) % {"n": certificates},
                "attestations": ngettext("%(n)s attestation", "%(n)s attestations", attestations) % {"n": attestations},
            }
        )
    elif certificates:
        lines.append(
            ngettext("%(n)s certificate will be issued.", "%(n)s certificates will be issued.", certificates)
            % {"n": certificates}
        )
    elif attestations:
        lines.append(
            ngettext("%(n)s attestation will be issued.", "%(n)s attestations will be issued.", attestations)
            % {"n": attestations}
        )
    else:
        lines.append(_("No document will be issued."))
    without = counts.get("without_document", 0)
    if without:
        lines.append(
            ngettext(
                "%(n)s candidate will receive their result without a document (no domain validated).",
                "%(n)s candidates will receive their result without a document (no domain validated).",
                without,
            )
            % {"n": without}
        )
    deferred = counts.get("deferred", 0)
    if deferred:
        lines.append(
            ngettext(
                "%(n)s candidate deferred: no result and no document in this session.",
                "%(n)s candidates deferred: no result and no document in this session.",
                deferred,
            )
            % {"n": deferred}
        )
    return lines


def publish(institution_session: InstitutionSession) -> Confirmation:
    counts = credentials_services.issuance_counts(institution_session)
    status = get_deliberation(institution_session).status
    blocked = ""
    if status == DeliberationStatus.OPEN:
        blocked = _("Close the deliberation first: only a closed deliberation is published.")
    elif status == DeliberationStatus.PUBLISHED:
        blocked = _("The results of this deliberation are published already.")
    return Confirmation(
        blocked=blocked,
        title=_("Publish the results of %(session)s?") % {"session": institution_session},
        lead=_decided_line(closing_counts(institution_session)),
        consequences=[
            *issuance_lines(counts),
            _("Every candidate sees the jury's result in their space."),
            _("Each document is signed and verifiable by anyone holding its code."),
        ],
        confirm_label=_("Confirm the publication"),
        cancel_url=reverse("deliberation:session", args=[institution_session.pk]),
    )


def remove_member(member: JuryMember) -> Confirmation:
    name = member.user.get_full_name() or member.user.email
    consequences = [
        _("%(name)s no longer sits in the jury of %(session)s and loses access to its pages.")
        % {"name": name, "session": member.institution_session},
        _("The decisions they have already recorded stay, with their name."),
    ]
    if member.is_chair:
        consequences.append(_("The jury then has no chair: name one before the deliberation is closed."))
    return Confirmation(
        blocked=""
        if get_deliberation(member.institution_session).is_open
        else _("The deliberation is closed: its jury no longer changes."),
        title=_("Remove %(name)s from the jury?") % {"name": name},
        consequences=consequences,
        confirm_label=_("Confirm the removal"),
        cancel_url=reverse("deliberation:jury_setup", args=[member.institution_session_id]),
        irreversible=False,
        danger=True,
    )
