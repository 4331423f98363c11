"""Finding 6 of issue 10: on SQLite, the default database, concurrent exam
starts answered 500 « database is locked ». A transaction that reads first
and writes next cannot wait for the write lock once another writer has
committed since its read (SQLite's busy timeout does not apply to that
case): every write transaction must take the lock when it begins
(`transaction_mode` IMMEDIATE in the settings).

The test runs where the bug lives: a database file in WAL mode, as `make run`
serves it, with one connection per thread as a threaded server has. The test
database of the other tests is in memory, so the test copies it into a file
and gives each thread its own connection to that file, built from the
project's settings (only the file name changes)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from c2i.assessment.models import Attempt
from tests.assessment_support import demo_exam, new_candidates

pytestmark = pytest.mark.django_db(transaction=True)

CANDIDATES = 37  # as many as the probe started at once


@pytest.fixture(autouse=True)
def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's locking; PostgreSQL has its own concurrency tests")


def copy_to_file(path: Path) -> dict[str, Any]:
    """Copy the test database into a file (WAL mode, as served); the settings
    of a connection to it."""
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    return {**connection.settings_dict, "NAME": str(path)}


def in_threads(settings_dict: dict[str, Any], work: list[Any]) -> list[object]:
    """Run each callable in its own thread, all released at once, each on its
    own connection to the database file; their results or exceptions."""
    barrier = threading.Barrier(len(work))
    results: list[object] = [None] * len(work)

    def run(i: int) -> None:
        own = connections.create_connection("default")
        own.settings_dict = dict(settings_dict)
        connections["default"] = own  # this thread only (connections are per thread)
        try:
            barrier.wait(timeout=30)
            results[i] = work[i]()
        except Exception as error:  # the result under test
            results[i] = error
        finally:
            own.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def count_in_file(settings_dict: dict[str, Any], model: type[Attempt]) -> int:
    return int(in_threads(settings_dict, [lambda: model.objects.count()])[0])  # type: ignore[call-overload]


class TestConcurrentExamStarts:
    def test_it_starts_every_sitting_when_candidates_start_at_once(self, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
        exam = demo_exam(demo)
        users = new_candidates(demo.institution_session("a"), CANDIDATES, prefix="simultane")
        clients = []
        for user in users:
            client = Client(raise_request_exception=False)
            client.force_login(user)  # its login session is copied with the database
            clients.append(client)
        start_url = f"/mon-espace/epreuves/{exam.pk}/commencer/"
        before = Attempt.objects.count()
        settings_dict = copy_to_file(tmp_path / "c2i.sqlite3")  # the candidates and their logins too

        results = in_threads(settings_dict, [lambda c=c: c.post(start_url) for c in clients])

        statuses = [getattr(r, "status_code", repr(r)) for r in results]
        failed = [s for s in statuses if s != 302]
        assert not failed, f"{len(failed)} of {CANDIDATES} starts failed: {failed}"
        assert all("/passages/" in r["Location"] for r in results), [r["Location"] for r in results]  # type: ignore[index]
        assert count_in_file(settings_dict, Attempt) == before + CANDIDATES
