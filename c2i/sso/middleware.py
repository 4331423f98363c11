"""Single logout: signing out of the platform after an institution sign-in
signs out at the institution too. The platform's own sign-out view
(accounts:logout) ends the session as always; then, for a CAS sign-in, the
browser goes on to the CAS server's /logout, which comes back to the home
page (through sso:cas_logout, a page of ours: a form's redirection to
another site is refused by the Content-Security-Policy). A SAML sign-in is
handed to the SAML logout view (sso:saml_logout, the same POST through a
307, so that its CSRF check applies) before the session ends,
since that view needs the session's SAML subject; that view cannot
redirect the browser to the IdP either (the chain started with a form's
POST): `signin.signing_out` renders the page that moves on."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse

from c2i.sso.models import IdentityProvider, Protocol
from c2i.sso.signin import SESSION_KEY


class SingleLogout:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path != reverse("accounts:logout"):
            return self.get_response(request)
        marker = request.session.get(SESSION_KEY) if request.user.is_authenticated else None
        provider = None
        if isinstance(marker, dict) and isinstance(marker.get("provider"), int):
            provider = IdentityProvider.objects.filter(pk=marker["provider"]).select_related("institution").first()
        if provider is not None and provider.protocol == Protocol.SAML:
            try:
                # 307: the browser posts the log-out form again, CSRF token
                # included, to the SAML view, which accepts nothing else.
                return HttpResponseRedirect(reverse("sso:saml_logout"), status=307)
            except NoReverseMatch:  # pragma: no cover - SAML not installed
                pass
        response = self.get_response(request)
        if provider is not None and provider.protocol == Protocol.CAS and response.status_code == 302:
            from c2i.sso import cas

            cas.forget_ticket(str(marker.get("ticket", "")))  # type: ignore[union-attr]
            # Not straight to the CAS server: the browser would refuse a form's
            # redirection to another site (CSP form-action 'self').
            return HttpResponseRedirect(f"{reverse('sso:cas_logout')}?institution={provider.institution.uai}")
        return response
