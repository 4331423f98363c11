"""CAS 3.0 with python-cas's client (the one django-cas-ng is built on), the
server being each institution's own (`IdentityProvider.cas_server_url`), not
one global setting.

- login: the browser goes to `<server>/login?service=<our callback>`;
- the callback validates the ticket on `<server>/p3/serviceValidate` (CAS 3.0:
  the attributes come with the answer);
- single logout: the server's back-channel POST names the ticket
  (`<samlp:SessionIndex>`), and the session opened with it ends; signing out
  of the platform sends the browser to `<server>/logout?service=<home>`.
"""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Any

import requests
from cas import CASClient, CASClientV3
from defusedxml import ElementTree
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from c2i.sso.models import CasSessionTicket, IdentityProvider

SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"


class _Session(requests.Session):
    """HTTP to the CAS server with a time limit: a slow server never holds a
    worker for long."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", settings.C2I_CAS_TIMEOUT)
        return super().request(*args, **kwargs)


def server_url(provider: IdentityProvider) -> str:
    url = provider.cas_server_url
    return url if url.endswith("/") else url + "/"


def callback_path(provider: IdentityProvider) -> str:
    return reverse("sso:cas_callback", args=[provider.institution.uai])


def client(provider: IdentityProvider, service_url: str) -> CASClientV3:
    return CASClient(  # type: ignore[no-any-return]
        version=3,
        server_url=server_url(provider),
        service_url=service_url,
        verify_ssl_certificate=settings.C2I_CAS_VERIFY_CERTIFICATES,
        session=_Session(),
    )


def login_url(provider: IdentityProvider, service_url: str) -> str:
    return str(client(provider, service_url).get_login_url())


def logout_url(provider: IdentityProvider, back_to: str) -> str:
    return str(client(provider, "").get_logout_url(back_to))


class TicketInvalid(Exception):
    pass


def validate(provider: IdentityProvider, service_url: str, ticket: str) -> dict[str, Any]:
    """The attributes the CAS server releases for `ticket` (its `user` too,
    under "cas:user"). Raises TicketInvalid when the server refuses it or
    cannot be reached."""
    try:
        user, attributes, _pgtiou = client(provider, service_url).verify_ticket(ticket)
    except (requests.RequestException, ElementTree.ParseError, SyntaxError, IndexError, AttributeError) as error:
        raise TicketInvalid(str(error)) from error
    if not user:
        raise TicketInvalid("refused")
    return {**(attributes or {}), "cas:user": user}


def remember_ticket(provider: IdentityProvider, ticket: str, session_key: str) -> None:
    horizon = timezone.now() - datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    CasSessionTicket.objects.filter(created_at__lt=horizon).delete()
    CasSessionTicket.objects.update_or_create(
        ticket=ticket[:255], defaults={"provider": provider, "session_key": session_key}
    )


def forget_ticket(ticket: str) -> None:
    CasSessionTicket.objects.filter(ticket=ticket).delete()


def session_indexes(logout_request: str) -> list[str]:
    """The tickets a CAS single-logout request names (parsed without entity
    expansion: the request comes from outside)."""
    try:
        root = ElementTree.fromstring(logout_request)
    except (ElementTree.ParseError, ValueError, Exception):  # defusedxml raises its own on entities
        return []
    return [(e.text or "").strip() for e in root.iter(f"{SAMLP}SessionIndex") if (e.text or "").strip()]


def single_logout(provider: IdentityProvider, logout_request: str) -> int:
    """End the sessions opened with the tickets the CAS server's logout
    request names; how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for ticket in session_indexes(logout_request):
        for row in CasSessionTicket.objects.filter(provider=provider, ticket=ticket):
            store(session_key=row.session_key).delete()
            row.delete()
            ended += 1
    return ended
