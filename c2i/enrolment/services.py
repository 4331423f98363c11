"""Session and enrolment workflows (R3–R6). Each runs in a transaction and
raises `EnrolmentError` with a code and a French message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.enrolment import freeze
from c2i.enrolment.models import (
    Candidate,
    Enrolment,
    EnrolmentStatus,
    InstitutionSession,
    Invitation,
    InvitationStatus,
    Session,
)
from c2i.frameworks.models import Framework, FrameworkStatus
from c2i.institutions.models import Institution
from c2i.lib.errors import DomainError


class EnrolmentError(DomainError):
    pass


# --- sessions ---------------------------------------------------------------


def check_framework_open(framework: Framework) -> None:
    """R3: no session opens on an incomplete framework."""
    if framework.status == FrameworkStatus.INCOMPLETE:
        raise EnrolmentError(
            "framework_incomplete",
            _(
                "R3: the framework %(code)s is incomplete (%(problems)s); the national administrator "
                "must complete it before a session can open."
            )
            % {"code": framework.code, "problems": "; ".join(framework.completeness_problems())},
        )
    if framework.status != FrameworkStatus.COMPLETE:
        raise EnrolmentError(
            "framework_not_certifying",
            _("The framework %(code)s is not open to certification.") % {"code": framework.code},
        )


def check_accreditation(institution: Institution, session: Session) -> None:
    """R4: only an institution accredited for the framework on the session's dates."""
    if institution.accreditation_for(session.framework_id, session.start, session.end) is None:
        raise EnrolmentError(
            "not_accredited",
            _(
                "R4: %(institution)s is not accredited for %(framework)s over the whole session "
                "period (%(start)s – %(end)s); it cannot open this session."
            )
            % {
                "institution": institution.name,
                "framework": session.framework.code,
                "start": session.start.strftime("%d/%m/%Y"),
                "end": session.end.strftime("%d/%m/%Y"),
            },
        )


@transaction.atomic
def create_session(actor: User | None, **fields: Any) -> Session:
    session = Session(created_by=actor, **fields)
    check_framework_open(session.framework)
    session.full_clean()
    session.save()
    audit(actor, AuditAction.SESSION_CREATE, session)
    return session


@transaction.atomic
def open_institution_session(
    actor: User | None, session: Session, institution: Institution, **fields: Any
) -> InstitutionSession:
    check_framework_open(session.framework)
    check_accreditation(institution, session)
    if InstitutionSession.objects.filter(session=session, institution=institution).exists():
        raise EnrolmentError(
            "already_open",
            _("%(institution)s has already opened its session for %(session)s.")
            % {"institution": institution.name, "session": session.name},
        )
    obj = InstitutionSession(session=session, institution=institution, created_by=actor, **fields)
    obj.full_clean()
    obj.save()
    audit(actor, AuditAction.INSTITUTION_SESSION_CREATE, obj)
    return obj


# --- enrolment --------------------------------------------------------------


def _refuse_r5(candidate: Candidate, session: Session) -> EnrolmentError:
    holder = (
        Enrolment.objects.filter(identity_key=candidate.identity_key, session=session, status=EnrolmentStatus.ACTIVE)
        .select_related("institution_session__institution")
        .first()
    )
    institution = holder.institution_session.institution.name if holder else _("another institution")
    return EnrolmentError(
        "r5_already_enrolled",
        _(
            "You are already enrolled in the session %(session)s at %(institution)s. A candidate cannot "
            "enrol for the same certification session at several institutions; withdraw there first."
        )
        % {"session": session.name, "institution": institution},
    )


def _check_open(institution_session: InstitutionSession, today: dt.date) -> None:
    session = institution_session.session
    if not session.enrolment_open_on(today):
        raise EnrolmentError(
            "enrolment_closed",
            _("Enrolment for %(session)s is open from %(opens)s to %(closes)s.")
            % {
                "session": session.name,
                "opens": session.enrolment_opens.strftime("%d/%m/%Y"),
                "closes": session.enrolment_closes.strftime("%d/%m/%Y"),
            },
        )


def _check_not_deliberated(institution_session: InstitutionSession) -> None:
    """No one joins a session whose jury has deliberated (docs/lifecycle.md)."""
    closed = freeze.closed_at(institution_session.pk, lock=True)
    if closed is not None:
        raise EnrolmentError(
            "deliberated",
            _("The jury of this session deliberated on %(date)s: no one can enrol in it any more.")
            % {"date": freeze.date_text(closed)},
        )


def _check_capacity(institution_session: InstitutionSession) -> None:
    # The row lock serialises enrolments into one institution session.
    locked = InstitutionSession.objects.select_for_update().get(pk=institution_session.pk)
    if locked.capacity is not None and locked.active_count() >= locked.capacity:
        raise EnrolmentError(
            "session_full",
            _("The session of %(institution)s is full (%(capacity)s places).")
            % {"institution": institution_session.institution.name, "capacity": locked.capacity},
        )


def _activate(enrolment: Enrolment, actor: User | None, action: AuditAction) -> Enrolment:
    """Save an active enrolment; the database constraint is the last word on R5."""
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError as error:
        raise _refuse_r5(enrolment.candidate, enrolment.institution_session.session) from error
    audit(actor, action, enrolment, institution_session=enrolment.institution_session_id)
    return enrolment


def enrol(
    candidate: Candidate,
    institution_session: InstitutionSession,
    actor: User | None,
    *,
    special_curriculum: bool = False,
) -> Enrolment:
    """The candidate's own act of enrolment (R6)."""
    with transaction.atomic():
        _check_open(institution_session, timezone.localdate())
        _check_not_deliberated(institution_session)
        if Enrolment.objects.filter(
            identity_key=candidate.identity_key,
            session_id=institution_session.session_id,
            status=EnrolmentStatus.ACTIVE,
        ).exists():
            raise _refuse_r5(candidate, institution_session.session)
        _check_capacity(institution_session)
        enrolment = Enrolment(
            candidate=candidate,
            institution_session=institution_session,
            status=EnrolmentStatus.ACTIVE,
            special_curriculum=special_curriculum,
            confirmed_at=timezone.now(),
        )
        return _activate(enrolment, actor, AuditAction.ENROLMENT_ENROL)


# --- invitations (an institution's import) ------------------------------------


def _addressee(invitation: Invitation, actor: User) -> Candidate:
    """The candidate record of the signed-in person an invitation is sent to.

    Nobody answers for someone else, and an account that is not a candidate's
    (national administrator, staff) never gets an identity from an invitation:
    it answers nothing."""
    candidate = Candidate.objects.filter(user=actor).first() if actor.is_authenticated else None
    if candidate is None:
        raise EnrolmentError(
            "not_a_candidate",
            _(
                "Only a candidate account can answer an invitation to enrol; create your candidate account "
                "with the address the invitation was sent to."
            ),
        )
    if invitation.email != (actor.email or "").strip().lower():
        raise EnrolmentError(
            "not_addressee", _("This invitation is addressed to another e-mail address than your account's.")
        )
    return candidate


def _lock_pending(invitation: Invitation, actor: User) -> tuple[Invitation, Candidate]:
    locked = Invitation.objects.select_for_update().select_related("institution_session__session").get(pk=invitation.pk)
    candidate = _addressee(locked, actor)
    if locked.state != InvitationStatus.PENDING:
        raise EnrolmentError("not_invited", _("This invitation has already been answered."))
    return locked, candidate


def confirm_invitation(invitation: Invitation, actor: User) -> Enrolment:
    """R6: an import by the institution is only an invitation; the person it is
    addressed to confirms it, and their own candidate record is enrolled (the
    values the institution typed are not copied onto it). R5 is checked then,
    and its refusal goes to that person only."""
    with transaction.atomic():
        locked, candidate = _lock_pending(invitation, actor)
        institution_session = locked.institution_session
        _check_not_deliberated(institution_session)
        enrolment = Enrolment.objects.filter(
            candidate=candidate, institution_session=institution_session, status=EnrolmentStatus.ACTIVE
        ).first()
        if enrolment is None:
            enrolment = enrol(candidate, institution_session, actor, special_curriculum=locked.special_curriculum)
        elif locked.special_curriculum and not enrolment.special_curriculum:
            enrolment.special_curriculum = True
            enrolment.save(update_fields=["special_curriculum"])
        _give_adjustments(locked, enrolment, actor)
        locked.state = InvitationStatus.CONFIRMED
        locked.enrolment = enrolment
        locked.answered_at = timezone.now()
        locked.save(update_fields=["state", "enrolment", "answered_at"])
        audit(actor, AuditAction.INVITATION_CONFIRM, locked, enrolment=enrolment.pk)
    return enrolment


def _give_adjustments(invitation: Invitation, enrolment: Enrolment, actor: User) -> None:
    """The exam adjustments the institution typed in its import become the
    enrolment's (its own setting; an enrolment that has some keeps them)."""
    fields = ["extra_time_percent", "larger_text", "separate_room", "adjustments_note"]
    typed = {name: getattr(invitation, name) for name in fields}
    if not any(typed.values()) or any(getattr(enrolment, name) for name in fields):
        return
    for name, value in typed.items():
        setattr(enrolment, name, value)
    enrolment.save(update_fields=fields)
    after = {**typed, "note": typed.pop("adjustments_note")}
    audit(actor, AuditAction.ENROLMENT_ADJUSTMENTS, enrolment, after=after, invitation=invitation.pk)


def decline_invitation(invitation: Invitation, actor: User) -> Invitation:
    with transaction.atomic():
        locked, _candidate = _lock_pending(invitation, actor)
        locked.state = InvitationStatus.DECLINED
        locked.answered_at = timezone.now()
        locked.save(update_fields=["state", "answered_at"])
        audit(actor, AuditAction.INVITATION_DECLINE, locked)
    return locked


@dataclass(frozen=True)
class WithdrawalHook:
    """An app's part in a withdrawal, registered from its `AppConfig.ready()`
    (the portfolio: the submission made for the enrolment ends with it), so
    that enrolment imports none of the apps above it."""

    consequence: Callable[[Enrolment], str]  # what the confirmation page says of it; "" for nothing
    withdrawn: Callable[[Enrolment, User | None], None]  # in the withdrawal's transaction


_WITHDRAWAL_HOOKS: dict[str, WithdrawalHook] = {}


def register_withdrawal_hook(name: str, hook: WithdrawalHook) -> None:
    _WITHDRAWAL_HOOKS[name] = hook


def withdrawal_consequences(enrolment: Enrolment) -> list[str]:
    """What the other apps say a withdrawal of this enrolment does to them."""
    said = (hook.consequence(enrolment) for hook in _WITHDRAWAL_HOOKS.values())
    return [text for text in said if text]


def withdrawal_refusal(enrolment: Enrolment, *, lock: bool = False) -> EnrolmentError | None:
    """Why this enrolment cannot be withdrawn now, or None: the service
    raises it, the confirmation page says it before anyone confirms."""
    if enrolment.status != EnrolmentStatus.ACTIVE:
        return EnrolmentError("not_active", _("This enrolment is not active."))
    closed = freeze.closed_at(enrolment.institution_session_id, lock=lock)
    if closed is not None:
        return EnrolmentError(
            "deliberated",
            _(
                "The jury of this session deliberated on %(date)s: the enrolment can no longer be withdrawn. "
                "A correction goes only through the jury chair's rectification."
            )
            % {"date": freeze.date_text(closed)},
        )
    if enrolment.institution_session.deadline_passed():
        return EnrolmentError(
            "deadline_passed",
            _("The portfolio deadline (%(deadline)s) has passed: withdrawal is no longer possible.")
            % {
                "deadline": timezone.localtime(enrolment.institution_session.portfolio_deadline).strftime(
                    "%d/%m/%Y %H:%M"
                )
            },
        )
    return None


@transaction.atomic
def withdraw(enrolment: Enrolment, actor: User | None) -> Enrolment:
    """Withdrawal before the portfolio deadline frees the slot (R5), never
    once the jury has deliberated; the submission made for it ends with it
    (the portfolio's `WithdrawalHook`)."""
    Enrolment.objects.select_for_update().filter(pk=enrolment.pk).first()  # one withdrawal at a time
    enrolment.refresh_from_db(fields=["status", "withdrawn_at"])
    refusal = withdrawal_refusal(enrolment, lock=True)
    if refusal is not None:
        raise refusal
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.withdrawn_at = timezone.now()
    enrolment.save(update_fields=["status", "withdrawn_at"])
    for hook in _WITHDRAWAL_HOOKS.values():
        hook.withdrawn(enrolment, actor)
    audit(actor, AuditAction.ENROLMENT_WITHDRAW, enrolment)
    return enrolment
