"""Shared fixtures: the frameworks, communes and demo data are loaded once per
test database; a test that flushed them (a transactional one) gets them back
through the `demo` fixture."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

# Playwright's sync API keeps an event loop running in the worker that ran a
# browser journey; Django's ORM refuses to run beside one unless told it is
# safe, which it is here (the loop never runs Django code).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ARTIFACTS = ROOT / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    if settings.configured:  # not when pure modules are tested with -p no:django
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        # Uploaded files, issued documents and signing keys of a test run live in
        # a folder of their own, never in the developer's var/.
        scratch = Path(tempfile.mkdtemp(prefix="c2i-test-"))
        settings.MEDIA_ROOT = scratch / "media"
        settings.C2I_KEYS_DIR = scratch / "keys"


def ensure_loaded(communes: bool = False) -> None:
    from c2i.accounts.models import User
    from c2i.demo.load import load_demo
    from c2i.frameworks.models import Framework
    from c2i.institutions.models import Commune

    if not Framework.objects.exists():
        call_command("load_frameworks", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    if communes and not Commune.objects.exists():
        call_command("load_communes", stdout=open(os.devnull, "w"))  # noqa: SIM115
    if not User.objects.filter(username="admin").exists():
        load_demo()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        ensure_loaded(communes=True)
    yield
    with django_db_blocker.unblock():
        _release_pooled_connections()


def _release_pooled_connections() -> None:
    """Through a pooler (C2I_DB_POOLER, .ci/run), the pool keeps server
    connections to the test database once the tests are done with it, and
    PostgreSQL refuses to drop a database in use: end them first."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.C2I_DB_POOLER:
        return
    name = connection.settings_dict["NAME"]
    connection.close()
    with connection._nodb_cursor() as cursor:  # Django's own way to the "postgres" database, as its teardown
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])


class Demo:
    """Names of the demo accounts, and a client logged in as any of them."""

    def user(self, username: str):
        from c2i.accounts.models import User

        return User.objects.get(username=username)

    def candidate(self, username: str):
        return self.user(username).candidate

    def client(self, username: str | None):
        from django.test import Client

        client = Client()
        if username:
            client.force_login(self.user(username))
        return client

    def institution(self, key: str):
        from c2i.demo.enrolment import INSTITUTIONS
        from c2i.institutions.models import Institution

        uai = next(i.uai for i in INSTITUTIONS if i.key == key)
        return Institution.objects.get(uai=uai)

    def institution_session(self, key: str, framework: str = "C2i1"):
        from c2i.enrolment.models import InstitutionSession

        return InstitutionSession.objects.get(institution=self.institution(key), session__framework__code=framework)


@pytest.fixture
def demo(db: None) -> Demo:
    ensure_loaded()
    return Demo()


@pytest.fixture
def demo_with_communes(db: None) -> Demo:
    ensure_loaded(communes=True)
    return Demo()


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    """Uploaded files of one test, in a folder of its own (a test that counts
    the files on disk sees only its own)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- a real server for the browser journeys ---------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _browser_database(worker: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, _, name = url.rpartition("/")
        target = f"{name or 'c2i'}_browser_{worker}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{target}"')
        return f"{base}/{target}"
    path = ROOT / "var" / f"browser-{worker}.sqlite3"
    path.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class Site:
    """A real server on its own database: its address, and the environment
    that runs `manage.py` against that database."""

    url: str
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        """Run `manage.py` against this server's database; its output."""
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args], env=self.env, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


@contextmanager
def _serve(name: str, settings: dict[str, str] | None = None, port: int | None = None) -> Iterator[Site]:
    """Serve the application from a database prepared like `make run` does
    (`settings`: environment a test file's own server adds; with C2I_DEBUG=0,
    collectstatic first fills a static folder of its own)."""
    env = {**os.environ, "DATABASE_URL": _browser_database(name), "C2I_DEBUG": "1", "C2I_TEST_FAST_HASHER": "1"}
    env.update(settings or {})
    scratch = Path(tempfile.mkdtemp(prefix=f"c2i-live-{name}-"))
    env["C2I_STATIC_ROOT"] = str(scratch / "static")
    env["C2I_KEYS_DIR"] = str(scratch / "keys")
    env["C2I_MEDIA_ROOT"] = str(scratch / "media")
    # E-mails as files, for journeys that read one (the registration's code).
    env["C2I_EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    env["C2I_EMAIL_FILE_PATH"] = str(scratch / "mail")
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["load_frameworks"],
        ["load_communes"],
        ["load_demo"],
        *([["collectstatic", "--noinput"]] if env["C2I_DEBUG"] == "0" else []),
    ):
        subprocess.run([*manage, *command], env=env, check=True, cwd=ROOT, capture_output=True)
    port = port or _free_port()
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/ping/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:  # pragma: no cover
        server.kill()
        raise RuntimeError("the test server did not start")
    try:
        yield Site(url, env)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(scratch, ignore_errors=True)
        database = env["DATABASE_URL"]
        if database.startswith("sqlite:///"):
            for suffix in ("", "-wal", "-shm"):
                Path(database.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def live_site() -> Iterator[Site]:
    """A demo site for the browser journeys of one test file: each file starts
    from the demo data, whatever the journeys of other files changed."""
    name = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:8]}"
    with _serve(name) as site:
        yield site


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def axe(request, browser, live_site):
    """axe-core checks every page of the site the test shows, in every context
    it opens (tests/a11y_support.py); a serious or critical WCAG 2.1 A/AA
    violation fails the test at teardown. There is no opt-out."""
    from tests.a11y_support import watching

    with watching(browser, request.node.nodeid, live_site.url) as watch:
        yield watch
    if (failure := watch.failure()) is not None:
        pytest.fail(failure, pytrace=False)


@pytest.fixture(autouse=True)
def _fresh_exam_networks():
    """The process's cache of the exams' address ranges (assessment/answering.py)
    starts empty: tests reuse sitting ids and change ranges that a real exam
    cannot change once sat."""
    from c2i.assessment.answering import NETWORKS

    NETWORKS.clear()
    yield
    NETWORKS.clear()


@pytest.fixture(autouse=True)
def _axe_wherever_a_browser_runs(request):
    """A test that opens its own contexts without `page` is checked too."""
    if "browser" in request.fixturenames and "axe" not in request.fixturenames:
        request.getfixturevalue("axe")


@pytest.fixture
def page(browser, live_site, axe):
    context = browser.new_context(base_url=live_site.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, username: str, password: str = "demo") -> None:  # noqa: S107 - demo accounts
    page.goto("/connexion/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def open_link(page, link) -> None:
    """Click the link `link` (a Locator) and wait until its page is loaded:
    `click()` returns before the navigation ends, and a locator counted right
    after it would still count the page that is being left."""
    href = str(link.get_attribute("href"))
    link.click()
    page.wait_for_url(lambda url: url.split("#")[0].endswith(href.split("#")[0]))
    page.wait_for_load_state()
