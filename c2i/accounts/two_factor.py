"""Two-factor authentication (issue 10): a time-based code (TOTP, RFC 6238) from
an authenticator application, with ten single-use recovery codes, through
django-otp (its `TOTPDevice` and `StaticDevice`).

Anyone may turn it on in « Mon espace »; once on, /connexion/ asks for a code
after the password, and the session is opened only then. National
administrators, people who can enter the Django admin and jury chairs must
have it when C2I_REQUIRE_2FA is on (production's default; off in development
so that the demo accounts log in with their password alone): signed in
without a factor, they are sent to set one up before any other page.
`TwoFactorMiddleware` applies that, and asks for a code any session of a
person with a factor that was not opened with one.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from c2i.accounts.access import roles
from c2i.accounts.models import AuditAction, Session, User, audit
from c2i.lib import ratelimit

RECOVERY_CODES = 10
LOGIN_CODE_SECONDS = 600  # between the password and the code
STATE_KEY = "c2i_2fa"  # session: "ok-<C2I_REQUIRE_2FA>" once this session needs nothing more
LOGIN_KEY = "c2i_2fa_login"  # session: the person who gave their password, awaiting their code
SETUP_KEY = "c2i_2fa_setup"  # session: the secret shown on the set-up page, until confirmed
CODES_KEY = "c2i_2fa_codes"  # session: fresh recovery codes, shown once


def required_by_role(user: User) -> bool:
    """National administrators (superusers included), whoever enters the
    Django admin, and jury chairs."""
    user_roles = roles(user)
    return bool(user.is_superuser or user.is_staff or user_roles.is_admin or user_roles.chair_of)


def enforced(user: User) -> bool:
    return bool(settings.C2I_REQUIRE_2FA) and required_by_role(user)


def has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def is_verified(user: Any) -> bool:
    """Whether this request's user was verified with a factor (OTPMiddleware;
    also right after `login`, when request.user is the bare user)."""
    return getattr(user, "otp_device", None) is not None


# --- codes --------------------------------------------------------------------


def _normalised(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


@transaction.atomic
def verify(user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts `code`: six digits for the application, else a
    recovery code (used up by this). Each device also slows down its own
    wrong codes (django-otp: 1, 2, 4… seconds)."""
    code = _normalised(code)
    devices: Any = (
        TOTPDevice.objects.filter(user=user, confirmed=True)
        if code.isdigit() and len(code) == 6
        else StaticDevice.objects.filter(user=user, confirmed=True)
    )
    for device in devices.select_for_update():
        if device.verify_token(code):
            return device  # type: ignore[no-any-return]
    return None


def new_secret() -> str:
    return secrets.token_hex(20)


def setup_secret(request: HttpRequest) -> str:
    """The secret offered on the set-up page, kept in the session until confirmed."""
    secret = request.session.get(SETUP_KEY)
    if not isinstance(secret, str):
        secret = request.session[SETUP_KEY] = new_secret()
    return secret


def spelled_secret(secret: str) -> str:
    """The secret as an application asks for it typed: base 32, in groups of four."""
    text = base64.b32encode(bytes.fromhex(secret)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def config_url(user: User, secret: str) -> str:
    return TOTPDevice(user=user, key=secret).config_url


def qr_svg(url: str) -> str:
    """The QR code of the set-up, as an inline SVG: no external service, no
    script, no style attribute (the Content-Security-Policy allows neither)."""
    title = _("QR code to scan with your authenticator application")
    return str(segno.make(url, error="m").svg_inline(scale=5, light="#fff", svgclass="c2i-qr", title=title))


@transaction.atomic
def turn_on(user: User, secret: str, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the application with one of its codes: the device, and the
    recovery codes to show once; None when the code is wrong."""
    totp = TOTP(bytes.fromhex(secret))
    token = _normalised(code)
    if not (token.isdigit() and totp.verify(int(token), tolerance=1)):
        return None
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="application", key=secret, confirmed=True, last_t=totp.t())
    codes = new_recovery_codes(user)
    audit(user, AuditAction.ACCOUNT_TWO_FACTOR_ON, user)
    return device, codes


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def turn_off(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit(user, AuditAction.ACCOUNT_TWO_FACTOR_OFF, user)


def end_other_sessions(request: HttpRequest, user: User) -> None:
    """A new factor is worth nothing while older sessions, opened without it, go on."""
    Session.objects.filter(user=user).exclude(session_key=request.session.session_key).delete()


# --- the login's second step ---------------------------------------------------


def begin_login(request: HttpRequest, user: User, username: str, backend: str, next_url: str) -> None:
    request.session[LOGIN_KEY] = {
        "user": user.pk,
        "username": username,
        "backend": backend,
        "next": next_url,
        "until": ratelimit.now() + LOGIN_CODE_SECONDS,
    }


def pending_login(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(LOGIN_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < ratelimit.now():
        return None
    return pending


def mark_verified(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    """This session was opened (or is now confirmed) with `device`."""
    otp_login(request, device)
    request.session.pop(LOGIN_KEY, None)
    request.session.pop(STATE_KEY, None)


def forget_verification(request: HttpRequest) -> None:
    """After the factor is turned off: the session decides again."""
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session.pop(STATE_KEY, None)


# --- enforcement ----------------------------------------------------------------

# Views a person who owes a code or a factor can still reach.
_OPEN_VIEWS = {
    "accounts:login_code",
    "accounts:two_factor",
    "accounts:two_factor_codes",
    "accounts:logout",
    "ping",
}


def _state(request: HttpRequest) -> str:
    """ "ok", "code" (a factor, and this session was not opened with it) or
    "setup" (a factor is required and there is none)."""
    ok = f"ok-{int(bool(settings.C2I_REQUIRE_2FA))}"
    if request.session.get(STATE_KEY) == ok:
        return "ok"
    user = request.user
    if is_verified(user):
        state = "ok"
    elif has_device(user):  # type: ignore[arg-type]
        return "code"
    elif enforced(user):  # type: ignore[arg-type]
        return "setup"
    else:
        state = "ok"
    request.session[STATE_KEY] = ok
    return state


class TwoFactorMiddleware:
    """After OTPMiddleware and MessageMiddleware. A session needs a decision
    once: then its "ok" is kept in it (the exam's answers pay nothing)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.view_name in _OPEN_VIEWS:
            return None  # first: /ping/ (the benchmarks' reference) reads no session
        if not request.user.is_authenticated:
            return None
        state = _state(request)
        if state == "ok":
            return None
        target = reverse("accounts:login_code" if state == "code" else "accounts:two_factor")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
