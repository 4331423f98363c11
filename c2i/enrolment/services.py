"""Session and enrolment workflows (R3–R6). Each runs in a transaction and
raises `EnrolmentError` with a code and a French message."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import User, audit
from c2i.enrolment.models import (
    Candidate,
    Enrolment,
    EnrolmentStatus,
    InstitutionSession,
    Session,
    new_invitation_token,
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
    audit(actor, "session.create", session)
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
    audit(actor, "institution_session.create", obj)
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
            "R5: you are already enrolled in the session %(session)s at %(institution)s. A candidate cannot "
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


def _check_capacity(institution_session: InstitutionSession) -> None:
    # The row lock serialises enrolments into one institution session.
    locked = InstitutionSession.objects.select_for_update().get(pk=institution_session.pk)
    if locked.capacity is not None and locked.active_count() >= locked.capacity:
        raise EnrolmentError(
            "session_full",
            _("The session of %(institution)s is full (%(capacity)s places).")
            % {"institution": institution_session.institution.name, "capacity": locked.capacity},
        )


def _activate(enrolment: Enrolment, actor: User | None, action: str) -> Enrolment:
    """Save an active enrolment; the database constraint is the last word on R5."""
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError as error:
        raise _refuse_r5(enrolment.candidate, enrolment.institution_session.session) from error
    audit(actor, action, enrolment, institution_session=enrolment.institution_session_id)
    return enrolment


def enrol(candidate: Candidate, institution_session: InstitutionSession, actor: User | None) -> Enrolment:
    """The candidate's own act of enrolment (R6)."""
    with transaction.atomic():
        _check_open(institution_session, timezone.localdate())
        if Enrolment.objects.filter(
            identity_key=candidate.identity_key,
            session_id=institution_session.session_id,
            status=EnrolmentStatus.ACTIVE,
        ).exists():
            raise _refuse_r5(candidate, institution_session.session)
        _check_capacity(institution_session)
        pending = Enrolment.objects.filter(
            candidate=candidate, institution_session=institution_session, status=EnrolmentStatus.INVITED
        ).first()
        enrolment = pending or Enrolment(candidate=candidate, institution_session=institution_session)
        enrolment.status = EnrolmentStatus.ACTIVE
        enrolment.confirmed_at = timezone.now()
        enrolment.withdrawn_at = None
        return _activate(enrolment, actor, "enrolment.enrol")


def confirm_invitation(enrolment: Enrolment, actor: User | None) -> Enrolment:
    """R6: an import by the institution is only an invitation; the candidate confirms it."""
    if enrolment.status != EnrolmentStatus.INVITED:
        raise EnrolmentError("not_invited", _("This invitation has already been answered."))
    return enrol(enrolment.candidate, enrolment.institution_session, actor)


@transaction.atomic
def decline_invitation(enrolment: Enrolment, actor: User | None) -> Enrolment:
    if enrolment.status != EnrolmentStatus.INVITED:
        raise EnrolmentError("not_invited", _("This invitation has already been answered."))
    enrolment.status = EnrolmentStatus.DECLINED
    enrolment.save(update_fields=["status"])
    audit(actor, "enrolment.decline", enrolment)
    return enrolment


@transaction.atomic
def withdraw(enrolment: Enrolment, actor: User | None) -> Enrolment:
    """Withdrawal before the portfolio deadline frees the slot (R5)."""
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise EnrolmentError("not_active", _("This enrolment is not active."))
    if enrolment.institution_session.deadline_passed():
        raise EnrolmentError(
            "deadline_passed",
            _("The portfolio deadline (%(deadline)s) has passed: withdrawal is no longer possible.")
            % {
                "deadline": timezone.localtime(enrolment.institution_session.portfolio_deadline).strftime(
                    "%d/%m/%Y %H:%M"
                )
            },
        )
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.withdrawn_at = timezone.now()
    enrolment.save(update_fields=["status", "withdrawn_at"])
    audit(actor, "enrolment.withdraw", enrolment)
    return enrolment


@transaction.atomic
def invite(candidate: Candidate, institution_session: InstitutionSession, actor: User | None) -> Enrolment:
    """Create (or keep) an invitation from the institution's import (R6)."""
    existing = Enrolment.objects.filter(
        candidate=candidate,
        institution_session=institution_session,
        status__in=[EnrolmentStatus.INVITED, EnrolmentStatus.ACTIVE],
    ).first()
    if existing:
        return existing
    enrolment = Enrolment.objects.create(
        candidate=candidate,
        institution_session=institution_session,
        status=EnrolmentStatus.INVITED,
        invitation_token=new_invitation_token(),
    )
    audit(actor, "enrolment.invite", enrolment)
    return enrolment
