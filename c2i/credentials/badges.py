"""Open Badges 3.0 credentials, signed with a Data Integrity proof (eddsa-rdfc-2022). Pure: no Django import.

A certificate or an attestation (`DocumentData`) becomes an `OpenBadgeCredential`
(a W3C Verifiable Credential 2.0), signed with the platform's Ed25519 key:

    proof = {type: DataIntegrityProof, cryptosuite: eddsa-rdfc-2022, created,
             verificationMethod, proofPurpose: assertionMethod, proofValue}

Signing (W3C "Data Integrity EdDSA Cryptosuites v1.0", § 3.3):

1. the credential without `proof`, canonicalised with RDF Dataset
   Canonicalization (RDFC-1.0, pyld's URDNA2015) into N-Quads, hashed with SHA-256;
2. the proof options without `proofValue`, with the credential's `@context`,
   canonicalised and hashed the same way;
3. signature = Ed25519(hash of 2 ‖ hash of 1); proofValue = ``z`` + base58btc.

The JSON-LD contexts come from `contexts/` only (`document_loader`): nothing is
ever fetched from the network, and any other context URL is refused. The 1EdTech
test vector (../shared/fixtures/openbadges-ob3) is reproduced byte for byte by
the tests.

"Safe mode": JSON-LD silently drops a property that no context defines, and
RDF conversion drops relative ids and types; such data would be shown but not
signed. `canonicalize` refuses them instead (`UndefinedTerm`), for signing and
for verifying.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from c2i.credentials.document import DocumentData
from c2i.credentials.keys import base58btc_decode, base58btc_encode
from c2i.lib.dates import french_date

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_FILES = {
    VC_V2_CONTEXT: "credentials-v2.jsonld",
    OB_V3_CONTEXT: "context-3.0.3.json",
}
CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"


class ContextNotAllowed(jsonld.JsonLdError):
    """A JSON-LD context or document other than the local copies was asked for."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"Contexte JSON-LD refusé : {url} (seuls les contextes locaux W3C VC 2.0 et Open Badges 3.0.3 "
            f"sont servis, sans accès au réseau).",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
        self.url = url
        self.message = self.args[0]

    def __str__(self) -> str:
        return self.message


# -- JSON-LD ----------------------------------------------------------------------------------------------------------

_documents: dict[str, Any] = {}
_resolved_contexts: dict[str, Any] = {}  # pyld's cache of resolved contexts, for our loader only


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader serving the local contexts and refusing everything else."""
    filename = CONTEXT_FILES.get(url)
    if filename is None:
        raise ContextNotAllowed(url)
    if url not in _documents:
        _documents[url] = json.loads((CONTEXTS_DIR / filename).read_text(encoding="utf-8"))
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": copy.deepcopy(_documents[url]),
    }


class UndefinedTerm(ValueError):
    """Safe mode: part of the document would be left out of the canonical form, hence out of the signature."""


_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _raise_dropped(term: str | None) -> None:
    raise UndefinedTerm(f"propriété non définie par les contextes JSON-LD : {term!r}")


def _check_expanded(node: Any) -> None:
    """Refuse what RDF conversion would drop silently: relative or empty @id and @type values."""
    if isinstance(node, list):
        for item in node:
            _check_expanded(item)
        return
    if not isinstance(node, dict):
        return
    ident = node.get("@id")
    if ident is not None and not (isinstance(ident, str) and (ident.startswith("_:") or _ABSOLUTE_IRI.match(ident))):
        raise UndefinedTerm(f"identifiant (id) qui n'est pas une IRI absolue : {ident!r}")
    types = node.get("@type", [])
    for t in types if isinstance(types, list) else [types]:
        if not (isinstance(t, str) and (t.startswith("_:") or t == "@json" or _ABSOLUTE_IRI.match(t))):
            raise UndefinedTerm(f"type non défini par les contextes JSON-LD : {t!r}")
    for key, value in node.items():
        if key not in ("@id", "@type", "@value"):
            _check_expanded(value)


def canonicalize(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, in "safe mode".

    Raises `UndefinedTerm` when a property, type or id would be dropped by the
    conversion to RDF (so it would not be signed), `jsonld.JsonLdError` on
    invalid JSON-LD or a refused context.
    """
    options: dict[str, Any] = {
        "documentLoader": document_loader,
        "contextResolver": ContextResolver(_resolved_contexts, document_loader),
        "base": None,  # no document base: relative IRIs stay relative (pyld would resolve '' to example.org)
    }
    expanded = jsonld.JsonLdProcessor(on_property_dropped=_raise_dropped).expand(document, dict(options))
    _check_expanded(expanded)
    options.update(algorithm="URDNA2015", format="application/n-quads")
    return jsonld.normalize(expanded, options)


def _context_error(error: BaseException) -> ContextNotAllowed | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ContextNotAllowed):
            return seen
        nested = getattr(seen, "cause", None)
        seen = nested if isinstance(nested, BaseException) else seen.__cause__ or seen.__context__
    return None


def hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """SHA-256(canonical proof configuration) ‖ SHA-256(canonical document): the 64 bytes signed."""
    proof_hash = hashlib.sha256(canonicalize(proof_config).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonicalize(document).encode("utf-8")).digest()
    return proof_hash + document_hash


def xsd_datetime(value: datetime) -> str:
    """``2026-06-15T08:00:00Z``: seconds precision, in UTC; a naive datetime is refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("date et heure sans fuseau horaire")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- building ---------------------------------------------------------------------------------------------------------


def _criteria(data: DocumentData) -> str:
    evidence = (
        "Chaque compétence est validée par le jury de l'établissement, une à une, au vu d'un portfolio de "
        "preuves ; la validation ne repose jamais sur le seul contrôle de connaissances (R10). Un domaine est "
        "validé quand toutes ses compétences le sont et, lorsque le référentiel l'exige, quand son contrôle de "
        "connaissances est réussi (R11), sans compensation entre compétences ni entre domaines."
    )
    if data.framework_code.startswith("C2i2e"):
        rule = (
            "Le certificat est délivré quand au moins 23 des 28 compétences du référentiel sont validées, "
            "avec au plus 2 compétences non validées par domaine (R13)."
        )
    else:
        rule = "Le certificat est délivré quand tous les domaines du référentiel sont validés (R12)."
    if data.is_certificate:
        return f"{evidence} {rule}"
    return (
        f"{evidence} {rule} Un candidat non certifié reçoit une attestation des domaines validés, reports "
        f"compris (R15) ; ces domaines lui restent acquis pour une session ultérieure du même référentiel (R14)."
    )


def _domain_text(data: DocumentData) -> str:
    parts = []
    for dom in data.validated_domains:
        competencies = "; ".join(f"{code} {title}" for code, title in dom.competencies)
        carried = f" [acquis lors de la session « {dom.carried_over_from} »]" if dom.carried_over_from else ""
        parts.append(f"{dom.code} {dom.title}{carried}" + (f" ({competencies})" if competencies else ""))
    return " — ".join(parts)


def _result_description_id(achievement_id: str, domain_code: str) -> str:
    return f"{achievement_id}#domaine-{domain_code}"


def build_credential(
    data: DocumentData,
    *,
    issuer_id: str,
    issuer_name: str,
    credential_id: str,
    achievement_id: str,
    valid_from: datetime,
    credential_status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of a certificate or an attestation
    (`credential_status`: its Bitstring Status List entry, status.entry())."""
    if data.is_certificate:
        achievement_name = f"Certificat informatique et internet {data.framework_code}"
        achievement_type = "Certificate"
    else:
        achievement_name = f"Domaines validés du certificat informatique et internet {data.framework_code}"
        achievement_type = "Achievement"
    description = (
        f"{data.title}. Référentiel : {data.framework_title}. Établissement : {data.institution_name}"
        f"{f' ({data.institution_town})' if data.institution_town else ''}. Session : {data.session_name}. "
        f"Jury du {french_date(data.jury_date)}. {data.domains_summary[0].upper()}{data.domains_summary[1:]}"
        f"{' : ' + _domain_text(data) if data.validated_domains else ''}. "
        f"Code de vérification : {data.verification_code} ({data.verification_url})."
    )
    if data.replaces_code:
        description += f" Rectificatif : annule et remplace le document de code {data.replaces_code}."

    result_descriptions = []
    results = []
    for dom in data.validated_domains:
        rd_id = _result_description_id(achievement_id, dom.code)
        result_descriptions.append(
            {"id": rd_id, "type": ["ResultDescription"], "name": f"{dom.code} — {dom.title}", "resultType": "Status"}
        )
        value = "validé" + (
            f" (acquis lors de la session « {dom.carried_over_from} »)" if dom.carried_over_from else ""
        )
        results.append({"type": ["Result"], "resultDescription": rd_id, "status": "Completed", "value": value})

    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": achievement_name,
        "description": f"{data.framework_title} ({data.framework_code}).",
        "criteria": {"narrative": _criteria(data)},
        "humanCode": data.framework_code,
        "inLanguage": "fr",
    }
    if result_descriptions:
        achievement["resultDescription"] = result_descriptions
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityHash": data.holder_name, "identityType": "name", "hashed": False}
        ],
        "achievement": achievement,
        "activityEndDate": data.jury_date.isoformat(),
    }
    if results:
        subject["result"] = results
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": xsd_datetime(valid_from),
        "name": f"{data.title} — {data.holder_name}",
        "description": description,
        "credentialSubject": subject,
    }
    if credential_status is not None:
        credential["credentialStatus"] = credential_status
    return credential


# -- signing and verifying --------------------------------------------------------------------------------------------


def proof_config(context: Any, verification_method: str, created: datetime | str) -> dict[str, Any]:
    return {
        "@context": context,
        "type": PROOF_TYPE,
        "created": created if isinstance(created, str) else xsd_datetime(created),
        "verificationMethod": verification_method,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": PROOF_PURPOSE,
    }


def sign(
    credential: dict[str, Any], private_key: Ed25519PrivateKey, verification_method: str, created: datetime
) -> dict[str, Any]:
    """A copy of `credential` with its DataIntegrityProof (eddsa-rdfc-2022)."""
    if "proof" in credential:
        raise ValueError("le document porte déjà une preuve")
    document = copy.deepcopy(credential)
    config = proof_config(document["@context"], verification_method, created)
    signature = private_key.sign(hash_data(document, config))
    proof = {k: v for k, v in config.items() if k != "@context"}
    proof["proofValue"] = "z" + base58btc_encode(signature)
    document["proof"] = proof
    return document


OK = "ok"
MALFORMED = "malformed"
UNSUPPORTED = "unsupported_cryptosuite"
UNKNOWN_KEY = "unknown_key"
BAD_SIGNATURE = "bad_signature"
ALTERED = "altered"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    code: str  # OK, MALFORMED, UNSUPPORTED, UNKNOWN_KEY, BAD_SIGNATURE or ALTERED
    reason: str  # in French, for the verification page
    verification_method: str = ""


def _fail(code: str, reason: str, method: str = "") -> VerifyResult:
    return VerifyResult(False, code, reason, method)


def verify(credential: Any, resolve_key: Callable[[str], Ed25519PublicKey | None]) -> VerifyResult:
    """Check the credential's eddsa-rdfc-2022 proof; `resolve_key` maps a verification method to its key."""
    if not isinstance(credential, dict):
        return _fail(MALFORMED, "Document mal formé : un objet JSON est attendu.")
    proof = credential.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        return _fail(MALFORMED, "Document mal formé : il ne porte pas une preuve (« proof ») unique.")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return _fail(
            UNSUPPORTED,
            f"Type de preuve non pris en charge : {proof.get('type')!r} / {proof.get('cryptosuite')!r} "
            f"(attendu : {PROOF_TYPE} / {CRYPTOSUITE}).",
        )
    method = proof.get("verificationMethod")
    if proof.get("proofPurpose") != PROOF_PURPOSE or not isinstance(method, str) or not method:
        return _fail(MALFORMED, "Document mal formé : la preuve n'a pas de but « assertionMethod » ni de clé.")
    created = proof.get("created")
    if created is not None and not isinstance(created, str):
        return _fail(MALFORMED, "Document mal formé : date de la preuve invalide.", method)
    context = credential.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_V2_CONTEXT:
        return _fail(MALFORMED, "Document mal formé : le premier contexte doit être celui des VC 2.0.", method)
    if "@context" in proof:
        proof_context = proof["@context"]
        proof_context = proof_context if isinstance(proof_context, list) else [proof_context]
        if context[: len(proof_context)] != proof_context:
            return _fail(
                MALFORMED, "Document mal formé : contexte de la preuve différent de celui du document.", method
            )

    proof_value = proof.get("proofValue")
    try:
        if not isinstance(proof_value, str) or not proof_value.startswith("z"):
            raise ValueError
        signature = base58btc_decode(proof_value[1:])
    except ValueError:
        signature = b""
    if len(signature) != 64:
        return _fail(
            BAD_SIGNATURE,
            "Signature invalide : la valeur de preuve n'est pas une signature Ed25519 en base58btc.",
            method,
        )

    public_key = resolve_key(method)
    if public_key is None:
        return _fail(UNKNOWN_KEY, f"Clé inconnue : {method} n'est pas une clé de signature de la plateforme.", method)

    document = {k: v for k, v in credential.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = context
    try:
        data = hash_data(document, config)
    except UndefinedTerm as error:
        return _fail(MALFORMED, f"Document mal formé : {error}.", method)
    except jsonld.JsonLdError as error:
        refused = _context_error(error)
        if refused is not None:
            return _fail(MALFORMED, f"Document mal formé : {refused.message}", method)
        return _fail(
            MALFORMED, f"Document mal formé : JSON-LD invalide ({error.args[0] if error.args else error.type}).", method
        )
    except (TypeError, ValueError, KeyError, AttributeError) as error:  # pyld on odd shapes
        return _fail(MALFORMED, f"Document mal formé : {error}.", method)
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return _fail(
            ALTERED,
            "Document altéré : le contenu ou la preuve a été modifié après la signature (la signature ne "
            "correspond plus).",
            method,
        )
    return VerifyResult(True, OK, "Signature valide : document authentique et intègre.", method)
