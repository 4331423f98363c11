"""SAML 2 pages (issue 14), on djangosaml2's views:

- `login`: `?institution=<UAI>` → a signed AuthnRequest to that
  institution's IdP (HTTP-Redirect binding);
- `acs`: the IdP's Response (HTTP-POST), checked by pysaml2, the person
  signed in through `linking.sign_in`; a refusal is a French page;
- `metadata`: the platform's SP metadata, for the federation;
- `logout`: single logout started here (a LogoutRequest to the IdP);
- `sls`: the IdP's LogoutResponse, or its own LogoutRequest (a logout
  started at the institution).

Cookies: the ACS receives a cross-site POST, which carries no SameSite=Lax
cookie; djangosaml2 keeps the outstanding requests in a cookie of its own
(`SAML_SESSION_COOKIE_NAME`), SameSite=None and Secure under HTTPS (see
settings), so that the platform's session cookie stays Lax.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from djangosaml2 import views as djangosaml2_views
from djangosaml2.utils import get_fallback_login_redirect_url, validate_referral_url
from saml2.response import SignatureError, StatusError, UnsolicitedResponse
from saml2.sigver import SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from c2i.lib.errors import DomainError
from c2i.sso import saml, saml_backend
from c2i.sso.linking import SignInRefused
from c2i.sso.models import IdentityProvider, Protocol
from c2i.sso.signin import NEXT_KEY, SESSION_KEY, open_session, refused, signing_out

CONFIG_LOADER = "c2i.sso.saml.sp_config"


def _saml_session(request: HttpRequest) -> Any:
    """djangosaml2's session (its own cookie, SamlSessionMiddleware)."""
    return getattr(request, "saml_session")  # noqa: B009 - set by a middleware, unknown to the type checker


def _refusal(exception: Exception | None) -> DomainError:
    """Why the IdP's answer is refused, for the person."""
    if isinstance(exception, PermissionDenied) and exception.args and isinstance(exception.args[0], DomainError):
        return exception.args[0]
    if isinstance(exception, SignatureError | SigverError):
        message = _(
            "The answer of your institution is not signed, or its signature is not the one the platform knows: "
            "you were not signed in."
        )
    elif isinstance(exception, ResponseLifetimeExceed | ToEarly):
        message = _("The answer of your institution has expired (or the clocks disagree): please sign in again.")
    elif isinstance(exception, UnsolicitedResponse):
        message = _(
            "The platform did not ask your institution for this sign-in (or the page was opened in another "
            "browser): please start again from the platform."
        )
    elif isinstance(exception, StatusError):
        message = _("Your institution did not sign you in (its answer: %(status)s).") % {"status": str(exception)[:200]}
    else:
        message = _(
            "The answer of your institution could not be accepted (it is not meant for this platform, or it is "
            "incomplete): you were not signed in."
        )
    return DomainError("saml_response_refused", message)


class Login(djangosaml2_views.LoginView):
    config_loader_path = CONFIG_LOADER
    post_binding_form_template = "sso/saml_post_binding.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        provider = saml.provider_for_institution(request.GET.get("institution", "").strip().upper())
        if provider is None:
            not_offered = refused(
                request,
                DomainError(
                    "saml_not_offered",
                    _(
                        "This institution does not sign its people in with SAML on the platform: "
                        "use your platform password."
                    ),
                ),
            )
            not_offered.status_code = 404
            return not_offered
        query = QueryDict(mutable=True)
        query["idp"] = provider.saml_entity_id
        if request.GET.get("next"):
            query["next"] = request.GET["next"]
        request.GET = query  # type: ignore[assignment]
        response = super().get(request, *args, **kwargs)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            # The HTTP-POST binding: the form goes to the IdP, another origin.
            services = self.conf.metadata.single_sign_on_service(
                provider.saml_entity_id, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
            )
            location = urlsplit(services[0]["location"])
            response["Content-Security-Policy"] = settings.C2I_CSP.replace(
                "form-action 'self'", f"form-action 'self' {location.scheme}://{location.netloc}"
            )
        return response

    def unknown_idp(self, request: HttpRequest, idp: str) -> HttpResponse:
        return refused(
            request,
            DomainError("saml_metadata", _("The metadata of this institution's identity provider is not usable.")),
        )


def _no_message(request: HttpRequest) -> HttpResponse:
    """A SAML endpoint reached without a SAML message (by hand, a bookmark)."""
    response = refused(
        request,
        DomainError(
            "saml_no_message",
            _("This address receives your institution's answers: start from the platform's sign-in page."),
        ),
    )
    response.status_code = 400
    return response


class AssertionConsumer(djangosaml2_views.AssertionConsumerServiceView):
    config_loader_path = CONFIG_LOADER

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if "SAMLResponse" not in request.POST:
            return _no_message(request)
        return super().post(request, *args, **kwargs)

    def handle_acs_failure(
        self, request: HttpRequest, exception: Exception | None = None, status: int = 403, **kwargs: Any
    ) -> HttpResponse:
        return refused(request, _refusal(exception))

    def authenticate_user(self, request: HttpRequest, session_info: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            provider, user = saml_backend.sign_in_from(session_info)
        except SignInRefused as refusal:
            raise PermissionDenied(refusal) from refusal
        # Where the person asked to go travelled as the RelayState: the
        # platform's session cookie (SameSite=Lax) does not come with the
        # IdP's cross-site POST.
        wanted = validate_referral_url(request, request.POST.get("RelayState", ""))
        if wanted and wanted != get_fallback_login_redirect_url():
            request.session[NEXT_KEY] = wanted
        self.opened = open_session(request, user, provider)
        djangosaml2_views._set_subject_id(_saml_session(request), session_info["name_id"])
        return user

    def custom_redirect(self, user: Any, relay_state: str, session_info: Any) -> str:
        return str(self.opened["Location"])


class Logout(djangosaml2_views.LogoutInitView):
    """Single logout started here (the platform's log-out hands a SAML
    session over): a LogoutRequest to the IdP; without an IdP session, a
    local logout."""

    config_loader_path = CONFIG_LOADER
    # Only the log-out form's POST (handed over by a 307, CSRF-checked): a
    # link or an image of another site cannot sign anyone out.
    http_method_names = ["post"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        marker = request.session.get(SESSION_KEY)
        pk = marker.get("provider") if isinstance(marker, dict) else None
        provider = IdentityProvider.objects.filter(pk=pk, protocol=Protocol.SAML).first() if pk else None
        if provider is None or djangosaml2_views._get_subject_id(_saml_session(request)) is None:
            from django.contrib import auth

            auth.logout(request)
            return redirect(settings.LOGOUT_REDIRECT_URL)
        response = super().get(request, *args, **kwargs)
        if response.status_code == 302 and urlsplit(response["Location"]).netloc not in ("", request.get_host()):
            # After the log-out form's POST, the browser refuses a redirection
            # to another site (CSP form-action 'self'): a page of ours goes on.
            return signing_out(request, provider, response["Location"])
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return self.get(request, *args, **kwargs)

    def handle_no_permission(self) -> HttpResponseBase:
        return redirect(settings.LOGOUT_REDIRECT_URL)

    def handle_unsupported_slo_exception(
        self, request: HttpRequest, exception: Exception, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        return redirect(settings.LOGOUT_REDIRECT_URL)


class SingleLogoutService(djangosaml2_views.LogoutView):
    config_loader_path = CONFIG_LOADER
    logout_error_template = "sso/saml_logout_error.html"

    def do_logout_service(self, request: HttpRequest, data: Any, binding: str, *args: Any, **kwargs: Any) -> Any:
        if "SAMLResponse" not in data and "SAMLRequest" not in data:
            return _no_message(request)
        return super().do_logout_service(request, data, binding, *args, **kwargs)


class Metadata(djangosaml2_views.MetadataView):
    config_loader_path = CONFIG_LOADER

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        response["Content-Type"] = "application/samlmetadata+xml; charset=utf-8"
        return response


login = Login.as_view()
acs = AssertionConsumer.as_view()
logout = Logout.as_view()
sls = SingleLogoutService.as_view()
metadata = Metadata.as_view()
