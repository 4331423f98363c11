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

import pytest
from django.db import connection
from django.test import Client

from c2i.assessment.models import Attempt
from tests.assessment_support import demo_exam, new_candidates
from tests.concurrency_support import Threads

pytestmark = pytest.mark.django_db(transaction=True)

CANDIDATES = 37  # as many as the probe started at once


@pytest.fixture(autouse=True)
def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's locking; PostgreSQL has its own concurrency tests")


def count_in_file(threads: Threads, model: type[Attempt]) -> int:
    return int(threads.run([lambda: model.objects.count()])[0])


class TestConcurrentExamStarts:
    def test_it_starts_every_sitting_when_candidates_start_at_once(self, demo, tmp_path) -> None:
        exam = demo_exam(demo)
        users = new_candidates(demo.institution_session("a"), CANDIDATES, prefix="simultane")
        clients = []
        for user in users:
            client = Client(raise_request_exception=False)
            client.force_login(user)  # its login session is copied with the database
            clients.append(client)
        start_url = f"/mon-espace/epreuves/{exam.pk}/commencer/"
        before = Attempt.objects.count()
        threads = Threads(tmp_path)  # a file copy of the database: the candidates and their logins too

        results = threads.run([lambda c=c: c.post(start_url) for c in clients])

        statuses = [getattr(r, "status_code", repr(r)) for r in results]
        failed = [s for s in statuses if s != 302]
        assert not failed, f"{len(failed)} of {CANDIDATES} starts failed: {failed}"
        assert all("/passages/" in r["Location"] for r in results), [r["Location"] for r in results]
        assert count_in_file(threads, Attempt) == before + CANDIDATES
