"""The correspondent's pages for the API tokens of their institutions (the
national administrator sees every institution's): list, create (the token
shown once), revoke after a confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from c2i.accounts.access import AuthenticatedRequest, role_required
from c2i.api import confirmations, tokens
from c2i.api.access import get_token_to_manage, tokens_for
from c2i.api.forms import TokenForm
from c2i.enrolment.access import correspondent_institutions
from c2i.lib.confirm import CONFIRM_METHODS, confirmation_page
from c2i.lib.pages import page

GATE = ("is_correspondent", "is_admin")


def _crumbs() -> list[tuple[str, str]]:
    return [(reverse("accounts:dashboard"), _("My space"))]


@require_http_methods(["GET", "HEAD"])
@role_required(*GATE)
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    return page(request, "api/tokens.html", _("API tokens"), _crumbs(), tokens=tokens_for(request.user))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@role_required(*GATE)
def token_create(request: AuthenticatedRequest) -> HttpResponse:
    institutions = correspondent_institutions(request.user).order_by("name")
    crumbs = [*_crumbs(), (reverse("api_tokens:list"), _("API tokens"))]
    form = TokenForm(request.POST or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        try:
            made = tokens.create_token(
                form.cleaned_data["institution"], form.cleaned_data["name"], form.cleaned_data["scopes"], request.user
            )
        except tokens.TokenError as error:
            form.add_error("scopes" if error.code == "scopes" else "name", error.message)
        else:
            # The only time the whole token is shown: the page is never cached (never_cache).
            return page(request, "api/token_created.html", _("Token created"), crumbs, made=made)
    status = 400 if request.method == "POST" else 200
    return page(request, "api/token_form.html", _("Create an API token"), crumbs, status=status, form=form)


@require_http_methods(CONFIRM_METHODS)
@role_required(*GATE)
def token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = get_token_to_manage(request.user, pk)
    crumbs = [*_crumbs(), (reverse("api_tokens:list"), _("API tokens"))]
    if request.method != "POST":
        return confirmation_page(request, confirmations.revoke(token), crumbs)
    try:
        tokens.revoke_token(token, request.user)
    except tokens.TokenError as error:
        return confirmation_page(request, confirmations.revoke(token, error=error.message), crumbs, status=400)
    messages.success(request, _("The token « %(name)s » is revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
