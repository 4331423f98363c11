"""Exam answers under load: a real gunicorn server on PostgreSQL, real login
sessions and CSRF tokens, a load generator in another process.

`run()` (called by bench/run) does everything and returns the figures of
../shared/BENCHMARKS.md, "Exam answers":

1. a PostgreSQL database: DATABASE_URL when it is a postgres URL (a fresh
   database `<name>_bench_exam` is created next to it), otherwise a
   throw-away cluster (initdb/pg_ctl of PostgreSQL 15, as user postgres when
   running as root; default durability settings: fsync and synchronous
   commit on);
2. `migrate`, `createcachetable`, `load_frameworks`, `load_demo`, `collectstatic`, then
   `bench_exam.py --prepare N`: 200 more validated questions (40 per C2i1
   domain) and N candidates (BENCH_CANDIDATES, default 300) enrolled in the
   demo exam of A's C2i1 session (5 domains × 12 = 60 questions each),
   seated in rooms of 40 (let in already);
3. gunicorn as docs/operations.md runs it, 4 gthread workers × 8 threads
   (BENCH_WORKERS, BENCH_THREADS; see docs/performance.md for 4 × 4 and
   2 × 8), C2I_DEBUG=0,
   persistent database connections (C2I_CONN_MAX_AGE=600);
4. `bench_exam.py --load`: one asyncio process with a minimal HTTP/1.1
   keep-alive client (one connection per candidate). Each candidate logs in
   (GET then POST /connexion/ with the CSRF token), starts the test and
   loads its page (as a browser does); then
   - `exam_trivial_per_s`: closed loop on /ping/, N connections, no think time;
   - `exam_answers_per_s`: closed loop, the N candidates at once, each
     answering its 60 questions as the page's script does (JSON POST to the
     question form's own URL /mon-espace/epreuves/passages/<id>/reponses/<n>/
     with the X-CSRFToken header, which the answer fast path stores);
   - `exam_answer_p50_ms`, `exam_answer_p99_ms` (and p99.9, max): open loop,
     answers sent on a fixed schedule of BENCH_OPEN_RATE per second (default
     300) for BENCH_OPEN_SECONDS (default 60), latency measured from the
     scheduled time (so a slow server cannot hide its queue); BENCH_DUMP=FILE
     writes every answer's (scheduled second, latency); meanwhile one
     invigilator per room of 40 (signed in with the room code and password)
     refreshes the room's live list every 5 s as the page's script does:
     `invigilation_list_p95_ms`;
   - `invigilation_cpu_share`: the lists alone (25 full refreshes per room,
     one at a time, as they come) give the server CPU of one refresh
     (`invigilation_unchanged_cpu_ms_per_list`: the same with the tag sent
     back, an unchanged room's 304, for reference); the share is the lists' CPU
     per second (rooms ÷ 5 s × that) over the answers' CPU per second at the
     open-loop rate (300 per s × the closed loop's CPU per answer);
5. `bench_exam.py --verify`: for every (sitting, question) the server
   acknowledged, the database must hold that answer or a later one:
   `exam_answers_lost` = acknowledged − stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "banc-d-essai-qcm"
_PG_PIDFILE: list[Path] = []  # the throw-away cluster's postmaster.pid, when there is one
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the database -------------------------------------------------------------


def _as_postgres(command: str) -> None:
    if os.getuid() == 0:
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], check=True, capture_output=True)
    else:
        subprocess.run(["sh", "-c", command], check=True, capture_output=True)


@contextlib.contextmanager
def _database() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, _, name = url.rpartition("/")
        target = f"{name or 'c2i'}_bench_exam"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{target}"')
        yield f"{base}/{target}"
        return
    folder = Path(tempfile.mkdtemp(prefix="c2i-bench-pg-"))
    folder.chmod(0o755)
    if os.getuid() == 0:
        shutil.chown(folder, "postgres")
    port = _free_port()
    data = folder / "data"
    _as_postgres(f"{PG_BIN}/initdb -D {data} -U postgres -A trust -E UTF8 --locale=C.UTF-8")
    _as_postgres(
        f"{PG_BIN}/pg_ctl -D {data} -o '-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
        f"-c max_connections=200' -l {folder}/log -w start"
    )
    try:
        import psycopg

        with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute('CREATE DATABASE "c2i_bench"')
        _PG_PIDFILE[:] = [data / "postmaster.pid"]
        yield f"postgres://postgres@127.0.0.1:{port}/c2i_bench"
    finally:
        _PG_PIDFILE.clear()
        with contextlib.suppress(Exception):
            _as_postgres(f"{PG_BIN}/pg_ctl -D {data} -m fast stop")
        shutil.rmtree(folder, ignore_errors=True)


def _env(database_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "c2i.settings",
        "C2I_DEBUG": "0",
        "C2I_SECRET_KEY": secrets.token_urlsafe(40),
        "C2I_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "C2I_SITE_URL": f"http://127.0.0.1:{port}",
        "C2I_SSL_REDIRECT": "0",
        "C2I_CONN_MAX_AGE": "600",
        # logins are not what is measured: the demo accounts' fast hasher of the browser tests
        "C2I_TEST_FAST_HASHER": "1",
        "PYTHONPATH": str(ROOT),
    }


def _python(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"{args[0]} {args[1] if len(args) > 1 else ''} failed ({done.returncode})")
    return done.stdout


# --- run() ----------------------------------------------------------------------


def run() -> dict[str, object]:
    candidates = int(os.environ.get("BENCH_CANDIDATES", "300"))
    with _database() as url:
        port = _free_port()
        env = _env(url, port)
        manage = str(ROOT / "manage.py")
        for command in (
            ["migrate", "--noinput"],
            ["createcachetable"],
            ["load_frameworks"],
            ["load_demo"],
            ["collectstatic", "--noinput"],
        ):
            _python(env, manage, *command)
        setup = json.loads(_python(env, __file__, "--prepare", str(candidates)).strip().splitlines()[-1])
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "c2i.wsgi:application",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "gthread",
                "--threads",
                str(THREADS),
                "--bind",
                f"127.0.0.1:{port}",
                "--backlog",
                "2048",
                "--keep-alive",
                "120",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/ping/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            pg_pid = int(_PG_PIDFILE[0].read_text().split()[0]) if _PG_PIDFILE else 0
            params = {"port": port, "server_pid": server.pid, "pg_pid": pg_pid, **setup}
            with tempfile.TemporaryDirectory() as folder:
                acks = Path(folder) / "acks.json"
                params["acks"] = str(acks)
                figures = json.loads(_python(env, __file__, "--load", json.dumps(params)).strip().splitlines()[-1])
                lost = json.loads(_python(env, __file__, "--verify", str(acks)).strip().splitlines()[-1])
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures.update(lost)
    figures["exam_vs_trivial_ratio"] = round(figures["exam_answers_per_s"] / figures["exam_trivial_per_s"], 2)
    if figures.get("exam_server_cpu_ms_per_answer"):
        figures["exam_vs_trivial_cpu_ratio"] = round(
            figures["exam_server_cpu_ms_per_ping"] / figures["exam_server_cpu_ms_per_answer"], 2
        )
    figures["exam_machine_load_1min"] = round(os.getloadavg()[0], 1)
    figures["exam_candidates"] = candidates
    figures["exam_server"] = f"gunicorn {WORKERS} gthread workers x {THREADS} threads, PostgreSQL 15"
    figures["exam_load_generator"] = "1 asyncio process (1 core), HTTP/1.1 keep-alive, 1 connection per candidate"
    return figures


# --- --prepare: bank and candidates (a Django process) ----------------------------


def prepare(count: int) -> dict[str, object]:
    import django

    django.setup()
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from c2i.accounts.models import User
    from c2i.assessment import services
    from c2i.assessment.models import Exam, QuestionStatus
    from c2i.assessment.services.questions import QuestionDraft
    from c2i.demo.enrolment import INSTITUTIONS
    from c2i.enrolment.models import Candidate, CandidateStatus, Enrolment, EnrolmentStatus, InstitutionSession
    from c2i.frameworks.models import Framework

    framework = Framework.objects.get(code="C2i1")
    admin = User.objects.get(username="admin")
    for domain in framework.domains.all():
        competencies = list(domain.competencies.filter(retired=False))
        for n in range(40):
            competency = competencies[n % len(competencies)]
            options = 4 + n % 2
            correct = [i < 1 + n % 3 for i in range(options)]
            draft = QuestionDraft(
                competency=competency,
                stem=f"Question de banc d'essai {domain.code}-{n} sur {competency.code}",
                options=[
                    services.OptionInput(f"Réponse {i + 1}", f) for i, f in enumerate(services.fractions_for(correct))
                ],
            )
            services.create_question(admin, framework, draft, status=QuestionStatus.VALIDATED)
    uai = next(i.uai for i in INSTITUTIONS if i.key == "a")
    session = InstitutionSession.objects.get(institution__uai=uai, session__framework__code="C2i1")
    exam = Exam.objects.get(institution_session=session)
    Exam.objects.filter(pk=exam.pk).update(duration_minutes=240)
    password = make_password(PASSWORD)
    usernames = []
    for n in range(count):
        username = f"banc-{n:05d}"
        user = User.objects.create(username=username, email=f"{username}@banc.example.fr", password=password)
        candidate = Candidate.objects.create(
            user=user,
            email=user.email,
            last_name=f"Banc{n:05d}",
            first_names="Essai",
            birth_date=dt.date(2000, 1, 1) + dt.timedelta(days=n),
            birth_place="Lyon",
            status=CandidateStatus.CONTINUING,
        )
        Enrolment.objects.create(
            candidate=candidate, institution_session=session, status=EnrolmentStatus.ACTIVE, confirmed_at=timezone.now()
        )
        usernames.append(username)
    rooms = _prepare_rooms(exam, session)
    return {"exam": exam.pk, "usernames": usernames, "password": PASSWORD, "rooms": rooms}


ROOM_SIZE = 40  # the room: 40 candidates on one screen
ROOM_PASSWORD = "surveillance-banc"


def _prepare_rooms(exam: object, session: object) -> list[dict[str, object]]:
    """The exam day: the candidates seated in rooms of 40, let in already (the
    admission is not what is measured), one invigilator's password per room."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from c2i.assessment.models import ExamRoom, Seat
    from c2i.enrolment.models import Enrolment, EnrolmentStatus

    enrolments = list(
        Enrolment.objects.filter(institution_session=session, status=EnrolmentStatus.ACTIVE)
        .exclude(seats__exam=exam)
        .order_by("pk")
    )
    now = timezone.now()
    rooms: list[dict[str, object]] = []
    for start in range(0, len(enrolments), ROOM_SIZE):
        number = start // ROOM_SIZE + 1
        room = ExamRoom.objects.create(
            exam=exam,
            name=f"Banc {number:02d}",
            code=f"BANC{number:04d}",
            capacity=ROOM_SIZE,
            password_hash=make_password(ROOM_PASSWORD),
            password_set_at=now,
        )
        Seat.objects.bulk_create(
            Seat(exam=exam, room=room, enrolment=e, admitted_at=now, admitted_by="banc d'essai")
            for e in enrolments[start : start + ROOM_SIZE]
        )
        rooms.append(
            {
                "pk": room.pk,
                "code": room.code,
                "password": ROOM_PASSWORD,
                "seats": min(ROOM_SIZE, len(enrolments) - start),
            }
        )
    return rooms


# --- --load: the load generator (asyncio, no Django) ----------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection with its own cookies (a browser tab)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}
        self.lock = asyncio.Lock()

    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = "", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: keep-alive"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body or method == "POST":
            lines += [f"Content-Length: {len(body)}", f"Content-Type: {content_type}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed by the server")
        status = int(status_line.split()[1])
        received: dict[str, str] = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
            else:
                received[name] = value
        data = await self.reader.readexactly(int(received.get("content-length", "0")))
        if received.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, received, data

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


async def _login_and_start(conn: Connection, username: str, password: str, exam: int) -> int:
    await conn.request("GET", "/connexion/")
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": conn.csrf()})
    status, _, _ = await conn.request(
        "POST", "/connexion/", form.encode(), "application/x-www-form-urlencoded", {"Referer": "/connexion/"}
    )
    assert status == 302, f"login {username}: {status}"
    token = urllib.parse.urlencode({"csrfmiddlewaretoken": conn.csrf()}).encode()
    status, headers, _ = await conn.request(
        "POST", f"/mon-espace/epreuves/{exam}/commencer/", token, "application/x-www-form-urlencoded"
    )
    location = headers.get("location", "")
    assert status == 302 and "/passages/" in location, f"start {username}: {status} {location}"
    status, _, _ = await conn.request("GET", location)  # the test page, as a browser loads it
    assert status == 200, f"page {username}: {status}"
    return int(location.rstrip("/").rsplit("/", 1)[1])


class Answers:
    """What the server acknowledged, per (sitting, question): the latest seq and set."""

    def __init__(self) -> None:
        self.acked: dict[tuple[int, int], tuple[int, list[int]]] = {}
        self.errors = 0
        self.seq = 0

    async def send(self, conn: Connection, attempt: int, position: int) -> bool:
        self.seq += 1
        seq = self.seq
        ticked = [seq % 4]
        body = b'{"ticked": [%d], "seq": %d}' % (ticked[0], seq)  # what json.dumps writes, for less client CPU
        status, _, data = await conn.request(
            "POST",
            f"/mon-espace/epreuves/passages/{attempt}/reponses/{position}/",
            body,
            "application/json",
            {"X-CSRFToken": conn.csrf()},
        )
        if status == 200 and data.startswith(b'{"saved": true'):
            previous = self.acked.get((attempt, position))
            if previous is None or previous[0] < seq:
                self.acked[(attempt, position)] = (seq, ticked)
            return True
        self.errors += 1
        return False


def _cpu_ms(*roots: int) -> float:
    """CPU time (user + system) of these processes and their children, from /proc."""
    if not roots or not Path("/proc").is_dir():
        return 0.0
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    wanted = {r for r in roots if r}
    total = 0
    for pid, (ppid, ticks) in stats.items():
        if pid in wanted or ppid in wanted:
            total += ticks
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def _checkpoint() -> None:
    """Start each phase from a clean state (as pgbench does): the setup's WAL
    is written out before, not in the middle of, what is measured."""
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("CHECKPOINT")


async def _load(params: dict) -> dict[str, object]:
    port, exam = params["port"], params["exam"]
    usernames: list[str] = params["usernames"]
    conns = [Connection(port) for _ in usernames]
    attempts: list[int] = [0] * len(conns)
    gate = asyncio.Semaphore(16)

    async def setup(i: int) -> None:
        async with gate:
            attempts[i] = await _login_and_start(conns[i], usernames[i], params["password"], exam)

    await asyncio.gather(*(setup(i) for i in range(len(conns))))
    loop = asyncio.get_running_loop()

    # warm-up: every connection, both endpoints
    answers = Answers()
    await asyncio.gather(*(c.request("GET", "/ping/") for c in conns))

    # 1. the trivial endpoint, closed loop
    trivial_seconds = float(os.environ.get("BENCH_TRIVIAL_SECONDS", "10"))
    done = 0

    async def ping_loop(conn: Connection, until: float) -> None:
        nonlocal done
        while loop.time() < until:
            status, _, _ = await conn.request("GET", "/ping/")
            if status == 200:
                done += 1

    app, db = params["server_pid"], params["pg_pid"]
    _checkpoint()
    cpu = (_cpu_ms(app), _cpu_ms(db))
    started = loop.time()
    await asyncio.gather(*(ping_loop(c, started + trivial_seconds) for c in conns))
    trivial_per_s = done / (loop.time() - started)
    ping_cpu = [(_cpu_ms(app) - cpu[0]) / max(done, 1), (_cpu_ms(db) - cpu[1]) / max(done, 1)]

    # 2. answers, closed loop: every candidate answers its 60 questions
    async def sit(i: int) -> None:
        for position in range(1, 61):
            await answers.send(conns[i], attempts[i], position)

    _checkpoint()
    cpu = (_cpu_ms(app), _cpu_ms(db))
    started = loop.time()
    await asyncio.gather(*(sit(i) for i in range(len(conns))))
    elapsed = loop.time() - started
    answer_cpu = [(_cpu_ms(app) - cpu[0]) / (len(conns) * 60), (_cpu_ms(db) - cpu[1]) / (len(conns) * 60)]
    answers_per_s = (len(conns) * 60 - answers.errors) / elapsed
    closed_errors = answers.errors

    # 3. answers, open loop: a fixed schedule, latency from the scheduled time
    rate = float(os.environ.get("BENCH_OPEN_RATE", "300"))
    seconds = float(os.environ.get("BENCH_OPEN_SECONDS", "60"))
    latencies: list[float] = []
    timeline: list[tuple[float, float]] = []
    rng = random.Random(7)

    async def scheduled(k: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - loop.time()))
        i = k % len(conns)
        async with conns[i].lock:  # one request at a time per candidate, as the page's script does
            ok = await answers.send(conns[i], attempts[i], rng.randint(1, 60))
        if ok:
            latencies.append((loop.time() - at) * 1000)
            timeline.append((at - t0, (loop.time() - at) * 1000))

    # the invigilators: one per room, each refreshing its live list every
    # INVIGILATION_REFRESH_S seconds (as static/c2i/invigilation.js does)
    # while the candidates answer on the fixed schedule
    rooms: list[dict] = params.get("rooms") or []
    invigilators = [Connection(port) for _ in rooms]
    await asyncio.gather(*(_invigilator_sign_in(c, r) for c, r in zip(invigilators, rooms, strict=True)))
    list_latencies: list[float] = []

    async def watch(conn: Connection, room: dict, until: float) -> None:
        path = f"/surveillance/salles/{room['pk']}/liste/"
        while loop.time() < until:
            sent = loop.time()
            status, _, data = await conn.request("GET", path)
            assert status == 200 and b"<tr" in data, f"list {room['code']}: {status}"
            list_latencies.append((loop.time() - sent) * 1000)
            await asyncio.sleep(max(0.0, INVIGILATION_REFRESH_S - (loop.time() - sent)))

    _checkpoint()
    t0 = loop.time() + 0.5
    await asyncio.gather(
        *(scheduled(k, t0 + k / rate) for k in range(int(rate * seconds))),
        *(watch(c, r, t0 + seconds) for c, r in zip(invigilators, rooms, strict=True)),
    )
    latencies.sort()
    list_latencies.sort()

    # 4. the list's own cost: server CPU per refresh, the lists alone
    invigilation: dict[str, object] = {}
    if invigilators:
        refreshes = 0

        async def refresh_loop(conn: Connection, room: dict, count: int) -> None:
            nonlocal refreshes
            for _ in range(count):
                status, _, _ = await conn.request("GET", f"/surveillance/salles/{room['pk']}/liste/")
                refreshes += status == 200

        _checkpoint()  # the open loop's writes out before, not during, what is measured
        cpu = (_cpu_ms(app), _cpu_ms(db))
        # one refresh at a time, as they come in a real exam (8 rooms every 5 s: 1.6 per second,
        # seldom two at once): a closed loop of 8 lists at once would measure their contention.
        # Full refreshes (no tag sent): during the test a room of 40 changes between two refreshes
        # (answers, connections, end times), so the rows are written every time.
        for _ in range(25):
            for c, r in zip(invigilators, rooms, strict=True):
                await refresh_loop(c, r, 1)
        list_app_cpu = (_cpu_ms(app) - cpu[0]) / max(refreshes, 1)
        list_db_cpu = (_cpu_ms(db) - cpu[1]) / max(refreshes, 1)
        list_cpu = list_app_cpu + list_db_cpu
        # for reference: the same refreshes of an unchanged room (the tag sent back, 304)
        tags = {}
        for c, r in zip(invigilators, rooms, strict=True):
            _, headers, _ = await c.request("GET", f"/surveillance/salles/{r['pk']}/liste/")
            tags[r["pk"]] = headers.get("etag", "")
        unchanged = 0
        cpu = (_cpu_ms(app), _cpu_ms(db))
        for _ in range(25):
            for c, r in zip(invigilators, rooms, strict=True):
                path = f"/surveillance/salles/{r['pk']}/liste/"
                status, _, _ = await c.request("GET", path, headers={"If-None-Match": tags[r["pk"]]})
                unchanged += status == 304
        unchanged_cpu = (_cpu_ms(app) + _cpu_ms(db) - sum(cpu)) / max(unchanged, 1)
        # CPU per second of the exam day: the lists' refreshes against the answers' at the open-loop rate
        lists_per_s = len(invigilators) / INVIGILATION_REFRESH_S
        invigilation = {
            "invigilation_list_p95_ms": round(list_latencies[max(0, int(len(list_latencies) * 0.95) - 1)], 1),
            "invigilation_list_p50_ms": round(statistics.median(list_latencies), 1),
            "invigilation_list_samples": len(list_latencies),
            "invigilation_rooms": len(invigilators),
            "invigilation_refresh_s": INVIGILATION_REFRESH_S,
            "invigilation_server_cpu_ms_per_list": round(list_cpu, 3),
            "invigilation_app_cpu_ms_per_list": round(list_app_cpu, 3),
            "invigilation_db_cpu_ms_per_list": round(list_db_cpu, 3),
            "invigilation_cpu_share": round((lists_per_s * list_cpu) / (rate * sum(answer_cpu)), 4),
            "invigilation_unchanged_cpu_ms_per_list": round(unchanged_cpu, 3),
            "invigilation_unchanged_responses": unchanged,
        }
    if os.environ.get("BENCH_DUMP"):  # (scheduled second, latency ms) of every answer, to read a tail
        Path(os.environ["BENCH_DUMP"]).write_text(json.dumps(timeline))
    Path(params["acks"]).write_text(json.dumps([[a, p, s, t] for (a, p), (s, t) in answers.acked.items()]))
    return {
        "exam_trivial_per_s": round(trivial_per_s, 1),
        "exam_answers_per_s": round(answers_per_s, 1),
        "exam_answer_p50_ms": round(statistics.median(latencies), 1),
        "exam_answer_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "exam_answer_p999_ms": round(latencies[int(len(latencies) * 0.999) - 1], 1),
        "exam_answer_max_ms": round(latencies[-1], 1),
        "exam_open_loop_rate_per_s": rate,
        "exam_open_loop_answers": len(latencies),
        "exam_answer_errors": answers.errors,
        "exam_closed_loop_errors": closed_errors,
        "exam_server_cpu_ms_per_ping": round(sum(ping_cpu), 3),
        "exam_server_cpu_ms_per_answer": round(sum(answer_cpu), 3),
        "exam_app_cpu_ms_per_answer": round(answer_cpu[0], 3),
        "exam_db_cpu_ms_per_answer": round(answer_cpu[1], 3),
        **invigilation,
    }


INVIGILATION_REFRESH_S = 5.0


async def _invigilator_sign_in(conn: Connection, room: dict) -> None:
    """The espace surveillant's sign-in: room code, password, name (no account)."""
    await conn.request("GET", "/surveillance/")
    form = urllib.parse.urlencode(
        {
            "code": room["code"],
            "password": room["password"],
            "name": f"Surveillant {room['code']}",
            "csrfmiddlewaretoken": conn.csrf(),
        }
    )
    status, headers, _ = await conn.request(
        "POST", "/surveillance/", form.encode(), "application/x-www-form-urlencoded", {"Referer": "/surveillance/"}
    )
    assert status == 302, f"invigilator sign-in {room['code']}: {status} {headers.get('location')}"


# --- --verify: acknowledged answers against the database -------------------------------


def verify(path: str) -> dict[str, object]:
    import django

    django.setup()
    from c2i.assessment.models import AttemptQuestion

    acked = {(a, p): (s, t) for a, p, s, t in json.loads(Path(path).read_text())}
    stored = 0
    rows = AttemptQuestion.objects.filter(attempt_id__in={a for a, _ in acked}).values_list(
        "attempt_id", "position", "seq", "ticked"
    )
    for attempt, position, seq, ticked in rows:
        expected = acked.get((attempt, position))
        if expected is not None and (seq > expected[0] or (seq == expected[0] and ticked == expected[1])):
            stored += 1
    return {
        "exam_answers_acknowledged": len(acked),
        "exam_answers_stored": stored,
        "exam_answers_lost": len(acked) - stored,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1] == "--prepare":
        print(json.dumps(prepare(int(sys.argv[2]))))
    elif sys.argv[1] == "--load":
        print(json.dumps(asyncio.run(_load(json.loads(sys.argv[2])))))
    elif sys.argv[1] == "--verify":
        print(json.dumps(verify(sys.argv[2])))
