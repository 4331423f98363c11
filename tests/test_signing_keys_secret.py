"""The Open Badges signing keys from the operator's secret (issue 16): a file
mounted on every node (C2I_SIGNING_KEYS_FILE) or the same document in the
environment (C2I_SIGNING_KEYS). Every node signs with the same key and
publishes the same controller document; a rotation or a withdrawal is a new
secret the operator deploys, read again without a restart; a malformed secret
is refused with a French message naming the field; a node never writes or
creates a key; the directory's keys export to a secret."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import CommandError, call_command
from django.test import Client

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.credentials import badges, keys, services, status
from c2i.credentials.models import IssuedDocument, SigningKeyRecord
from tests.credentials_support import SITE, certified_and_not, isolated

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, secret: keys.Secret | str) -> None:
    """Deploy a secret the way a secret manager does: the mounted file's content changes in place."""
    path.write_text(secret if isinstance(secret, str) else secret.document(), encoding="utf-8")


@pytest.fixture
def secret_file(isolated: Path, settings: Any) -> Path:
    """A secret with one key, mounted as a file; the key folder stays unused."""
    path = isolated / "run-secrets" / "c2i-signing-keys.json"
    path.parent.mkdir()
    write(path, keys.new_secret())
    settings.C2I_SIGNING_KEYS_FILE = str(path)
    settings.C2I_SIGNING_KEYS = ""
    return path


def issue(demo: Any, which: int = 0) -> IssuedDocument:
    enrolment = certified_and_not(demo)[which]
    _created, document = services.produce_document(enrolment, None)
    assert document is not None
    return document


def method_of(document: IssuedDocument) -> str:
    return str(services.signed_credential(document)["proof"]["verificationMethod"])


def actions(action: str) -> list[dict[str, Any]]:
    return [e.details for e in AuditEntry.objects.filter(action=action).order_by("pk")]


def test_it_signs_and_verifies_with_a_secret_file(demo: Any, secret_file: Path, settings: Any) -> None:
    # a secret holding a rotated-out key (public key only) and a withdrawn one
    old, withdrawn = keys.new_secret(), keys.new_secret()
    current = keys.new_secret()
    secret = keys.Secret(
        current.current_id,
        (
            current.entries[0],
            keys.SecretEntry(old.current_id, old.current.public_key),
            keys.SecretEntry(withdrawn.current_id, withdrawn.current.public_key, None, "2026-12-02T11:58:26Z"),
        ),
    )
    write(secret_file, secret)
    document = issue(demo)
    assert method_of(document) == keys.verification_method(SITE, current.current_id)
    assert services.verify_credential(services.signed_credential(document)).ok
    profile = Client().get("/emetteur").json()
    listed = {m["id"].rsplit("#", 1)[1]: m for m in profile["verificationMethod"]}
    assert set(listed) == {current.current_id, old.current_id, withdrawn.current_id}
    assert listed[withdrawn.current_id]["revoked"] == "2026-12-02T11:58:26Z"
    assert len(profile["assertionMethod"]) == 2
    assert Client().get(f"/cles/{old.current_id}").json()["assertionMethod"]
    assert Client().get(f"/cles/{withdrawn.current_id}").json()["assertionMethod"] == []
    assert not settings.C2I_KEYS_DIR.exists()  # nothing written on disk by the node
    assert not SigningKeyRecord.objects.exists()  # and no key made


def test_the_parsed_secret_is_kept_until_the_file_changes(secret_file: Path) -> None:
    first = keys.load_secret_file(secret_file)
    assert keys.load_secret_file(secret_file) is first  # no JSON nor PEM parsed again per signature
    write(secret_file, keys.rotated_secret(first))
    assert keys.load_secret_file(secret_file).current_id != first.current_id


def test_two_nodes_with_the_secret_in_the_environment_sign_alike(demo: Any, secret_file: Path, settings: Any) -> None:
    """Node 1 reads the file, node 2 (another process) the environment: the
    same controller document, the same key, and what node 2 signs verifies on node 1."""
    text = secret_file.read_text()
    node1_profile = services.issuer_profile()
    script = (
        "import json, django; from datetime import UTC, datetime; django.setup()\n"
        "from c2i.credentials import badges, services, status\n"
        "from django.conf import settings\n"
        "key = services.signing_key()\n"
        "unsigned = status.list_credential(settings.SITE_URL, 0, issuer_id=services.issuer_id(),"
        " valid_from=datetime(2026, 12, 2, tzinfo=UTC), revoked_bits=[5])\n"
        "signed = badges.sign(unsigned, key.private_key, key.verification_method(settings.SITE_URL),"
        " datetime.now(UTC))\n"
        "print(json.dumps({'key': key.key_id, 'profile': services.issuer_profile(), 'signed': signed}))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "c2i.settings",
        "C2I_SITE_URL": SITE,
        "C2I_SIGNING_KEYS": text,
        "C2I_SIGNING_KEYS_FILE": "",
        "C2I_KEYS_DIR": str(secret_file.parent / "node2-keys"),
    }
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    node2 = json.loads(run.stdout)
    assert node2["profile"] == node1_profile
    assert node2["key"] == services.signing_key().key_id
    assert services.key_store().resolver(SITE)(node2["signed"]["proof"]["verificationMethod"]) is not None
    assert badges.verify(node2["signed"], services.key_store().resolver(SITE)).ok
    assert not (secret_file.parent / "node2-keys").exists()
    # the same secret in this process's environment setting: same document, and node 1's credential verifies
    settings.C2I_SIGNING_KEYS_FILE = ""
    settings.C2I_SIGNING_KEYS = text
    assert services.issuer_profile() == node1_profile
    document = issue(demo)
    assert method_of(document) == keys.verification_method(SITE, node2["key"])
    assert services.verify_credential(services.signed_credential(document)).ok
    settings.C2I_SIGNING_KEYS_FILE = str(secret_file)
    with pytest.raises(keys.KeyStoreError, match="gardez-en un seul"):
        services.key_store()


def test_a_rotation_is_a_new_secret_that_running_nodes_read_again(demo: Any, secret_file: Path, tmp_path: Path) -> None:
    old_id = keys.load_secret_file(secret_file).current_id
    before = issue(demo, 0)
    credential = services.signed_credential(before)
    new_file = tmp_path / "next-secret.json"
    out = io.StringIO()
    call_command("rotate_signing_key", "--output", str(new_file), stdout=out)
    assert "Déployez-le sur tous les nœuds" in out.getvalue()
    assert new_file.stat().st_mode & 0o777 == 0o600
    deployed = keys.parse_secret(new_file.read_text(), "test")
    assert deployed.current_id != old_id
    assert "private_key" not in json.dumps(
        [k for k in json.loads(new_file.read_text())["keys"] if k["id"] == old_id]
    )  # the rotated-out key keeps its public key only
    # not deployed yet: nothing changed
    assert services.signing_key().key_id == old_id
    [rotation] = actions(AuditAction.SIGNING_KEY_ROTATE)
    assert rotation == {"key_id": deployed.current_id, "store": "secret", "previous": old_id}

    write(secret_file, new_file.read_text())  # the deployment, no restart
    after = issue(demo, 1)
    assert method_of(after) == keys.verification_method(SITE, deployed.current_id)
    assert services.verify_credential(credential).ok  # signed before the rotation, still verifies
    assert services.verify_credential(services.signed_credential(after)).ok
    assert len(Client().get("/emetteur").json()["assertionMethod"]) == 2
    record = SigningKeyRecord.objects.get(key_id=deployed.current_id)
    assert record.store == "secret" and record.public_key == deployed.current.multikey


def test_a_withdrawal_is_deployed_then_the_command_signs_again(demo: Any, secret_file: Path, tmp_path: Path) -> None:
    old_id = keys.load_secret_file(secret_file).current_id
    document = issue(demo)
    credential = services.signed_credential(document)
    rotated = tmp_path / "rotated.json"
    call_command("rotate_signing_key", "--output", str(rotated), stdout=io.StringIO())
    with pytest.raises(CommandError, match="faites d'abord une rotation"):  # not deployed yet: still current
        call_command("withdraw_signing_key", old_id, "--output", str(tmp_path / "x.json"), stdout=io.StringIO())
    assert not (tmp_path / "x.json").exists()
    write(secret_file, rotated.read_text())

    withdrawn_file = tmp_path / "withdrawn.json"
    out = io.StringIO()
    call_command("withdraw_signing_key", old_id, "--output", str(withdrawn_file), stdout=out)
    assert "relancez cette commande" in out.getvalue()
    assert withdrawn_file.stat().st_mode & 0o777 == 0o600
    [entry] = [k for k in json.loads(withdrawn_file.read_text())["keys"] if k["id"] == old_id]
    assert entry["withdrawn"].endswith("Z") and "private_key" not in entry
    assert services.verify_credential(credential).ok  # not deployed: nothing changed
    with pytest.raises(services.CredentialError, match="n'est pas retirée dans le secret déployé"):
        services.withdraw_key(old_id, None)

    write(secret_file, withdrawn_file.read_text())  # deployed on every node
    assert services.verify_credential(credential).signature.code == badges.UNKNOWN_KEY
    out = io.StringIO()
    call_command("withdraw_signing_key", old_id, stdout=out)  # run again: signs again
    assert f"Clé {old_id} retirée" in out.getvalue() and "attestations 1" in out.getvalue()
    document.refresh_from_db()
    again = services.signed_credential(document)
    assert again["proof"]["verificationMethod"] != credential["proof"]["verificationMethod"]
    assert services.verify_credential(again).ok
    listed = Client().get("/statut/0").json()
    assert badges.verify(listed, services.key_store().resolver(SITE)).ok
    steps = [(d["key_id"], d["step"]) for d in actions(AuditAction.SIGNING_KEY_WITHDRAW)]
    assert steps == [(old_id, "secret_written"), (old_id, "resigned")]
    assert SigningKeyRecord.objects.get(key_id=old_id).withdrawn_at is not None
    call_command("withdraw_signing_key", old_id, stdout=out)  # a third run has nothing left to sign
    assert actions(AuditAction.SIGNING_KEY_WITHDRAW)[-1]["documents"] == 0


def _valid() -> dict[str, Any]:
    return json.loads(keys.new_secret(datetime(2026, 12, 2, tzinfo=UTC)).document())


def _ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _other_public() -> str:
    return keys._public_pem(keys.new_secret().current.public_key)


def _with_old(data: dict[str, Any], **entry: Any) -> dict[str, Any]:
    other = keys.new_secret()
    data["keys"].append({"id": other.current_id, "public_key": keys._public_pem(other.current.public_key), **entry})
    return data


MALFORMED: list[tuple[str, Any, str]] = [
    ("not json", lambda d: "{format", "document JSON illisible (ligne 1"),
    ("not an object", lambda d: [d], "un objet JSON est attendu"),
    ("format", lambda d: {**d, "format": "c2i-signing-keys/2"}, "champ « format » : « c2i-signing-keys/1 » attendu"),
    ("unknown field", lambda d: {**d, "next": "x"}, "champ inconnu « next »"),
    ("no keys", lambda d: {**d, "keys": []}, "champ « keys » : une liste non vide"),
    ("entry", lambda d: {**d, "keys": ["x"]}, "keys[0] : un objet JSON est attendu"),
    ("id", lambda d: {**d, "keys": [{**d["keys"][0], "id": "2026-12-02"}]}, "keys[0], champ « id » : identifiant"),
    (
        "id of another key",
        lambda d: {**d, "keys": [{**d["keys"][0], "id": "20261202-000000000000"}]},
        "champ « id » : ne correspond pas à la clé",
    ),
    (
        "unreadable private key",
        lambda d: {**d, "keys": [{"id": d["keys"][0]["id"], "private_key": "-----BEGIN"}]},
        "champ « private_key » : clé privée PEM PKCS#8 illisible",
    ),
    (
        "not Ed25519",
        lambda d: {**d, "keys": [{"id": d["keys"][0]["id"], "private_key": _ec_pem()}]},
        "champ « private_key » : clé Ed25519 attendue",
    ),
    (
        "public key of another key",
        lambda d: {**d, "keys": [{**d["keys"][0], "public_key": _other_public()}]},
        "champ « public_key » : ne correspond pas à la clé privée",
    ),
    (
        "no key at all",
        lambda d: {**d, "keys": [{"id": d["keys"][0]["id"]}]},
        "« private_key » ou « public_key » attendu",
    ),
    ("unknown entry field", lambda d: {**d, "keys": [{**d["keys"][0], "created": "x"}]}, "champ inconnu « created »"),
    ("duplicate", lambda d: {**d, "keys": d["keys"] * 2}, "keys[1], champ « id » : la clé"),
    ("current unknown", lambda d: {**d, "current": "20200101-000000000000"}, "ne figure pas dans « keys »"),
    ("current missing", lambda d: {k: v for k, v in d.items() if k != "current"}, "champ « current » : l'identifiant"),
    (
        "current without private key",
        lambda d: {**d, "current": _with_old(d)["keys"][-1]["id"]},
        "n'a pas de « private_key »",
    ),
    (
        "current withdrawn",
        lambda d: {**(o := _with_old(d, withdrawn="2026-12-02T11:58:26Z")), "current": o["keys"][-1]["id"]},
        "est retirée, elle ne peut plus signer",
    ),
    ("bad moment", lambda d: _with_old(d, withdrawn="2 décembre"), "champ « withdrawn » : moment AAAA-MM-JJTHH:MM:SSZ"),
    (
        "withdrawn with private key",
        lambda d: {**d, "current": "x", "keys": [{**d["keys"][0], "withdrawn": "2026-12-02T11:58:26Z"}]},
        "une clé retirée ne doit plus avoir de clé privée",
    ),
]


@pytest.mark.parametrize(("change", "message"), [(c, m) for _n, c, m in MALFORMED], ids=[n for n, _c, _m in MALFORMED])
def test_a_malformed_secret_is_refused_naming_the_field(
    change: Any, message: str, secret_file: Path, tmp_path: Path, settings: Any
) -> None:
    changed = change(_valid())
    text = changed if isinstance(changed, str) else json.dumps(changed)
    with pytest.raises(keys.KeyStoreError, match=re.escape(message)):
        keys.parse_secret(text, "C2I_SIGNING_KEYS")
    write(secret_file, text)
    with pytest.raises(CommandError) as refused:
        call_command("rotate_signing_key", "--output", str(tmp_path / "next.json"), stdout=io.StringIO())
    assert message in str(refused.value) and str(secret_file) in str(refused.value)
    assert not (tmp_path / "next.json").exists()
    with pytest.raises(keys.KeyStoreError):
        services.signing_key()
    assert "-----BEGIN" not in str(refused.value)  # the secret itself never shows in a message
    assert not settings.C2I_KEYS_DIR.exists() and not SigningKeyRecord.objects.exists()


def test_a_node_never_makes_a_key_of_its_own(secret_file: Path, settings: Any) -> None:
    secret_file.unlink()
    with pytest.raises(
        CommandError, match=re.escape("fichier introuvable. Le secret des clés de signature doit être monté")
    ):
        call_command("ensure_signing_key", stdout=io.StringIO())
    with pytest.raises(keys.KeyStoreError):
        services.signing_key()
    settings.C2I_SIGNING_KEYS_FILE = ""
    settings.C2I_SIGNING_KEYS = json.dumps({**_valid(), "current": ""})
    with pytest.raises(keys.KeyStoreError, match=r"^C2I_SIGNING_KEYS, champ « current »"):
        services.signing_key()
    with pytest.raises(CommandError, match="Clé inconnue : 20200101-000000000000"):
        settings.C2I_SIGNING_KEYS = keys.new_secret().document()
        call_command("withdraw_signing_key", "20200101-000000000000", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--output ne sert qu’avec un secret"):
        settings.C2I_SIGNING_KEYS = ""
        call_command("rotate_signing_key", "--output", str(secret_file), stdout=io.StringIO())
    assert not settings.C2I_KEYS_DIR.exists() and not SigningKeyRecord.objects.exists()


def test_the_directorys_keys_export_to_a_secret(demo: Any, isolated: Path, settings: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Aucune clé de signature"):
        call_command("export_signing_keys", "--output", str(tmp_path / "empty.json"), stdout=io.StringIO())
    assert not (tmp_path / "empty.json").exists()
    folder = settings.C2I_KEYS_DIR
    first = services.signing_key()  # made on first use in the folder, audited
    assert actions(AuditAction.SIGNING_KEY_CREATE) == [{"key_id": first.key_id, "store": "directory"}]
    document = issue(demo)
    call_command("rotate_signing_key", stdout=io.StringIO())
    call_command("withdraw_signing_key", first.key_id, stdout=io.StringIO())
    assert [d["store"] for d in actions(AuditAction.SIGNING_KEY_ROTATE)] == ["directory"]
    assert actions(AuditAction.SIGNING_KEY_WITHDRAW)[0]["store"] == "directory"
    directory_profile = services.issuer_profile()
    credential = services.signed_credential(IssuedDocument.objects.get(pk=document.pk))  # signed again

    exported = tmp_path / "secret.json"
    out = io.StringIO()
    call_command("export_signing_keys", "--output", str(exported), stdout=out)
    assert "Déployez-le sur chaque nœud" in out.getvalue()
    assert exported.stat().st_mode & 0o777 == 0o600
    stdout = io.StringIO()
    call_command("export_signing_keys", stdout=stdout, stderr=io.StringIO())
    secret = keys.parse_secret(stdout.getvalue(), "stdout")
    assert secret.current_id == keys.current(folder).key_id
    assert secret.public_keys().keys() == keys.public_keys(folder).keys()
    assert secret.withdrawn() == keys.withdrawn(folder)

    settings.C2I_SIGNING_KEYS_FILE = str(exported)
    assert services.issuer_profile() == directory_profile
    assert services.verify_credential(credential).ok
    assert services.signing_key().key_id == keys.current(folder).key_id


def test_a_new_platform_starts_from_a_new_secret(isolated: Path, settings: Any, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("export_signing_keys", "--new", stdout=out, stderr=io.StringIO())
    secret = keys.parse_secret(out.getvalue(), "stdout")
    assert actions(AuditAction.SIGNING_KEY_CREATE) == [{"key_id": secret.current_id, "store": "secret"}]
    assert not settings.C2I_KEYS_DIR.exists()
    settings.C2I_SIGNING_KEYS = out.getvalue()
    out = io.StringIO()
    call_command("ensure_signing_key", stdout=out)
    assert out.getvalue().startswith(f"{secret.current_id} (C2I_SIGNING_KEYS)")
    unsigned = status.list_credential(
        SITE, 0, issuer_id=services.issuer_id(), valid_from=datetime.now(UTC), revoked_bits=[]
    )
    key = services.signing_key()
    signed = badges.sign(unsigned, key.private_key, key.verification_method(SITE), datetime.now(UTC))
    assert badges.verify(signed, services.key_store().resolver(SITE)).ok
