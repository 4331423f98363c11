"""The client's network address, as every app reads it (exam address ranges,
rate limits).

Behind a trusted reverse proxy, REMOTE_ADDR is the proxy's: the setting
C2I_CLIENT_IP_HEADER then names the request header that proxy fills (e.g.
"HTTP_X_FORWARDED_FOR"), and the *last* address of that header is used: it is
the one the trusted proxy appended, while earlier ones were sent by the client
and may be forged.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind a trusted proxy, the last address of the
    header named by C2I_CLIENT_IP_HEADER (the one that proxy appended)."""
    header = settings.C2I_CLIENT_IP_HEADER
    if header and request.META.get(header):
        return str(request.META[header]).split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))
