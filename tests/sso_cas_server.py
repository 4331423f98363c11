"""A real CAS 3.0 server for the tests: django-cas-server (package
cas_server) run as its own process with its own settings
(tests/sso_servers/cas/settings.py) and its own SQLite file, on a free port
of 127.0.0.1.

`start_cas_server(service_pattern)` migrates its database, allows the
services matching `service_pattern` (a regular expression of service URLs,
with single logout and the attributes French universities release), starts
it (`runserver --noreload`) and stops it at the end. Its people are `USERS`
(username → password and attributes)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "tests.sso_servers.cas.settings"
RELEASED = ("eduPersonPrincipalName", "mail", "givenName", "sn", "supannCodeINE", "supannEtuId")

USERS: dict[str, dict[str, Any]] = {
    "etudiant": {
        "password": "motdepasse-cas-1",
        "attributes": {
            "eduPersonPrincipalName": "camille.durand@univ-cas.fr",
            "mail": "camille.durand@etu.univ-cas.fr",
            "givenName": "Camille",
            "sn": "Durand",
            "supannCodeINE": "0DDG5R00015",
            "supannEtuId": "22100456",
        },
    },
    "doublon": {  # the INE of the first, another e-mail already on the platform: a conflict
        "password": "motdepasse-cas-2",
        "attributes": {
            "eduPersonPrincipalName": "autre.personne@univ-cas.fr",
            "mail": "autre.personne@etu.univ-cas.fr",
            "givenName": "Autre",
            "sn": "Personne",
            "supannCodeINE": "0DDG5R00015",
        },
    },
}

SETUP = """
import django, os, sys
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from cas_server.models import ServicePattern, ReplaceAttributName
pattern = ServicePattern.objects.create(
    pos=1, name="C2i", pattern=os.environ["C2I_TEST_CAS_SERVICE"], single_log_out=True
)
for name in sys.argv[1:]:
    ReplaceAttributName.objects.create(name=name, service_pattern=pattern)
"""


@dataclass
class CasServer:
    url: str  # its base address, as an institution gives it: http://127.0.0.1:<port>/cas/
    env: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def start_cas_server(service_pattern: str, users: dict[str, dict[str, Any]] | None = None) -> Iterator[CasServer]:
    scratch = Path(tempfile.mkdtemp(prefix="c2i-cas-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "C2I_", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "C2I_TEST_CAS_DB": str(scratch / "cas.sqlite3"),
        "C2I_TEST_CAS_USERS": json.dumps(users or USERS),
        "C2I_TEST_CAS_SERVICE": service_pattern,
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, "-c", SETUP, *RELEASED], env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    log = (scratch / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/cas/"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(url + "login", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError((scratch / "server.log").read_text()) from None
                time.sleep(0.1)
        else:  # pragma: no cover
            raise RuntimeError("the CAS server did not start")
        yield CasServer(url, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            server.kill()
        log.close()
        shutil.rmtree(scratch, ignore_errors=True)


class _Form(HTMLParser):
    """The fields of the CAS login page's form (its hidden login ticket)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            self.fields[str(a["name"])] = a.get("value") or ""


def service_ticket(server: CasServer, service: str, username: str, password: str) -> str:
    """Sign in on the CAS server's own login form, as a browser would, and
    return the service ticket it sends back to `service`."""
    with requests.Session() as http:
        page = http.get(server.url + "login", params={"service": service}, timeout=10)
        form = _Form()
        form.feed(page.text)
        data = {**form.fields, "username": username, "password": password}
        answer = http.post(
            server.url + "login",
            params={"service": service},
            data=data,
            headers={"Referer": page.url},
            allow_redirects=False,
            timeout=10,
        )
        location = answer.headers.get("Location", "")
        if answer.status_code != 302 or not location.startswith(service.split("?")[0]):
            text = re.sub(r"\s+", " ", answer.text)[:300]
            raise AssertionError(f"no ticket: {answer.status_code} {location} {text}")
        return parse_qs(urlsplit(location).query)["ticket"][0]
