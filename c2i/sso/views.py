"""Institution sign-on pages: the choice of institution, CAS 3.0's way in and
back, the student's profile completion; the national administrator's
settings; the correspondent's conflicts."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from c2i.accounts.access import AuthenticatedRequest, role_required, roles
from c2i.lib.errors import DomainError
from c2i.lib.pages import page
from c2i.sso import cas, linking, services
from c2i.sso.forms import ChooseForm, ProfileForm, ProviderForm, ResolveForm
from c2i.sso.models import IdentityProvider, Protocol, SignInConflict
from c2i.sso.signin import landing, open_session, refused, remember_next, signing_out

logger = logging.getLogger(__name__)


def _enabled_provider(uai: str | None, protocol: str) -> IdentityProvider:
    provider = (
        IdentityProvider.objects.filter(institution__uai=(uai or "").strip().upper(), protocol=protocol, enabled=True)
        .select_related("institution")
        .first()
    )
    if provider is None:
        raise Http404
    return provider


def choose(request: HttpRequest) -> HttpResponse:
    """« Se connecter avec mon établissement »: the institutions one can sign
    in through, by name; choosing one starts its sign-in."""
    form = ChooseForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    if uai := request.GET.get("institution"):
        provider = linking.enabled_providers().filter(institution__uai=uai.strip().upper()).first()
        if provider is not None:
            remember_next(request)
            return redirect(linking.start_url(provider))
    return page(
        request,
        "sso/choose.html",
        _("Sign in with my institution"),
        [(reverse("accounts:login"), _("Log in"))],
        form=form,
        providers=linking.enabled_providers(search),
        searched=bool(search),
        next=request.GET.get("next", ""),
    )


def cas_login(request: HttpRequest) -> HttpResponse:
    provider = _enabled_provider(request.GET.get("institution"), Protocol.CAS)
    if "next" in request.GET:
        remember_next(request)
    service = request.build_absolute_uri(cas.callback_path(provider))
    return redirect(cas.login_url(provider, service))


@csrf_exempt  # the CAS server's single-logout POST comes from the server, without our token
@require_http_methods(["GET", "POST"])
def cas_callback(request: HttpRequest, uai: str) -> HttpResponse:
    """The way back from the CAS server (GET ?ticket=), and its single logout
    (a back-channel POST of logoutRequest)."""
    provider = _enabled_provider(uai, Protocol.CAS)
    if request.method == "POST":
        if logout_request := request.POST.get("logoutRequest"):
            cas.single_logout(provider, logout_request)
        return HttpResponse(status=200)
    ticket = request.GET.get("ticket", "").strip()
    if not ticket:
        return redirect(f"{reverse('sso:cas_login')}?institution={provider.institution.uai}")
    service = request.build_absolute_uri(cas.callback_path(provider))
    try:
        attributes = cas.validate(provider, service, ticket)
    except cas.TicketInvalid as error:
        logger.warning("CAS ticket refused by %s: %s", provider.cas_server_url, error)
        return refused(
            request,
            DomainError(
                "ticket_invalid",
                _(
                    "Your institution's server did not confirm this sign-in (expired or already used ticket, "
                    "or server out of reach). Please try again."
                ),
            ),
            provider,
        )
    try:
        user = linking.sign_in(provider, attributes)
    except linking.SignInRefused as error:
        return refused(request, error, provider)
    response = open_session(request, user, provider, ticket=ticket)
    if request.user.is_authenticated and request.session.session_key:
        cas.remember_ticket(provider, ticket, request.session.session_key)
    return response


def cas_logout(request: HttpRequest) -> HttpResponse:
    """After signing out of the platform: on to the CAS server's logout, which
    comes back to the home page (a page that moves on by itself, with a link)."""
    provider = _enabled_provider(request.GET.get("institution"), Protocol.CAS)
    return signing_out(request, provider, cas.logout_url(provider, request.build_absolute_uri(reverse("home"))))


@login_required
@require_http_methods(["GET", "POST"])
def complete_profile(request: AuthenticatedRequest) -> HttpResponse:
    """A student signed in by their institution gives what enrolment needs
    and their institution does not send: birth date and place."""
    identity = linking.pending_profile(request.user)
    if identity is None:
        return redirect(landing(request.user))
    form = ProfileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            linking.complete_profile(request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your candidate profile is complete."))
            return redirect("enrolment:my_space")
    return page(request, "sso/complete_profile.html", _("Complete my candidate profile"), form=form, identity=identity)


# --- national administrator ---------------------------------------------------


@role_required("is_admin")
def providers(request: AuthenticatedRequest) -> HttpResponse:
    return page(
        request,
        "sso/providers.html",
        _("Institution sign-on"),
        providers=IdentityProvider.objects.select_related("institution").order_by("institution__name"),
    )


@role_required("is_admin")
@require_http_methods(["GET", "POST"])
def provider_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    provider = get_object_or_404(IdentityProvider.objects.select_related("institution"), pk=pk) if pk else None
    before = services.provider_values(provider) if provider else None
    form = ProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_provider(request.user, form.instance, before)
        except DomainError as error:  # the metadata could not be read or kept: nothing saved
            field = "saml_metadata_xml" if form.instance.saml_metadata_xml.strip() else "saml_metadata_url"
            form.add_error(field, error.message)
        else:
            messages.success(request, _("Sign-on of %(institution)s saved.") % {"institution": saved.institution.name})
            return redirect("sso:providers")
    title = (
        _("Sign-on of %(institution)s") % {"institution": provider.institution.name}
        if provider
        else _("New institution sign-on")
    )
    return page(
        request,
        "sso/provider_form.html",
        title,
        [(reverse("sso:providers"), _("Institution sign-on"))],
        form=form,
        provider=provider,
        callback_example=request.build_absolute_uri(cas.callback_path(provider)) if provider else "",
    )


# --- correspondent ------------------------------------------------------------


def _conflicts_for(request: AuthenticatedRequest):  # type: ignore[no-untyped-def]
    r = roles(request.user)
    conflicts = SignInConflict.objects.select_related("provider__institution", "resolved_by")
    return conflicts if r.is_admin else conflicts.filter(provider__institution__in=r.correspondent_of)


@role_required("is_correspondent", "is_admin")
def conflicts(request: AuthenticatedRequest) -> HttpResponse:
    rows = _conflicts_for(request)
    return page(
        request,
        "sso/conflicts.html",
        _("Institution sign-in conflicts"),
        pending=[c for c in rows if c.resolved_at is None],
        settled=[c for c in rows if c.resolved_at is not None][:50],
        form=ResolveForm(),
    )


@require_POST
@role_required("is_correspondent", "is_admin")
def conflict_resolve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    conflict = get_object_or_404(_conflicts_for(request), pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how the conflict was settled (the note is required)."))
        return redirect("sso:conflicts")
    try:
        services.resolve_conflict(request.user, conflict, form.cleaned_data["resolution"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The conflict of %(subject)s is settled.") % {"subject": conflict.subject})
    return redirect("sso:conflicts")
