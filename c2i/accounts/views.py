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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from c2i.accounts.access import roles
from c2i.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    NewPasswordForm,
    PasswordForgottenForm,
    RegistrationForm,
)
from c2i.accounts.services import register_candidate
from c2i.lib.errors import DomainError
from c2i.lib.pages import page, page_context


class _Page:
    """Django's account views as pages of the site: a title, a breadcrumb."""

    page_title: Any = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        return {**context, **page_context(str(self.page_title))}


class LoginView(_Page, auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    page_title = gettext_lazy("Log in")


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
        from c2i.credentials import ratelimit

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


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        email, password = data.pop("email"), data.pop("password1")
        data.pop("password2")
        try:
            user = register_candidate(email=email, password=password, **data)
        except DomainError as error:
            form.add_error("ine", error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account is created. You can now enrol in a certification session."))
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = reverse("enrolment:sessions")
            return redirect(target)
    return page(request, "accounts/register.html", _("Create a candidate account"), form=form)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The home of a signed-in person: one entry per role they hold."""
    return page(request, "accounts/dashboard.html", _("My space"), user_roles=roles(request.user))
