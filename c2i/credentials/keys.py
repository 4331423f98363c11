"""Ed25519 signing keys of the platform. Pure: no Django import.

Two stores behind one interface (`KeyStore`), chosen by the settings
(`services.key_store()`):

- `DirectoryStore`, the default (one machine, development, `make run`): a
  directory, `C2I_KEYS_DIR` (default `var/keys`, out of the repository), where
  the first key is made on first use;
- `SecretStore` (several application servers and workers): one JSON document
  the operator deploys on every node, as a file (`C2I_SIGNING_KEYS_FILE`,
  re-read when it changes: a rotation reaches running nodes without a
  restart) or as text (`C2I_SIGNING_KEYS`, from the environment). It is the
  only source: a node never writes or creates a key; the commands write the
  next document (`rotated_secret`, `withdrawn_secret`, `secret_from_directory`)
  for the operator to deploy. Its format (`parse_secret`, strict)::

      {"format": "c2i-signing-keys/1", "current": "<key_id>",
       "keys": [{"id": "<key_id>", "private_key": "<PKCS#8 PEM>"},
                {"id": "<key_id>", "public_key": "<SPKI PEM>", "withdrawn": "2026-12-02T11:58:26Z"}]}

  every key ever used (a rotated-out key keeps at least its public key, so
  what it signed still verifies), the current one with its private key.

Layout of the directory (created with mode 0700):

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
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

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
    """A missing or damaged key directory or secret (French message, for the operator)."""


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
    return _ensure(_dir(directory))[0]


def _ensure(d: Path) -> tuple[SigningKey, bool]:
    """The current key, and whether this call created it."""
    key_id = _current_id(d)
    if key_id is not None:
        return _load_private(d, key_id), False
    with _locked(d):
        key_id = _current_id(d)  # another process may have created it meanwhile
        if key_id is not None:
            return _load_private(d, key_id), False
        return _create(d), True


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
            _write_atomic(path, f"{_stamp(when)}\n".encode(), 0o644)
        (d / f"{key_id}.key").unlink(missing_ok=True)
        return path.read_text(encoding="ascii").strip()


def resolver(directory: str | os.PathLike[str], site_url: str) -> Callable[[str], Ed25519PublicKey | None]:
    """For `badges.verify`: the public key whose verification method is exactly
    the one given (the issuer's form, or the legacy per-key form), else None;
    a withdrawn key verifies nothing."""
    return _resolver(public_keys(directory), withdrawn(directory), site_url)


def _resolver(
    public_keys: dict[str, Ed25519PublicKey], revoked: dict[str, str], site_url: str
) -> Callable[[str], Ed25519PublicKey | None]:
    by_method: dict[str, Ed25519PublicKey] = {}
    for key_id, key in public_keys.items():
        if key_id in revoked:
            continue
        by_method[verification_method(site_url, key_id)] = key
        by_method[legacy_verification_method(site_url, key_id, key)] = key
    return by_method.get


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the two key stores -----------------------------------------------------------------------------------------------

DIRECTORY = "directory"
SECRET = "secret"  # noqa: S105 (a store kind, no password)


class KeyStore(Protocol):
    """Where the keys live: a directory of one machine (`DirectoryStore`) or a
    secret every node reads (`SecretStore`)."""

    @property
    def kind(self) -> str: ...

    def describe(self) -> str: ...

    def signing_key(self) -> tuple[SigningKey, bool]:
        """The current key, and whether this call created it (only a directory creates one)."""
        ...

    def rotate(self) -> SigningKey: ...

    def public_keys(self) -> dict[str, Ed25519PublicKey]: ...

    def withdrawn(self) -> dict[str, str]: ...

    def withdraw(self, key_id: str, when: datetime) -> str: ...

    def resolver(self, site_url: str) -> Callable[[str], Ed25519PublicKey | None]: ...


@dataclass(frozen=True)
class DirectoryStore:
    """The keys in `directory` (the functions above): one machine, development, `make run`."""

    directory: str | os.PathLike[str]
    kind: str = DIRECTORY

    def describe(self) -> str:
        return str(self.directory)

    def signing_key(self) -> tuple[SigningKey, bool]:
        return _ensure(_dir(self.directory))

    def rotate(self) -> SigningKey:
        return rotate(self.directory)

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        return public_keys(self.directory)

    def withdrawn(self) -> dict[str, str]:
        return withdrawn(self.directory)

    def withdraw(self, key_id: str, when: datetime) -> str:
        return withdraw(self.directory, key_id, when)

    def resolver(self, site_url: str) -> Callable[[str], Ed25519PublicKey | None]:
        return resolver(self.directory, site_url)


# -- the secret shared by every node ----------------------------------------------------------------------------------

SECRET_FORMAT = "c2i-signing-keys/1"  # noqa: S105 (a format name)
SECRET_FIELDS = ("format", "current", "keys")
ENTRY_FIELDS = ("id", "private_key", "public_key", "withdrawn")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@dataclass(frozen=True)
class SecretEntry:
    key_id: str
    public_key: Ed25519PublicKey
    private_key: Ed25519PrivateKey | None = None
    withdrawn: str | None = None


@dataclass(frozen=True)
class Secret:
    """A parsed, valid secret document: every key the platform ever used, the
    current one with its private key."""

    current_id: str
    entries: tuple[SecretEntry, ...]

    @property
    def current(self) -> SigningKey:
        entry = self.entry(self.current_id)
        assert entry is not None and entry.private_key is not None  # parse_secret checked it
        return SigningKey(entry.key_id, entry.private_key)

    def entry(self, key_id: str) -> SecretEntry | None:
        return next((e for e in self.entries if e.key_id == key_id), None)

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        return {e.key_id: e.public_key for e in self.entries}

    def withdrawn(self) -> dict[str, str]:
        return {e.key_id: e.withdrawn for e in self.entries if e.withdrawn}

    def document(self) -> str:
        """The JSON text of the secret (what the operator deploys)."""
        keys: list[dict[str, str]] = []
        for e in sorted(self.entries, key=lambda e: e.key_id):
            item = {"id": e.key_id, "public_key": _public_pem(e.public_key)}
            if e.private_key is not None:
                item["private_key"] = _private_pem(e.private_key)
            if e.withdrawn:
                item["withdrawn"] = e.withdrawn
            keys.append(item)
        return json.dumps({"format": SECRET_FORMAT, "current": self.current_id, "keys": keys}, indent=2) + "\n"


def _public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(
        "ascii"
    )


def _private_pem(private_key: Ed25519PrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _parse_entry(source: str, index: int, item: object) -> SecretEntry:
    label = f"{source}, keys[{index}]"
    if not isinstance(item, dict):
        raise KeyStoreError(f"{label} : un objet JSON est attendu.")
    key_id = item.get("id")
    if not isinstance(key_id, str) or not KEY_ID.match(key_id):
        raise KeyStoreError(f"{label}, champ « id » : identifiant AAAAMMJJ-<12 chiffres hexadécimaux> attendu.")
    label = f"{label} ({key_id})"
    unknown = sorted(set(item) - set(ENTRY_FIELDS))
    if unknown:
        raise KeyStoreError(f"{label} : champ inconnu « {unknown[0]} » (attendus : {', '.join(ENTRY_FIELDS)}).")
    private_key: Ed25519PrivateKey | None = None
    public_key: Ed25519PublicKey | None = None
    if "private_key" in item:
        pem = item["private_key"]
        try:
            loaded = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        except (AttributeError, ValueError, TypeError, UnicodeError):
            raise KeyStoreError(f"{label}, champ « private_key » : clé privée PEM PKCS#8 illisible.") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise KeyStoreError(f"{label}, champ « private_key » : clé Ed25519 attendue (seul algorithme admis).")
        private_key = loaded
    if "public_key" in item:
        pem = item["public_key"]
        try:
            loaded_public = serialization.load_pem_public_key(pem.encode("ascii"))
        except (AttributeError, ValueError, TypeError, UnicodeError):
            raise KeyStoreError(
                f"{label}, champ « public_key » : clé publique PEM SubjectPublicKeyInfo illisible."
            ) from None
        if not isinstance(loaded_public, Ed25519PublicKey):
            raise KeyStoreError(f"{label}, champ « public_key » : clé Ed25519 attendue (seul algorithme admis).")
        public_key = loaded_public
    if private_key is None and public_key is None:
        raise KeyStoreError(f"{label} : champ « private_key » ou « public_key » attendu.")
    if private_key is not None:
        if public_key is not None and raw_public_key(public_key) != raw_public_key(private_key.public_key()):
            raise KeyStoreError(f"{label}, champ « public_key » : ne correspond pas à la clé privée.")
        public_key = private_key.public_key()
    assert public_key is not None
    fingerprint = hashlib.sha256(raw_public_key(public_key)).hexdigest()[:12]
    if key_id[9:] != fingerprint:
        raise KeyStoreError(
            f"{label}, champ « id » : ne correspond pas à la clé (empreinte {fingerprint} attendue après la date)."
        )
    moment = item.get("withdrawn")
    if moment is not None:
        try:
            if not isinstance(moment, str) or not STAMP.match(moment):
                raise ValueError
            datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise KeyStoreError(f"{label}, champ « withdrawn » : moment AAAA-MM-JJTHH:MM:SSZ (UTC) attendu.") from None
        if private_key is not None:
            raise KeyStoreError(
                f"{label}, champ « private_key » : une clé retirée ne doit plus avoir de clé privée (ôtez ce champ)."
            )
    return SecretEntry(key_id, public_key, private_key, moment)


def parse_secret(text: str, source: str) -> Secret:
    """The secret document `text` checked strictly; `KeyStoreError` names the
    entry and the field at fault (`source`: where it was read, for the operator).
    The secret's content never appears in a message."""
    try:
        data = json.loads(text)
    except ValueError as error:
        detail = f" (ligne {error.lineno}, colonne {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        raise KeyStoreError(f"{source} : document JSON illisible{detail}.") from None
    if not isinstance(data, dict):
        raise KeyStoreError(f"{source} : un objet JSON est attendu.")
    if data.get("format") != SECRET_FORMAT:
        raise KeyStoreError(
            f"{source}, champ « format » : « {SECRET_FORMAT} » attendu, trouvé {_short(data.get('format'))}."
        )
    unknown = sorted(set(data) - set(SECRET_FIELDS))
    if unknown:
        raise KeyStoreError(f"{source} : champ inconnu « {unknown[0]} » (attendus : {', '.join(SECRET_FIELDS)}).")
    items = data.get("keys")
    if not isinstance(items, list) or not items:
        raise KeyStoreError(f"{source}, champ « keys » : une liste non vide de clés est attendue.")
    entries: list[SecretEntry] = []
    for index, item in enumerate(items):
        entry = _parse_entry(source, index, item)
        if any(e.key_id == entry.key_id for e in entries):
            raise KeyStoreError(f"{source}, keys[{index}], champ « id » : la clé {entry.key_id} figure deux fois.")
        entries.append(entry)
    current_id = data.get("current")
    if not isinstance(current_id, str) or not current_id:
        raise KeyStoreError(f"{source}, champ « current » : l'identifiant de la clé qui signe est attendu.")
    current_entry = next((e for e in entries if e.key_id == current_id), None)
    if current_entry is None:
        raise KeyStoreError(f"{source}, champ « current » : la clé {_short(current_id)} ne figure pas dans « keys ».")
    if current_entry.withdrawn:
        raise KeyStoreError(f"{source}, champ « current » : la clé {current_id} est retirée, elle ne peut plus signer.")
    if current_entry.private_key is None:
        raise KeyStoreError(f"{source}, champ « current » : la clé {current_id} n'a pas de « private_key ».")
    return Secret(current_id, tuple(sorted(entries, key=lambda e: e.key_id)))


def new_secret(now: datetime | None = None) -> Secret:
    """A first secret: one new key, current."""
    private_key = Ed25519PrivateKey.generate()
    key_id = key_id_for(private_key.public_key(), now)
    return Secret(key_id, (SecretEntry(key_id, private_key.public_key(), private_key),))


def rotated_secret(secret: Secret, now: datetime | None = None) -> Secret:
    """`secret` with a new current key; the other keys keep only their public
    key (what they signed still verifies; they sign nothing any more)."""
    fresh = new_secret(now).entries[0]
    kept = tuple(SecretEntry(e.key_id, e.public_key, None, e.withdrawn) for e in secret.entries)
    return Secret(fresh.key_id, tuple(sorted((*kept, fresh), key=lambda e: e.key_id)))


def withdrawn_secret(secret: Secret, key_id: str, when: datetime) -> Secret:
    """`secret` with `key_id` withdrawn (its private key dropped); the current
    key is refused (rotate first); a key withdrawn already keeps its moment."""
    entry = secret.entry(key_id)
    if entry is None:
        raise KeyStoreError(f"Clé inconnue : {key_id} (absente du secret des clés de signature).")
    if key_id == secret.current_id:
        raise KeyStoreError(
            f"La clé {key_id} signe les nouvelles attestations : faites d'abord une rotation "
            "(manage.py rotate_signing_key), déployez-la, puis retirez la clé."
        )
    changed = SecretEntry(key_id, entry.public_key, None, entry.withdrawn or _stamp(when))
    return Secret(secret.current_id, tuple(changed if e.key_id == key_id else e for e in secret.entries))


def secret_from_directory(directory: str | os.PathLike[str]) -> Secret:
    """The keys of a directory as a secret (the move from one machine to
    several): every public key, the withdrawn moments, the current key with its
    private key (the old private keys are left out: they sign nothing)."""
    d = _dir(directory)
    key_id = _current_id(d)
    if key_id is None:
        raise KeyStoreError(f"Aucune clé de signature dans {d} : rien à exporter.")
    current_key = _load_private(d, key_id)
    revoked = withdrawn(d)
    entries = [
        SecretEntry(k, pub, current_key.private_key if k == key_id else None, revoked.get(k))
        for k, pub in public_keys(d).items()
    ]
    secret = Secret(key_id, tuple(sorted(entries, key=lambda e: e.key_id)))
    return parse_secret(secret.document(), str(d))  # the same checks as every node's


def write_secret(path: str | os.PathLike[str], secret: Secret) -> None:
    """The document in `path`, mode 0600, replaced atomically."""
    target = Path(path)
    _write_atomic(target, secret.document().encode("ascii"), 0o600)


_file_cache: dict[str, tuple[tuple[int, int, int, int], Secret]] = {}
_text_cache: dict[str, Secret] = {}


def load_secret_file(path: str | os.PathLike[str], name: str = "C2I_SIGNING_KEYS_FILE") -> Secret:
    """The secret in `path`, parsed again only when the file changed (its
    modification time, size or inode: a secret manager replaces the mounted
    file, and a rotation reaches running nodes without a restart)."""
    source = f"{name} ({path})"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise KeyStoreError(
            f"{source} : fichier introuvable. Le secret des clés de signature doit être monté sur chaque nœud."
        ) from None
    except OSError as error:
        raise KeyStoreError(f"{source} : fichier illisible ({error.strerror}).") from None
    stamp = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
    cached = _file_cache.get(str(path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        raise KeyStoreError(f"{source} : fichier illisible ({error}).") from None
    secret = parse_secret(text, source)
    _file_cache[str(path)] = (stamp, secret)
    return secret


def load_secret_text(text: str, name: str = "C2I_SIGNING_KEYS") -> Secret:
    """The secret given as text (an environment variable), parsed once per process."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    secret = _text_cache.get(digest)
    if secret is None:
        secret = parse_secret(text, name)
        if len(_text_cache) > 8:
            _text_cache.clear()
        _text_cache[digest] = secret
    return secret


@dataclass(frozen=True)
class SecretStore:
    """The keys in a secret the operator deploys on every node: a file
    (`path`) or a text (`text`, from the environment). Read only: a node never
    creates, rotates or withdraws a key; the commands write the next document,
    which the operator deploys."""

    path: str | None = None
    text: str | None = None
    kind: str = SECRET

    def describe(self) -> str:
        return f"C2I_SIGNING_KEYS_FILE ({self.path})" if self.path else "C2I_SIGNING_KEYS"

    def secret(self) -> Secret:
        if self.path:
            return load_secret_file(self.path)
        return load_secret_text(self.text or "")

    def signing_key(self) -> tuple[SigningKey, bool]:
        return self.secret().current, False

    def rotate(self) -> SigningKey:
        raise KeyStoreError(
            f"Les clés viennent du secret {self.describe()} : aucun nœud n'en crée ; "
            "écrivez le nouveau secret (manage.py rotate_signing_key --output FICHIER) et déployez-le."
        )

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        return self.secret().public_keys()

    def withdrawn(self) -> dict[str, str]:
        return self.secret().withdrawn()

    def withdraw(self, key_id: str, when: datetime) -> str:
        """The moment `key_id` was withdrawn in the deployed secret; refused
        while the deployed secret does not say so yet."""
        secret = self.secret()
        entry = secret.entry(key_id)
        if entry is None:
            raise KeyStoreError(f"Clé inconnue : {key_id} (absente du secret {self.describe()}).")
        if not entry.withdrawn:
            raise KeyStoreError(
                f"La clé {key_id} n'est pas retirée dans le secret déployé {self.describe()} : écrivez le "
                "nouveau secret (manage.py withdraw_signing_key --output FICHIER), déployez-le sur chaque nœud, "
                "puis relancez la commande pour signer à nouveau ce que la clé avait signé."
            )
        return entry.withdrawn

    def resolver(self, site_url: str) -> Callable[[str], Ed25519PublicKey | None]:
        secret = self.secret()
        return _resolver(secret.public_keys(), secret.withdrawn(), site_url)
