"""Two nodes (issue 16): two application servers and two workers on one
PostgreSQL, as several machines would run the platform, with nothing shared
but the database, the file store, the secret key and the signing keys.

`Nodes` starts them (tests/test_two_nodes.py uses it too): a fresh database
next to DATABASE_URL (through the pooler when DATABASE_URL points at one,
with C2I_DB_POOLER passed on), `migrate`, the frameworks and the demo, the
signing keys' secret made once by the operator's command, then two gunicorn processes
on two ports of 127.0.0.1 and two `manage.py db_worker` processes, all with
the same environment. Files go to one shared folder (C2I_MEDIA_ROOT), or to
an S3 server when `storage` says so (the test and run() start moto's,
tests/s3_server.py); the signing keys come from one secret
(C2I_SIGNING_KEYS_FILE, made by `export_signing_keys --new`).

`run()` (called by bench/run) measures at a larger scale:

1. answers: BENCH_TWO_NODES_CANDIDATES candidates (default 150, seated by
   `bench_exam.py --prepare`) sign in on server A, then every request of each
   one alternates between A and B: start, the test's page, 25 answers (the
   JSON the exam page's script posts), the page again, the hand-in; all the
   candidates at once. `two_nodes_answers_lost` = acknowledged − stored
   (`bench_exam.py --verify`: the database holds each acknowledged answer or
   a later one);
2. documents: a published session of BENCH_TWO_NODES_DOCUMENTS outcomes
   (default 500, `bench_documents._session`), queued by
   `enqueue_session_documents` (the service the jury's publication calls) and
   produced by the two workers; the counts are those of bench/faults
   (`document_counts`) plus the files found in the storage: missing,
   duplicated (a second document for an enrolment, or a file no document
   names), wrong kind, file absent;
3. CPU (user + system, from /proc) of each server (master and its workers)
   and each worker process over each phase: per answer, per document, and
   the share each one took; for docs/capacity.md, the CPU of both servers
   and of the database's backends (those pg_stat_activity lists for the
   bench's database: the pooler's server connections) over phases of one
   kind of request each: the test's page, the status poll as exam.js sends
   it (STATUS_POLLS per candidate), the answers, the hand-in; and the growth
   of the database (pg_database_size, and the tables that grew most) per
   sitting;
4. sign-ins with the real hasher (PBKDF2, 1,000,000 iterations): a second
   pair of servers on the same database started without
   C2I_TEST_FAST_HASHER, BENCH_TWO_NODES_SIGN_INS (default 40) candidates
   whose password it hashed, each one the form then the POST, on the next
   server; its CPU per sign-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.machinery
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CANDIDATES = int(os.environ.get("BENCH_TWO_NODES_CANDIDATES", "150"))
QUESTIONS = int(os.environ.get("BENCH_TWO_NODES_QUESTIONS", "25"))
DOCUMENTS = int(os.environ.get("BENCH_TWO_NODES_DOCUMENTS", "500"))
SIGN_INS = int(os.environ.get("BENCH_TWO_NODES_SIGN_INS", "40"))
STATUS_POLLS = 4  # each candidate's status polls in their phase (exam.js: one every 10 s)


def _module(name: str, path: Path) -> Any:
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


exam = _module("bench_exam", HERE / "bench_exam.py")  # its client, --prepare, --verify, _cpu_ms
faults = _module("bench_faults", HERE / "faults")  # its workers and its counting of documents


# --- the database ------------------------------------------------------------------


@contextlib.contextmanager
def database(suffix: str) -> Iterator[str]:
    """A fresh PostgreSQL database next to DATABASE_URL (the same server or
    pooler), dropped afterwards; without a PostgreSQL DATABASE_URL, the
    throw-away cluster of bench_exam.py."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        with exam._database() as throwaway:
            yield throwaway
        return
    import psycopg

    base, _, name = url.rpartition("/")
    target = f"{name or 'c2i'}_{suffix}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}"')
    try:
        yield f"{base}/{target}"
    finally:
        # dropped in the background: DROP DATABASE waits for a checkpoint of
        # the whole server (tens of seconds on a busy one); the next run drops
        # it first anyway
        drop = (
            "import psycopg, sys\n"
            "with psycopg.connect(sys.argv[1], autocommit=True) as conn:\n"
            "    conn.execute(sys.argv[2])\n"
        )
        subprocess.Popen(
            [sys.executable, "-c", drop, f"{base}/postgres", f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


def query(url: str, sql: str, *params: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as conn:
        cursor = conn.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


# --- the nodes -----------------------------------------------------------------------


class Nodes:
    """`servers` gunicorn processes and `workers` db_worker processes sharing
    one database, one file store, one secret key and one set of signing keys."""

    def __init__(
        self,
        database_url: str,
        folder: Path,
        *,
        servers: int = 2,
        workers: int = 2,
        gunicorn_workers: int = 2,
        threads: int = 4,
        storage: dict[str, str] | None = None,
        documents: int = 0,
        debug: bool = False,
    ) -> None:
        self.folder = folder
        self.documents = documents
        self.documents_session = 0  # the published session of `documents` outcomes, once prepared
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.ports = [faults._free_port() for _ in range(servers)]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.worker_ids = [f"node-{chr(ord('a') + n)}-worker" for n in range(workers)]
        self.gunicorn_workers, self.threads = gunicorn_workers, threads
        self.servers: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.database_url = database_url
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "c2i.settings",
            "PYTHONPATH": str(ROOT),
            # debug on: no collectstatic (thousands of files to write and remove, for a test)
            "C2I_DEBUG": "1" if debug else "0",
            "C2I_HTTPS": "0",  # plain http on 127.0.0.1, as `make run`: cookies without Secure
            "C2I_SECRET_KEY": secrets.token_urlsafe(40),
            "C2I_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "C2I_SITE_URL": self.urls[0],  # the address a load balancer would publish
            "C2I_CONN_MAX_AGE": "600",
            "C2I_TEST_FAST_HASHER": "1",  # logins are not what is measured
            "C2I_STATIC_ROOT": str(folder / "static"),
            "C2I_KEYS_DIR": str(folder / "keys"),
            "C2I_MEDIA_ROOT": str(folder / "media"),
            "C2I_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "C2I_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "C2I_CACHE_BACKEND": "django.core.cache.backends.db.DatabaseCache",  # one cache for every node
        }
        self.env.pop("C2I_STORAGE", None)
        self.env.update(storage or {})

    # set-up

    def manage(self, *args: str) -> str:
        return self.python(str(ROOT / "manage.py"), *args)

    def python(self, *args: str) -> str:
        done = subprocess.run([sys.executable, *args], env=self.env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stderr[-4000:]}")
        return done.stdout

    def prepare(self) -> None:
        """The database and the static files, as an operator's deployment does once."""
        static = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput"]
            if self.env["C2I_DEBUG"] == "0"
            else ["true"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(self.logs / "collectstatic.log").open("w"),
        )
        secret = self.folder / "signing-keys.json"
        out = self.python(__file__, "--prepare-database", str(self.documents), str(secret))
        self.documents_session = int(out.strip().splitlines()[-1])
        # every node reads the operator's secret (docs/operations.md), none has a key folder of its own
        self.env["C2I_SIGNING_KEYS_FILE"] = str(secret)
        self.env.pop("C2I_SIGNING_KEYS", None)
        if static.wait() != 0:
            raise RuntimeError(f"collectstatic failed: {(self.logs / 'collectstatic.log').read_text()[-2000:]}")

    # processes

    def start(self) -> None:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        for n, port in enumerate(self.ports):
            self.servers.append(
                subprocess.Popen(
                    [
                        gunicorn,
                        "c2i.wsgi:application",
                        "--workers",
                        str(self.gunicorn_workers),
                        "--worker-class",
                        "gthread",
                        "--threads",
                        str(self.threads),
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--keep-alive",
                        "120",
                        "--backlog",
                        "2048",
                        "--graceful-timeout",
                        "5",
                    ],
                    env=self.env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=(self.logs / f"server-{chr(ord('a') + n)}.log").open("w"),
                    start_new_session=True,  # its own process group, killed as one
                )
            )
        for worker_id in self.worker_ids:
            self.workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(ROOT / "manage.py"),
                        "db_worker",
                        "--no-reload",
                        "--no-startup-delay",
                        "--interval",
                        "0.2",
                        "--worker-id",
                        worker_id,
                        "--verbosity",
                        "2",
                    ],
                    env=self.env,
                    cwd=ROOT,
                    stdout=(self.logs / f"{worker_id}.log").open("w"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 60
        for url in self.urls:
            while True:
                try:
                    urllib.request.urlopen(f"{url}/ping/", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline or any(s.poll() is not None for s in self.servers):
                        raise RuntimeError(f"{url} did not start: see {self.logs}") from None
                    time.sleep(0.1)
        for worker_id, process in zip(self.worker_ids, self.workers, strict=True):
            log = self.logs / f"{worker_id}.log"
            while "Starting worker" not in log.read_text():
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{worker_id} did not start: see {log}")
                time.sleep(0.1)

    def stop(self) -> None:
        processes = self.servers + self.workers
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def cpu_ms(self) -> dict[str, float]:
        """CPU time so far of each server (its master and workers) and each worker."""
        names = [f"server-{chr(ord('a') + n)}" for n in range(len(self.servers))]
        figures = {name: exam._cpu_ms(p.pid) for name, p in zip(names, self.servers, strict=True)}
        figures.update({w: exam._cpu_ms(p.pid) for w, p in zip(self.worker_ids, self.workers, strict=True)})
        return figures


@contextlib.contextmanager
def nodes(suffix: str, **options: Any) -> Iterator[Nodes]:
    """A fresh database and the nodes on it, prepared and started; stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix=f"c2i-{suffix}-"))
    with database(suffix) as url:
        running = Nodes(url, folder, **options)
        try:
            began = time.monotonic()
            running.prepare()
            prepared = time.monotonic()
            running.start()
            (running.logs / "timings.txt").write_text(
                f"prepare {prepared - began:.1f} s, start {time.monotonic() - prepared:.1f} s\n"
            )
            yield running
        finally:
            running.stop()
    shutil.rmtree(folder, ignore_errors=True)


# --- documents: the session, the batch, the counts ------------------------------------------


def prepare_documents(count: int, index: int) -> int:
    """A published session of `count` final outcomes (bench_documents), held by
    the demo's institution A, so that correspondant-a manages it."""
    import django

    django.setup()
    from c2i.demo.enrolment import INSTITUTIONS
    from c2i.enrolment.models import InstitutionSession
    from c2i.institutions.models import Institution

    documents = _module("bench_documents", HERE / "bench_documents.py")
    institution_session = documents._session(index, count)
    uai = next(i.uai for i in INSTITUTIONS if i.key == "a")
    InstitutionSession.objects.filter(pk=institution_session.pk).update(institution=Institution.objects.get(uai=uai))
    return int(institution_session.pk)


def verify_documents(session: int) -> dict[str, Any]:
    """bench/faults' counts of the session's documents, the files listed in
    the storage (local folder or bucket), and what only storage can say: each
    document's PDF present, and of the kind its outcome calls for."""
    import django

    django.setup()
    from django.core.files.storage import default_storage
    from django.db import connection

    from c2i.credentials.models import DocumentBatch, IssuedDocument

    batch = DocumentBatch.objects.filter(institution_session_id=session).order_by("-pk").first()
    assert batch is not None
    files: set[str] = set()
    with contextlib.suppress(FileNotFoundError):  # the local folder before any document; a bucket lists nothing
        files = set(default_storage.listdir("documents")[1])
    url = os.environ["DATABASE_URL"]
    counts = faults.document_counts(url, session, batch.pk, files)
    absent = wrong_kind = 0
    for document in IssuedDocument.objects.filter(enrolment__institution_session_id=session).select_related(
        "enrolment__jury_outcome"
    ):
        name = document.pdf.name or ""
        if not name or not default_storage.exists(name):
            absent += 1
        else:
            with default_storage.open(name, "rb") as f:
                absent += f.read(5) != b"%PDF-"
        certified = document.enrolment.jury_outcome.status == "certified"
        wrong_kind += document.kind != ("certificate" if certified else "attestation")
    parts = query(
        url,
        """SELECT p.part, p.done, r.worker_ids FROM credentials_batchpart p
           LEFT JOIN django_tasks_database_dbtaskresult r
             ON (r.args_kwargs -> 'args' -> 0)::bigint = p.batch_id AND (r.args_kwargs -> 'args' -> 1)::int = p.part
           WHERE p.batch_id = %s ORDER BY p.part""",
        batch.pk,
    )
    connection.close()
    return {
        **counts,
        "batch": batch.pk,
        "state": batch.state,
        "seconds": (batch.finished_at - batch.started_at).total_seconds()
        if batch.finished_at and batch.started_at
        else None,
        "files_absent": absent,
        "wrong_kind": wrong_kind,
        "files_in_storage": len(files),
        "parts": [{"part": p, "done": d, "workers": w or []} for p, d, w in parts],
    }


def wait_for_batch(url: str, session: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        rows = query(
            url,
            "SELECT state FROM credentials_documentbatch WHERE institution_session_id = %s ORDER BY id DESC LIMIT 1",
            session,
        )
        if rows and rows[0][0] in ("done", "failed"):
            return str(rows[0][0])
        if time.monotonic() > deadline:
            return str(rows[0][0]) if rows else "absent"
        time.sleep(0.2)


# --- answers: candidates alternating between the servers (asyncio, no Django) -----------------


class Alternating:
    """One candidate's browser behind a load balancer that sends each request
    to the next server: one keep-alive connection per server, one cookie jar."""

    def __init__(self, ports: list[int]) -> None:
        self.conns = [exam.Connection(port) for port in ports]
        for conn in self.conns[1:]:
            conn.cookies = self.conns[0].cookies
        self.turn = 0
        self.sent = [0] * len(ports)

    def next(self) -> Any:
        conn = self.conns[self.turn % len(self.conns)]
        self.sent[self.turn % len(self.conns)] += 1
        self.turn += 1
        return conn

    async def request(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
        return await self.next().request(*args, **kwargs)

    def close(self) -> None:
        for conn in self.conns:
            if conn.writer is not None:
                conn.writer.close()


CHECKED = re.compile(rb'value="(\d+)" id="q-(\d+)-o-\d+" checked')


async def _begin(browser: Alternating, username: str, password: str, exam_pk: int) -> tuple[int, str, bytes]:
    """Signs in on server A, then B, A, B...: starts the test and loads its page."""
    first = browser.conns[0]
    await first.request("GET", "/connexion/")
    form = f"username={username}&password={password}&csrfmiddlewaretoken={first.csrf()}".encode()
    status, _, _ = await first.request(
        "POST", "/connexion/", form, "application/x-www-form-urlencoded", {"Referer": "/connexion/"}
    )
    assert status == 302, f"login {username}: {status}"
    browser.turn = 1
    token = f"csrfmiddlewaretoken={first.csrf()}".encode()
    status, headers, _ = await browser.request(
        "POST", f"/mon-espace/epreuves/{exam_pk}/commencer/", token, "application/x-www-form-urlencoded"
    )
    location = headers.get("location", "")
    assert status == 302 and "/passages/" in location, f"start {username}: {status} {location}"
    status, _, _ = await browser.request("GET", location)
    assert status == 200, f"page {username}: {status}"
    return int(location.rstrip("/").rsplit("/", 1)[1]), location, token


async def _answer_all(browser: Alternating, attempt: int, answers: Any, notes: dict) -> None:
    for position in range(1, QUESTIONS + 1):
        for _ in range(20):  # as the page's script: sent again until acknowledged
            try:
                if await answers.send(browser.next(), attempt, position):
                    break
            except (ConnectionError, OSError, asyncio.IncompleteReadError):
                notes["broken"] += 1
                for conn in browser.conns:
                    conn.writer = None
            await asyncio.sleep(0.2)


async def _reload(browser: Alternating, location: str, notes: dict) -> None:
    status, _, page = await browser.request("GET", location)  # the page again, on the next server
    assert status == 200, f"reload {location}: {status}"
    notes["reloaded_answers"] += len({int(p) for _, p in CHECKED.findall(page)})


async def _hand_in(browser: Alternating, attempt: int, token: bytes, notes: dict) -> None:
    status, _, _ = await browser.request(
        "POST", f"/mon-espace/epreuves/passages/{attempt}/terminer/", token, "application/x-www-form-urlencoded"
    )
    notes["handed_in"] += status == 302
    browser.close()


async def _page(browser: Alternating, location: str) -> None:
    status, _, _ = await browser.request("GET", location)
    assert status == 200, f"page {location}: {status}"


async def _status(browser: Alternating, attempt: int, polls: int) -> None:
    """The sitting's status, as exam.js asks it every POLL_MS while the page is open."""
    for _ in range(polls):
        status, _, data = await browser.request(
            "GET", f"/mon-espace/epreuves/passages/{attempt}/etat/?after=0", headers={"Accept": "application/json"}
        )
        assert status == 200 and data.startswith(b"{"), f"status {attempt}: {status}"


def _db_ticks(url: str) -> dict[int, float]:
    """CPU so far (ms, /proc) of each PostgreSQL backend serving this database
    (the pooler's server connections), but the one asking."""
    rows = query(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    ticks: dict[int, float] = {}
    for (pid,) in rows:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone, or PostgreSQL on another machine: nothing to read
            continue
        ticks[int(pid)] = (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    return ticks


class Phase:
    """CPU of the servers (both gunicorns, masters and workers) and of the
    database's backends over one phase of a single kind of request."""

    def __init__(self, server_pids: list[int], url: str) -> None:
        self.server_pids, self.url = server_pids, url

    def __enter__(self) -> Phase:
        self.db = _db_ticks(self.url)
        self.cpu = [exam._cpu_ms(pid) for pid in self.server_pids]
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.started
        self.server_cpu = [exam._cpu_ms(pid) - c for pid, c in zip(self.server_pids, self.cpu, strict=True)]
        after = _db_ticks(self.url)
        # a backend gone during the phase keeps its last reading; a new one counts from 0
        self.db_cpu = sum(after.get(pid, self.db.get(pid, 0.0)) for pid in {*self.db, *after}) - sum(self.db.values())

    def per(self, count: int) -> dict[str, float]:
        return {
            "server_cpu_ms": round(sum(self.server_cpu) / max(count, 1), 3),
            "db_cpu_ms": round(self.db_cpu / max(count, 1), 3),
            "count": count,
            "seconds": round(self.seconds, 2),
        }


async def _answers(params: dict[str, Any]) -> dict[str, Any]:
    """Every candidate at once: signed in and started (16 at a time), then,
    each phase one kind of request with its CPU counted alone: the test's
    page, STATUS_POLLS status polls each, the answers of all, the page again
    (it shows every answer), the hand-in."""
    answers = exam.Answers()
    notes = {"broken": 0, "reloaded_answers": 0, "handed_in": 0}
    browsers = [Alternating(params["ports"]) for _ in params["usernames"]]
    gate = asyncio.Semaphore(16)
    sittings: list[tuple[int, str, bytes]] = [(0, "", b"")] * len(browsers)
    pids, url = params["server_pids"], os.environ["DATABASE_URL"]

    async def begin(i: int) -> None:
        async with gate:
            sittings[i] = await _begin(browsers[i], params["usernames"][i], params["password"], params["exam"])

    await asyncio.gather(*(begin(i) for i in range(len(browsers))))
    pairs = list(zip(browsers, sittings, strict=True))
    with Phase(pids, url) as page:
        await asyncio.gather(*(_page(b, s[1]) for b, s in pairs))
    with Phase(pids, url) as polls:
        await asyncio.gather(*(_status(b, s[0], STATUS_POLLS) for b, s in pairs))
    before = [b.sent[:] for b in browsers]
    with Phase(pids, url) as answering:
        await asyncio.gather(*(_answer_all(b, s[0], answers, notes) for b, s in pairs))
    sent = [sum(b.sent[n] - s[n] for b, s in zip(browsers, before, strict=True)) for n in range(len(params["ports"]))]
    await asyncio.gather(*(_reload(b, s[1], notes) for b, s in pairs))
    with Phase(pids, url) as hand_in:
        await asyncio.gather(*(_hand_in(b, s[0], s[2], notes) for b, s in pairs))
    Path(params["acks"]).write_text(json.dumps([[a, p, s, t] for (a, p), (s, t) in answers.acked.items()]))
    return {
        "seconds": answering.seconds,
        "answers_per_server": sent,
        "server_cpu_ms": answering.server_cpu,
        "answer": answering.per(sum(sent)),
        "exam_page": page.per(len(pairs)),
        "status": polls.per(len(pairs) * STATUS_POLLS),
        "hand_in": hand_in.per(len(pairs)),
        "refused": answers.errors,
        **notes,
    }


async def _sign_ins(params: dict[str, Any]) -> dict[str, Any]:
    """Sign-ins with the real password hasher: the form, then the POST, each
    person on the next server, 8 at a time."""
    ports, gate = params["ports"], asyncio.Semaphore(8)

    async def sign_in(i: int, username: str) -> None:
        async with gate:
            conn = exam.Connection(ports[i % len(ports)])
            await conn.request("GET", "/connexion/")
            form = f"username={username}&password={params['password']}&csrfmiddlewaretoken={conn.csrf()}".encode()
            status, _, _ = await conn.request(
                "POST", "/connexion/", form, "application/x-www-form-urlencoded", {"Referer": "/connexion/"}
            )
            assert status == 302, f"login {username}: {status}"
            if conn.writer is not None:
                conn.writer.close()

    with Phase(params["server_pids"], os.environ["DATABASE_URL"]) as phase:
        await asyncio.gather(*(sign_in(i, u) for i, u in enumerate(params["usernames"])))
    return phase.per(len(params["usernames"]))


def rehash(usernames: list[str], password: str) -> None:
    """These candidates' password hashed by the real hasher (PBKDF2, run
    without C2I_TEST_FAST_HASHER): once, the same hash for each (one salt:
    a benchmark's accounts)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    hashed = make_password(password)
    assert hashed.startswith("pbkdf2_"), hashed[:20]
    get_user_model().objects.filter(username__in=usernames).update(password=hashed)
    connection.close()


DB_SIZE = """SELECT pg_database_size(current_database()),
    coalesce(json_object_agg(relname, pg_total_relation_size(relid)), '{}')
    FROM pg_stat_user_tables"""


def _db_growth(before: tuple, after: tuple, sittings: int) -> tuple[int, dict[str, int]]:
    """Bytes per sitting: the database's size, and the five tables that grew most."""
    grown = {t: after[1].get(t, 0) - before[1].get(t, 0) for t in after[1]}
    top = sorted(grown.items(), key=lambda kv: -kv[1])[:5]
    per = max(sittings, 1)
    return round((after[0] - before[0]) / per), {t: round(b / per) for t, b in top if b > 0}


# --- run() ----------------------------------------------------------------------------------


def _share(values: list[float]) -> list[float]:
    total = sum(values) or 1
    return [round(v / total, 3) for v in values]


def run() -> dict[str, object]:
    from tests.s3_server import start_s3_server

    with (
        start_s3_server(bucket="c2i-two-nodes") as s3,
        nodes("two_nodes", gunicorn_workers=2, threads=4, storage=s3.env()) as cluster,
    ):
        setup = json.loads(cluster.python(__file__, "--prepare-exam", str(CANDIDATES)).strip().splitlines()[-1])
        # after the exam's candidates (bench_exam finds A's one C2i1 session)
        session = int(cluster.python(__file__, "--prepare-documents", str(DOCUMENTS)).strip().splitlines()[-1])

        # 1. answers, every request of every candidate alternating between the servers
        acks = cluster.folder / "acks.json"
        pids = [s.pid for s in cluster.servers]
        params = {**setup, "ports": cluster.ports, "server_pids": pids, "acks": str(acks)}
        size_before = query(cluster.database_url, DB_SIZE)[0]
        load = json.loads(cluster.python(__file__, "--answers", json.dumps(params)).strip().splitlines()[-1])
        size_after = query(cluster.database_url, DB_SIZE)[0]
        checked = json.loads(
            cluster.python(str(HERE / "bench_exam.py"), "--verify", str(acks)).strip().splitlines()[-1]
        )
        server_cpu = load["server_cpu_ms"]
        acknowledged = checked["exam_answers_acknowledged"]

        # 2. documents: the batch the publication queues, produced by both workers
        before = cluster.cpu_ms()
        started = time.monotonic()
        out = cluster.manage("produce_documents", str(session))
        state = wait_for_batch(cluster.database_url, session, timeout=600)
        wall = time.monotonic() - started
        after = cluster.cpu_ms()
        counted = json.loads(cluster.python(__file__, "--verify-documents", str(session)).strip().splitlines()[-1])
        worker_cpu = [after[w] - before[w] for w in cluster.worker_ids]
        per_worker = {w: 0 for w in cluster.worker_ids}
        for part in counted["parts"]:
            if part["workers"]:
                per_worker[part["workers"][-1]] = per_worker.get(part["workers"][-1], 0) + part["done"]

        # 4. sign-ins with the real hasher (PBKDF2): a pair of servers on the same database started
        # without C2I_TEST_FAST_HASHER, for SIGN_INS of the candidates, their password hashed by it
        signing = Nodes(cluster.database_url, cluster.folder / "sign-in", workers=0)
        signing.env = {k: v for k, v in cluster.env.items() if k != "C2I_TEST_FAST_HASHER"}
        signing.env["C2I_SITE_URL"] = signing.urls[0]
        usernames = setup["usernames"][:SIGN_INS]
        signing.python(__file__, "--rehash", json.dumps(usernames), setup["password"])
        try:
            signing.start()
            sign_in = json.loads(
                signing.python(
                    __file__,
                    "--sign-ins",
                    json.dumps(
                        {
                            "ports": signing.ports,
                            "server_pids": [s.pid for s in signing.servers],
                            "usernames": usernames,
                            "password": setup["password"],
                        }
                    ),
                )
                .strip()
                .splitlines()[-1]
            )
        finally:
            signing.stop()
    produced = max(counted["produced"], 1)
    bytes_per_sitting, tables_per_sitting = _db_growth(size_before, size_after, load["handed_in"])
    return {
        "two_nodes_candidates": len(setup["usernames"]),
        "two_nodes_questions_each": QUESTIONS,
        "two_nodes_answers_acknowledged": acknowledged,
        "two_nodes_answers_stored": checked["exam_answers_stored"],
        "two_nodes_answers_lost": checked["exam_answers_lost"],
        "two_nodes_answers_refused": load["refused"],
        "two_nodes_answers_reloaded_seen": load["reloaded_answers"],
        "two_nodes_handed_in": load["handed_in"],
        "two_nodes_answers_per_s": round(sum(load["answers_per_server"]) / load["seconds"], 1),
        "two_nodes_answers_share": _share([float(n) for n in load["answers_per_server"]]),
        "two_nodes_server_cpu_ms_per_answer": round(sum(server_cpu) / max(sum(load["answers_per_server"]), 1), 3),
        "two_nodes_server_cpu_share": _share(server_cpu),
        "two_nodes_db_cpu_ms_per_answer": load["answer"]["db_cpu_ms"],
        "two_nodes_server_cpu_ms_per_exam_page": load["exam_page"]["server_cpu_ms"],
        "two_nodes_db_cpu_ms_per_exam_page": load["exam_page"]["db_cpu_ms"],
        "two_nodes_server_cpu_ms_per_status": load["status"]["server_cpu_ms"],
        "two_nodes_db_cpu_ms_per_status": load["status"]["db_cpu_ms"],
        "two_nodes_server_cpu_ms_per_hand_in": load["hand_in"]["server_cpu_ms"],
        "two_nodes_db_cpu_ms_per_hand_in": load["hand_in"]["db_cpu_ms"],
        "two_nodes_server_cpu_ms_per_sign_in": sign_in["server_cpu_ms"],
        "two_nodes_db_cpu_ms_per_sign_in": sign_in["db_cpu_ms"],
        "two_nodes_sign_ins": sign_in["count"],
        "two_nodes_status_polls": load["status"]["count"],
        "two_nodes_db_bytes_per_sitting": bytes_per_sitting,
        "two_nodes_db_tables_bytes_per_sitting": tables_per_sitting,
        "two_nodes_documents_expected": counted["expected"],
        "two_nodes_documents_produced": counted["produced"],
        "two_nodes_documents_missing": counted["missing"],
        "two_nodes_documents_duplicated": counted["duplicated"],
        "two_nodes_documents_wrong_kind": counted["wrong_kind"],
        "two_nodes_documents_files_absent": counted["files_absent"],
        "two_nodes_documents_state": state,
        "two_nodes_documents_batch_output": out.strip(),
        "two_nodes_documents_wall_s": round(wall, 1),
        "two_nodes_documents_per_s": round(counted["produced"] / counted["seconds"], 1) if counted["seconds"] else None,
        "two_nodes_worker_cpu_ms_per_document": round(sum(worker_cpu) / produced, 1),
        "two_nodes_worker_cpu_share": _share(worker_cpu),
        "two_nodes_worker_documents_share": _share([float(v) for v in per_worker.values()]),
        "two_nodes_machine_load_1min": round(os.getloadavg()[0], 1),
        "two_nodes_setup": (
            f"2 gunicorn ({cluster.gunicorn_workers} gthread workers x {cluster.threads} threads each) and "
            f"2 db_worker on one PostgreSQL{' through PgBouncer' if os.environ.get('C2I_DB_POOLER') else ''}, "
            f"storage {'S3 (moto on 127.0.0.1)' if cluster.env.get('C2I_STORAGE') == 's3' else 'one shared folder'}, "
            "signing keys from one secret file; "
            "load generator: 1 asyncio process"
        ),
    }


def prepare_database(documents: int, secret: str) -> int:
    """`migrate`, the cache table, the frameworks, the demo and the signing
    keys' secret (`export_signing_keys --new`, into the file `secret` that
    every node then reads), in one process: the commands an operator runs
    once; then, with `documents`, a published session of that many outcomes
    (its id)."""
    import io

    import django

    django.setup()
    from django.core.management import call_command

    for command in (["migrate", "--noinput"], ["createcachetable"], ["load_frameworks"], ["load_demo"]):
        call_command(*command, verbosity=0, stdout=io.StringIO())
    call_command("export_signing_keys", new=True, output=secret, stdout=io.StringIO())
    return prepare_documents(documents, 77) if documents else 0


def prepare_exam(count: int) -> dict[str, Any]:
    """bench_exam's candidates, seated and let in, for the 25 answers of each."""
    return dict(exam.prepare(count))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1] == "--prepare-database":
        print(prepare_database(int(sys.argv[2]), sys.argv[3]))
    elif sys.argv[1] == "--prepare-exam":
        print(json.dumps(prepare_exam(int(sys.argv[2]))))
    elif sys.argv[1] == "--prepare-documents":
        print(prepare_documents(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 77))
    elif sys.argv[1] == "--verify-documents":
        print(json.dumps(verify_documents(int(sys.argv[2]))))
    elif sys.argv[1] == "--answers":
        print(json.dumps(asyncio.run(_answers(json.loads(sys.argv[2])))))
    elif sys.argv[1] == "--sign-ins":
        print(json.dumps(asyncio.run(_sign_ins(json.loads(sys.argv[2])))))
    elif sys.argv[1] == "--rehash":
        rehash(json.loads(sys.argv[2]), sys.argv[3])
