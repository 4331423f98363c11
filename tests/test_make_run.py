"""`make run` serves what a user sees (issue 11, point 8 and list 10): the
environment it gives manage.py (`make run-env` prints it) turns Django's debug
pages off, keeps plain http://127.0.0.1 usable, leaves two-factor
authentication to each account, and points printed and e-mailed links at the
port it serves on. `C2I_DEBUG=1 make run` is the developer's switch. What a
browser then sees (the French 404, the demo login, an e-mailed link) is in
tests/test_make_run_browser.py."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

SETTINGS = """
import json
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG, "SITE_URL": s.SITE_URL, "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT, "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "C2I_REQUIRE_2FA": s.C2I_REQUIRE_2FA, "STATIC": s.STORAGES["staticfiles"]["BACKEND"],
    "MIDDLEWARE": s.MIDDLEWARE,
}))
"""


def shell_environment(**extra: str) -> dict[str, str]:
    """A developer's shell: none of the platform's variables set, but a secret
    key (which `make run` otherwise reads from var/secret_key)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("C2I_", "DJANGO_")) and k != "PORT"}
    env["C2I_SECRET_KEY"] = f"test-{secrets.token_hex(24)}"
    env.update(extra)
    return env


def run_env(env: dict[str, str]) -> str:
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "run-env"], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def manage(env: dict[str, str], *args: str) -> str:
    """`manage.py ARGS` in the environment `make run` gives it."""
    done = subprocess.run(
        ["sh", "-c", f'{run_env(env)} "$@"', "sh", sys.executable, "manage.py", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def settings_of(env: dict[str, str]) -> dict[str, object]:
    return json.loads(manage(env, "shell", "-c", SETTINGS).strip().splitlines()[-1])


class TestMakeRun:
    def test_it_serves_without_debug_pages_on_plain_http(self) -> None:
        served = settings_of(shell_environment())
        assert served["DEBUG"] is False
        assert {"127.0.0.1", "localhost"} <= set(served["ALLOWED_HOSTS"])
        # http://127.0.0.1: the browser sends the cookies back, nothing redirects to https
        assert served["SESSION_COOKIE_SECURE"] is False and served["CSRF_COOKIE_SECURE"] is False
        assert served["SECURE_SSL_REDIRECT"] is False and served["SECURE_HSTS_SECONDS"] == 0
        assert served["STATIC"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
        assert "whitenoise.middleware.WhiteNoiseMiddleware" in served["MIDDLEWARE"]
        assert served["C2I_REQUIRE_2FA"] is False  # the demo accounts log in with « demo »

    def test_the_developer_switch_turns_the_debug_pages_on(self) -> None:
        assert settings_of(shell_environment(C2I_DEBUG="1"))["DEBUG"] is True

    def test_printed_and_emailed_links_follow_the_port(self) -> None:
        env = shell_environment(PORT="8801")
        served = settings_of(env)
        assert served["SITE_URL"] == "http://127.0.0.1:8801"  # e-mails, QR codes and credentials use it
        assert served["CSRF_TRUSTED_ORIGINS"] == ["http://127.0.0.1:8801"]
        printed = manage(env, "print_demo_accounts")
        assert "http://127.0.0.1:8801/connexion/" in printed and ":8000" not in printed

    def test_production_settings_stay_secure(self) -> None:
        """What `make check` checks: debug off without the local switches."""
        env = shell_environment(
            C2I_DEBUG="0", C2I_ALLOWED_HOSTS="c2i.example.fr", C2I_SITE_URL="https://c2i.example.fr"
        )
        check = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
        done = subprocess.run(check, env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        shell = [sys.executable, "manage.py", "shell", "-c", SETTINGS]
        printed = subprocess.run(shell, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        production = json.loads(printed.strip().splitlines()[-1])
        assert production["SESSION_COOKIE_SECURE"] is True and production["SECURE_SSL_REDIRECT"] is True
        assert production["C2I_REQUIRE_2FA"] is True
