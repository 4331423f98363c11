"""Issue 10, "Prove it": a backup restores. The procedure of
docs/operations.md ("Backup and restore"): the database (SQLite's online
backup API, or `pg_dump -Fc`), the media files and the signing keys (a tar
archive each), restored into an empty database and empty folders; the
restored platform, started as a separate process, finds the same number of
rows in every table, answers the verification code of a certificate as
before, still verifies an Open Badges credential signed before the backup,
and its audit chain is intact."""

from __future__ import annotations

import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from c2i.credentials import services as credentials
from tests.credentials_support import certified_and_not

ROOT = Path(__file__).resolve().parent.parent
ENGINE = settings.DATABASES["default"]["ENGINE"]

# Run inside the restored platform: what it holds and how it answers.
PROBE = """
import json, os
from django.apps import apps
from django.test import Client
from c2i.credentials import services
from c2i.privacy import audit
code, credential_file = os.environ["PROBE_CODE"], os.environ["PROBE_CREDENTIAL"]
result = services.lookup(code)
fields = services.public_fields(result)
fields.pop("message")
page = Client(SERVER_NAME="localhost").get("/verifier/" + code)
with open(credential_file, encoding="utf-8") as f:
    check = services.verify_credential(json.load(f))
models = [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]
print(json.dumps({
    "counts": {m._meta.label: m._base_manager.count() for m in models},
    "fields": fields,
    "page": [page.status_code, code in page.content.decode(), result.document.holder_name in page.content.decode()],
    "pdf": result.document.pdf.open("rb").read(5).decode(),
    "signature": check.signature.ok,
    "audit": audit.verify().ok,
}))
"""


def table_counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models() if m._meta.managed and not m._meta.proxy}


@pytest.fixture
def platform(demo: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """candidat-a1's certificate issued, its credential signed; what a restore must give back."""
    settings.C2I_KEYS_DIR = tmp_path / "keys"
    cache.clear()
    enrolment, _a2 = certified_and_not(demo)
    document = credentials.produce_document(enrolment, None, notify=False)[1]
    assert document is not None
    credential = tmp_path / "credential.json"
    credential.write_text(json.dumps(credentials.signed_credential(document)), encoding="utf-8")
    fields = credentials.public_fields(credentials.lookup(document.code))
    fields.pop("message")
    return {"code": document.code, "credential": credential, "fields": fields, "counts": table_counts()}


def back_up_files(settings: Any, backups: Path) -> None:
    """`tar` of the media files and of the signing keys."""
    shutil.make_archive(str(backups / "media"), "gztar", settings.MEDIA_ROOT)
    shutil.make_archive(str(backups / "keys"), "gztar", settings.C2I_KEYS_DIR)


def restore_files(backups: Path, target: Path) -> dict[str, str]:
    shutil.unpack_archive(backups / "media.tar.gz", target / "media")
    shutil.unpack_archive(backups / "keys.tar.gz", target / "keys")
    return {"C2I_MEDIA_ROOT": str(target / "media"), "C2I_KEYS_DIR": str(target / "keys")}


def probe(database_url: str, files: dict[str, str], platform: dict[str, Any]) -> dict[str, Any]:
    env = {
        **os.environ,
        **files,
        "DATABASE_URL": database_url,
        "C2I_SITE_URL": settings.SITE_URL,
        "PROBE_CODE": platform["code"],
        "PROBE_CREDENTIAL": str(platform["credential"]),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_same_platform(restored: dict[str, Any], platform: dict[str, Any]) -> None:
    assert restored["counts"] == platform["counts"]
    assert restored["counts"]["credentials.IssuedDocument"] >= 1
    assert restored["fields"] == platform["fields"]
    assert restored["fields"]["status"] == "valid"
    assert restored["page"] == [200, True, True]
    assert restored["pdf"] == "%PDF-"
    assert restored["signature"] is True
    assert restored["audit"] is True


@pytest.mark.skipif("sqlite" not in ENGINE, reason="the SQLite procedure; PostgreSQL's has its own test")
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_backup_restores_into_an_empty_database(platform, settings, tmp_path) -> None:
    backups, restored = tmp_path / "backups", tmp_path / "restored"
    backups.mkdir()
    restored.mkdir()
    # sqlite3 var/db.sqlite3 ".backup backups/db.sqlite3": the online backup API, while the site runs
    connection.ensure_connection()
    with sqlite3.connect(backups / "db.sqlite3") as target:
        connection.connection.backup(target)
    back_up_files(settings, backups)
    # sqlite3 restored/db.sqlite3 ".restore backups/db.sqlite3": into an empty database
    with sqlite3.connect(backups / "db.sqlite3") as source, sqlite3.connect(restored / "db.sqlite3") as empty:
        assert empty.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
        source.backup(empty)
    files = restore_files(backups, restored)
    assert_same_platform(probe(f"sqlite:///{restored / 'db.sqlite3'}", files, platform), platform)


def pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


@pytest.mark.skipif("postgresql" not in ENGINE, reason="the PostgreSQL procedure; SQLite's has its own test")
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_backup_restores_into_an_empty_database(platform, settings, tmp_path) -> None:
    if settings.C2I_DB_POOLER:
        # pg_dump and pg_restore hold session state: they reach PostgreSQL itself (docs/operations.md)
        pytest.skip("backups connect to PostgreSQL directly, not through the pooler (.ci/run runs this test so)")
    pg_dump, pg_restore = pg_tool("pg_dump"), pg_tool("pg_restore")
    if pg_dump is None or pg_restore is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    import psycopg

    db = connection.settings_dict
    options = ["-h", db["HOST"] or "localhost", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    backups, restored = tmp_path / "backups", tmp_path / "restored"
    backups.mkdir()
    restored.mkdir()
    # pg_dump -Fc: a consistent snapshot, while the site runs
    subprocess.run([pg_dump, *options, "-Fc", "-f", str(backups / "db.dump"), db["NAME"]], env=env, check=True)
    back_up_files(settings, backups)
    target = f"{db['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    server = f"host={options[1]} port={options[3]} user={db['USER']} password={db['PASSWORD'] or ''} dbname=postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(
            [pg_restore, *options, "--no-owner", "--exit-on-error", "-d", target, str(backups / "db.dump")],
            env=env,
            check=True,
        )
        files = restore_files(backups, restored)
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        url = f"postgres://{db['USER']}{password}@{options[1]}:{options[3]}/{target}"
        assert_same_platform(probe(url, files, platform), platform)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
