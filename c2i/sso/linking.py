"""Who an institution's sign-in is on the platform (issue 14): the one
service every protocol (CAS, SAML) calls once its provider has vouched for a
person, with the attributes it released.

- An identity already known (provider + subject) is that account.
- Otherwise the person is linked to the account that already has their INE
  (a candidate record, or an institution identity not yet completed) or their
  e-mail address (trusted: the institution's provider vouches for it), and
  never gets a duplicate.
- When the INE and the e-mail address point at two accounts, or the account
  found is already tied to another identity of the same institution, or holds
  another INE, joining could merge two people: the sign-in is refused, kept as
  a `SignInConflict` for the institution's correspondent, and the person is
  told so.
- Otherwise a new account is made (unusable password: the institution signs
  them in). A student's INE is kept on their institution identity; the
  candidate record, which needs a birth date and place the providers do not
  release, is made when they complete their profile (`complete_profile`), or
  at once when the institution already imported them with this INE.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.enrolment.models import Candidate, CandidateStatus
from c2i.lib.errors import DomainError
from c2i.lib.identifiers import IdentifierError, validate_ine
from c2i.sso.models import ExternalIdentity, IdentityProvider, Protocol, SignInConflict

AttributeValue = str | list[str] | tuple[str, ...]


class SignInRefused(DomainError):
    """A sign-in through an institution that cannot go on; `message` is
    written for the person (French through the catalogue)."""


@dataclass(frozen=True)
class Released:
    """The attributes of one sign-in, read by the provider's names."""

    subject: str
    email: str = ""
    given_name: str = ""
    surname: str = ""
    ine: str = ""
    student_id: str = ""
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "email": self.email,
            "given_name": self.given_name,
            "surname": self.surname,
            "ine": self.ine,
            "student_id": self.student_id,
            "notes": list(self.notes),
        }


def _first(attributes: Mapping[str, AttributeValue], name: str) -> str:
    value = attributes.get(name)
    if isinstance(value, list | tuple):
        value = next((v for v in value if v not in (None, "")), "")
    return str(value or "").strip()


def read_attributes(provider: IdentityProvider, attributes: Mapping[str, AttributeValue]) -> Released:
    """The released attributes by the provider's own names (a list gives its
    first value). A missing identity refuses the sign-in; an invalid INE is
    set aside with a note (the person still signs in)."""
    subject = _first(attributes, provider.attr_identity)
    if not subject:
        raise SignInRefused(
            "identity_missing",
            _(
                "Your institution did not send your identity (attribute %(name)s): you cannot be signed in. "
                "Please contact your institution's IT support."
            )
            % {"name": provider.attr_identity},
        )
    notes: list[str] = []
    ine = ""
    raw_ine = _first(attributes, provider.attr_ine)
    if raw_ine:
        try:
            ine = validate_ine(raw_ine).value
        except IdentifierError as error:
            notes.append(_("INE %(ine)s set aside: %(reason)s") % {"ine": raw_ine[:20], "reason": error.message})
    email = _first(attributes, provider.attr_email)
    if email and "@" not in email:
        notes.append(_("E-mail address %(email)s set aside: not an address.") % {"email": email[:100]})
        email = ""
    return Released(
        subject=subject[:255],
        email=User.objects.normalize_email(email)[:254] if email else "",
        given_name=_first(attributes, provider.attr_given_name)[:150],
        surname=_first(attributes, provider.attr_surname)[:150],
        ine=ine,
        student_id=_first(attributes, provider.attr_student_id)[:50],
        notes=tuple(notes),
    )


def sign_in(provider: IdentityProvider, attributes: Mapping[str, AttributeValue]) -> User:
    """The account of the person `provider` vouches for, linked or made on
    their first sign-in. Raises `SignInRefused` (a conflict is recorded
    before: the refusal does not undo it)."""
    if not provider.enabled:
        raise SignInRefused(
            "provider_disabled",
            _("Sign-in through this institution is not open on the platform: use your platform password."),
        )
    released = read_attributes(provider, attributes)
    with transaction.atomic():
        # One first sign-in at a time per institution: two tabs never make two accounts.
        IdentityProvider.objects.select_for_update().filter(pk=provider.pk).first()
        identity = (
            ExternalIdentity.objects.select_related("user").filter(provider=provider, subject=released.subject).first()
        )
        if identity is not None:
            return _known(identity, released)
        reason = _conflict(provider, released)
        if reason is None:
            return _link_or_create(provider, released)
        conflict = SignInConflict.objects.create(
            provider=provider, subject=released.subject, attributes=released.as_json(), reason=reason
        )
        audit(None, AuditAction.SSO_CONFLICT, conflict, institution=provider.institution_id, reason=reason)
    raise SignInRefused(
        "conflict",
        _(
            "Your institution's identity matches details already held by another account on the platform, "
            "and joining them automatically could mix two people's records. Nothing was changed. "
            "Your C2i correspondent has been told and will settle it: you will then be able to sign in "
            "through your institution. Meanwhile, if you have a platform password, you can still use it."
        ),
    )


def _known(identity: ExternalIdentity, released: Released) -> User:
    if not identity.user.is_active:
        raise SignInRefused(
            "account_inactive",
            _("Your account on the platform is deactivated: please contact your C2i correspondent."),
        )
    identity.last_sign_in_at = timezone.now()
    identity.student_id = released.student_id or identity.student_id
    identity.ine = released.ine or identity.ine
    identity.save(update_fields=["last_sign_in_at", "student_id", "ine"])
    audit(identity.user, AuditAction.SSO_SIGN_IN, identity, institution=identity.provider.institution_id)
    return identity.user


def _ine_user(ine: str) -> User | None:
    """The account that already holds this INE: its candidate record, or an
    institution identity whose candidate profile is not made yet."""
    if not ine:
        return None
    candidate = Candidate.objects.filter(ine=ine, user__isnull=False).select_related("user").first()
    if candidate is not None:
        return candidate.user
    identity = ExternalIdentity.objects.filter(ine=ine).select_related("user").first()
    return identity.user if identity is not None else None


def _candidate_of(user: User) -> Candidate | None:
    return Candidate.objects.filter(user=user).first()


def _conflict(provider: IdentityProvider, released: Released) -> str | None:
    """Why linking this first sign-in could join two people, or None."""
    ine_user = _ine_user(released.ine)
    email_user = User.objects.filter(email__iexact=released.email).first() if released.email else None
    if ine_user and email_user and ine_user.pk != email_user.pk:
        return _(
            "The INE %(ine)s belongs to the account %(ine_account)s, the e-mail address %(email)s "
            "to another account, %(email_account)s."
        ) % {
            "ine": released.ine,
            "ine_account": ine_user.username,
            "email": released.email,
            "email_account": email_user.username,
        }
    target = ine_user or email_user
    if target is None:
        return None
    if released.ine and ine_user is None:
        candidate = _candidate_of(target)
        if candidate is not None and candidate.ine and candidate.ine != released.ine:
            return _(
                "The account %(account)s with the e-mail address %(email)s is the candidate of INE %(other)s; "
                "the institution sends INE %(ine)s."
            ) % {"account": target.username, "email": released.email, "other": candidate.ine, "ine": released.ine}
    other = ExternalIdentity.objects.filter(provider=provider, user=target).exclude(subject=released.subject).first()
    if other is not None:
        return _(
            "The account %(account)s (found by its %(by)s) is already linked to another identity of this "
            "institution, %(other)s."
        ) % {
            "account": target.username,
            "by": _("INE") if ine_user else _("e-mail address"),
            "other": other.subject,
        }
    return None


def _link_or_create(provider: IdentityProvider, released: Released) -> User:
    user = _ine_user(released.ine)
    found_by = "ine"
    if user is None and released.email:
        user = User.objects.filter(email__iexact=released.email).first()
        found_by = "email"
    created = user is None
    if user is None:
        user = _create_user(released)
    elif not user.is_active:
        raise SignInRefused(
            "account_inactive",
            _("Your account on the platform is deactivated: please contact your C2i correspondent."),
        )
    identity = ExternalIdentity.objects.create(
        provider=provider,
        subject=released.subject,
        user=user,
        student_id=released.student_id,
        ine=released.ine,
        last_sign_in_at=timezone.now(),
    )
    _attach_candidate(user, released)
    details: dict[str, Any] = {"institution": provider.institution_id, "subject": released.subject}
    if released.notes:
        details["notes"] = list(released.notes)
    if created:
        audit(user, AuditAction.SSO_ACCOUNT_CREATE, identity, **details)
    else:
        audit(user, AuditAction.SSO_ACCOUNT_LINK, identity, found_by=found_by, **details)
    return user


def _create_user(released: Released) -> User:
    if not released.email:
        raise SignInRefused(
            "email_missing",
            _(
                "Your institution did not send your e-mail address: your account cannot be created. "
                "Please contact your institution's IT support."
            ),
        )
    user = User(
        username=_free_username(released.subject),
        email=released.email,
        first_name=released.given_name,
        last_name=released.surname,
    )
    user.set_unusable_password()
    user.save()
    return user


def _free_username(subject: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", subject)[:140] or "sso"
    name = base
    while User.objects.filter(username__iexact=name).exists():
        name = f"{base}-{secrets.token_hex(3)}"
    return name


def _attach_candidate(user: User, released: Released) -> None:
    """The candidate record the INE already has: a record the institution
    imported with this INE (no account yet) joins the account; a record of the
    account without INE gets the one the institution vouches for."""
    if not released.ine:
        return
    candidate = _candidate_of(user)
    imported = Candidate.objects.filter(ine=released.ine, user__isnull=True).first()
    if candidate is None and imported is not None:
        imported.user = user
        imported.save(update_fields=["user"])
    elif (
        candidate is not None
        and not candidate.ine
        and imported is None
        and not Candidate.objects.filter(ine=released.ine).exists()
    ):
        candidate.ine = released.ine
        candidate.save(update_fields=["ine"])


def pending_profile(user: User) -> ExternalIdentity | None:
    """The institution identity with an INE of a person who has no candidate
    record yet: they complete their profile before their candidate space."""
    if Candidate.objects.filter(user=user).exists():
        return None
    return ExternalIdentity.objects.filter(user=user).exclude(ine="").order_by("-last_sign_in_at").first()


@transaction.atomic
def complete_profile(user: User, *, birth_date: Any, birth_place: str) -> Candidate:
    """A student signed in by their institution becomes a candidate: names,
    e-mail and INE from the institution, birth date and place from them (what
    enrolment needs, R5). A record the institution imported under the same
    e-mail address (no account yet) is theirs."""
    identity = pending_profile(user)
    if identity is None:
        raise DomainError("profile_done", _("Your candidate profile is already complete."))
    if Candidate.objects.filter(ine=identity.ine).exists():
        raise DomainError(
            "ine_taken", _("This INE is already used by another candidate; contact your C2i correspondent.")
        )
    candidate = Candidate.objects.filter(
        user__isnull=True, email__iexact=user.email, ine__in=["", identity.ine]
    ).first()
    if candidate is None:
        candidate = Candidate(email=user.email)
    candidate.user = user
    candidate.last_name = user.last_name or candidate.last_name
    candidate.first_names = user.first_name or candidate.first_names
    candidate.birth_date = birth_date
    candidate.birth_place = birth_place
    candidate.ine = identity.ine
    candidate.status = CandidateStatus.STUDENT
    candidate.save()
    audit(user, AuditAction.CANDIDATE_REGISTER, candidate, sso_identity=identity.pk)
    return candidate


def start_url(provider: IdentityProvider) -> str:
    """Where the browser goes to begin signing in through `provider`."""
    query = "?" + urlencode({"institution": provider.institution.uai})
    if provider.protocol == Protocol.SAML:
        return reverse("sso:saml_login") + query
    return reverse("sso:cas_login") + query


def enabled_providers(search: str = "") -> Any:
    """The institutions one can sign in through, by name (or UAI)."""
    providers = IdentityProvider.objects.filter(enabled=True).select_related("institution")
    if search := search.strip():
        providers = providers.filter(Q(institution__name__icontains=search) | Q(institution__uai__iexact=search))
    return providers.order_by("institution__name")
