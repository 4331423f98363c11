"""Several nodes (issue 16): two application servers (two gunicorn processes
on two ports) and two workers (`manage.py db_worker`) on one PostgreSQL, with
the same settings, started by bench/bench_two_nodes.py's `nodes()` on a
fresh database: one S3 bucket for their files (moto's server,
tests/s3_server.py), one secret for the signing keys (C2I_SIGNING_KEYS_FILE),
one C2I_SECRET_KEY. Through the pooler when DATABASE_URL points at one
(C2I_DB_POOLER is passed on to every node).

A candidate whose every request goes to the other server sits a whole test;
a person signed in on one server is signed in on the other, and signed out on
both; a session's documents are produced by both workers, each once; each
node's /sante/ reports the same current signing key."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ARTIFACTS
from tests.s3_server import start_s3_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="two nodes share one PostgreSQL server: DATABASE_URL is not a PostgreSQL URL (SQLite: one machine)",
    ),
]

DOCUMENTS = 40
FORM = re.compile(r'<form method="post" action="(/mon-espace/epreuves/passages/\d+/reponses/(\d+)/)"(.*?)</form>', re.S)
OPTION = re.compile(r'name="option" value="(\d+)"')
CHECKED = re.compile(r'value="(\d+)" id="q-(\d+)-o-\d+" checked')


BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_two_nodes.py"  # bench/ is a folder of scripts


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest) -> Iterator[Any]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_two_nodes", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    failed_before = request.session.testsfailed
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with (
        start_s3_server(bucket="c2i-two-nodes") as s3,  # the files of both nodes in one bucket
        bench.nodes(
            f"two_nodes_{worker}",
            gunicorn_workers=1,
            threads=4,
            documents=DOCUMENTS,
            debug=True,
            # four parts of ten: the two workers poll every 0.2 s, so both take some of them
            storage={**s3.env(), "C2I_DOCUMENT_TASKS": "4"},
        ) as nodes,
    ):
        nodes.bench, nodes.s3 = bench, s3
        yield nodes
        if request.session.testsfailed > failed_before:  # the nodes' logs, for the one who reads the failure
            target = ARTIFACTS / "two-nodes"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(nodes.logs, target)


class Browser:
    """One person's browser behind a load balancer that sends each request to
    the next server (A, B, A, B...): one cookie jar for both."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.http = httpx.Client(timeout=20)  # cookies of 127.0.0.1, whatever the port
        self.turn = 0

    def on(self, server: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, self.urls[server] + path, **kwargs)

    def next(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        server = self.turn % len(self.urls)
        self.turn += 1
        return self.on(server, method, path, **kwargs)

    def csrf(self) -> str:
        return str(self.http.cookies.get("csrftoken", ""))

    def form(self) -> dict[str, str]:
        return {"csrfmiddlewaretoken": self.csrf()}

    def sign_in(self, server: int, username: str) -> None:
        self.on(server, "GET", "/connexion/")
        response = self.on(
            server, "POST", "/connexion/", data={"username": username, "password": "demo", **self.form()}
        )
        assert response.status_code == 302, (username, response.status_code)
        self.turn = server + 1


def _one(nodes: Any, sql: str, *params: object) -> Any:
    return nodes.bench.query(nodes.database_url, sql, *params)[0][0]


def test_a_candidate_sits_a_whole_test_on_two_servers(cluster: Any) -> None:
    exam = _one(cluster, "SELECT min(id) FROM assessment_exam")  # the demo's test (A's C2i1 session)
    browser = Browser(cluster.urls)
    browser.sign_in(0, "candidat-a1")  # on A; then B, A, B...
    assert browser.next("GET", f"/mon-espace/epreuves/{exam}/").status_code == 200
    started = browser.next("POST", f"/mon-espace/epreuves/{exam}/commencer/", data=browser.form())
    assert started.status_code == 302 and "/passages/" in started.headers["location"], started.text[:500]
    sitting = started.headers["location"]
    attempt = int(sitting.rstrip("/").rsplit("/", 1)[1])
    page = browser.next("GET", sitting)
    assert page.status_code == 200
    forms = FORM.findall(page.text)
    assert len(forms) >= 10, "the test's page lists its questions"
    chosen: dict[int, list[int]] = {}
    servers_seen = set()
    for action, position, body in forms:  # as exam.js posts a ticked box: JSON, seq, X-CSRFToken
        options = [int(o) for o in OPTION.findall(body)]
        ticked = [options[int(position) % len(options)]]
        server = browser.turn % 2
        response = browser.next(
            "POST",
            action,
            content=json.dumps({"ticked": ticked, "seq": int(time.time() * 1000)}),
            headers={"Content-Type": "application/json", "X-CSRFToken": browser.csrf()},
        )
        assert response.status_code == 200 and response.json()["status"] == "saved", response.text
        chosen[int(position)] = ticked
        servers_seen.add(server)
    assert servers_seen == {0, 1}
    reloaded = browser.next("GET", sitting)  # the page again, on the other server: every answer there
    seen: dict[int, list[int]] = {}
    for value, position in CHECKED.findall(reloaded.text):
        seen.setdefault(int(position), []).append(int(value))
    assert seen == chosen
    assert browser.next("GET", f"/mon-espace/epreuves/passages/{attempt}/terminer/").status_code == 200
    handed = browser.next("POST", f"/mon-espace/epreuves/passages/{attempt}/terminer/", data=browser.form())
    assert handed.status_code == 302
    again = browser.next("POST", f"/mon-espace/epreuves/passages/{attempt}/terminer/", data=browser.form())
    assert again.status_code in (302, 404)  # handed in already: nothing happens twice

    stored = cluster.bench.query(
        cluster.database_url,
        "SELECT position, ticked FROM assessment_attemptquestion WHERE attempt_id = %s AND ticked IS NOT NULL",
        attempt,
    )
    assert dict(stored) == chosen, "every acknowledged answer is stored, as sent"
    closed, score = cluster.bench.query(
        cluster.database_url, "SELECT closed_at, score FROM assessment_attempt WHERE id = %s", attempt
    )[0]
    assert closed is not None and score is not None
    closings = _one(
        cluster,
        "SELECT count(*) FROM accounts_auditentry WHERE action = 'assessment.attempt_close' AND object_id = %s",
        str(attempt),
    )
    assert closings == 1, "the sitting is scored once"


def test_a_signed_in_person_is_signed_in_on_either_server(cluster: Any) -> None:
    session = _one(
        cluster,
        """SELECT s.id FROM enrolment_institutionsession s JOIN enrolment_session f ON f.id = s.session_id
           JOIN deliberation_jurymember j ON j.institution_session_id = s.id JOIN accounts_user u ON u.id = j.user_id
           WHERE u.username = 'jury-a-membre' ORDER BY s.id LIMIT 1""",
    )
    for username, pages in (
        ("correspondant-a", ["/correspondant/epreuves/", "/mon-espace/"]),
        ("jury-a-membre", ["/jury/", f"/jury/sessions/{session}/"]),
    ):
        browser = Browser(cluster.urls)
        browser.sign_in(0, username)  # the session cookie comes from A
        for path in pages:
            response = browser.on(1, "GET", path)  # and B knows it
            assert response.status_code == 200, (username, path, response.status_code)
        signed_out = browser.on(1, "POST", "/deconnexion/", data=browser.form())  # signed out on B
        assert signed_out.status_code == 302
        refused = browser.on(0, "GET", pages[0])  # A does not know the session any more
        assert refused.status_code == 302 and "/connexion/" in refused.headers["location"], username


def test_both_workers_produce_a_sessions_documents_once_each(cluster: Any) -> None:
    session = cluster.documents_session  # published, of 40 outcomes: 60 % certified, 40 % attestations
    browser = Browser(cluster.urls)
    browser.sign_in(0, "correspondant-a")
    page = f"/gestion/sessions/{session}/documents/"
    queued = browser.on(1, "POST", page, data=browser.form())  # the correspondent's button, on B
    assert queued.status_code == 302
    state = cluster.bench.wait_for_batch(cluster.database_url, session, timeout=40)
    assert state == "done"
    counted = json.loads(cluster.python(str(BENCH), "--verify-documents", str(session)).strip().splitlines()[-1])
    assert counted["expected"] == DOCUMENTS
    assert (counted["produced"], counted["missing"], counted["duplicated"]) == (DOCUMENTS, 0, 0), counted
    assert (counted["files_absent"], counted["wrong_kind"]) == (0, 0), counted
    assert counted["files_in_storage"] == DOCUMENTS
    objects = cluster.s3.keys()  # the bucket, read with boto3
    pdfs = [key for key in objects if key.startswith("media/documents/")]
    assert len(pdfs) == DOCUMENTS, "in the bucket both nodes share"
    assert not (cluster.folder / "media").exists() and not (cluster.folder / "keys").exists(), "no node's own disk"
    workers = {worker for part in counted["parts"] for worker in part["workers"]}
    assert workers == set(cluster.worker_ids), counted["parts"]  # both workers took part
    assert browser.on(0, "GET", page).status_code == 200  # and the page on A says so


def test_each_node_tells_the_load_balancer_it_serves_with_the_shared_key(cluster: Any) -> None:
    reports = [httpx.get(f"{url}/sante/", timeout=20) for url in cluster.urls]
    assert [r.status_code for r in reports] == [200, 200]
    checks = [r.json()["checks"] for r in reports]
    assert all(c["database"]["ok"] and c["storage"]["ok"] and c["signing_keys"]["ok"] for c in checks), checks
    assert checks[0]["signing_keys"] == checks[1]["signing_keys"], "one secret, one current key on both nodes"
    assert checks[0]["signing_keys"].get("current"), checks[0]
