"""Who reaches which institution, institution session, enrolment and
candidate record: the helpers of enrolment's objects, on the roles of
`accounts.access`. An object outside the user's reach answers 404 (nothing
leaks about other institutions); a role missing altogether answers 403.

Enrolment also gives a role: the signed-in person's candidate record
(`candidate_role`, registered with `accounts/roles.py` by `EnrolmentConfig.ready`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from c2i.accounts.access import roles
from c2i.accounts.models import User
from c2i.enrolment.models import Candidate, Enrolment, InstitutionSession
from c2i.institutions.models import Institution


def candidate_role(user: Any) -> dict[str, Any]:
    """The `Roles` field enrolment knows: the signed-in person's candidate record."""
    return {"candidate_id": Candidate.objects.filter(user=user).values_list("id", flat=True).first()}


# --- institutions -----------------------------------------------------------


def correspondent_institutions(user: User) -> QuerySet[Institution]:
    r = roles(user)
    if r.is_admin:
        return Institution.objects.all()
    return Institution.objects.filter(pk__in=r.correspondent_of)


def get_institution_for_correspondent(user: User, pk: int) -> Institution:
    institution = correspondent_institutions(user).filter(pk=pk).first()
    if institution is None:
        raise Http404
    return institution


# --- institution sessions ---------------------------------------------------


def institution_sessions_for_staff(user: User) -> QuerySet[InstitutionSession]:
    """Institution sessions a correspondent, assessor, jury member or admin works on."""
    r = roles(user)
    qs = InstitutionSession.objects.select_related("session__framework", "institution")
    if r.is_admin:
        return qs
    return qs.filter(Q(institution_id__in=r.staff_institutions) | Q(pk__in=r.jury_of))


def get_institution_session_for_staff(user: User, pk: int, *, manage: bool = False) -> InstitutionSession:
    """Read access for staff of the institution and the session's jury; `manage`
    (change settings, import, export) only for its correspondents and the admin."""
    r = roles(user)
    qs = institution_sessions_for_staff(user)
    if manage and not r.is_admin:
        qs = qs.filter(institution_id__in=r.correspondent_of)
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def can_manage_institution_session(user: User, institution_session: InstitutionSession) -> bool:
    r = roles(user)
    return r.is_admin or institution_session.institution_id in r.correspondent_of


# --- enrolments -------------------------------------------------------------


def enrolments_for_staff(user: User) -> QuerySet[Enrolment]:
    r = roles(user)
    qs = Enrolment.objects.select_related("candidate", "institution_session__institution", "session__framework")
    if r.is_admin:
        return qs
    return qs.filter(
        Q(institution_session__institution_id__in=r.staff_institutions) | Q(institution_session_id__in=r.jury_of)
    )


def get_enrolment_to_manage(user: User, pk: int) -> Enrolment:
    """An enrolment of an institution the user is a correspondent of (or any,
    for the national administrator): its exam adjustments are theirs to set."""
    r = roles(user)
    qs = Enrolment.objects.select_related(
        "candidate", "institution_session__institution", "institution_session__session__framework"
    )
    if not r.is_admin:
        qs = qs.filter(institution_session__institution_id__in=r.correspondent_of)
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def get_candidate_enrolment(user: User, pk: int) -> Enrolment:
    """An enrolment of the signed-in candidate (their own only)."""
    r = roles(user)
    if r.candidate_id is None:
        raise Http404
    obj = (
        Enrolment.objects.select_related("institution_session__institution", "session__framework", "candidate")
        .filter(pk=pk, candidate_id=r.candidate_id)
        .first()
    )
    if obj is None:
        raise Http404
    return obj


def get_candidate(user: User) -> Candidate:
    r = roles(user)
    if r.candidate_id is None:
        raise PermissionDenied
    return Candidate.objects.get(pk=r.candidate_id)
