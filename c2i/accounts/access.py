"""Who may see and change what: the roles of a user and the role gates every
view and API endpoint asks.

Role gates raise `PermissionDenied` (403) when the user lacks the role
altogether. Each app's `access.py` holds the helpers of its own objects
(`enrolment/access.py`: the institutions a correspondent manages, sessions,
enrolments, the candidate's record; `portfolio`, `deliberation`,
`assessment`, `credentials`): they raise `Http404` when the object exists but lies outside
the user's reach (so nothing leaks about other institutions). Roles given by
other apps' records (a candidate's record, a jury seat) come from the sources
those apps register in `roles.py`: accounts imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from c2i.accounts import roles as roles_registry
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
    memberships = list(Membership.objects.filter(user=user).values_list("role", "institution_id"))
    elsewhere = roles_registry.from_other_apps(user)  # a candidate's record, jury seats (accounts/roles.py)
    result = Roles(
        is_admin=user.is_superuser or any(r == Role.NATIONAL_ADMIN for r, _ in memberships),
        is_reviewer=any(r == Role.REVIEWER for r, _ in memberships),
        correspondent_of=frozenset(i for r, i in memberships if r == Role.CORRESPONDENT),
        assessor_of=frozenset(i for r, i in memberships if r == Role.ASSESSOR),
        **elsewhere,
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
