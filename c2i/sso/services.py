"""The writes of the single sign-on settings and conflicts, each audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.lib.errors import DomainError
from c2i.sso.models import IdentityProvider, Protocol, SignInConflict

AUDITED_FIELDS = (
    "protocol",
    "enabled",
    "cas_server_url",
    "saml_entity_id",
    "saml_metadata_url",
    "attr_identity",
    "attr_email",
    "attr_given_name",
    "attr_surname",
    "attr_ine",
    "attr_student_id",
)


@transaction.atomic
def save_provider(actor: User, provider: IdentityProvider, before: dict[str, object] | None) -> IdentityProvider:
    """Store an institution's identity provider (a validated form's
    instance); the audit says what changed (`before`: the values before, None
    when it is new). Pasted metadata is audited by its length only."""
    if before is not None and before.get("saml_metadata_xml") != provider.saml_metadata_xml:
        provider.saml_metadata_fetched_at = None
    provider.save()
    if provider.protocol == Protocol.SAML:
        _read_metadata(provider, before)
    after = {name: getattr(provider, name) for name in AUDITED_FIELDS}
    changes = {k: [before.get(k) if before else None, v] for k, v in after.items() if not before or before.get(k) != v}
    if before is None or before.get("saml_metadata_xml") != provider.saml_metadata_xml:
        changes["saml_metadata_xml_length"] = [
            len(str(before.get("saml_metadata_xml") or "")) if before else 0,
            len(provider.saml_metadata_xml),
        ]
    audit(actor, AuditAction.SSO_PROVIDER_CHANGE, provider, institution=provider.institution_id, changes=changes)
    return provider


def _read_metadata(provider: IdentityProvider, before: dict[str, object] | None) -> None:
    """A SAML provider is usable once its metadata is kept (a sign-in never
    reads the network): pasted metadata is checked and kept at once, a new
    metadata URL is read at once. A refusal (saml.MetadataError, in French)
    undoes the whole save."""
    from c2i.sso import saml

    pasted = provider.saml_metadata_xml.strip()
    changed = before is None or before.get("saml_metadata_xml") != provider.saml_metadata_xml
    if pasted and changed:
        saml.store_metadata(provider, pasted)
    elif provider.saml_metadata_url and (
        not pasted or before is None or before.get("saml_metadata_url") != provider.saml_metadata_url
    ):
        saml.refresh_metadata(provider)


def provider_values(provider: IdentityProvider) -> dict[str, object]:
    return {name: getattr(provider, name) for name in (*AUDITED_FIELDS, "saml_metadata_xml")}


@transaction.atomic
def resolve_conflict(actor: User, conflict: SignInConflict, resolution: str) -> SignInConflict:
    conflict = SignInConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.resolved_at is not None:
        raise DomainError("conflict_settled", _("This conflict is already settled."))
    conflict.resolved_at = timezone.now()
    conflict.resolved_by = actor
    conflict.resolution = resolution.strip()
    conflict.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    audit(
        actor,
        AuditAction.SSO_CONFLICT_RESOLVE,
        conflict,
        institution=conflict.provider.institution_id,
        resolution=conflict.resolution,
    )
    return conflict
