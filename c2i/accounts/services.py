from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from c2i.accounts.models import User, audit
from c2i.enrolment.models import Candidate
from c2i.lib.errors import DomainError


@transaction.atomic
def register_candidate(*, email: str, password: str, **identity: Any) -> User:
    """Self-registration (R6). A candidate invited by an institution's import
    under this e-mail address gets their invitations on the new account."""
    user = User.objects.create_user(
        username=email,
        email=email,
        password=password,
        first_name=identity["first_names"],
        last_name=identity["last_name"],
    )
    candidate = Candidate.objects.filter(user__isnull=True, email__iexact=email).first()
    if (
        identity.get("ine")
        and Candidate.objects.filter(ine=identity["ine"]).exclude(pk=candidate.pk if candidate else 0).exists()
    ):
        raise DomainError(
            "ine_taken", _("This INE is already used by another candidate; contact your C2i correspondent.")
        )
    if candidate is None:
        candidate = Candidate(email=email)
    for key, value in identity.items():
        setattr(candidate, key, value)
    candidate.user = user
    candidate.save()
    audit(user, "candidate.register", candidate)
    return user


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
