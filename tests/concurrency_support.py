"""Real concurrency for the tests: callables run in threads released at the
same instant, each on its own database connection.

On PostgreSQL the threads open their own connections to the test database.
On SQLite the in-memory test database cannot be shared between connections:
given a folder, `Threads` copies it once into a file (WAL mode, as `make run`
serves it), and every thread (later ones that count included) gets its own
connection to that file, built from the project's settings, as a threaded
server has."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.db import connection, connections


class Threads:
    def __init__(self, folder: Path | None = None) -> None:
        self.settings_dict: dict[str, Any] | None = None
        if folder is not None and connection.vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(folder / "db.sqlite3")
            connection.connection.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
            target.close()
            self.settings_dict = {**connection.settings_dict, "NAME": str(folder / "db.sqlite3")}

    def run(self, work: Sequence[Callable[[], Any]]) -> list[Any]:
        """Their results, or the exceptions they raised."""
        barrier = threading.Barrier(len(work))
        results: list[Any] = [None] * len(work)

        def run(i: int) -> None:
            if self.settings_dict is not None:
                own = connections.create_connection("default")
                own.settings_dict = dict(self.settings_dict)
                connections["default"] = own  # this thread's only (connections are per thread)
            try:
                barrier.wait(timeout=30)
                results[i] = work[i]()
            except Exception as error:  # the outcome under test
                results[i] = error
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        return results


def race(*attempts: Callable[[], Any]) -> list[Any]:
    """The attempts run at the same instant on the test database's server."""
    return Threads().run(attempts)
