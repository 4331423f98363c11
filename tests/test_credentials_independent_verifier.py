"""An issued credential verified the way an outside verifier would, by a path
written here from the specifications and sharing nothing with the platform's
signer (c2i/credentials/badges.py) but the JSON-LD expansion to RDF:

- the keys are fetched over HTTP from a running platform, by dereferencing the
  proof's `verificationMethod` to its controller document and checking the
  method's `controller` and the `assertionMethod` relationship (W3C Controlled
  Identifiers v1.0, § 3.3 "Retrieve Verification Method");
- RDF Dataset Canonicalization (W3C RDFC-1.0) is written below, from the N-Quads
  that pyld's `to_rdf` gives for the expanded document (not canonical: blank
  nodes as pyld names them, quads unsorted);
- the eddsa-rdfc-2022 hashing (W3C Data Integrity EdDSA Cryptosuites v1.0, § 3.3);
- Ed25519 verification written from RFC 8032 § 5.1.7 in plain Python (no
  `cryptography`);
- then the document is revoked through the service, and the W3C Bitstring
  Status List fetched over HTTP has the credential's bit set (multibase
  base64url, GZIP, left-most bit = index 0) and a proof of its own that verifies.

The official eddsa-rdfc-2022 test vector (../shared/fixtures/openbadges-ob3) checks
this verifier first: canonical forms and hashes byte for byte.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import itertools
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from c2i.credentials import services
from c2i.deliberation.models import OutcomeStatus
from tests.credentials_support import certified_and_not, set_outcome

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
OB3 = FIXTURES / "openbadges-ob3"

# --- RFC 8032: Ed25519 verification ---------------------------------------------------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Point addition in extended homogeneous coordinates (RFC 8032 § 5.1.4)."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(k: int, point: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    result = (0, 1, 1, 0)
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _equal(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _decode_point(data: bytes) -> tuple[int, int, int, int] | None:
    """RFC 8032 § 5.1.3."""
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


GY = 4 * pow(5, P - 2, P) % P
BASE = _decode_point(GY.to_bytes(32, "little"))


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 § 5.1.7: [8][S]B = [8]R + [8][k]A'."""
    if len(signature) != 64 or BASE is None:
        return False
    a_point = _decode_point(public_key)
    r_point = _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a_point is None or r_point is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    left = _mul(8, _mul(s, BASE))
    right = _mul(8, _add(r_point, _mul(k, a_point)))
    return _equal(left, right)


# --- base58btc and Multikey -----------------------------------------------------------------------------------------

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        n = n * 58 + B58.index(c)
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")


def multikey_ed25519(value: str) -> bytes:
    assert value.startswith("z"), "Multikey: base58btc multibase expected"
    data = b58decode(value[1:])
    assert data[:2] == b"\xed\x01" and len(data) == 34, "Multikey: an Ed25519 public key expected"
    return data[2:]


# --- RDFC-1.0 -------------------------------------------------------------------------------------------------------

TERM = re.compile(r'\s*(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:\^\^<[^>]*>|@[A-Za-z0-9-]+)?)')
Quad = tuple[str, str, str, str]  # subject, predicate, object, graph ("" for the default graph)


def parse_nquads(text: str) -> list[Quad]:
    quads = []
    for line in text.splitlines():
        if not line.strip():
            continue
        terms = []
        rest = line
        while True:
            match = TERM.match(rest)
            if match is None:
                break
            terms.append(match.group(1))
            rest = rest[match.end() :]
        assert rest.strip() == ".", line
        assert len(terms) in (3, 4), line
        quads.append((terms[0], terms[1], terms[2], terms[3] if len(terms) == 4 else ""))
    return quads


def is_blank(term: str) -> bool:
    return term.startswith("_:")


def serialize(quad: Quad) -> str:
    return " ".join(t for t in quad if t) + " .\n"


class Issuer:
    """An identifier issuer (RDFC-1.0 § 4.3): issued identifiers in order."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.issued: dict[str, str] = {}

    def issue(self, existing: str) -> str:
        if existing not in self.issued:
            self.issued[existing] = f"{self.prefix}{len(self.issued)}"
        return self.issued[existing]

    def copy(self) -> Issuer:
        other = Issuer(self.prefix)
        other.issued = dict(self.issued)
        return other


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Canonicalizer:
    """RDFC-1.0 (§ 4.4 to 4.8), SHA-256."""

    def __init__(self, quads: list[Quad]) -> None:
        self.quads = quads
        self.by_blank: dict[str, list[Quad]] = {}
        for quad in quads:
            for term in (quad[0], quad[2], quad[3]):
                if is_blank(term):
                    self.by_blank.setdefault(term, []).append(quad)
        self.canonical = Issuer("c14n")
        self.first_degree: dict[str, str] = {}

    def hash_first_degree(self, blank: str) -> str:
        """§ 4.6."""
        if blank not in self.first_degree:
            lines = sorted(
                serialize(
                    tuple(("_:a" if t == blank else "_:z") if is_blank(t) else t for t in quad)  # type: ignore[arg-type]
                )
                for quad in self.by_blank[blank]
            )
            self.first_degree[blank] = sha256_hex("".join(lines))
        return self.first_degree[blank]

    def hash_related(self, related: str, quad: Quad, issuer: Issuer, position: str) -> str:
        """§ 4.7."""
        if related in self.canonical.issued:
            ident = "_:" + self.canonical.issued[related]
        elif related in issuer.issued:
            ident = "_:" + issuer.issued[related]
        else:
            ident = self.hash_first_degree(related)
        text = position + (quad[1] if position != "g" else "") + ident
        return sha256_hex(text)

    def hash_n_degree(self, blank: str, issuer: Issuer) -> tuple[str, Issuer]:
        """§ 4.8."""
        related_by_hash: dict[str, list[str]] = {}
        for quad in self.by_blank[blank]:
            for position, term in (("s", quad[0]), ("o", quad[2]), ("g", quad[3])):
                if is_blank(term) and term != blank:
                    related_by_hash.setdefault(self.hash_related(term, quad, issuer, position), []).append(term)
        data = ""
        for related_hash in sorted(related_by_hash):
            data += related_hash
            chosen_path = ""
            chosen_issuer: Issuer | None = None
            for permutation in itertools.permutations(related_by_hash[related_hash]):
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    if related in self.canonical.issued:
                        path += "_:" + self.canonical.issued[related]
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += "_:" + issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += "_:" + issuer_copy.issue(related) + "<" + result_hash + ">"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path, chosen_issuer = path, issuer_copy
            data += chosen_path
            assert chosen_issuer is not None
            issuer = chosen_issuer
        return sha256_hex(data), issuer

    def canonical_nquads(self) -> str:
        """§ 4.4."""
        by_hash: dict[str, list[str]] = {}
        for blank in self.by_blank:
            by_hash.setdefault(self.hash_first_degree(blank), []).append(blank)
        shared = []
        for first_hash in sorted(by_hash):
            if len(by_hash[first_hash]) == 1:
                self.canonical.issue(by_hash[first_hash][0])
            else:
                shared.append(first_hash)
        for first_hash in shared:
            results = []
            for blank in by_hash[first_hash]:
                if blank in self.canonical.issued:
                    continue
                temporary = Issuer("b")
                temporary.issue(blank)
                results.append(self.hash_n_degree(blank, temporary))
            for _hash, issuer in sorted(results, key=lambda r: r[0]):
                for existing in issuer.issued:
                    self.canonical.issue(existing)

        def relabel(term: str) -> str:
            return "_:" + self.canonical.issued[term] if is_blank(term) else term

        return "".join(sorted(serialize(tuple(relabel(t) for t in quad)) for quad in self.quads))  # type: ignore[arg-type]


def local_contexts(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The W3C VC 2.0 and Open Badges 3.0.3 contexts, read from ../shared/fixtures (no network)."""
    files = {
        "https://www.w3.org/ns/credentials/v2": FIXTURES / "w3c-vc" / "credentials-v2.jsonld",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": OB3 / "context-3.0.3.json",
    }
    assert url in files, f"context not expected: {url}"
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(files[url].read_text(encoding="utf-8"))}


def rdfc(document: dict[str, Any]) -> str:
    """Canonical N-Quads of a JSON-LD document: pyld's to_rdf, then RDFC-1.0 as written above."""
    nquads = jsonld.to_rdf(document, {"documentLoader": local_contexts, "format": "application/n-quads"})
    return Canonicalizer(parse_nquads(nquads)).canonical_nquads()


# --- the verifier ---------------------------------------------------------------------------------------------------


def fetch(url: str) -> tuple[dict[str, Any], Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/ld+json, application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read()), response.headers


def retrieve_verification_method(method_id: str, purpose: str) -> dict[str, Any]:
    """Controlled Identifiers v1.0 § 3.3, over HTTP."""
    controller_url, _hash, fragment = method_id.partition("#")
    assert fragment, "a verification method is a fragment of its controller document"
    controller, _headers = fetch(controller_url)
    assert controller["id"] == controller_url, "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID"
    methods = [m for m in controller.get("verificationMethod", []) if m.get("id") == method_id]
    assert len(methods) == 1, "INVALID_VERIFICATION_METHOD"
    method = methods[0]
    assert method["type"] == "Multikey", "INVALID_VERIFICATION_METHOD"
    assert method["controller"] == controller_url, "INVALID_VERIFICATION_METHOD (controller)"
    assert "revoked" not in method, "the method was revoked (a withdrawn key)"
    related = controller.get(purpose, [])
    assert any(r == method_id or (isinstance(r, dict) and r.get("id") == method_id) for r in related), (
        "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"
    )
    return method


def hash_data(document: dict[str, Any], proof: dict[str, Any]) -> bytes:
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    return hashlib.sha256(rdfc(config).encode()).digest() + hashlib.sha256(rdfc(document).encode()).digest()


def verify(credential: dict[str, Any]) -> dict[str, Any]:
    """An eddsa-rdfc-2022 proof checked from scratch; the verification method used."""
    proof = credential["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    method = retrieve_verification_method(proof["verificationMethod"], proof["proofPurpose"])
    issuer = credential["issuer"]
    issuer_id = issuer["id"] if isinstance(issuer, dict) else issuer
    assert method["controller"] == issuer_id, "the key's controller is the credential's issuer"
    document = {k: v for k, v in credential.items() if k != "proof"}
    signature = b58decode(proof["proofValue"].removeprefix("z"))
    assert proof["proofValue"].startswith("z") and len(signature) == 64
    assert ed25519_verify(multikey_ed25519(method["publicKeyMultibase"]), hash_data(document, proof), signature)
    return method


def status_bit(credential: dict[str, Any]) -> tuple[bool, dict[str, Any], Any]:
    entry = credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    listed, headers = fetch(entry["statusListCredential"])
    assert "BitstringStatusListCredential" in listed["type"]
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")  # multibase base64url, no padding
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) * 8 >= 131_072  # the specification's minimum: 16 KiB
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] >> (7 - index % 8) & 1), listed, headers


# --- the tests ------------------------------------------------------------------------------------------------------


def test_this_canonicalization_and_ed25519_match_the_official_vector() -> None:
    vector = json.loads((OB3 / "eddsa-rdfc-2022-test-vector.json").read_text(encoding="utf-8"))
    signed = json.loads((OB3 / "signed-eddsa-rdfc-2022.json").read_text(encoding="utf-8"))
    document = {k: v for k, v in signed.items() if k != "proof"}
    config = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    config["@context"] = signed["@context"]
    assert rdfc(document) == (OB3 / "document-canon.txt").read_text(encoding="utf-8")
    assert rdfc(config) == (OB3 / "proof-canon.txt").read_text(encoding="utf-8")
    data = hash_data(document, signed["proof"])
    public = bytes.fromhex(vector["publicKeyHex"])
    signature = b58decode(signed["proof"]["proofValue"][1:])
    assert ed25519_verify(public, data, signature)
    assert not ed25519_verify(public, data[:-1] + bytes([data[-1] ^ 1]), signature)
    tampered = copy.deepcopy(document)
    tampered["name"] = "Autre"
    assert not ed25519_verify(public, hash_data(tampered, signed["proof"]), signature)


def test_canonical_labels_do_not_depend_on_the_input_labels() -> None:
    """Two blank nodes alike at first degree (RDFC-1.0's n-degree hashing decides)."""
    quads = [
        ("_:x", "<http://ex/p>", "_:y", ""),
        ("_:y", "<http://ex/p>", "_:x", ""),
        ("_:x", "<http://ex/q>", '"1"', ""),
    ]
    renamed = [tuple(t.replace("_:x", "_:k").replace("_:y", "_:j") for t in q) for q in quads]
    first = Canonicalizer(list(quads)).canonical_nquads()  # type: ignore[arg-type]
    assert first == Canonicalizer(list(reversed(renamed))).canonical_nquads()  # type: ignore[arg-type]
    assert "_:c14n0" in first and "_:c14n1" in first


@pytest.mark.django_db(transaction=True)
def test_an_issued_credential_verifies_independently_then_its_revocation_shows(
    demo: Any, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.C2I_KEYS_DIR = tmp_path / "keys"
    a1, a2 = certified_and_not(demo)
    _action, document = services.produce_document(a1, None)
    assert document is not None
    response = demo.client("candidat-a1").get(f"/documents/{document.pk}/open-badge.json")
    assert response.status_code == 200
    credential = json.loads(response.content)

    method = verify(credential)
    assert method["id"] == credential["proof"]["verificationMethod"]
    assert credential["issuer"]["id"] == f"{live_server.url}/emetteur"
    revoked, listed, headers = status_bit(credential)
    assert revoked is False
    assert headers["Cache-Control"] == "public, max-age=300"
    verify(listed)

    # a second document, replaced by a rectification: its bit is set too
    _action, replaced = services.produce_document(a2, None)
    assert replaced is not None
    old = services.signed_credential(replaced)
    set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, ["D1", "D2", "D3"])
    services.reissue_document(a2, None, "Rectification")
    assert status_bit(old)[0] is True

    services.revoke_document(document, demo.user("admin"), "Fraude avérée")
    revoked, listed, _headers = status_bit(credential)
    assert revoked is True
    verify(listed)  # the list is signed again, by a key the issuer controls
    verify(credential)  # the signature itself still holds: the list says it is revoked

    # a change made after signing is caught
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = "Quelqu'un d'autre"
    with pytest.raises(AssertionError):
        verify(tampered)
