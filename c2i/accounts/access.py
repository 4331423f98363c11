"""Who may see and change what: the one place every view and API endpoint asks.

Object helpers raise `Http404` when the object exists but lies outside the
user's reach (so nothing leaks about other institutions); role gates raise
`PermissionDenied` (403) when the user lacks the role altogether.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from c2i.accounts.models import Membership, Role, User


@dataclass(frozen=True)
class Roles:
    is_admin: bool = False
    is_reviewer: bool = False
    correspondent_of: frozenset[int] = field(default_factory=frozenset)
    assessor_of: frozenset[int] = field(default_factory=frozenset)
    jury_of: frozenset[int] = field(default_factory=frozenset)
    chair_of: frozenset[int] = field(default_factory=frozenset)
    candidate_id: int | None = None

    @property
    def is_correspondent(self) -> bool:
        return bool(self.correspondent_of)

    @property
    def is_assessor(self) -> bool:
        return bool(self.assessor_of)

    @property
    def is_jury(self) -> bool:
        return bool(self.jury_of)

    @property
    def is_candidate(self) -> bool:
        return self.candidate_id is not None

    @property
    def staff_institutions(self) -> frozenset[int]:
        return self.correspondent_of | self.assessor_of


ANONYMOUS = Roles()


def roles(user: Any) -> Roles:
    """The roles of a user, computed once per request (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_c2i_roles", None)
    if cached is not None:
        return cached
    from c2i.deliberation.models import JuryMember
    from c2i.enrolment.models import Candidate

    memberships = list(Membership.objects.filter(user=user).values_list("role", "institution_id"))
    seats = list(JuryMember.objects.filter(user=user).values_list("institution_session_id", "is_chair"))
    if seats:  # no one sits on the jury of a session they are a candidate of (enrolment/conflicts.py)
        from c2i.enrolment.conflicts import sessions_held

        held = sessions_held(user, [s for s, _ in seats])
        seats = [(s, chair) for s, chair in seats if s not in held]
    candidate_id = Candidate.objects.filter(user=user).values_list("id", flat=True).first()
    result = Roles(
        is_admin=user.is_superuser or any(r == Role.NATIONAL_ADMIN for r, _ in memberships),
        is_reviewer=any(r == Role.REVIEWER for r, _ in memberships),
        correspondent_of=frozenset(i for r, i in memberships if r == Role.CORRESPONDENT),
        assessor_of=frozenset(i for r, i in memberships if r == Role.ASSESSOR),
        jury_of=frozenset(s for s, _ in seats),
        chair_of=frozenset(s for s, chair in seats if chair),
        candidate_id=candidate_id,
    )
    user._c2i_roles = result
    return result


def forget_roles(user: Any) -> None:
    if hasattr(user, "_c2i_roles"):
        del user._c2i_roles


class AuthenticatedRequest(HttpRequest):
    """The request type of views behind `login_required` or `role_required`."""

    user: User


V = TypeVar("V", bound=Callable[..., HttpResponse])


def role_required(*checks: str) -> Callable[[V], V]:
    """Gate a view on one of the named `Roles` properties (e.g. "is_correspondent")."""

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            user_roles = roles(request.user)
            if not any(getattr(user_roles, check) for check in checks):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


# --- institutions -----------------------------------------------------------


def correspondent_institutions(user: User) -> QuerySet:
    from c2i.institutions.models import Institution

    r = roles(user)
    if r.is_admin:
        return Institution.objects.all()
    return Institution.objects.filter(pk__in=r.correspondent_of)


def get_institution_for_correspondent(user: User, pk: int) -> Any:
    institution = correspondent_institutions(user).filter(pk=pk).first()
    if institution is None:
        raise Http404
    return institution


# --- institution sessions ---------------------------------------------------


def institution_sessions_for_staff(user: User) -> QuerySet:
    """Institution sessions a correspondent, assessor, jury member or admin works on."""
    from c2i.enrolment.models import InstitutionSession

    r = roles(user)
    qs = InstitutionSession.objects.select_related("session__framework", "institution")
    if r.is_admin:
        return qs
    return qs.filter(Q(institution_id__in=r.staff_institutions) | Q(pk__in=r.jury_of))


def get_institution_session_for_staff(user: User, pk: int, *, manage: bool = False) -> Any:
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


def can_manage_institution_session(user: User, institution_session: Any) -> bool:
    r = roles(user)
    return r.is_admin or institution_session.institution_id in r.correspondent_of


# --- enrolments -------------------------------------------------------------


def enrolments_for_staff(user: User) -> QuerySet:
    from c2i.enrolment.models import Enrolment

    r = roles(user)
    qs = Enrolment.objects.select_related("candidate", "institution_session__institution", "session__framework")
    if r.is_admin:
        return qs
    return qs.filter(
        Q(institution_session__institution_id__in=r.staff_institutions) | Q(institution_session_id__in=r.jury_of)
    )


def get_candidate_enrolment(user: User, pk: int) -> Any:
    """An enrolment of the signed-in candidate (their own only)."""
    from c2i.enrolment.models import Enrolment

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


def get_candidate(user: User) -> Any:
    from c2i.enrolment.models import Candidate

    r = roles(user)
    if r.candidate_id is None:
        raise PermissionDenied
    return Candidate.objects.get(pk=r.candidate_id)
