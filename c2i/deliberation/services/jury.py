"""The session's jury: seating and removing its members (the chair among
them) while the deliberation is open, and who a command-line grid is recorded
as."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.accounts.services import send_password_link
from c2i.deliberation.models import JuryMember
from c2i.deliberation.services.errors import DeliberationError
from c2i.deliberation.services.guards import check_jury_open, get_deliberation
from c2i.enrolment import conflicts
from c2i.enrolment.models import InstitutionSession


def _user_for_email(email: str) -> tuple[User, bool]:
    """The account of this address, or a new one without password for an
    outside member (True: created)."""
    email = email.strip()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User(username=email.lower()[:150], email=email.lower())
    user.set_unusable_password()
    user.save()
    return user, True


@transaction.atomic
def add_jury_member(institution_session: InstitutionSession, email: str, is_chair: bool, actor: User) -> JuryMember:
    """Seat a person in the jury (the chair replaces the previous one). An
    outside member gets an account and, once this is committed, the e-mail
    that lets them choose its password."""
    check_jury_open(get_deliberation(institution_session, lock=True))
    existing = User.objects.filter(email__iexact=email.strip()).first()
    held = conflicts.holdings(institution_session.pk, existing, email)
    if held:
        raise DeliberationError(
            "juror_is_candidate",
            _(
                "%(name)s (%(email)s) is a candidate of this session (enrolment: %(status)s): a candidate "
                "cannot sit on the jury that judges them. Choose another person, or withdraw the enrolment first."
            )
            % {"name": held[0].name, "email": email.strip(), "status": held[0].state},
        )
    user, created = _user_for_email(email)
    if created:
        with translation.override("fr"):
            invitation = _(
                "%(institution)s has made you a member of the jury of the session %(session)s on the C2i platform."
            ) % {"institution": institution_session.institution.name, "session": institution_session.session.name}
        transaction.on_commit(lambda: send_password_link(user, invitation))
    member = JuryMember.objects.filter(institution_session=institution_session, user=user).first()
    if member is not None and member.is_chair == is_chair:
        raise DeliberationError("already_member", _("%(email)s already sits in this jury.") % {"email": user.email})
    if is_chair:
        JuryMember.objects.filter(institution_session=institution_session, is_chair=True).update(is_chair=False)
    if member is None:
        member = JuryMember.objects.create(institution_session=institution_session, user=user, is_chair=is_chair)
    else:
        member.is_chair = is_chair
        member.save(update_fields=["is_chair"])
    audit(
        actor, AuditAction.JURY_MEMBER, member, user=user.pk, chair=is_chair, institution_session=institution_session.pk
    )
    return member


@transaction.atomic
def remove_jury_member(member: JuryMember, actor: User) -> None:
    check_jury_open(get_deliberation(member.institution_session, lock=True))
    audit(
        actor, AuditAction.JURY_REMOVE, member, user=member.user_id, institution_session=member.institution_session_id
    )
    member.delete()


def command_actor(institution_session: InstitutionSession) -> User:
    """Who a grid recorded from the command line is recorded as: the chair."""
    chair = JuryMember.objects.filter(institution_session=institution_session, is_chair=True).first()
    if chair is None:
        raise DeliberationError("no_chair", _("The jury of this session has no chair: set it first."))
    return chair.user
