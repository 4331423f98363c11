"""Ed25519 signing keys of the platform, kept in a directory. Pure: no Django import.

The Django settings pass `C2I_KEYS_DIR` (default `var/keys`, out of the
repository). Layout of the directory (created with mode 0700):

- ``<key_id>.key``: the private key, PKCS#8 PEM, mode 0600;
- ``<key_id>.pub``: its public key, SubjectPublicKeyInfo PEM;
- ``current``: the id of the key that signs new credentials.

A rotation writes a new pair and points ``current`` at it; old public keys are
never deleted, so credentials signed before a rotation still verify (delete an
old private key by hand once nothing needs it). Writers hold an exclusive lock
on ``.lock`` so that two workers creating the first key end up with one key.

Key ids are ``YYYYMMDD-<12 hex digits of the SHA-256 of the raw public key>``:
stable, sortable by creation date, and tied to the key itself.

The keys' controller is the issuer (W3C Controlled Identifiers v1.0, § 3.3
"Retrieve Verification Method", as Data Integrity verifiers apply it): the
verification method of a key is ``<site_url>/emetteur#<key_id>``; the issuer's
profile at ``<site_url>/emetteur`` is the controller document, whose
``verificationMethod`` lists every key (current and rotated out) as a Multikey
whose ``controller`` is that document, and whose ``assertionMethod`` lists the
same ids (`verification_methods()`). Credentials signed before the issuer
became the controller name ``<site_url>/cles/<key_id>#<Multikey>``
(`legacy_verification_method()`); the page at ``<site_url>/cles/<key_id>``
stays a controller document of its own for them (`key_document()`).

A compromised key is withdrawn (`withdraw()`, after a rotation): a file
``<key_id>.revoked`` holds the moment, its private key is deleted, and the
controller document keeps the method with ``revoked`` (Controlled Identifiers
v1.0 § 2.2) but no longer lists it in ``assertionMethod``: nothing it signed
verifies any more, here or anywhere (services.withdraw_key signs again with
the current key what the platform had signed with it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_ID = re.compile(r"^\d{8}-[0-9a-f]{12}$")
CURRENT = "current"
LOCK = ".lock"
REVOKED = ".revoked"
MULTIKEY_ED25519_PREFIX = b"\xed\x01"  # multicodec ed25519-pub, as an unsigned varint
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
KEYS_PATH = "cles"
CONTROLLER_PATH = "emetteur"


class KeyStoreError(Exception):
    """A missing or damaged key directory (French message, for the operator)."""


# -- base58btc and Multikey -------------------------------------------------------------------------------------------

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_VALUES = {c: i for i, c in enumerate(B58_ALPHABET)}


def base58btc_encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, rem = divmod(n, 58)
        out.append(B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def base58btc_decode(text: str) -> bytes:
    """Raises ValueError on a character outside the alphabet."""
    n = 0
    for c in text:
        try:
            n = n * 58 + _B58_VALUES[c]
        except KeyError:
            raise ValueError(f"caractère hors de l'alphabet base58 : {c!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def multikey(public_key: Ed25519PublicKey) -> str:
    """The Multikey form ``z6Mk…``: multibase base58btc of 0xed01 followed by the 32 raw bytes."""
    return "z" + base58btc_encode(MULTIKEY_ED25519_PREFIX + raw_public_key(public_key))


def public_key_from_multikey(value: str) -> Ed25519PublicKey:
    """Raises ValueError when `value` is not an Ed25519 Multikey."""
    if not value.startswith("z"):
        raise ValueError("clé Multikey : encodage multibase base58btc (« z… ») attendu")
    data = base58btc_decode(value[1:])
    if len(data) != 34 or not data.startswith(MULTIKEY_ED25519_PREFIX):
        raise ValueError("clé Multikey : clé publique Ed25519 attendue")
    return Ed25519PublicKey.from_public_bytes(data[2:])


# -- the key directory ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def multikey(self) -> str:
        return multikey(self.public_key)

    def verification_method(self, site_url: str) -> str:
        return verification_method(site_url, self.key_id)


def key_id_for(public_key: Ed25519PublicKey, created: datetime | None = None) -> str:
    created = created or datetime.now(UTC)
    return f"{created:%Y%m%d}-{hashlib.sha256(raw_public_key(public_key)).hexdigest()[:12]}"


def controller_url(site_url: str) -> str:
    """The controller document of every key: the issuer's profile."""
    return f"{site_url.rstrip('/')}/{CONTROLLER_PATH}"


def key_url(site_url: str, key_id: str) -> str:
    return f"{site_url.rstrip('/')}/{KEYS_PATH}/{key_id}"


def verification_method(site_url: str, key_id: str) -> str:
    """``https://site/emetteur#20261122-3f9a1c2b7d4e``."""
    return f"{controller_url(site_url)}#{key_id}"


def legacy_verification_method(site_url: str, key_id: str, public_key: Ed25519PublicKey) -> str:
    """``https://site/cles/20261122-3f9a1c2b7d4e#z6Mk…``: what credentials signed before named."""
    return f"{key_url(site_url, key_id)}#{multikey(public_key)}"


def verification_methods(
    site_url: str, public_keys: dict[str, Ed25519PublicKey], revoked: dict[str, str] | None = None
) -> dict[str, Any]:
    """The controller document's properties: every key as a Multikey controlled
    by the issuer, and the same ids as assertion methods (the proof purpose of
    every credential). Rotated keys stay: what they signed still verifies. A
    withdrawn key (`revoked`: key id → moment) stays listed with its `revoked`
    moment, and is no assertion method any more."""
    revoked = revoked or {}
    controller = controller_url(site_url)
    methods: list[dict[str, Any]] = []
    for key_id, public_key in sorted(public_keys.items()):
        method = {
            "id": verification_method(site_url, key_id),
            "type": "Multikey",
            "controller": controller,
            "publicKeyMultibase": multikey(public_key),
        }
        if key_id in revoked:
            method["revoked"] = revoked[key_id]
        methods.append(method)
    return {
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods if "revoked" not in m],
    }


def key_document(
    site_url: str, key_id: str, public_key: Ed25519PublicKey, revoked: str | None = None
) -> dict[str, Any]:
    """The controller document served at `key_url()`, for credentials that name
    `legacy_verification_method()`: that method, controlled by this document,
    listed as an assertion method (unless the key was withdrawn)."""
    url = key_url(site_url, key_id)
    method: dict[str, Any] = {
        "id": legacy_verification_method(site_url, key_id, public_key),
        "type": "Multikey",
        "controller": url,
        "publicKeyMultibase": multikey(public_key),
    }
    if revoked:
        method["revoked"] = revoked
    return {
        "@context": [CID_CONTEXT],
        "id": url,
        "verificationMethod": [method],
        "assertionMethod": [] if revoked else [method["id"]],
    }


def _dir(directory: str | os.PathLike[str]) -> Path:
    return Path(directory)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _create(directory: Path) -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    key_id = key_id_for(private_key.public_key())
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(directory / f"{key_id}.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_atomic(directory / f"{key_id}.pub", public_pem, 0o644)
    _write_atomic(directory / CURRENT, f"{key_id}\n".encode(), 0o644)
    return SigningKey(key_id, private_key)


def _load_private(directory: Path, key_id: str) -> SigningKey:
    if not KEY_ID.match(key_id):
        raise KeyStoreError(f"Identifiant de clé invalide dans {directory / CURRENT} : {key_id!r}.")
    path = directory / f"{key_id}.key"
    try:
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyStoreError(f"Clé privée introuvable : {path}.") from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyStoreError(f"La clé {path} n'est pas une clé Ed25519.")
    return SigningKey(key_id, private_key)


def _current_id(directory: Path) -> str | None:
    try:
        return (directory / CURRENT).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None


def current(directory: str | os.PathLike[str]) -> SigningKey:
    """The key that signs new credentials; `KeyStoreError` when there is none yet (see `ensure_key`)."""
    d = _dir(directory)
    key_id = _current_id(d)
    if key_id is None:
        raise KeyStoreError(f"Aucune clé de signature dans {d} : créez-en une (ensure_key).")
    return _load_private(d, key_id)


def ensure_key(directory: str | os.PathLike[str]) -> SigningKey:
    """The current key, created on first use."""
    d = _dir(directory)
    key_id = _current_id(d)
    if key_id is not None:
        return _load_private(d, key_id)
    with _locked(d):
        key_id = _current_id(d)  # another process may have created it meanwhile
        if key_id is not None:
            return _load_private(d, key_id)
        return _create(d)


def rotate(directory: str | os.PathLike[str]) -> SigningKey:
    """A new current key; the old public keys stay (and verify what they signed)."""
    d = _dir(directory)
    with _locked(d):
        return _create(d)


def public_keys(directory: str | os.PathLike[str]) -> dict[str, Ed25519PublicKey]:
    """Every public key of the directory, current and rotated out, by key id."""
    d = _dir(directory)
    keys: dict[str, Ed25519PublicKey] = {}
    if not d.is_dir():
        return keys
    for path in sorted(d.glob("*.pub")):
        key_id = path.stem
        if not KEY_ID.match(key_id):
            continue
        public_key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(public_key, Ed25519PublicKey):
            raise KeyStoreError(f"La clé {path} n'est pas une clé Ed25519.")
        keys[key_id] = public_key
    return keys


def withdrawn(directory: str | os.PathLike[str]) -> dict[str, str]:
    """The withdrawn keys: key id → the moment (``2026-12-02T11:58:26Z``)."""
    d = _dir(directory)
    if not d.is_dir():
        return {}
    return {
        path.name.removesuffix(REVOKED): path.read_text(encoding="ascii").strip()
        for path in sorted(d.glob(f"*{REVOKED}"))
        if KEY_ID.match(path.name.removesuffix(REVOKED))
    }


def withdraw(directory: str | os.PathLike[str], key_id: str, when: datetime) -> str:
    """Withdraw a compromised key: it verifies nothing any more (`resolver`,
    `verification_methods`); its private key is deleted. The current key is
    refused (rotate first). Withdrawing twice keeps the first moment."""
    d = _dir(directory)
    with _locked(d):
        if key_id not in public_keys(d):
            raise KeyStoreError(f"Clé inconnue : {key_id} (aucun fichier {key_id}.pub dans {d}).")
        if _current_id(d) == key_id:
            raise KeyStoreError(
                f"La clé {key_id} signe les nouvelles attestations : faites d'abord une rotation "
                "(manage.py rotate_signing_key), puis retirez-la."
            )
        path = d / f"{key_id}{REVOKED}"
        if not path.exists():
            stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            _write_atomic(path, f"{stamp}\n".encode(), 0o644)
        (d / f"{key_id}.key").unlink(missing_ok=True)
        return path.read_text(encoding="ascii").strip()


def resolver(directory: str | os.PathLike[str], site_url: str) -> Callable[[str], Ed25519PublicKey | None]:
    """For `badges.verify`: the public key whose verification method is exactly
    the one given (the issuer's form, or the legacy per-key form), else None;
    a withdrawn key verifies nothing."""
    by_method: dict[str, Ed25519PublicKey] = {}
    revoked = withdrawn(directory)
    for key_id, key in public_keys(directory).items():
        if key_id in revoked:
            continue
        by_method[verification_method(site_url, key_id)] = key
        by_method[legacy_verification_method(site_url, key_id, key)] = key
    return by_method.get
