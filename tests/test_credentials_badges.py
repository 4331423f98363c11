"""Open Badges 3.0 credentials signed with eddsa-rdfc-2022, and the signing keys.

The 1EdTech test vector (../shared/fixtures/openbadges-ob3) is the outside oracle:
canonical forms, hashes, signature and proofValue must match byte for byte.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import socket
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from c2i.credentials import badges, keys, status
from c2i.credentials.document import DocumentData, DomainLine

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
OB3 = FIXTURES / "openbadges-ob3"
SITE = "https://c2i.example.fr"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def vector() -> dict[str, str]:
    return load(OB3 / "eddsa-rdfc-2022-test-vector.json")


@pytest.fixture(scope="module")
def signed() -> dict[str, Any]:
    return load(OB3 / "signed-eddsa-rdfc-2022.json")


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def vector_key(vector: dict[str, str]) -> Ed25519PrivateKey:
    # the vector's "private key" is the 32-byte seed followed by the public key
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["privateKeyHex"])[:32])


def unsigned(signed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in signed.items() if k != "proof"}


def official_resolver(signed: dict[str, Any], vector: dict[str, str]):
    key = keys.public_key_from_multikey(vector["publicKeyMultibase"])
    return {signed["proof"]["verificationMethod"]: key}.get


# -- the official test vector -----------------------------------------------------------------------------------------


def test_vector_key_and_multikey(vector: dict[str, str]) -> None:
    key = vector_key(vector)
    assert keys.raw_public_key(key.public_key()).hex() == vector["publicKeyHex"]
    assert keys.multikey(key.public_key()) == vector["publicKeyMultibase"]
    back = keys.public_key_from_multikey(vector["publicKeyMultibase"])
    assert keys.raw_public_key(back).hex() == vector["publicKeyHex"]


def test_vector_canonical_forms_and_hashes(vector: dict[str, str], signed: dict[str, Any], no_network: None) -> None:
    document = unsigned(signed)
    proof = signed["proof"]
    config = badges.proof_config(document["@context"], proof["verificationMethod"], proof["created"])
    document_canon = badges.canonicalize(document)
    proof_canon = badges.canonicalize(config)
    assert document_canon.encode() == (OB3 / "document-canon.txt").read_bytes()
    assert proof_canon.encode() == (OB3 / "proof-canon.txt").read_bytes()
    assert hashlib.sha256(document_canon.encode()).hexdigest() == vector["documentHashHex"]
    assert hashlib.sha256(proof_canon.encode()).hexdigest() == vector["proofHashHex"]
    assert badges.hash_data(document, config).hex() == vector["proofHashHex"] + vector["documentHashHex"]


def test_vector_signature_and_signed_credential(
    vector: dict[str, str], signed: dict[str, Any], no_network: None
) -> None:
    created = datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC)
    result = badges.sign(unsigned(signed), vector_key(vector), signed["proof"]["verificationMethod"], created)
    assert result["proof"]["proofValue"] == vector["proofValue"]
    assert keys.base58btc_decode(result["proof"]["proofValue"][1:]).hex() == vector["signatureHex"]
    assert json.dumps(result) == json.dumps(signed)  # same members, same order


def test_official_signed_credential_verifies(vector: dict[str, str], signed: dict[str, Any], no_network: None) -> None:
    result = badges.verify(signed, official_resolver(signed, vector))
    assert result.ok and result.code == badges.OK
    assert result.verification_method == signed["proof"]["verificationMethod"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c.__setitem__("name", "Leadership Badge"),
        lambda c: c["credentialSubject"]["achievement"].__setitem__("name", "Leadership"),
        lambda c: c["issuer"].__setitem__("name", "Other Corp"),
        lambda c: c.__setitem__("validFrom", "2009-01-01T00:00:00Z"),
        lambda c: c["proof"].__setitem__("created", "2011-01-01T19:23:24Z"),
        lambda c: c["credentialSubject"].__setitem__("id", "did:example:someone-else"),
    ],
)
def test_tampered_credential_is_refused(vector: dict[str, str], signed: dict[str, Any], tamper) -> None:
    credential = copy.deepcopy(signed)
    tamper(credential)
    result = badges.verify(credential, official_resolver(signed, vector))
    assert not result.ok and result.code == badges.ALTERED
    assert "altéré" in result.reason


def test_refusals_have_reasons(vector: dict[str, str], signed: dict[str, Any], no_network: None) -> None:
    resolve = official_resolver(signed, vector)

    def variant(**proof: object) -> dict[str, Any]:
        credential = copy.deepcopy(signed)
        credential["proof"].update(proof)
        return credential

    assert badges.verify("pas un objet", resolve).code == badges.MALFORMED
    assert badges.verify(unsigned(signed), resolve).code == badges.MALFORMED
    assert badges.verify(variant(cryptosuite="ecdsa-rdfc-2019"), resolve).code == badges.UNSUPPORTED
    assert badges.verify(variant(type="Ed25519Signature2020"), resolve).code == badges.UNSUPPORTED
    assert badges.verify(variant(proofPurpose="authentication"), resolve).code == badges.MALFORMED
    assert badges.verify(variant(proofValue="z3FXQ"), resolve).code == badges.BAD_SIGNATURE
    assert badges.verify(variant(proofValue="u" + "A" * 86), resolve).code == badges.BAD_SIGNATURE
    assert badges.verify(variant(proofValue="z0OIl"), resolve).code == badges.BAD_SIGNATURE
    unknown = badges.verify(variant(verificationMethod="https://example.edu/issuers/565049#z6MkOther"), resolve)
    assert unknown.code == badges.UNKNOWN_KEY and "Clé inconnue" in unknown.reason

    foreign = copy.deepcopy(signed)
    foreign["@context"].append("https://evil.example/context.jsonld")
    result = badges.verify(foreign, resolve)
    assert result.code == badges.MALFORMED and "https://evil.example/context.jsonld" in result.reason
    assert "refusé" in result.reason


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (lambda c: c.__setitem__("extra", "ajouté"), "'extra'"),
        (lambda c: c["credentialSubject"]["achievement"].__setitem__("level", "expert"), "'level'"),
        (lambda c: c["type"].append("SuperBadge"), "'SuperBadge'"),
        (lambda c: c["issuer"].__setitem__("id", "issuers/1"), "'issuers/1'"),
    ],
)
def test_unsigned_additions_are_refused(vector: dict[str, str], signed: dict[str, Any], tamper, named: str) -> None:
    """Data that JSON-LD would drop (hence not covered by the signature) is refused ("safe mode")."""
    credential = copy.deepcopy(signed)
    tamper(credential)
    result = badges.verify(credential, official_resolver(signed, vector))
    assert not result.ok and result.code == badges.MALFORMED
    assert named in result.reason
    with pytest.raises(badges.UndefinedTerm):
        badges.canonicalize(unsigned(credential))


def test_loader_serves_only_local_contexts(no_network: None) -> None:
    document = badges.document_loader(badges.VC_V2_CONTEXT)
    assert document["document"]["@context"]["@protected"] is True
    with pytest.raises(badges.ContextNotAllowed, match="refusé"):
        badges.document_loader("https://www.w3.org/2018/credentials/v1")
    with pytest.raises(badges.ContextNotAllowed):
        badges.document_loader("http://localhost:8000/context.json")
    credential = {
        "@context": [badges.VC_V2_CONTEXT, "https://w3id.org/security/data-integrity/v2"],
        "type": ["VerifiableCredential"],
    }
    with pytest.raises(badges.jsonld.JsonLdError):
        badges.canonicalize(credential)


def test_local_contexts_are_the_fixtures() -> None:
    assert (badges.CONTEXTS_DIR / "credentials-v2.jsonld").read_bytes() == (
        FIXTURES / "w3c-vc" / "credentials-v2.jsonld"
    ).read_bytes()
    assert (badges.CONTEXTS_DIR / "context-3.0.3.json").read_bytes() == (OB3 / "context-3.0.3.json").read_bytes()


# -- our credentials --------------------------------------------------------------------------------------------------


def sample(kind: str = "attestation") -> DocumentData:
    return DocumentData(
        kind=kind,
        holder_name="Éloïse Dupont-Lefèvre",
        holder_birth_date=date(2004, 3, 1),
        framework_code="C2i1",
        framework_title="Certificat informatique et internet de l'enseignement supérieur de niveau 1",
        institution_name="Université de Franche-Comté",
        institution_town="Besançon",
        session_name="Session de juin 2026",
        jury_date=date(2026, 6, 12),
        issued_on=date(2026, 6, 15),
        validated_domains=(
            DomainLine("D1", "Travailler dans un environnement numérique évolutif", (("D1.1", "Organiser"),)),
            DomainLine("D2", "Être responsable à l'ère du numérique", (), carried_over_from="Printemps 2025"),
        ),
        all_domains_count=5,
        verification_code="7KQ2H-XD94M-RC0W7",
        verification_url=f"{SITE}/verifier/7KQ2H-XD94M-RC0W7",
    )


def build(kind: str = "attestation") -> dict[str, Any]:
    return badges.build_credential(
        sample(kind),
        issuer_id=f"{SITE}/etablissements/0251215K",
        issuer_name="Université de Franche-Comté",
        credential_id=f"{SITE}/verifier/7KQ2H-XD94M-RC0W7/badge",
        achievement_id=f"{SITE}/referentiels/C2i1/{kind}",
        valid_from=datetime(2026, 6, 15, 8, 30, tzinfo=UTC),
        credential_status=status.entry(SITE, 131_077),
    )


def test_built_credential_is_an_open_badge() -> None:
    credential = build()
    assert credential["@context"] == [badges.VC_V2_CONTEXT, badges.OB_V3_CONTEXT]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["type"] == ["Profile"]
    assert credential["validFrom"] == "2026-06-15T08:30:00Z"
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"][0]["identityHash"] == "Éloïse Dupont-Lefèvre"
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert "R12" in achievement["criteria"]["narrative"] and "R14" in achievement["criteria"]["narrative"]
    assert [r["status"] for r in subject["result"]] == ["Completed", "Completed"]
    assert {r["resultDescription"] for r in subject["result"]} == {rd["id"] for rd in achievement["resultDescription"]}
    assert "Printemps 2025" in subject["result"][1]["value"]
    assert "2 domaines validés sur 5" in credential["description"]
    assert credential["credentialStatus"] == {
        "id": f"{SITE}/statut/1#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": f"{SITE}/statut/1",
    }
    certificate = build("certificate")["credentialSubject"]["achievement"]
    assert certificate["achievementType"] == "Certificate" and "R14" not in certificate["criteria"]["narrative"]
    with pytest.raises(ValueError):
        badges.build_credential(
            sample(),
            issuer_id="x",
            issuer_name="x",
            credential_id="x",
            achievement_id="x",
            valid_from=datetime(2026, 6, 15),  # naive
        )


def test_built_credential_canonicalises_without_dropping_anything(no_network: None) -> None:
    nquads = badges.canonicalize(build())
    # canonicalize() runs in safe mode: every term we use is defined by the two contexts
    for expected in ("Éloïse Dupont-Lefèvre", "#domaine-D2", "Completed", "R12", "2026-06-12"):
        assert expected in nquads
    # the status entry's terms come from the VC 2.0 context, served locally
    assert "<https://www.w3.org/ns/credentials/status#statusListIndex>" in nquads
    assert f"<{SITE}/statut/1>" in nquads


# -- the Bitstring Status List --------------------------------------------------------------------------------------


def test_status_list_bits_are_left_most_first_and_16_kib() -> None:
    encoded = status.encode([0, 9, status.LIST_SIZE - 1])
    assert encoded.startswith("u") and "=" not in encoded
    bits = status.decode(encoded)
    assert len(bits) == 16_384 and bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    assert [i for i in range(status.LIST_SIZE) if status.is_set(bits, i)] == [0, 9, status.LIST_SIZE - 1]
    assert status.encode([]) == status.encode([])  # deterministic (no GZIP timestamp)
    assert status.place(131_077) == (1, 5)
    with pytest.raises(ValueError):
        status.encode([status.LIST_SIZE])
    with pytest.raises(ValueError):
        status.decode("zABC")


def test_status_list_credential_is_signed_and_matches_the_w3c_schema(tmp_path: Path, no_network: None) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    key = keys.ensure_key(tmp_path)
    unsigned_list = status.list_credential(
        SITE, 0, issuer_id=f"{SITE}/emetteur", valid_from=datetime(2026, 6, 15, tzinfo=UTC), revoked_bits=[3]
    )
    assert "<https://www.w3.org/ns/credentials/status#encodedList>" in badges.canonicalize(unsigned_list)
    signed_list = badges.sign(unsigned_list, key.private_key, key.verification_method(SITE), datetime.now(UTC))
    jsonschema.validate(signed_list, load(FIXTURES / "w3c-vc" / "verifiable-credential-schema.json"))
    assert badges.verify(signed_list, keys.resolver(tmp_path, SITE)).ok
    assert status.is_set(status.decode(signed_list["credentialSubject"]["encodedList"]), 3)


def test_built_credential_matches_the_w3c_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = load(FIXTURES / "w3c-vc" / "verifiable-credential-schema.json")
    key = Ed25519PrivateKey.generate()
    credential = badges.sign(build(), key, f"{SITE}/cles/x#{keys.multikey(key.public_key())}", datetime.now(UTC))
    jsonschema.validate(credential, schema)


def test_sign_and_verify_our_credential(tmp_path: Path, no_network: None) -> None:
    key = keys.ensure_key(tmp_path / "keys")
    credential = badges.sign(build(), key.private_key, key.verification_method(SITE), datetime.now(UTC))
    assert credential["proof"]["proofValue"].startswith("z")
    assert badges.verify(credential, keys.resolver(tmp_path / "keys", SITE)).ok
    with pytest.raises(ValueError):
        badges.sign(credential, key.private_key, key.verification_method(SITE), datetime.now(UTC))
    altered = copy.deepcopy(credential)
    altered["credentialSubject"]["result"].pop()
    assert badges.verify(altered, keys.resolver(tmp_path / "keys", SITE)).code == badges.ALTERED
    assert badges.verify(credential, keys.resolver(tmp_path / "keys", "https://autre.example")).code == (
        badges.UNKNOWN_KEY
    )


# -- keys -------------------------------------------------------------------------------------------------------------


def test_ensure_key_creates_once_with_private_file_0600(tmp_path: Path) -> None:
    directory = tmp_path / "var" / "keys"
    with pytest.raises(keys.KeyStoreError):
        keys.current(directory)
    first = keys.ensure_key(directory)
    assert keys.KEY_ID.match(first.key_id)
    assert first.key_id.startswith(datetime.now(UTC).strftime("%Y%m%d"))
    assert stat.S_IMODE(os.stat(directory / f"{first.key_id}.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    again = keys.ensure_key(directory)
    assert again.key_id == first.key_id
    assert keys.raw_public_key(again.public_key) == keys.raw_public_key(first.public_key)
    assert keys.current(directory).key_id == first.key_id
    assert list(keys.public_keys(directory)) == [first.key_id]


def test_verification_method_and_controller_document(tmp_path: Path) -> None:
    """The issuer's profile controls the keys (Controlled Identifiers v1.0, § 3.3):
    each method's id is in the controller document, `controller` is that
    document, and `assertionMethod` lists it."""
    key = keys.ensure_key(tmp_path)
    method = key.verification_method(SITE + "/")
    assert method == f"{SITE}/emetteur#{key.key_id}"
    assert key.multikey.startswith("z6Mk")
    rotated = keys.rotate(tmp_path)
    document = keys.verification_methods(SITE, keys.public_keys(tmp_path))
    assert [m["id"] for m in document["verificationMethod"]] == sorted([method, rotated.verification_method(SITE)])
    assert document["assertionMethod"] == [m["id"] for m in document["verificationMethod"]]
    for entry in document["verificationMethod"]:
        assert entry["type"] == "Multikey" and entry["controller"] == f"{SITE}/emetteur"
        assert keys.public_key_from_multikey(entry["publicKeyMultibase"])
    legacy = keys.key_document(SITE, key.key_id, key.public_key)
    old_method = f"{SITE}/cles/{key.key_id}#{key.multikey}"
    assert legacy["id"] == f"{SITE}/cles/{key.key_id}" and legacy["assertionMethod"] == [old_method]
    assert legacy["verificationMethod"][0]["controller"] == legacy["id"]
    assert legacy["verificationMethod"][0]["publicKeyMultibase"] == key.multikey


def test_a_withdrawn_key_is_marked_revoked_and_verifies_nothing(tmp_path: Path) -> None:
    old = keys.ensure_key(tmp_path)
    credential = badges.sign(build(), old.private_key, old.verification_method(SITE), datetime.now(UTC))
    with pytest.raises(keys.KeyStoreError):
        keys.withdraw(tmp_path, old.key_id, datetime.now(UTC))  # the current key
    keys.rotate(tmp_path)
    with pytest.raises(keys.KeyStoreError):
        keys.withdraw(tmp_path, "20200101-000000000000", datetime.now(UTC))
    stamp = keys.withdraw(tmp_path, old.key_id, datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    assert stamp == "2026-12-02T12:00:00Z" == keys.withdraw(tmp_path, old.key_id, datetime.now(UTC))
    assert keys.withdrawn(tmp_path) == {old.key_id: stamp}
    assert badges.verify(credential, keys.resolver(tmp_path, SITE)).code == badges.UNKNOWN_KEY
    document = keys.verification_methods(SITE, keys.public_keys(tmp_path), keys.withdrawn(tmp_path))
    [entry] = [m for m in document["verificationMethod"] if m.get("revoked")]
    assert entry["id"] == old.verification_method(SITE) and entry["id"] not in document["assertionMethod"]
    assert len(document["assertionMethod"]) == 1


def test_legacy_verification_methods_still_verify(tmp_path: Path) -> None:
    """A credential signed when the key's page was its own controller still verifies."""
    key = keys.ensure_key(tmp_path)
    old_method = keys.legacy_verification_method(SITE, key.key_id, key.public_key)
    credential = badges.sign(build(), key.private_key, old_method, datetime.now(UTC))
    assert badges.verify(credential, keys.resolver(tmp_path, SITE)).ok


def test_rotation_keeps_old_public_keys_and_old_signatures(tmp_path: Path) -> None:
    old = keys.ensure_key(tmp_path)
    credential = badges.sign(build(), old.private_key, old.verification_method(SITE), datetime.now(UTC))
    new = keys.rotate(tmp_path)
    assert new.key_id != old.key_id
    assert keys.current(tmp_path).key_id == new.key_id
    assert keys.ensure_key(tmp_path).key_id == new.key_id
    public = keys.public_keys(tmp_path)
    assert set(public) == {old.key_id, new.key_id}
    assert all(isinstance(k, Ed25519PublicKey) for k in public.values())
    assert badges.verify(credential, keys.resolver(tmp_path, SITE)).ok
    newer = badges.sign(build(), new.private_key, new.verification_method(SITE), datetime.now(UTC))
    assert badges.verify(newer, keys.resolver(tmp_path, SITE)).ok


def test_key_id_is_dated_and_tied_to_the_key() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    key_id = keys.key_id_for(key, datetime(2026, 11, 22, tzinfo=UTC) + timedelta(hours=1))
    assert key_id.startswith("20261122-") and key_id == keys.key_id_for(key, datetime(2026, 11, 22, tzinfo=UTC))
    assert key_id[9:] == hashlib.sha256(keys.raw_public_key(key)).hexdigest()[:12]


@pytest.mark.parametrize("data", [b"", b"\0", b"\0\0\x01", b"hello", bytes(range(256))])
def test_base58_round_trip(data: bytes) -> None:
    assert keys.base58btc_decode(keys.base58btc_encode(data)) == data


def test_multikey_refuses_other_keys() -> None:
    with pytest.raises(ValueError):
        keys.public_key_from_multikey("uAAAA")
    with pytest.raises(ValueError):
        keys.public_key_from_multikey("z" + keys.base58btc_encode(b"\x12\x00" + bytes(32)))
