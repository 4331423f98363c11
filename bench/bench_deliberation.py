"""Deliberation of a whole session: 10,000 C2i2e candidates × 28 decisions
(280,000 rows, bulk-created) on PostgreSQL. Measures, in the same run and on
the same database:

- `deliberation_read_s`: reading the session's decision rows once (the
  query the service streams: enrolment, competency, value, in id order);
- `deliberation_10k_s`: `services.compute_outcomes()` for the session — that
  read, the enrolments, the test results and the R14 ledger (one query
  each), `rules.deliberate` per candidate, a bulk upsert of 10,000
  `CandidateOutcome` rows;
- `deliberation_vs_read_ratio` = the two above (target ≤ 3).

Each figure is the median of 5 runs; before each timed compute the stored
outcomes are deleted, so that every run writes all 10,000 of them
(`deliberation_recompute_unchanged_s`: the same compute again, when nothing
changed and nothing is rewritten). The work runs in a child process on
its own database: a throw-away PostgreSQL 15 cluster unless DATABASE_URL
already points to PostgreSQL.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = 10_000
REPEAT = 5
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(command: list[str]) -> None:
    if os.getuid() == 0:
        command = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(command)]
    subprocess.run(command, check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cluster() -> tuple[str, str]:
    folder = tempfile.mkdtemp(prefix="c2i-bench-pg-")
    os.chmod(folder, 0o755)
    if os.getuid() == 0:
        shutil.chown(folder, "postgres")
    data = f"{folder}/data"
    _as_postgres(
        [str(PG_BIN / "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]
    )
    port = _free_port()
    options = f"'-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off'"
    _as_postgres([str(PG_BIN / "pg_ctl"), "-D", data, "-o", options, "-l", f"{folder}/log", "-w", "start"])
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE c2i_bench")
    return folder, f"postgres://postgres@127.0.0.1:{port}/c2i_bench"


def run() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "")
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


def _build():  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from c2i.accounts.models import User
    from c2i.deliberation.models import CompetencyDecision, JuryMember
    from c2i.deliberation.services import policy_for
    from c2i.enrolment.models import Candidate, Enrolment, InstitutionSession, Session
    from c2i.frameworks.models import Framework
    from c2i.institutions.models import Institution
    from c2i.lib.identifiers import identity_key

    call_command("migrate", verbosity=0)
    call_command("load_frameworks", verbosity=0)
    framework = Framework.objects.get(code="C2i2e")
    today = timezone.localdate()
    session = Session.objects.create(
        framework=framework,
        name="C2i2e — banc d'essai",
        start=today,
        end=today + dt.timedelta(days=100),
        enrolment_opens=today,
        enrolment_closes=today + dt.timedelta(days=30),
    )
    institution = Institution.objects.create(name="Université du banc d'essai", uai="0692437Z", town="Lyon")
    institution_session = InstitutionSession.objects.create(
        session=session, institution=institution, portfolio_deadline=timezone.now(), jury_date=today
    )
    chair = User.objects.create(username="chair", email="chair@example.fr")
    JuryMember.objects.create(institution_session=institution_session, user=chair, is_chair=True)
    birth = dt.date(2000, 1, 1)
    candidates = [
        Candidate(
            email=f"c{n}@example.fr",
            last_name=f"Nom{n}",
            first_names="Prénom",
            birth_date=birth,
            birth_place="Lyon",
            status="student",
            identity_key=identity_key(None, f"Nom{n}", "Prénom", birth),
        )
        for n in range(CANDIDATES)
    ]
    Candidate.objects.bulk_create(candidates, batch_size=5000)
    enrolments = [
        Enrolment(
            candidate=c,
            institution_session=institution_session,
            session=session,
            identity_key=c.identity_key,
            status="active",
        )
        for c in candidates
    ]
    Enrolment.objects.bulk_create(enrolments, batch_size=5000)
    codes = [c for d in policy_for(framework).domains for c in d.competencies]
    rng = random.Random(2027)
    now = timezone.now()
    rows = [
        CompetencyDecision(
            enrolment_id=e.pk,
            institution_session_id=institution_session.pk,
            competency_code=code,
            value="NV" if rng.random() < 0.05 else "V",
            decided_by=chair,
            decided_at=now,
        )
        for e in enrolments
        for code in codes
    ]
    CompetencyDecision.objects.bulk_create(rows, batch_size=10_000)
    return institution_session, len(rows)


def _child() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from c2i.deliberation.models import CandidateOutcome, CompetencyDecision
    from c2i.deliberation.services import compute_outcomes

    institution_session, count = _build()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    def read() -> int:
        return sum(
            1
            for _row in CompetencyDecision.objects.filter(institution_session_id=institution_session.pk)
            .order_by("id")
            .values_list("enrolment_id", "competency_code", "value")
            .iterator(chunk_size=2000)
        )

    assert read() == count  # warm-up
    reads, computes, recomputes = [], [], []
    for _ in range(REPEAT):
        started = time.perf_counter()
        read()
        reads.append(time.perf_counter() - started)
        with connection.cursor() as cursor:  # every timed run stores all 10,000 outcomes, as a first compute does
            cursor.execute(f"TRUNCATE {CandidateOutcome._meta.db_table}")
        started = time.perf_counter()
        outcomes = compute_outcomes(institution_session)
        computes.append(time.perf_counter() - started)
        started = time.perf_counter()
        compute_outcomes(institution_session)  # nothing changed: nothing rewritten
        recomputes.append(time.perf_counter() - started)
    assert len(outcomes) == CANDIDATES
    statuses = dict.fromkeys(("certified", "not_certified", "incomplete"), 0)
    for status in CandidateOutcome.objects.values_list("status", flat=True):
        statuses[status] += 1
    read_s, compute_s = statistics.median(reads), statistics.median(computes)
    print(
        json.dumps(
            {
                "deliberation_10k_s": round(compute_s, 3),
                "deliberation_read_s": round(read_s, 3),
                "deliberation_vs_read_ratio": round(compute_s / read_s, 2),
                "deliberation_recompute_unchanged_s": round(statistics.median(recomputes), 3),
                "deliberation_decision_rows": count,
                "deliberation_certified": statuses["certified"],
                "deliberation_database": connection.vendor,
            }
        )
    )


if __name__ == "__main__" and "--child" in sys.argv:
    _child()
