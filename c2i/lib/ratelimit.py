"""The one rate limiter: counters that slow down guessing and flooding — login
failures and registrations (accounts), public lookups (document verification,
forgotten password).

Each counter is a fixed window kept in Django's cache (CACHES: the database
cache, shared by every web process), under a key naming its scope and what it
counts: a client address (`address_key`) or a name such as a username or an
e-mail address (`name_key`). The first count opens the window; once the
counter has reached its limit every request is refused, without being counted,
until the window ends.

Addresses come from `c2i.lib.net.client_ip` (which honours
C2I_CLIENT_IP_HEADER); an IPv6 address counts with its /64, which one machine
usually holds whole. A name is counted as typed (case and surrounding spaces
ignored), never looked up, and only its hash is kept. The cache reads then
writes, so two requests at the very same moment may count once: a few extra
requests at most, at the edge of a window.
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

from c2i.lib.net import client_ip

PREFIX = "c2i-ratelimit"


def now() -> float:
    """The limiter's clock (tests move it forward)."""
    return time.time()


# --- keys -----------------------------------------------------------------------


def address_key(request: HttpRequest, scope: str) -> str:
    """The counter of the client's address (its /64 for IPv6) in `scope`."""
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
    """The counter of a name (username, e-mail address) in `scope`."""
    digest = hashlib.sha256(name.strip().casefold().encode()).hexdigest()[:40]
    return f"{PREFIX}:{scope}:name:{digest}"


# --- counters -------------------------------------------------------------------


def _read(key: str, at: float) -> tuple[int, float] | None:
    """(count, end of the window) while the window is open."""
    value = cache.get(key)
    if isinstance(value, tuple) and len(value) == 2 and value[1] > at:
        return int(value[0]), float(value[1])
    return None


def count(key: str, window: int, delta: int = 1) -> None:
    """Add `delta` (a forgiven attempt: -1) to the counter, opening a window of
    `window` seconds if none is open."""
    at = now()
    current, until = _read(key, at) or (0, at + window)
    cache.set(key, (max(0, current + delta), until), timeout=max(1, math.ceil(until - at)))


def seconds_left(counters: Sequence[tuple[str, int]]) -> int:
    """Seconds until every (key, limit) counter that reached its limit has its
    window end; 0: allowed."""
    at = now()
    waits = [entry[1] - at for key, limit in counters if (entry := _read(key, at)) and entry[0] >= limit]
    return math.ceil(max(waits)) if waits else 0


def hit(key: str, limit: int, window: int) -> int:
    """Count one request unless `key` has used up its window: then the seconds to wait."""
    wait = seconds_left([(key, limit)])
    if not wait:
        count(key, window)
    return wait


def minutes(seconds: int) -> int:
    """A wait as people read it: whole minutes, rounded up, at least one."""
    return max(1, math.ceil(seconds / 60))


# --- public lookups ---------------------------------------------------------------


def allow(request: HttpRequest, scope: str) -> bool:
    """Count one public lookup (document verification, forgotten password) of
    the client's address in `scope`: C2I_VERIFY_LIMIT per C2I_VERIFY_WINDOW
    seconds; False once the address has used them up."""
    return not hit(address_key(request, scope), settings.C2I_VERIFY_LIMIT, settings.C2I_VERIFY_WINDOW)
