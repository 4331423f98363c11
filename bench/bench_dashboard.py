"""The national dashboard on a national data set (PostgreSQL): `manage.py
generate_national_data --enrolments N --years 5` (N = 1,000,000 unless
C2I_BENCH_DASHBOARD_ENROLMENTS says otherwise), then, in the same run:

- the dashboard's first load (`/pilotage/`, no filter) and a filtered load
  (a framework, C2i1, and a year, the latest complete one), 20 requests each
  through Django's test client as the national administrator (the whole
  view: aggregates read, tables and SVG charts built, template rendered);
  `dashboard_p95_ms` is the worse of the two p95s;
- `dashboard_read_ms`: reading the same filtered outcome rows once (the
  CandidateOutcome rows of C2i1 in that year: status, domains, carried-over,
  deferral), the median of 5 reads;
- `dashboard_vs_read_ratio` = the filtered load's p95 ÷ that read;
- `statistics_refresh_all_s`: `services.refresh_all()` once on the data set.

The data set takes long to write (see docs/performance.md): it is kept
between runs in the database named by C2I_BENCH_DASHBOARD_DB (a PostgreSQL
URL; generated only when it holds fewer enrolments than asked). Without it, a
throw-away PostgreSQL 15 cluster is made and the set generated every run.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

REQUESTS = 20


def run() -> dict[str, object]:
    from bench_deliberation import PG_BIN, _as_postgres, _cluster

    url = os.environ.get("C2I_BENCH_DASHBOARD_DB", "")
    folder = None
    if not url.startswith("postgres"):
        folder, url = _cluster()
    try:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "c2i.settings"}
        done = subprocess.run(
            [sys.executable, __file__, "--child"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if folder:
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", f"{folder}/data", "-m", "immediate", "stop"])
            shutil.rmtree(folder, ignore_errors=True)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _child() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from c2i.accounts.models import User
    from c2i.deliberation.models import CandidateOutcome
    from c2i.enrolment.models import Enrolment
    from c2i.frameworks.models import Framework
    from c2i.statistics import services
    from c2i.statistics.models import SessionFigures

    wanted = int(os.environ.get("C2I_BENCH_DASHBOARD_ENROLMENTS", "1000000"))
    figures: dict[str, object] = {"dashboard_enrolments": wanted}
    sink = open(os.devnull, "w")  # noqa: SIM115
    # a kept data set may be shared: C2I_BENCH_DASHBOARD_MIGRATE=statistics migrates only this app
    call_command("migrate", *filter(None, [os.environ.get("C2I_BENCH_DASHBOARD_MIGRATE")]), verbosity=0, stdout=sink)
    if not Framework.objects.exists():
        call_command("load_frameworks", verbosity=0, stdout=sink)
    have = Enrolment.objects.count()
    if have < wanted:
        started = time.perf_counter()
        call_command(
            "generate_national_data", enrolments=wanted, years=5, seed=1, replace=bool(have), stdout=sys.stderr
        )
        figures["dashboard_generate_s"] = round(time.perf_counter() - started, 1)
    else:
        figures["dashboard_generate_s"] = "kept"
    started = time.perf_counter()
    services.refresh_all()
    figures["statistics_refresh_all_s"] = round(time.perf_counter() - started, 1)

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    if not admin.is_superuser:
        admin.is_superuser = True
        admin.save(update_fields=["is_superuser"])
    setup_test_environment()
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    c2i1 = Framework.objects.get(code="C2i1")
    years = sorted(set(SessionFigures.objects.filter(framework=c2i1).values_list("year", flat=True)))
    year = years[-2] if len(years) > 1 else years[-1]
    filtered = f"/pilotage/?annee={year}&referentiel={c2i1.pk}"

    def timed(path: str) -> list[float]:
        samples = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        return samples

    first = timed("/pilotage/")
    narrow = timed(filtered)

    def read_once() -> float:
        started = time.perf_counter()
        rows = list(
            CandidateOutcome.objects.filter(
                institution_session__session__framework=c2i1, institution_session__session__start__year=year
            ).values_list("enrolment_id", "status", "validated_domains", "carried_over", "deferred")
        )
        figures["dashboard_read_rows"] = len(rows)
        return (time.perf_counter() - started) * 1000

    read_once()  # warm the cache as the dashboard's requests were
    read_ms = statistics.median(read_once() for _ in range(5))
    figures.update(
        {
            "dashboard_first_p95_ms": round(_p95(first), 1),
            "dashboard_filtered_p95_ms": round(_p95(narrow), 1),
            "dashboard_filtered_median_ms": round(statistics.median(narrow), 1),
            "dashboard_p95_ms": round(max(_p95(first), _p95(narrow)), 1),
            "dashboard_read_ms": round(read_ms, 1),
            "dashboard_vs_read_ratio": round(_p95(narrow) / read_ms, 2),
            "dashboard_filter": filtered,
            "dashboard_database": connection.vendor,
        }
    )
    print(json.dumps(figures))


if __name__ == "__main__" and "--child" in sys.argv:
    _child()
