"""Counters that slow down guessing: login failures (issue 10, finding 7) and
registration requests (finding 9).

Each counter is a fixed window kept in Django's cache (CACHES: the database
cache, shared by every web process): the first count opens the window, and
once the counter has reached its limit every request is refused until the
window ends.

Logins are counted per submitted username (case and surrounding spaces
ignored) and per client address (`client_ip`, which honours
C2I_CLIENT_IP_HEADER; an IPv6 address counts with its /64, which one machine
usually holds whole). The account's key is the name as typed, never looked up:
an unknown name is counted and refused exactly as a known one, so the refusal
tells nothing. An attempt is counted before the password is checked and
forgiven when it succeeds: simultaneous attempts cannot all slip past the
check while the (slow) password hash runs. The cache reads then writes, so two
attempts at the very same moment may still count once: a few extra attempts
at most, at the edge of a window.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext

from c2i.lib.net import client_ip

PREFIX = "c2i-throttle"


def now() -> float:
    return time.time()


def _read(key: str, at: float) -> tuple[int, float] | None:
    """(count, end of the window) while the window is open."""
    value = cache.get(key)
    if isinstance(value, tuple) and len(value) == 2 and value[1] > at:
        return int(value[0]), float(value[1])
    return None


def _add(key: str, window: int, delta: int = 1) -> None:
    at = now()
    count, until = _read(key, at) or (0, at + window)
    cache.set(key, (max(0, count + delta), until), timeout=max(1, math.ceil(until - at)))


def seconds_left(counters: Sequence[tuple[str, int]]) -> int:
    """Seconds until every counter that reached its limit has its window end; 0: allowed."""
    at = now()
    waits = [entry[1] - at for key, limit in counters if (entry := _read(key, at)) and entry[0] >= limit]
    return math.ceil(max(waits)) if waits else 0


def hit(key: str, limit: int, window: int) -> int:
    """Count one request unless `key` has used up its window: then the seconds to wait."""
    wait = seconds_left([(key, limit)])
    if not wait:
        _add(key, window)
    return wait


def address_key(request: HttpRequest, scope: str) -> str:
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        pass
    else:
        if ip.version == 6:
            address = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return f"{PREFIX}:{scope}:address:{address}"


def name_key(scope: str, name: str) -> str:
    digest = hashlib.sha256(name.strip().casefold().encode()).hexdigest()[:40]
    return f"{PREFIX}:{scope}:name:{digest}"


# --- logins -------------------------------------------------------------------


def _login_counters(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    return [
        (name_key("login", username), settings.C2I_LOGIN_FAILURES_PER_ACCOUNT),
        (address_key(request, "login"), settings.C2I_LOGIN_FAILURES_PER_ADDRESS),
    ]


def start_login(request: HttpRequest, username: str) -> int:
    """Before a password (or a second-factor code) is checked: the seconds to
    wait when the account or the address has used up its failures; otherwise
    0, the attempt then counted as a failure until `login_succeeded`."""
    counters = _login_counters(request, username)
    wait = seconds_left(counters)
    if not wait:
        for key, _limit in counters:
            _add(key, settings.C2I_LOGIN_WINDOW)
    return wait


def login_succeeded(request: HttpRequest, username: str) -> None:
    for key, _limit in _login_counters(request, username):
        _add(key, settings.C2I_LOGIN_WINDOW, -1)


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed login attempts: for your security, logging in is suspended. Try again in %(minutes)d minute.",
        "Too many failed login attempts: for your security, logging in is suspended. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
