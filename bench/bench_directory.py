"""Directory search: resolving a town and sorting every accredited institution
by distance, against the trivial `/ping/` view, both through Django's test
client on the same database in the same run."""

from __future__ import annotations

import os
import statistics
import tempfile
import time

REPEAT = 300


def _timed(client, path: str) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return samples


def run() -> dict[str, object]:
    folder = tempfile.mkdtemp(prefix="c2i-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "c2i.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from c2i.demo.load import load_demo

    call_command("migrate", verbosity=0)
    call_command("load_frameworks", verbosity=0)
    call_command("load_communes", verbosity=0)
    load_demo()
    client = Client(HTTP_HOST="127.0.0.1")
    trivial = _timed(client, "/ping/")
    search = _timed(client, "/etablissements/?place=Grenoble&framework=C2i1")
    return {
        "directory_search_p50_ms": round(statistics.median(search), 2),
        "directory_trivial_p50_ms": round(statistics.median(trivial), 2),
        "directory_vs_trivial_ratio": round(statistics.median(search) / statistics.median(trivial), 1),
    }
