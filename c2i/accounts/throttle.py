"""Login throttling (issue 10, finding 7), on the shared limiter
`c2i.lib.ratelimit`.

Logins are counted per submitted username (C2I_LOGIN_FAILURES_PER_ACCOUNT) and
per client address (C2I_LOGIN_FAILURES_PER_ADDRESS) within C2I_LOGIN_WINDOW
seconds. The account's key is the name as typed, never looked up: an unknown
name is counted and refused exactly as a known one, so the refusal tells
nothing.

An attempt on an account is counted before the password is checked and
forgiven when it succeeds: simultaneous guesses at one account cannot all slip
past the check while the (slow) password hash runs. The address counts
failures only, once the check has failed: an exam room behind one NAT address
has its forty candidates log in at the same minute, and attempts in flight
counted against the address would refuse the room (a few concurrent failures
past the limit are the price, bounded by the server's threads).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext

from c2i.lib import ratelimit


def _account_key(username: str) -> str:
    return ratelimit.name_key("login", username)


def _address_key(request: HttpRequest) -> str:
    return ratelimit.address_key(request, "login")


def start_login(request: HttpRequest, username: str) -> int:
    """Before a password (or a second-factor code) is checked: the seconds to
    wait when the account or the address has used up its failures; otherwise
    0, the attempt then counted against the account until `login_succeeded`."""
    wait = ratelimit.seconds_left(
        [
            (_account_key(username), settings.C2I_LOGIN_FAILURES_PER_ACCOUNT),
            (_address_key(request), settings.C2I_LOGIN_FAILURES_PER_ADDRESS),
        ]
    )
    if not wait:
        ratelimit.count(_account_key(username), settings.C2I_LOGIN_WINDOW)
    return wait


def login_succeeded(request: HttpRequest, username: str) -> None:
    ratelimit.count(_account_key(username), settings.C2I_LOGIN_WINDOW, -1)


def login_failed(request: HttpRequest, username: str) -> None:
    """The check failed: the address counts it (the account already has)."""
    ratelimit.count(_address_key(request), settings.C2I_LOGIN_WINDOW)


def wait_message(seconds: int) -> str:
    minutes = ratelimit.minutes(seconds)
    return ngettext(
        "Too many failed login attempts: for your security, logging in is suspended. Try again in %(minutes)d minute.",
        "Too many failed login attempts: for your security, logging in is suspended. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
