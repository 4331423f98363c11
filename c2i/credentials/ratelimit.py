"""Public lookups per client address: a fixed window counted in Django's cache
(the database cache by default, shared by every web process)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from c2i.lib.net import client_ip


def allow(request: HttpRequest, scope: str = "verify") -> bool:
    """Count one lookup; False once the address has used up its window."""
    key = f"c2i-ratelimit:{scope}:{client_ip(request)}"
    cache.add(key, 0, timeout=settings.C2I_VERIFY_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.C2I_VERIFY_WINDOW)
        count = 1
    return count <= settings.C2I_VERIFY_LIMIT
