from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from c2i.accounts.access import roles
from c2i.accounts.forms import LoginForm, RegistrationForm
from c2i.accounts.services import register_candidate
from c2i.lib.errors import DomainError
from c2i.lib.pages import page


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        context = super().get_context_data(**kwargs)
        context["title"] = _("Log in")
        context["breadcrumb_data"] = {"links": [], "current": context["title"]}
        return context


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
