"""Login throttling (issue 10, finding 7), on the shared limiter
`c2i.lib.ratelimit`.

Logins are counted per submitted username (C2I_LOGIN_FAILURES_PER_ACCOUNT) and
per client address (C2I_LOGIN_FAILURES_PER_ADDRESS) within C2I_LOGIN_WINDOW
seconds. The account's key is the name as typed, never looked up: an unknown
name is counted and refused exactly as a known one, so the refusal tells
nothing. An attempt is counted before the password is checked and forgiven
when it succeeds: simultaneous attempts cannot all slip past the check while
the (slow) password hash runs.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext

from c2i.lib import ratelimit


def _login_counters(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    return [
        (ratelimit.name_key("login", username), settings.C2I_LOGIN_FAILURES_PER_ACCOUNT),
        (ratelimit.address_key(request, "login"), settings.C2I_LOGIN_FAILURES_PER_ADDRESS),
    ]


def start_login(request: HttpRequest, username: str) -> int:
    """Before a password (or a second-factor code) is checked: the seconds to
    wait when the account or the address has used up its failures; otherwise
    0, the attempt then counted as a failure until `login_succeeded`."""
    counters = _login_counters(request, username)
    wait = ratelimit.seconds_left(counters)
    if not wait:
        for key, _limit in counters:
            ratelimit.count(key, settings.C2I_LOGIN_WINDOW)
    return wait


def login_succeeded(request: HttpRequest, username: str) -> None:
    for key, _limit in _login_counters(request, username):
        ratelimit.count(key, settings.C2I_LOGIN_WINDOW, -1)


def wait_message(seconds: int) -> str:
    minutes = ratelimit.minutes(seconds)
    return ngettext(
        "Too many failed login attempts: for your security, logging in is suspended. Try again in %(minutes)d minute.",
        "Too many failed login attempts: for your security, logging in is suspended. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
