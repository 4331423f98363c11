"""Making, finding and revoking API tokens (services: the pages and the API call them)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.api.models import ApiToken, Scope
from c2i.institutions.models import Institution
from c2i.lib.errors import DomainError
from c2i.lib.text import clean_name

PREFIX = "c2i_"
# The last use is written at most once a minute: a busy client does not write on every call.
LAST_USE_STEP = dt.timedelta(minutes=1)
_KEY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alike characters


class TokenError(DomainError):
    pass


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown once


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key_id() -> str:
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(10))


def create_token(institution: Institution, name: str, scopes: Iterable[str], actor: User | None) -> NewToken:
    try:
        name = clean_name(name, max_length=100)
    except ValidationError as error:  # an invisible character, too long
        raise TokenError("name", error.messages[0]) from error
    if not name:
        raise TokenError("name", _("Give the token a name."))
    chosen = sorted(set(scopes))
    if not chosen:
        raise TokenError("scopes", _("Choose at least one scope."))
    unknown = [s for s in chosen if s not in Scope.values]
    if unknown:
        raise TokenError("scopes", _("Unknown scope: %(scope)s.") % {"scope": ", ".join(unknown)})
    with transaction.atomic():
        key_id = _key_id()
        while ApiToken.objects.filter(key_id=key_id).exists():
            key_id = _key_id()
        secret = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(
            institution=institution,
            name=name,
            key_id=key_id,
            secret_hash=digest(secret),
            scopes=chosen,
            created_by=actor,
        )
        audit(actor, AuditAction.API_TOKEN_CREATE, token, name=name, institution=institution.uai, scopes=chosen)
    return NewToken(token, secret)


def revoke_token(token: ApiToken, actor: User | None) -> ApiToken:
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise TokenError("revoked", _("This token is already revoked."))
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit(actor, AuditAction.API_TOKEN_REVOKE, locked, name=locked.name, institution=locked.institution.uai)
    return locked


def authenticate(secret: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The active token this secret is, or None (unknown, malformed, revoked)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    key_id, sep, _rest = secret[len(PREFIX) :].partition("_")
    if not sep or not key_id:
        return None
    token = ApiToken.objects.select_related("institution").filter(key_id=key_id).first()
    if token is None or not hmac.compare_digest(token.secret_hash, digest(secret)):
        return None
    if token.revoked_at is not None:
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_STEP:
        # one cheap statement, and only when the last record is a minute old
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
