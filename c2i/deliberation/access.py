"""Who reaches the jury pages: the members of a session's jury (the chair for
closing, deferring and rectifying), the national administrator read-only;
the correspondents for the jury's composition. 404 for a session out of
reach, 403 for a missing role (see `accounts/access.py`). A seat in the jury
of a session its holder is a candidate of gives nothing (`roles` leaves it
out; `enrolment/conflicts.py`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from c2i.accounts.access import roles
from c2i.accounts.models import User
from c2i.deliberation.models import JuryMember
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession


def sessions_for_jury(user: User) -> Any:
    r = roles(user)
    qs = InstitutionSession.objects.select_related("session__framework", "institution")
    return qs if r.is_admin else qs.filter(pk__in=r.jury_of)


def void_seats(user: User) -> Any:
    """The user's seats that give nothing: juries of sessions they are a candidate of."""
    return (
        JuryMember.objects.filter(user=user)
        .exclude(institution_session_id__in=roles(user).jury_of)
        .select_related("institution_session__session", "institution_session__institution")
    )


def get_session_for_jury(user: User, pk: int) -> InstitutionSession:
    obj = sessions_for_jury(user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def is_juror(user: User, institution_session: InstitutionSession) -> bool:
    return institution_session.pk in roles(user).jury_of


def is_chair(user: User, institution_session: InstitutionSession) -> bool:
    return institution_session.pk in roles(user).chair_of


def require_juror(user: User, institution_session: InstitutionSession) -> None:
    if not is_juror(user, institution_session):
        raise PermissionDenied


def require_chair(user: User, institution_session: InstitutionSession) -> None:
    if not is_chair(user, institution_session):
        raise PermissionDenied


def get_candidate(institution_session: InstitutionSession, pk: int) -> Enrolment:
    obj = (
        institution_session.enrolments.select_related("candidate", "institution_session__session__framework")
        .filter(pk=pk, status=EnrolmentStatus.ACTIVE)
        .first()
    )
    if obj is None:
        raise Http404
    return obj


def get_own_enrolment(user: User, pk: int) -> Enrolment:
    """The result page: the candidate's own enrolment (any status), 404 for
    anyone else's, whoever asks (a juror or a correspondent reads results on
    the jury and session pages, not here)."""
    from c2i.enrolment.access import get_candidate_enrolment

    enrolment: Enrolment = get_candidate_enrolment(user, pk)
    return enrolment
