from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBoundField
from dsfr.utils import dsfr_input_class_attr

from c2i.accounts import throttle
from c2i.accounts.models import User
from c2i.lib.forms import Form


class _Dsfr:
    """Django's account forms in the State design system."""

    template_name = "dsfr/form_snippet.html"
    bound_field_class = DsfrBoundField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for visible in self.visible_fields():  # type: ignore[attr-defined]
            dsfr_input_class_attr(visible)


class LoginForm(_Dsfr, AuthenticationForm):
    """The password step of /connexion/, throttled (`throttle`): once the
    username or the client address has used up its failures, the password is
    not even checked. `wait` then holds the seconds to wait (the view answers
    429). A person gives their e-mail address (self-registered candidates
    know no other name) or their username (the accounts made by staff)."""

    wait = 0
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Wrong e-mail address, username or password. Check them: the password distinguishes capital and "
            "small letters."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label = _("E-mail address or username")
        self.fields["username"].label = label
        self["username"].label = label  # the bound field was made (by _Dsfr) with Django's « Nom d'utilisateur »

    def clean(self) -> dict[str, Any]:
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not username or not password or self.request is None:
            return super().clean()
        self.wait = throttle.start_login(self.request, username)
        if self.wait:
            raise forms.ValidationError(throttle.wait_message(self.wait), code="throttled")
        self.cleaned_data["username"] = account_name(username)
        try:
            data = super().clean()
        except forms.ValidationError:
            throttle.login_failed(self.request, username)  # the account's count stays
            raise
        throttle.login_succeeded(self.request, username)
        return data


def account_name(given: str) -> str:
    """The username of the account whose e-mail address was given (any case),
    when no account is named so and one account alone has that address;
    otherwise what was given."""
    if "@" not in given or User.objects.filter(username=given).exists():
        return given
    names = list(User.objects.filter(email__iexact=given.strip()).values_list("username", flat=True)[:2])
    return names[0] if len(names) == 1 else given


class PasswordForgottenForm(_Dsfr, PasswordResetForm):
    """« Mot de passe oublié » : the link goes to every active account of the
    address, including those that never had a password (outside jury members,
    whose first link may be lost); nothing says whether the address is known."""

    def get_users(self, email: str) -> Any:
        return User.objects.filter(email__iexact=email, is_active=True)


class NewPasswordForm(_Dsfr, SetPasswordForm):  # type: ignore[type-arg]
    pass


class ChangePasswordForm(_Dsfr, PasswordChangeForm):  # type: ignore[type-arg]
    pass


def _code_field(help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}),
    )


class CodeForm(Form):
    """A one-time code: six digits from an authenticator application or a
    recovery code (logging in, confirming a change of the second factor)."""

    code = _code_field(_("The six digits your authenticator application shows now, or one of your recovery codes."))


class SetupCodeForm(Form):
    code = _code_field(_("The six digits your application shows for this account."))


class RegistrationCodeForm(Form):
    code = _code_field(_("Six digits, in the e-mail we have just sent."))
