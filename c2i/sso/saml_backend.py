"""Who a SAML assertion names: the assertion pysaml2 checked (signature,
audience, time, InResponseTo) comes from the IdP of one institution, whose
released attributes `linking.sign_in` turns into an account. The session is
then opened by `signin.open_session`, as for CAS (the account is brought back
on each request by `backends.InstitutionBackend`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from c2i.accounts.models import User
from c2i.sso import saml
from c2i.sso.linking import SignInRefused, sign_in
from c2i.sso.models import IdentityProvider


def sign_in_from(session_info: dict[str, Any]) -> tuple[IdentityProvider, User]:
    """The institution's provider and the account of the person its IdP
    vouched for. Raises `SignInRefused`."""
    issuer = str(session_info.get("issuer") or "")
    provider = saml.provider_for_issuer(issuer)
    if provider is None:
        raise SignInRefused(
            "saml_unknown_provider",
            _("The identity provider that answered is not one the platform accepts for an institution."),
        )
    attributes = saml.attributes(session_info.get("ava") or {}, session_info.get("name_id"))
    return provider, sign_in(provider, attributes)
