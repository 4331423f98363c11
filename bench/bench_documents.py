"""Documents of a session (RULES.md R15): certificates and attestations
produced per second by the product's real path — `enqueue_session_documents`
creates the batch and its tasks in the database backend, and `manage.py
db_worker` processes run them (PDF rendered, written once under MEDIA_ROOT,
row recorded, audit entry, e-mail notice to the locmem backend).

Measured twice on fresh sessions of N final outcomes (60 % certified, 40 %
attestations with 1 to 4 domains): with 1 worker, and with 2 workers in
parallel (the product's default: C2I_DOCUMENT_TASKS=2, two `db_worker`
processes). The rate is documents ÷ (last part finished − first part started),
from the batch record; the wall rate also counts the workers' start-up. The
reference `documents_pdf_only_ms` is `render_pdf` alone, in this process.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N = int(os.environ.get("C2I_BENCH_DOCUMENTS", "1000"))
ROOT = Path(__file__).resolve().parent.parent


def _session(index: int, n: int):  # type: ignore[no-untyped-def]
    """A published institution session with `n` final outcomes, created in bulk."""
    from django.utils import timezone

    from c2i.deliberation.models import CandidateOutcome, Deliberation, DeliberationStatus, OutcomeStatus
    from c2i.enrolment.models import Candidate, Enrolment, EnrolmentStatus, InstitutionSession, Session
    from c2i.frameworks.models import Framework
    from c2i.institutions.models import Institution
    from c2i.lib.identifiers import identity_key

    framework = Framework.objects.get(code="C2i1")
    today = timezone.localdate()
    institution = Institution.objects.create(
        name=f"Université du banc d'essai {index}", uai=f"099{index:04d}A"[:8], town="Lyon"
    )
    session = Session.objects.create(
        framework=framework,
        name=f"C2i1 — banc d'essai {index}",
        start=today,
        end=today + dt.timedelta(days=100),
        enrolment_opens=today,
        enrolment_closes=today + dt.timedelta(days=30),
    )
    institution_session = InstitutionSession.objects.create(
        session=session, institution=institution, portfolio_deadline=timezone.now(), jury_date=today
    )
    candidates = []
    for i in range(n):
        last, first, born = f"Candidat{index}x{i}", "Camille", dt.date(2000, 1, 1) + dt.timedelta(days=i)
        candidates.append(
            Candidate(
                email=f"c{index}x{i}@example.fr",
                last_name=last,
                first_names=first,
                birth_date=born,
                birth_place="Lyon",
                status="student",
                identity_key=identity_key(None, last, first, born),
            )
        )
    candidates = Candidate.objects.bulk_create(candidates, batch_size=500)
    enrolments = Enrolment.objects.bulk_create(
        [
            Enrolment(
                candidate=c,
                institution_session=institution_session,
                session=session,
                identity_key=c.identity_key,
                status=EnrolmentStatus.ACTIVE,
            )
            for c in candidates
        ],
        batch_size=500,
    )
    domains = ["D1", "D2", "D3", "D4", "D5"]
    outcomes = []
    for i, e in enumerate(enrolments):
        certified = i % 5 < 3
        outcomes.append(
            CandidateOutcome(
                enrolment=e,
                institution_session=institution_session,
                status=OutcomeStatus.CERTIFIED if certified else OutcomeStatus.NOT_CERTIFIED,
                validated_domains=domains if certified else domains[: 1 + i % 4],
            )
        )
    CandidateOutcome.objects.bulk_create(outcomes, batch_size=500)
    Deliberation.objects.create(
        institution_session=institution_session,
        status=DeliberationStatus.PUBLISHED,
        closed_at=timezone.now(),
        published_at=timezone.now(),
    )
    return institution_session


def _produce(index: int, workers: int, env: dict[str, str]) -> tuple[float, float, float]:
    from django.conf import settings

    from c2i.credentials.models import BatchState
    from c2i.credentials.services import enqueue_session_documents

    institution_session = _session(index, N)
    settings.C2I_DOCUMENT_TASKS = workers
    batch = enqueue_session_documents(institution_session, None)  # outside a transaction: enqueued at once
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    manage = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--batch", "--no-reload", "--no-startup-delay"]
    processes = [
        subprocess.Popen([*manage, "--max-tasks", "1"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    for p in processes:
        p.wait(timeout=1800)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    batch.refresh_from_db()
    assert batch.state == BatchState.DONE and batch.done == N, (batch.state, batch.done, batch.failed, batch.error)
    assert batch.started_at and batch.finished_at
    produced = (batch.finished_at - batch.started_at).total_seconds()
    return N / produced, N / wall, cpu / N * 1000


def run() -> dict[str, object]:
    folder = tempfile.mkdtemp(prefix="c2i-bench-documents-")
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3",
        "DJANGO_SETTINGS_MODULE": "c2i.settings",
        "C2I_MEDIA_ROOT": f"{folder}/media",
        "C2I_KEYS_DIR": f"{folder}/keys",
        "C2I_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "C2I_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "C2I_DEBUG": "0",
        "C2I_SECRET_KEY": "bench-only",
        "C2I_SSL_REDIRECT": "0",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from c2i.credentials.document import DocumentData, DomainLine
    from c2i.credentials.pdf import render_pdf

    call_command("migrate", verbosity=0)
    call_command("load_frameworks", verbosity=0)

    line = DomainLine("D1", "Travailler dans un environnement numérique évolutif", (("D1.1", "Organiser un espace"),))
    data = DocumentData(
        kind="certificate",
        holder_name="Camille DURAND",
        holder_birth_date=dt.date(2000, 1, 1),
        framework_code="C2i1",
        framework_title="C2i niveau 1",
        institution_name="Université",
        institution_town="Lyon",
        session_name="C2i1 — 2027",
        jury_date=dt.date(2027, 6, 1),
        issued_on=dt.date(2027, 6, 2),
        validated_domains=(line,) * 5,
        all_domains_count=5,
        verification_code="7KQ2H-XD94M-RC0W7",
        verification_url="https://c2i.example.fr/verifier/7KQ2H-XD94M-RC0W7",
    )
    render_pdf(data)
    started = time.perf_counter()
    for _ in range(50):
        render_pdf(data)
    pdf_ms = (time.perf_counter() - started) / 50 * 1000

    one, one_wall, one_cpu = _produce(1, 1, env)
    two, two_wall, two_cpu = _produce(2, 2, env)
    return {
        "documents_per_s": round(two, 1),
        "documents_wall_per_s": round(two_wall, 1),
        "documents_1worker_per_s": round(one, 1),
        "documents_1worker_wall_per_s": round(one_wall, 1),
        "documents_pdf_only_ms": round(pdf_ms, 1),
        "documents_worker_cpu_ms_per_doc": round(two_cpu, 1),
        "documents_1worker_cpu_ms_per_doc": round(one_cpu, 1),
        "machine_load_1min": round(os.getloadavg()[0], 2),
        "documents_session_size": N,
    }
