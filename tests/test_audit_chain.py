"""Issue 10, "Prove it": the audit trail is tamper-evident. Each entry carries
the hash of the one before it; `manage.py verify_audit` names the first
broken entry when a row is changed or removed behind the platform's back (in
SQL), and the national administrator views and exports the trail."""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
import threading
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from c2i.accounts.models import AuditAction, AuditChainHead, AuditEntry, audit
from c2i.lib import audit_chain
from c2i.privacy import audit as trail

pytestmark = pytest.mark.django_db


def three_entries(demo):
    admin = demo.user("admin")
    institution = demo.institution("a")
    return [
        audit(admin, "test.first", institution, n=1),
        audit(None, "test.second", institution, n=2, words=["é", "ß"]),
        audit(admin, "test.third", institution, n=3),
    ]


def verify_fails() -> CommandError:
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", stdout=io.StringIO())
    assert caught.value.returncode == 1
    return caught.value


def sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


class TestChain:
    def test_it_links_each_entry_to_the_one_before(self, demo) -> None:
        first, second, third = three_entries(demo)
        assert second.prev_hash == first.entry_hash
        assert third.prev_hash == second.entry_hash
        assert AuditChainHead.objects.get().last_id == third.pk
        out = io.StringIO()
        call_command("verify_audit", stdout=out)
        assert f"n° {third.pk}" in out.getvalue()
        assert third.entry_hash in out.getvalue()

    def test_it_hashes_what_the_database_gives_back(self, demo) -> None:
        entry = audit(None, "test.tuple", demo.institution("a"), values=(1, 2), nested={"b": 1, "a": None})
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert audit_chain.details_digest(stored.details) == stored.details_digest
        assert trail.verify().ok

    def test_an_append_costs_one_read(self, demo) -> None:
        institution = demo.institution("a")
        audit(None, "test.warm", institution)
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            audit(None, "test.counted", institution)
        reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
        assert len(reads) == 1, reads
        assert "accounts_auditchainhead" in reads[0]

    def test_an_entry_is_never_changed_through_the_model(self, demo) -> None:
        entry = three_entries(demo)[0]
        entry.action = "test.other"
        with pytest.raises(ValueError):
            entry.save()


class TestTampering:
    def test_it_catches_a_row_altered_in_sql(self, demo) -> None:
        _first, second, _third = three_entries(demo)
        sql("UPDATE accounts_auditentry SET action = %s WHERE id = %s", "test.forged", second.pk)
        error = verify_fails()
        assert f"n° {second.pk}" in str(error)
        assert "son action ou son objet" in str(error)

    def test_it_catches_details_altered_in_sql(self, demo) -> None:
        _first, second, _third = three_entries(demo)
        sql("UPDATE accounts_auditentry SET details = %s WHERE id = %s", '{"n": 20}', second.pk)
        error = verify_fails()
        assert f"n° {second.pk}" in str(error)
        assert "ses détails" in str(error)

    def test_it_catches_a_row_deleted_in_sql(self, demo) -> None:
        first, second, third = three_entries(demo)
        sql("DELETE FROM accounts_auditentry WHERE id = %s", second.pk)
        error = verify_fails()
        assert f"n° {third.pk}" in str(error)  # the first entry whose link is broken
        assert f"n° {first.pk}" in str(error)  # the entry it now follows

    def test_it_catches_the_last_rows_deleted_in_sql(self, demo) -> None:
        _first, second, third = three_entries(demo)
        sql("DELETE FROM accounts_auditentry WHERE id = %s", third.pk)
        error = verify_fails()
        assert f"n° {second.pk}" in str(error)
        assert f"n° {third.pk}" in str(error)

    def test_it_catches_a_row_rewritten_with_its_hash(self, demo) -> None:
        """A forger who recomputes the row's hash breaks the next link."""
        _first, second, third = three_entries(demo)
        forged = audit_chain.entry_hash(
            second.prev_hash,
            second.at,
            None,
            "test.forged",
            second.object_type,
            second.object_id,
            second.details_digest,
        )
        sql(
            "UPDATE accounts_auditentry SET action = %s, entry_hash = %s WHERE id = %s",
            "test.forged",
            forged,
            second.pk,
        )
        assert f"n° {third.pk}" in str(verify_fails())

    def test_an_anchor_catches_a_whole_rewritten_chain(self, demo) -> None:
        """Rewriting every hash from an entry on passes the chain check; the
        hash of that entry recorded earlier outside the database does not."""
        _first, second, third = three_entries(demo)
        printed = io.StringIO()
        call_command("verify_audit", print_anchor=True, stdout=printed)
        assert printed.getvalue().strip() == f"{third.pk}:{third.entry_hash}"
        anchor = f"{second.pk}:{second.entry_hash}"
        call_command("verify_audit", expect=[anchor], stdout=io.StringIO())
        previous = second.prev_hash
        for entry, action in ((second, "test.forged"), (third, third.action)):
            rewritten = audit_chain.entry_hash(
                previous, entry.at, entry.actor_id, action, entry.object_type, entry.object_id, entry.details_digest
            )
            sql(
                "UPDATE accounts_auditentry SET action = %s, prev_hash = %s, entry_hash = %s WHERE id = %s",
                action,
                previous,
                rewritten,
                entry.pk,
            )
            previous = rewritten
        sql("UPDATE accounts_auditchainhead SET last_hash = %s", previous)
        call_command("verify_audit", stdout=io.StringIO())  # the chain alone cannot tell
        with pytest.raises(CommandError) as caught:
            call_command("verify_audit", expect=[anchor], stdout=io.StringIO())
        assert f"n° {second.pk}" in str(caught.value)

    def test_pruned_details_keep_the_chain_whole(self, demo) -> None:
        from django.utils import timezone

        _first, second, _third = three_entries(demo)
        AuditEntry.objects.filter(pk=second.pk).update(details={}, details_pruned_at=timezone.now())
        assert trail.verify().ok


class TestBackfill:
    def test_the_migration_chains_entries_written_before_the_chain(self, demo) -> None:
        entries = three_entries(demo)
        sql("UPDATE accounts_auditentry SET prev_hash = 'old-' || CAST(id AS VARCHAR(20)), entry_hash = ''")
        assert not trail.verify().ok
        migration = importlib.import_module("c2i.accounts.migrations.0004_audit_chain_backfill")
        migration.chain_existing(apps, None)
        assert trail.verify().ok
        assert AuditChainHead.objects.get().last_id == entries[-1].pk


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite serialises its writers; the row lock matters on PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
class TestConcurrentWriters:
    def test_concurrent_appends_never_fork_the_chain(self, demo) -> None:
        institution = demo.institution("a")
        audit(None, "test.start", institution)
        writers, per_writer = 8, 10
        barrier = threading.Barrier(writers)
        errors: list[BaseException] = []

        def write(n: int) -> None:
            try:
                barrier.wait()
                for i in range(per_writer):
                    with transaction.atomic():
                        audit(None, "test.concurrent", institution, writer=n, i=i)
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert AuditEntry.objects.filter(action="test.concurrent").count() == writers * per_writer
        report = trail.verify()
        assert report.ok, trail.describe(report.first_break)


class TestTrailPages:
    def test_the_national_administrator_filters_the_trail(self, demo) -> None:
        first, second, _third = three_entries(demo)
        client = demo.client("admin")
        response = client.get("/administration/journal/", {"action": "test.", "actor": "admin"})
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        shown = [e.pk for e in response.context["entries"]]
        assert first.pk in shown and second.pk not in shown  # the second has no author
        response = client.get(
            "/administration/journal/", {"object_type": "institutions.institution", "action": "test.s"}
        )
        assert [e.pk for e in response.context["entries"]] == [second.pk]

    def test_each_action_is_named_in_french_beside_its_code(self, demo) -> None:
        demo.client("candidat-a1").post("/mon-espace/dossier/C2i1/depot/")
        entry = AuditEntry.objects.filter(action=AuditAction.PORTFOLIO_SUBMIT).latest("pk")
        response = demo.client("admin").get("/administration/journal/", {"action": "portfolio.submit"})
        assert entry.pk in [e.pk for e in response.context["entries"]]
        assert "Dossier déposé pour le jury" in response.content.decode()

    def test_every_action_the_code_records_is_in_the_catalogue(self) -> None:
        """`audit()` takes an `AuditAction` (mypy checks the calls); no action
        is spelt as a string in the code, so none escapes the catalogue."""
        spelt = set()
        for path in Path(settings.BASE_DIR, "c2i").rglob("*.py"):
            if "migrations" not in path.parts and path.name != "models.py":
                spelt |= set(re.findall(r"audit\(\s*[^,]+,\s*[\"']([a-z_]+\.[a-z_]+)", path.read_text()))
        assert spelt == set()
        assert len(AuditAction.values) == len(set(AuditAction.values)) >= 50

    def test_the_trail_is_paginated(self, demo) -> None:
        institution = demo.institution("a")
        for i in range(55):
            audit(None, "test.page", institution, i=i)
        client = demo.client("admin")
        first_page = client.get("/administration/journal/", {"action": "test.page"})
        second_page = client.get("/administration/journal/", {"action": "test.page", "page": 2})
        assert len(first_page.context["entries"]) == 50
        assert len(second_page.context["entries"]) == 5
        assert "action=test.page&amp;page=2" in first_page.content.decode()

    def test_the_export_is_a_csv_that_rechecks(self, demo) -> None:
        entries = three_entries(demo)
        response = demo.client("admin").get("/administration/journal/export/", {"action": "test."})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert demo.client("admin").post("/administration/journal/export/").status_code == 405
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert [int(r["id"]) for r in rows] == [e.pk for e in entries]
        for row, entry in zip(rows, entries, strict=True):
            assert row["entry_hash"] == entry.entry_hash
            assert audit_chain.details_digest(json.loads(row["details"])) == row["details_digest"]

    def test_the_check_button_says_the_chain_is_intact_or_where_it_breaks(self, demo) -> None:
        _first, second, _third = three_entries(demo)
        client = demo.client("admin")
        response = client.post("/administration/journal/", follow=True)
        assert "fr-alert--success" in response.content.decode()
        sql("UPDATE accounts_auditentry SET object_id = %s WHERE id = %s", "999", second.pk)
        response = client.post("/administration/journal/", follow=True)
        assert f"n° {second.pk}" in response.content.decode()

    @pytest.mark.parametrize("username", ["correspondant-a", "jury-a", "candidat-a1"])
    def test_no_one_else_sees_the_trail(self, demo, username) -> None:
        client = demo.client(username)
        assert client.get("/administration/journal/").status_code == 403
        assert client.get("/administration/journal/export/").status_code == 403
