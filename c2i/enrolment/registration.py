"""Self-registration of a candidate (R6): the account and its candidate
record, created once the e-mail address is proven by a code. The pages are
`enrolment.views.register` and `register_code` (/inscription/)."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.enrolment.models import Candidate
from c2i.lib import ratelimit
from c2i.lib.errors import DomainError

REGISTRATION_CODE_SECONDS = 30 * 60  # the e-mail says "within 30 minutes"
REGISTRATION_CODE_TRIES = 5
REGISTRATION_MAILS_PER_RECIPIENT = 5  # per C2I_REGISTRATION_WINDOW: no one's mailbox is flooded


def start_registration(*, email: str, password: str, **identity: Any) -> dict[str, Any]:
    """Self-registration, first step (R6; issue 10, finding 9). Nothing is
    created yet and the page answers the same whatever the address and the
    INE: an e-mail to the address says the rest. A new address gets a
    six-digit code; an address that has an account is told so, with the
    links to log in and to choose a new password; an INE already on the
    platform is said to the new address only, with the way to the
    correspondent. The account is created when the code comes back
    (`finish_registration`): whoever holds the mailbox, and no one else,
    chooses its password and receives the invitations made to it.

    Returns the pending registration, for the person's session."""
    password_hash = make_password(password)  # also when nothing will be created: the same time either way
    code = f"{secrets.randbelow(10**6):06d}"
    account = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()
    ine = identity.get("ine") or ""
    ine_taken = bool(ine) and Candidate.objects.filter(ine=ine).exclude(user__isnull=True, email__iexact=email).exists()
    context: dict[str, Any]
    if account is not None:
        mail, context = "registration_account_exists", {"account": account}
    elif ine_taken:
        mail, context = "registration_ine_taken", {"ine": ine}
    else:
        mail, context = "registration_code", {"code": code}
    if not ratelimit.hit(
        ratelimit.name_key("registration-mail", email),
        REGISTRATION_MAILS_PER_RECIPIENT,
        settings.C2I_REGISTRATION_WINDOW,
    ):
        _send(mail, email, {**context, "minutes": REGISTRATION_CODE_SECONDS // 60})
    return {
        "email": email,
        "password": password_hash,
        "identity": {**identity, "birth_date": identity["birth_date"].isoformat()},
        "code": _code_digest(email, code) if mail == "registration_code" else "",
        "until": ratelimit.now() + REGISTRATION_CODE_SECONDS,
        "tries": 0,
    }


def finish_registration(pending: dict[str, Any], code: str) -> User:
    """Self-registration, second step: the code of the e-mail creates the account."""
    if pending["until"] < ratelimit.now():
        raise DomainError("code_expired", _("This code has expired: please fill in the registration form again."))
    digest = _code_digest(pending["email"], "".join(c for c in code if c.isdigit()))
    if not pending["code"] or not constant_time_compare(pending["code"], digest):
        raise DomainError(
            "code_wrong", _("This is not the code of the e-mail: type the six digits it holds, without spaces.")
        )
    identity = {**pending["identity"], "birth_date": datetime.date.fromisoformat(pending["identity"]["birth_date"])}
    return register_candidate(email=pending["email"], password_hash=pending["password"], **identity)


def _code_digest(email: str, code: str) -> str:
    # The salt of its first home (accounts): a code sent before the move stays valid.
    return salted_hmac("c2i.accounts.registration", f"{email}|{code}").hexdigest()


def _send(template: str, email: str, context: dict[str, Any]) -> None:
    context = {**context, "email": email, "site_url": settings.SITE_URL}
    subject = render_to_string(f"enrolment/email/{template}_subject.txt", context).strip()
    send_mail(subject, render_to_string(f"enrolment/email/{template}.txt", context), None, [email])


@transaction.atomic
def register_candidate(*, email: str, password: str = "", password_hash: str = "", **identity: Any) -> User:
    """Self-registration (R6), once the address is proven. A candidate invited
    by an institution's import under this e-mail address gets their
    invitations on the new account."""
    if User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
        raise DomainError(
            "email_taken",
            _(
                "An account already exists with this e-mail address: log in, "
                "or choose a new password (forgotten password)."
            ),
        )
    user = User(
        username=User.normalize_username(email),
        email=User.objects.normalize_email(email),
        first_name=identity["first_names"],
        last_name=identity["last_name"],
        password=password_hash or make_password(password or None),
    )
    user.save()
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
    audit(user, AuditAction.CANDIDATE_REGISTER, candidate)
    return user
