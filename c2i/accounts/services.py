from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from c2i.accounts.models import User


def send_password_link(user: User, invitation: str = "") -> None:
    """The e-mail of « Mot de passe oublié », sent on the platform's behalf:
    to an outside jury member whose account has no password yet, with
    `invitation` saying why they have an account."""
    from c2i.accounts.forms import PasswordForgottenForm

    context = {
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "site_url": settings.SITE_URL,
        "invitation": invitation,
    }
    with translation.override("fr"):
        PasswordForgottenForm().send_mail(
            "accounts/email/password_reset_subject.txt",
            "accounts/email/password_reset.txt",
            context,
            None,
            user.email,
        )
