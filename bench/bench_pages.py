"""The main pages on a nation's data (issue 16): the data set of
`bench_dashboard` (`generate_national_data --enrolments 1000000 --years 5`,
kept in the PostgreSQL database named by C2I_BENCH_DASHBOARD_DB), and each
page a person opens, as that person, through Django's test client in a child
process (the whole view: queries, template, rendering):

- the correspondent of the biggest institution session's institution: the
  session list (`/gestion/sessions/`), that session's page (its enrolments,
  one page of them) and a search in it (`?q=mar`), the correspondent's home
  (`/correspondant/`);
- that session's jury chair: the deliberation page and the grid;
- a question reviewer: the question bank (`/banque/questions/`);
- a candidate of that session: `/mon-espace/certification/` and his result;
- an anonymous employer: `/verifier/<code>` of an issued document.

Each page: one warm-up request, then 20; `pages_<name>_p95_ms` its p95
(and `_p50_ms` its median),
`pages_<name>_queries` its number of queries (one request, counted after the
others), and `pages_p95_ms_max` the slowest page's p95 (target ≤ 300 ms).
A page that does not answer 200 is named in `pages_failed` and left out of
the maximum. C2I_BENCH_PAGES_PG_SET (e.g. `random_page_cost=1.1`) applies
PostgreSQL settings to the benchmark's connection, as a server's
postgresql.conf would (docs/performance.md says why); none by default.

Without C2I_BENCH_DASHBOARD_DB nothing is measured (the data set takes half
an hour to write: run `bench/run --only dashboard` first, with it set).
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_dashboard import _p95  # noqa: E402 - the same percentile as the dashboard's figures

REQUESTS = 20


def run() -> dict[str, object]:
    url = os.environ.get("C2I_BENCH_DASHBOARD_DB", "")
    if not url.startswith("postgres"):
        return {"pages_skipped": "C2I_BENCH_DASHBOARD_DB (a kept national data set) is not set"}
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "c2i.settings"}
    done = subprocess.run(
        [sys.executable, __file__, "--child"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _child() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from c2i.accounts.models import Membership, Role, User
    from c2i.credentials.models import IssuedDocument
    from c2i.deliberation.models import CandidateOutcome, JuryMember
    from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession

    sink = open(os.devnull, "w")  # noqa: SIM115
    # the pages need the code's schema (the indexes of issue 16 among others);
    # C2I_BENCH_PAGES_MIGRATE=app migrates only that app of a shared data set
    call_command("migrate", *filter(None, [os.environ.get("C2I_BENCH_PAGES_MIGRATE")]), verbosity=0, stdout=sink)
    call_command("createcachetable", verbosity=0, stdout=sink)  # the rate limits' counters (docs/operations.md)
    settings_sql = [s.strip() for s in os.environ.get("C2I_BENCH_PAGES_PG_SET", "").split(",") if s.strip()]
    with connection.cursor() as cursor:
        for setting in settings_sql:
            name, value = setting.split("=", 1)
            cursor.execute("SELECT set_config(%s, %s, false)", [name.strip(), value.strip()])

    figures: dict[str, object] = {
        "pages_enrolments": Enrolment.objects.count(),
        "pages_database": connection.vendor,
        "pages_pg_settings": ",".join(settings_sql) or "server defaults",
    }
    biggest = (
        Enrolment.objects.order_by()
        .values("institution_session")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("institution_session", "n")
        .first()
    )
    assert biggest, "no enrolment: generate the national data set first"
    target = InstitutionSession.objects.get(pk=biggest[0])
    figures["pages_session_enrolments"] = biggest[1]
    correspondent = (
        Membership.objects.filter(institution=target.institution, role=Role.CORRESPONDENT)
        .select_related("user")
        .first()
    )
    chair = JuryMember.objects.filter(institution_session=target, is_chair=True).select_related("user").first()
    reviewer = Membership.objects.filter(role=Role.REVIEWER).select_related("user").first()
    reviewer_user = reviewer.user if reviewer else None
    if reviewer_user is None:
        reviewer_user, _ = User.objects.get_or_create(username="bench-reviewer")
        Membership.objects.get_or_create(user=reviewer_user, role=Role.REVIEWER, institution=None)
    # a candidate with a result, if the session has one
    decided = CandidateOutcome.objects.filter(institution_session=target).values_list("enrolment_id", flat=True)
    enrolment = (
        Enrolment.objects.filter(pk__in=decided[:1]).select_related("candidate__user").first()
        or Enrolment.objects.filter(institution_session=target, status=EnrolmentStatus.ACTIVE)
        .select_related("candidate__user")
        .first()
    )
    document = (
        IssuedDocument.objects.filter(enrolment__institution_session=target).order_by().first()
        or IssuedDocument.objects.order_by().first()
    )
    pages: list[tuple[str, User | None, str]] = []
    if correspondent:
        pages += [
            ("correspondent_sessions", correspondent.user, "/gestion/sessions/"),
            ("correspondent_session", correspondent.user, f"/gestion/sessions/{target.pk}/"),
            ("correspondent_search", correspondent.user, f"/gestion/sessions/{target.pk}/?q=mar"),
            ("correspondent_home", correspondent.user, "/correspondant/"),
        ]
    if chair:
        pages += [
            ("jury_session", chair.user, f"/jury/sessions/{target.pk}/"),
            ("jury_grid", chair.user, f"/jury/sessions/{target.pk}/grille/"),
        ]
    pages.append(("question_bank", reviewer_user, "/banque/questions/"))
    if enrolment and enrolment.candidate.user:
        pages += [
            ("candidate_space", enrolment.candidate.user, "/mon-espace/certification/"),
            ("candidate_result", enrolment.candidate.user, f"/mon-espace/resultats/{enrolment.pk}/"),
        ]
    if document:
        pages.append(("verification", None, f"/verifier/{document.code}"))

    setup_test_environment()
    slowest: dict[str, float] = {}
    failed = []
    for name, user, path in pages:
        client = Client(HTTP_HOST="localhost")
        if user is not None:
            client.force_login(user)
        # each request from its own address: twenty employers, not one over the verification's rate limit
        addresses = (f"198.51.100.{n % 250 + 1}" for n in itertools.count(hash(name) % 250))
        status = client.get(path, REMOTE_ADDR=next(addresses)).status_code  # warm-up
        samples = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(path, REMOTE_ADDR=next(addresses))
            samples.append((time.perf_counter() - started) * 1000)
            status = response.status_code if status == 200 else status
        with CaptureQueriesContext(connection) as ctx:
            client.get(path, REMOTE_ADDR=next(addresses))
        print(f"{name}: p95 {_p95(samples):.0f} ms, {len(ctx.captured_queries)} queries, {status}", file=sys.stderr)
        figures[f"pages_{name}_p95_ms"] = round(_p95(samples), 1)
        figures[f"pages_{name}_p50_ms"] = round(statistics.median(samples), 1)
        figures[f"pages_{name}_queries"] = len(ctx.captured_queries)
        figures[f"pages_{name}_path"] = path
        if status == 200:
            slowest[name] = _p95(samples)
        else:
            failed.append(f"{name} ({status})")
    if slowest:
        worst = max(slowest, key=lambda name: slowest[name])
        figures["pages_p95_ms_max"] = round(slowest[worst], 1)
        figures["pages_slowest"] = worst
    figures["pages_failed"] = ", ".join(failed) or "none"
    print(json.dumps(figures))


if __name__ == "__main__" and "--child" in sys.argv:
    _child()
