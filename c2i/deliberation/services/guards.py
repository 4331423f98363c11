"""The checks a jury workflow makes before it acts: the session's deliberation
(locked while it changes) is open, the actor chairs the jury, is not a
candidate of the session, does not decide on their own enrolment, and the
enrolment is a candidate of the session."""

from __future__ import annotations

from django.utils.translation import gettext as _

from c2i.accounts.models import User
from c2i.deliberation.models import Deliberation, JuryMember
from c2i.deliberation.services.errors import DeliberationError
from c2i.enrolment import conflicts
from c2i.enrolment.models import Enrolment, InstitutionSession


def get_deliberation(institution_session: InstitutionSession, *, lock: bool = False) -> Deliberation:
    deliberation, _created = Deliberation.objects.get_or_create(institution_session=institution_session)
    if lock:
        deliberation = Deliberation.objects.select_for_update().get(pk=deliberation.pk)
    return deliberation


def check_open(deliberation: Deliberation) -> None:
    if not deliberation.is_open:
        raise DeliberationError(
            "closed",
            _("The deliberation is closed: decisions can no longer change; the chair may record a rectification."),
        )


def check_jury_open(deliberation: Deliberation) -> None:
    """The jury that closed is the one its minutes name: it no longer changes."""
    if not deliberation.is_open:
        raise DeliberationError(
            "closed",
            _(
                "The deliberation is closed: the jury that deliberated is named in its minutes, its members "
                "can no longer change."
            ),
        )


def check_not_candidate(institution_session: InstitutionSession, actor: User) -> None:
    """A juror who is a candidate of the session (enrolled after being seated)
    neither decides nor acts for the jury."""
    if conflicts.is_candidate_of(actor, institution_session.pk):
        raise DeliberationError(
            "juror_is_candidate",
            _(
                "You are a candidate of this session: you can neither decide on its candidates nor act for its "
                "jury. Ask its correspondent to give your seat to someone else."
            ),
        )


def check_not_own(enrolment: Enrolment, actor: User) -> None:
    if conflicts.is_own(actor, enrolment.candidate_id):
        raise DeliberationError("own_enrolment", _("No one decides on their own enrolment: this is yours."))


def check_chair(institution_session: InstitutionSession, actor: User) -> None:
    if not JuryMember.objects.filter(institution_session=institution_session, user=actor, is_chair=True).exists():
        raise DeliberationError("not_chair", _("Only the chair of the jury may do this."))


def enrolment_in(institution_session: InstitutionSession, enrolment: Enrolment) -> Enrolment:
    if enrolment.institution_session_id != institution_session.pk or not enrolment.is_active:
        raise DeliberationError("not_candidate", _("This enrolment is not a candidate of this session."))
    return enrolment
