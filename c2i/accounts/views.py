from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from c2i.accounts import throttle, two_factor
from c2i.accounts.access import AuthenticatedRequest, roles
from c2i.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    LoginForm,
    NewPasswordForm,
    PasswordForgottenForm,
    SetupCodeForm,
)
from c2i.accounts.models import User
from c2i.lib import ratelimit
from c2i.lib.pages import page, page_context


class _Page:
    """Django's account views as pages of the site: a title, a breadcrumb."""

    page_title: Any = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        return {**context, **page_context(str(self.page_title))}


class LoginView(_Page, auth_views.LoginView):
    """The one way in (the admin's login sends here). Refused attempts
    (`throttle`) answer 429 with Retry-After, and the page: a person reads why
    and how long, a script gets the status. A person with a second factor
    gives its code next (`login_code`) before the session is opened."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    page_title = gettext_lazy("Log in")

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if two_factor.has_device(user):
            username = form.cleaned_data["username"]
            two_factor.begin_login(self.request, user, username, user.backend, self.get_success_url())
            return redirect("accounts:login_code")
        return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        return retry_after(response, form.wait)


def retry_after(response: HttpResponse, wait: int) -> HttpResponse:
    """A refusal for too many attempts: 429 and when to come back (`wait` seconds)."""
    if wait:
        response.status_code = 429
        response["Retry-After"] = str(wait)
    return response


def safe_next(request: HttpRequest, value: str | None, default: str) -> str:
    """Where to go next: `value` when it stays on this site, else `default`."""
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, request.is_secure()):
        return value
    return default


def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of a login: the code of the authenticator application,
    or a recovery code. Wrong codes count as failed logins of the account."""
    pending = two_factor.pending_login(request)
    user: User | None = None
    if pending is not None:
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
        username, next_url = pending["username"], pending["next"]
    elif request.user.is_authenticated and not two_factor.is_verified(request.user):
        user = request.user if two_factor.has_device(request.user) else None  # type: ignore[assignment]
        username = request.user.get_username()
        next_url = safe_next(request, request.GET.get("next"), reverse("accounts:dashboard"))
    if user is None:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    wait = 0
    if request.method == "POST" and form.is_valid():
        wait = throttle.start_login(request, username)
        device = None if wait else two_factor.verify(user, form.cleaned_data["code"])
        if wait:
            form.add_error(None, throttle.wait_message(wait))
        elif device is None:
            throttle.login_failed(request, username)
            form.add_error("code", _("This code is not valid: type the code your application shows now."))
        else:
            throttle.login_succeeded(request, username)
            if pending is not None:
                login(request, user, backend=pending["backend"])
            two_factor.mark_verified(request, device)
            return redirect(next_url)
    response = page(request, "accounts/login_code.html", _("Two-factor authentication"), form=form)
    return retry_after(response, wait)


class PasswordResetView(_Page, auth_views.PasswordResetView):
    """« Mot de passe oublié » : an e-mail with a link valid for
    PASSWORD_RESET_TIMEOUT; the same answer whether the address is known or
    not; rate-limited per client address, as the public verification."""

    template_name = "accounts/password_form.html"
    form_class = PasswordForgottenForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    page_title = gettext_lazy("Forgotten password")
    extra_context = {
        "intro": gettext_lazy("Give the e-mail address of your account: we send it a link to choose a new password."),
        "submit": gettext_lazy("Send the link"),
    }

    def form_valid(self, form: Any) -> HttpResponse:
        if not ratelimit.allow(self.request, "password"):
            form.add_error(None, _("Too many requests from your connection: please try again in a few minutes."))
            return self.form_invalid(form)
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetDoneView(_Page, auth_views.PasswordResetDoneView):
    template_name = "accounts/password_message.html"
    page_title = gettext_lazy("Check your e-mail")
    extra_context = {
        "message": gettext_lazy(
            "If an account uses this address, an e-mail is on its way with a link to choose a new password. "
            "The link can be used once, within three days."
        )
    }


class PasswordResetConfirmView(_Page, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_form.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
    page_title = gettext_lazy("Choose a new password")
    extra_context = {"submit": gettext_lazy("Save the password")}


class PasswordResetCompleteView(_Page, auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_message.html"
    page_title = gettext_lazy("Password saved")
    extra_context = {"message": gettext_lazy("Your password is saved: you can log in with it."), "login_link": True}


class PasswordChangeView(_Page, auth_views.PasswordChangeView):
    """A signed-in person changes their password; their other sessions end
    (`User.save`), this one goes on."""

    template_name = "accounts/password_form.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("accounts:dashboard")
    page_title = gettext_lazy("Change my password")
    extra_context = {
        "intro": gettext_lazy("Your other sessions, on other devices, will be signed out."),
        "submit": gettext_lazy("Change the password"),
    }

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed; your other sessions are signed out."))
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("home")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The home of a signed-in person: one entry per role they hold."""
    return page(
        request,
        "accounts/dashboard.html",
        _("My space"),
        user_roles=roles(request.user),
        two_factor_on=two_factor.has_device(request.user),  # type: ignore[arg-type]
    )


# --- two-factor authentication ----------------------------------------------------


@login_required
def two_factor_page(request: AuthenticatedRequest) -> HttpResponse:
    """« Double authentification » in my space: set up (a QR code, then one
    code to confirm), or, once on, new recovery codes and turning it off."""
    user = request.user
    next_url = safe_next(request, request.GET.get("next"), "")
    if two_factor.has_device(user):
        return page(
            request,
            "accounts/two_factor.html",
            _("Two-factor authentication"),
            [(reverse("accounts:dashboard"), _("My space"))],
            is_on=True,
            codes_left=two_factor.recovery_codes_left(user),
            required=two_factor.required_by_role(user),
            codes_form=CodeForm(auto_id="codes_%s"),
            off_form=CodeForm(auto_id="off_%s"),
        )
    secret = two_factor.setup_secret(request)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.turn_on(user, secret, form.cleaned_data["code"])
        if result is not None:
            device, codes = result
            del request.session[two_factor.SETUP_KEY]
            two_factor.mark_verified(request, device)
            two_factor.end_other_sessions(request, user)
            request.session[two_factor.CODES_KEY] = {"codes": codes, "next": next_url}
            messages.success(request, _("Two-factor authentication is on; your other sessions are signed out."))
            return redirect("accounts:two_factor_codes")
        form.add_error("code", _("This code is not valid: check that your phone is on time, and type the new code."))
    return page(
        request,
        "accounts/two_factor.html",
        _("Two-factor authentication"),
        [(reverse("accounts:dashboard"), _("My space"))],
        is_on=False,
        required=two_factor.enforced(user),
        qr=mark_safe(two_factor.qr_svg(two_factor.config_url(user, secret))),  # our own SVG, no user text
        secret=two_factor.spelled_secret(secret),
        form=form,
    )


@login_required
def two_factor_codes(request: AuthenticatedRequest) -> HttpResponse:
    """GET: the fresh recovery codes, shown once. POST, with a code: ten new
    ones, the old ones no longer valid."""
    if request.method == "POST":
        if _code_checked(request):
            request.session[two_factor.CODES_KEY] = {"codes": two_factor.new_recovery_codes(request.user), "next": ""}
            messages.success(request, _("New recovery codes: the previous ones no longer work."))
        return redirect(
            "accounts:two_factor_codes" if two_factor.CODES_KEY in request.session else "accounts:two_factor"
        )
    fresh = request.session.pop(two_factor.CODES_KEY, None)
    if not isinstance(fresh, dict):
        return redirect("accounts:two_factor")
    return page(
        request,
        "accounts/two_factor_codes.html",
        _("Your recovery codes"),
        [
            (reverse("accounts:dashboard"), _("My space")),
            (reverse("accounts:two_factor"), _("Two-factor authentication")),
        ],
        codes=fresh["codes"],
        next_url=fresh.get("next") or reverse("accounts:dashboard"),
    )


@require_POST
@login_required
def two_factor_disable(request: AuthenticatedRequest) -> HttpResponse:
    """Turn it off with a code; someone who must have it sets up a new one at once."""
    if _code_checked(request):
        two_factor.turn_off(request.user)
        two_factor.forget_verification(request)
        if two_factor.enforced(request.user):
            messages.warning(request, _("Your role requires two-factor authentication: set up your new application."))
        else:
            messages.success(request, _("Two-factor authentication is off."))
    return redirect("accounts:two_factor")


def _code_checked(request: AuthenticatedRequest) -> bool:
    """A current code (or a recovery code) confirms a change of the factor."""
    form = CodeForm(request.POST)
    if form.is_valid() and two_factor.verify(request.user, form.cleaned_data["code"]) is not None:
        return True
    messages.error(request, _("This code is not valid: nothing was changed."))
    return False
