from __future__ import annotations

from typing import Any

from django.db import transaction
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
