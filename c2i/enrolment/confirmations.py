"""What the candidate is asked to confirm on their enrolments: withdrawing
from a session, declining an invitation."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from c2i.enrolment import services
from c2i.enrolment.models import Enrolment, Invitation, InvitationStatus
from c2i.lib.confirm import Confirmation


def withdraw(enrolment: Enrolment) -> Confirmation:
    institution_session = enrolment.institution_session
    names = {"session": enrolment.session.name, "institution": institution_session.institution.name}
    refusal = services.withdrawal_refusal(enrolment)
    consequences = [
        _("You are no longer a candidate of %(session)s at %(institution)s: your place is freed.") % names,
        _("The jury of this session will not deliberate on you: no result and no document for this session."),
    ]
    consequences.extend(services.withdrawal_consequences(enrolment))  # the submitted portfolio's
    consequences.append(
        _("Your portfolio stays yours; to come back, you enrol again while the session accepts enrolments.")
    )
    return Confirmation(
        blocked=refusal.message if refusal is not None else "",
        title=_("Withdraw from %(session)s?") % names,
        lead=institution_session.institution.name,
        consequences=consequences,
        confirm_label=_("Confirm my withdrawal"),
        cancel_url=reverse("enrolment:my_space"),
    )


def decline(invitation: Invitation) -> Confirmation:
    institution_session = invitation.institution_session
    names = {"session": institution_session.session.name, "institution": institution_session.institution.name}
    return Confirmation(
        blocked="" if invitation.state == InvitationStatus.PENDING else _("This invitation is answered already."),
        title=_("Decline the invitation to %(session)s?") % names,
        lead=institution_session.institution.name,
        consequences=[
            _("You are not enrolled in %(session)s at %(institution)s.") % names,
            _("This invitation can no longer be confirmed: to enrol later, ask the institution or enrol yourself."),
        ],
        confirm_label=_("Confirm: decline the invitation"),
        cancel_url=reverse("enrolment:my_space"),
    )
