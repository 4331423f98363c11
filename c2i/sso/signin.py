"""What every protocol does once linking.sign_in has named the person: the
session is opened (after their second factor when they have one), marked with
how it was opened (for single logout), and the person goes to their space."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse

from c2i.accounts import two_factor
from c2i.accounts.access import roles
from c2i.accounts.models import User
from c2i.lib.errors import DomainError
from c2i.lib.pages import page
from c2i.sso.linking import pending_profile
from c2i.sso.models import IdentityProvider

BACKEND = "c2i.sso.backends.InstitutionBackend"
SESSION_KEY = "c2i_sso"  # {"protocol": "cas"|"saml", "provider": pk, ...}: how this session was opened
NEXT_KEY = "c2i_sso_next"  # where the person asked to go, kept across the trip to their institution


def remember_next(request: HttpRequest) -> None:
    from c2i.accounts.views import safe_next

    request.session[NEXT_KEY] = safe_next(request, request.GET.get("next"), "")


def landing(user: User, wanted: str = "") -> str:
    """Where a person signed in by their institution goes: a student who has
    not completed their candidate profile completes it; a candidate goes to
    their space; anyone else where they were going, or their dashboard."""
    if pending_profile(user) is not None:
        return reverse("sso:complete_profile")
    if wanted:
        return wanted
    if roles(user).is_candidate:
        return reverse("enrolment:my_space")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def open_session(request: HttpRequest, user: User, provider: IdentityProvider, **marker: Any) -> HttpResponse:
    """Log `user` in (their second factor first, when they have one) and
    send them on. `marker` (e.g. the CAS ticket) is kept in the session."""
    wanted = request.session.pop(NEXT_KEY, "")
    target = landing(user, wanted)
    request.session[SESSION_KEY] = {"protocol": provider.protocol, "provider": provider.pk, **marker}
    if two_factor.has_device(user):
        two_factor.begin_login(request, user, user.get_username(), BACKEND, target)
        return redirect("accounts:login_code")
    login(request, user, backend=BACKEND)
    return redirect(target)


def refused(request: HttpRequest, error: DomainError, provider: IdentityProvider | None = None) -> HttpResponse:
    """The page that says why an institution sign-in did not go through."""
    from django.utils.translation import gettext as _

    return page(
        request,
        "sso/refused.html",
        _("Sign-in through your institution refused"),
        status=403,
        error=error,
        provider=provider,
    )


def signing_out(request: HttpRequest, provider: IdentityProvider, onwards_url: str) -> HttpResponse:
    """A page of ours that moves on by itself (and by a link) to the sign-out
    at the institution: after a form's POST, the browser refuses a redirection
    to another site (Content-Security-Policy form-action 'self')."""
    from django.utils.translation import gettext as _

    return page(
        request,
        "sso/signing_out.html",
        _("Signing out of your institution"),
        provider=provider,
        onwards_url=onwards_url,
    )
