"""SAML 2 single sign-on (issue 14): the platform as a service provider of
the RENATER federation, each institution's IdP configured in its
`IdentityProvider` (protocol "saml").

- `sp_config(request)` is djangosaml2's SAML_CONFIG_LOADER: pysaml2's
  configuration built from the settings and the metadata *stored* of every
  enabled SAML provider, so that a sign-in never waits on the federation.
- `refresh_metadata(provider)` reads a provider's metadata URL and keeps the
  provider's own entity in `saml_metadata_xml` (a federation's aggregate holds
  thousands), with `saml_metadata_fetched_at`; `manage.py
  refresh_saml_metadata` runs it for every provider (daily).
- `sp_key_pair()`: the SP's signing and decryption key and certificate
  (C2I_SAML_KEY_FILE, C2I_SAML_CERT_FILE); when they are not set, a
  self-signed pair made once in C2I_KEYS_DIR (development, tests, `make run`).
"""

from __future__ import annotations

import datetime
import logging
import subprocess
import tempfile
import threading
import urllib.request
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.lib.errors import DomainError
from c2i.sso.models import IdentityProvider, Protocol

logger = logging.getLogger(__name__)

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"

# eduPerson and SupAnn attributes by their urn:oid names, as the federation's
# IdPs release them (name format "uri"); the provider's attribute settings
# use the friendly names.
ATTRIBUTE_OIDS = {
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "eduPersonPrincipalName",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "eduPersonTargetedID",
    "urn:oid:0.9.2342.19200300.100.1.3": "mail",
    "urn:oid:2.5.4.42": "givenName",
    "urn:oid:2.5.4.4": "sn",
    "urn:oid:1.3.6.1.4.1.7135.1.2.1.26": "supannCodeINE",
    "urn:oid:1.3.6.1.4.1.7135.1.2.1.11": "supannEtuId",
}
REQUIRED_ATTRIBUTES = ("eduPersonPrincipalName", "mail", "givenName", "sn")
OPTIONAL_ATTRIBUTES = ("supannCodeINE", "supannEtuId", "eduPersonTargetedID")


class MetadataError(DomainError):
    """A provider's metadata could not be read or does not describe its IdP."""


# --- the SP's key and certificate --------------------------------------------


def sp_key_pair() -> tuple[Path, Path]:
    """The SP's key and certificate files (PEM). Set ones must exist; when
    none is set, a self-signed pair is made once beside the other keys."""
    key_setting, cert_setting = settings.C2I_SAML_KEY_FILE, settings.C2I_SAML_CERT_FILE
    if key_setting or cert_setting:
        key_file, cert_file = Path(key_setting), Path(cert_setting)
        if not (key_file.is_file() and cert_file.is_file()):
            raise ImproperlyConfigured("C2I_SAML_KEY_FILE and C2I_SAML_CERT_FILE must both name readable files")
        return key_file, cert_file
    folder = Path(settings.C2I_KEYS_DIR)
    key_file, cert_file = folder / "saml-sp.key", folder / "saml-sp.crt"
    if not (key_file.is_file() and cert_file.is_file()):
        _make_self_signed(key_file, cert_file)
    return key_file, cert_file


_KEY_LOCK = threading.Lock()


def _make_self_signed(key_file: Path, cert_file: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    with _KEY_LOCK:
        if key_file.is_file() and cert_file.is_file():
            return
        logger.warning("SAML: no C2I_SAML_KEY_FILE, a self-signed SP key is made in %s", key_file.parent)
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "C2i SAML SP")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )
        key_file.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name then renamed: two processes starting
        # together never read half a key.
        tmp_key, tmp_cert = key_file.with_suffix(".key.tmp"), cert_file.with_suffix(".crt.tmp")
        tmp_key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        tmp_key.chmod(0o600)
        tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        tmp_key.replace(key_file)
        tmp_cert.replace(cert_file)


# --- the configuration --------------------------------------------------------


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")


def sp_entity_id() -> str:
    return settings.C2I_SAML_ENTITY_ID or site_url() + reverse("sso:saml_metadata")


def _settings_dict(metadata: list[str]) -> dict[str, Any]:
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    key_file, cert_file = sp_key_pair()
    site = site_url()
    acs = site + reverse("sso:saml_acs")
    sls = site + reverse("sso:saml_sls")
    return {
        "entityid": sp_entity_id(),
        "xmlsec_binary": settings.C2I_SAML_XMLSEC_BINARY,
        # Unknown attributes (SupAnn's) are kept by their urn:oid names:
        # `attributes()` turns them into friendly names.
        "allow_unknown_attributes": True,
        "accepted_time_diff": 60,
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        # The federation's IdPs encrypt assertions to this key.
        "encryption_keypairs": [{"key_file": str(key_file), "cert_file": str(cert_file)}],
        "service": {
            "sp": {
                "name": "C2i",
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                "endpoints": {
                    "assertion_consumer_service": [(acs, BINDING_HTTP_POST)],
                    "single_logout_service": [(sls, BINDING_HTTP_REDIRECT), (sls, BINDING_HTTP_POST)],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "logout_responses_signed": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                # Shibboleth signs the response, others the assertion: one of
                # them at least, always; never an answer nobody asked for.
                "want_response_signed": False,
                "want_assertions_signed": False,
                "want_assertions_or_response_signed": True,
                "allow_unsolicited": False,
                "required_attributes": list(REQUIRED_ATTRIBUTES),
                "optional_attributes": list(OPTIONAL_ATTRIBUTES),
            }
        },
        "metadata": {"inline": metadata} if metadata else {},
        "organization": {
            "name": [("C2i", "fr")],
            "display_name": [("Certificat informatique et internet (C2i)", "fr")],
            "url": [(site + "/", "fr")],
        },
        "contact_person": [
            {"contact_type": "technical", "email_address": f"mailto:{settings.C2I_SAML_CONTACT_EMAIL}"},
            {"contact_type": "support", "email_address": f"mailto:{settings.C2I_SAML_CONTACT_EMAIL}"},
        ],
    }


def saml_providers() -> list[IdentityProvider]:
    """The enabled SAML providers whose metadata is stored."""
    return list(
        IdentityProvider.objects.filter(protocol=Protocol.SAML, enabled=True)
        .exclude(saml_metadata_xml="")
        .select_related("institution")
        .order_by("pk")
    )


_CACHE: dict[str, Any] = {}
_CACHE_LOCK = threading.Lock()


def sp_config(request: HttpRequest | None = None) -> Any:
    """djangosaml2's SAML_CONFIG_LOADER. Parsing every provider's metadata
    is kept per process until a provider changes (its `updated_at`)."""
    from saml2.config import SPConfig

    providers = saml_providers()
    key = repr(
        (
            [(p.pk, p.updated_at, p.saml_metadata_fetched_at) for p in providers],
            site_url(),
            sp_entity_id(),
            settings.C2I_SAML_KEY_FILE,
            str(settings.C2I_KEYS_DIR),
        )
    )
    with _CACHE_LOCK:
        if _CACHE.get("key") == key:
            return _CACHE["config"]
    config = SPConfig()
    config.load(_settings_dict([p.saml_metadata_xml for p in providers]))
    with _CACHE_LOCK:
        _CACHE.update(key=key, config=config)
    return config


def provider_for_institution(uai: str) -> IdentityProvider | None:
    return (
        IdentityProvider.objects.filter(protocol=Protocol.SAML, enabled=True, institution__uai=uai)
        .exclude(saml_metadata_xml="")
        .select_related("institution")
        .first()
    )


def provider_for_issuer(entity_id: str) -> IdentityProvider | None:
    return (
        IdentityProvider.objects.filter(protocol=Protocol.SAML, enabled=True, saml_entity_id=entity_id)
        .select_related("institution")
        .first()
    )


# --- attributes ----------------------------------------------------------------


def attributes(ava: dict[str, list[Any]], name_id: Any = None) -> dict[str, list[str]]:
    """The released attributes, by friendly name and by urn:oid name alike
    (a provider's settings may name either); a persistent NameID stands for
    eduPersonTargetedID when the IdP did not release it."""
    reverse_oids = {friendly.lower(): oid for oid, friendly in ATTRIBUTE_OIDS.items()}
    friendly_names = {friendly.lower(): friendly for friendly in ATTRIBUTE_OIDS.values()}
    result: dict[str, list[str]] = {}
    for name, values in ava.items():
        texts = [_text(v) for v in (values if isinstance(values, list | tuple) else [values])]
        texts = [t for t in texts if t]
        friendly = ATTRIBUTE_OIDS.get(name) or friendly_names.get(name.lower(), name)
        for key in {name, friendly, reverse_oids.get(friendly.lower(), friendly)}:
            result.setdefault(key, []).extend(t for t in texts if t not in result.get(key, []))
    persistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    if name_id is not None and getattr(name_id, "format", None) == persistent and name_id.text:
        result.setdefault("eduPersonTargetedID", [name_id.text.strip()])
    return result


def _text(value: Any) -> str:
    if isinstance(value, dict):  # an eduPersonTargetedID NameID, as pysaml2 reads it
        inner: Any = next(iter(value.values()), {})
        return str(inner.get("value", "") if isinstance(inner, dict) else inner).strip()
    return str(value if value is not None else "").strip()


# --- metadata ------------------------------------------------------------------


def metadata_entity(xml: str, entity_id: str) -> tuple[str, str]:
    """(entity id, the one IdP EntityDescriptor) of a metadata document: the
    document itself, or `entity_id`'s entity in a federation's aggregate."""
    try:
        root = ElementTree.fromstring(xml.encode() if isinstance(xml, str) else xml)  # noqa: S314 - no DTD, below
    except ElementTree.ParseError as error:
        raise MetadataError("metadata_xml", _("The metadata is not XML: %(error)s.") % {"error": error}) from error
    if "<!DOCTYPE" in xml[:2000].upper():
        raise MetadataError("metadata_doctype", _("The metadata must not declare a DOCTYPE."))
    if root.tag == f"{{{MD}}}EntityDescriptor":
        entities = [root]
    elif root.tag == f"{{{MD}}}EntitiesDescriptor":
        entities = list(root.iter(f"{{{MD}}}EntityDescriptor"))
    else:
        raise MetadataError("metadata_kind", _("This is not SAML 2 metadata (no EntityDescriptor)."))
    idps = [e for e in entities if e.find(f"{{{MD}}}IDPSSODescriptor") is not None]
    if entity_id:
        idps = [e for e in idps if e.get("entityID") == entity_id]
        if not idps:
            raise MetadataError(
                "metadata_entity",
                _("The metadata does not describe the identity provider %(entity)s.") % {"entity": entity_id},
            )
    elif len(idps) != 1:
        raise MetadataError(
            "metadata_entity_id",
            _("The metadata describes %(count)s identity providers: give the entity ID of this institution's one.")
            % {"count": len(idps)},
        )
    entity = idps[0]
    if entity is root:
        return str(entity.get("entityID")), xml
    ElementTree.register_namespace("md", MD)
    return str(entity.get("entityID")), ElementTree.tostring(entity, encoding="unicode")


def check_metadata(xml: str) -> None:
    """pysaml2 reads the metadata (certificates, endpoints)."""
    from saml2.mdstore import InMemoryMetaData

    try:
        store = InMemoryMetaData(None, xml)  # type: ignore[no-untyped-call]
        store.load()  # type: ignore[no-untyped-call]
    except Exception as error:
        raise MetadataError(
            "metadata_invalid", _("The metadata could not be read: %(error)s.") % {"error": str(error)[:200]}
        ) from error


def fetch(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept": "application/samlmetadata+xml, application/xml"})  # noqa: S310 - the administrator's URL
    try:
        with urllib.request.urlopen(request, timeout=settings.C2I_SAML_METADATA_TIMEOUT) as answer:  # noqa: S310
            return str(answer.read(settings.C2I_SAML_METADATA_MAX_BYTES + 1).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise MetadataError(
            "metadata_unreachable",
            _("The metadata could not be read at %(url)s: %(error)s.") % {"url": url, "error": error},
        ) from error


def store_metadata(provider: IdentityProvider, xml: str) -> IdentityProvider:
    """Keep `xml` (pasted or fetched) as the provider's metadata: its IdP's
    entity only, its entity id filled in when it was empty."""
    if len(xml) > settings.C2I_SAML_METADATA_MAX_BYTES:
        raise MetadataError("metadata_size", _("The metadata is larger than the platform accepts."))
    entity_id, entity_xml = metadata_entity(xml, provider.saml_entity_id)
    check_metadata(entity_xml)
    provider.saml_entity_id = entity_id
    provider.saml_metadata_xml = entity_xml
    provider.saml_metadata_fetched_at = timezone.now()
    provider.save(update_fields=["saml_entity_id", "saml_metadata_xml", "saml_metadata_fetched_at", "updated_at"])
    return provider


def check_federation_signature(xml: str) -> None:
    """With C2I_SAML_METADATA_SIGNING_CERT (the federation's signing
    certificate, e.g. RENATER's), fetched metadata must carry a signature of
    its root element by that certificate (xmlsec1 checks it)."""
    cert = settings.C2I_SAML_METADATA_SIGNING_CERT
    if not cert:
        return
    refused = MetadataError(
        "metadata_signature", _("The metadata is not signed by the federation (C2I_SAML_METADATA_SIGNING_CERT).")
    )
    root = ElementTree.fromstring(xml.encode())  # noqa: S314 - read by metadata_entity before, no DTD
    signature = root.find(f"{{{DS}}}Signature")
    reference = signature.find(f"{{{DS}}}SignedInfo/{{{DS}}}Reference") if signature is not None else None
    # The signature must cover the whole document (its root), not a part a
    # forger could move around (signature wrapping).
    if reference is None or reference.get("URI") not in {f"#{root.get('ID')}", ""}:
        raise refused
    with tempfile.NamedTemporaryFile("w", suffix=".xml", encoding="utf-8") as document:
        document.write(xml)
        document.flush()
        checked = subprocess.run(  # noqa: S603 - fixed program and arguments
            [
                settings.C2I_SAML_XMLSEC_BINARY,
                "--verify",
                "--pubkey-cert-pem",
                str(cert),
                "--id-attr:ID",
                f"{MD}:EntitiesDescriptor",
                "--id-attr:ID",
                f"{MD}:EntityDescriptor",
                document.name,
            ],
            capture_output=True,
            timeout=60,
        )
    if checked.returncode != 0:
        raise refused


def refresh_metadata(provider: IdentityProvider) -> IdentityProvider:
    """Read the provider's metadata URL again and keep what it says (its
    federation's signature checked first, when configured). On failure the
    metadata kept before stays in use."""
    if not provider.saml_metadata_url:
        raise MetadataError("metadata_no_url", _("This provider has no metadata URL."))
    xml = fetch(provider.saml_metadata_url)
    metadata_entity(xml, provider.saml_entity_id)  # XML, no DOCTYPE, the provider's IdP in it
    check_federation_signature(xml)
    return store_metadata(provider, xml)
