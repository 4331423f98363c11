"""The four e-mails that the pages promise, end to end (issue 11, point 9):
the workflows queue them (an import, the test's results, the jury's
publication, the daily reminder command), the real background worker
(`manage.py db_worker`, a process of its own) sends them through Django's
SMTP backend, and a real SMTP server on 127.0.0.1 (aiosmtpd) receives them.
Each is parsed with the `email` package: French, a text/plain part, an HTML
alternative, absolute links to C2I_SITE_URL.

The worker works on the test database: PostgreSQL's test database itself, or
on SQLite a file copy of the in-memory one (which no other process can open)."""

from __future__ import annotations

import datetime as dt
import email
import io
import os
import random
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from c2i.assessment import services as assessment
from c2i.deliberation import services as deliberation
from c2i.deliberation.models import CandidateOutcome, DeliberationStatus, OutcomeStatus
from c2i.enrolment.models import InstitutionSession
from tests.assessment_support import start
from tests.credentials_support import ALL, enrolment_of, publish, set_outcome
from tests.test_assessment_results import sit

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
SITE = "http://127.0.0.1:8123"  # a site on another port than 8000: the links follow C2I_SITE_URL


class Inbox:
    """aiosmtpd's handler: every message received, as bytes."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def worker_database(folder: Path) -> str:
    """The address of the test database for another process."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(folder / "db.sqlite3")
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        target.close()
        return f"sqlite:///{folder / 'db.sqlite3'}"
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def run_worker(database: str, port: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "C2I_DEBUG": "1",
        "C2I_SITE_URL": SITE,
        "C2I_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "C2I_EMAIL_HOST": "127.0.0.1",
        "C2I_EMAIL_PORT": str(port),
        "C2I_EMAIL_TIMEOUT": "10",
        "C2I_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "C2I_KEYS_DIR": str(settings.C2I_KEYS_DIR),
    }
    command = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--batch", "--no-reload", "--no-startup-delay"]
    return subprocess.run(
        [*command, "--worker-id", "mail-test"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def import_line(demo: Any, line: str) -> None:
    header = "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier"
    upload = io.BytesIO(f"{header}\n{line}\n".encode())
    upload.name = "liste.csv"
    url = f"/gestion/sessions/{demo.institution_session('a').pk}/import/"
    assert demo.client("correspondant-a").post(url, {"file": upload}).status_code == 302


def subject(message: EmailMessage) -> str:
    return str(message["Subject"]).strip()


def plain_and_html(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None, message.get_content_type()
    assert message.get_content_type() == "multipart/alternative"
    return plain.get_content(), html.get_content()


class TestMailThroughSmtp:
    def test_the_worker_sends_the_four_emails_to_a_real_smtp_server(
        self, demo: Any, smtp: tuple[Inbox, int], tmp_path: Path, settings: Any
    ) -> None:
        settings.SITE_URL = SITE
        inbox, port = smtp
        a1, a2 = enrolment_of(demo, "candidat-a1"), enrolment_of(demo, "candidat-a2")
        institution_session = a1.institution_session

        # 1. an import: the invitation
        import_line(demo, "Lambert;Océane;12/03/2003;Annecy;oceane.lambert@etu.example.fr;;etudiant;non")
        # 2. the knowledge test's results
        attempt = start(demo)
        sit(attempt, 0.8, random.Random(1))
        assessment.publish_results(attempt.exam, demo.user("correspondant-a"))
        # 3. the daily reminder, for B's session whose deadline is in six days
        b_session = demo.institution_session("b")
        InstitutionSession.objects.filter(pk=b_session.pk).update(
            portfolio_deadline=timezone.now() + dt.timedelta(days=6)
        )
        call_command("send_deadline_reminders", stdout=io.StringIO())
        # 4. the jury's publication (A's session closed with two outcomes)
        CandidateOutcome.objects.filter(institution_session=institution_session).delete()
        set_outcome(a1, OutcomeStatus.CERTIFIED, ALL)
        set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, ["D1", "D3"])
        publish(institution_session, DeliberationStatus.CLOSED)
        deliberation.publish_deliberation(institution_session, demo.user("jury-a"))
        assert inbox.received == []  # nothing is sent by the pages: the worker does it

        done = run_worker(worker_database(tmp_path), port)
        assert done.returncode == 0, done.stderr[-3000:]

        messages = [
            (to, email.message_from_bytes(content, _class=EmailMessage, policy=default))
            for to, content in inbox.received
        ]
        # Django folds a long encoded subject after "Subject:" (RFC 2047): clients trim the blank
        by_subject = {subject(m): (to, m) for to, m in messages}
        assert all(m["From"] == settings.DEFAULT_FROM_EMAIL for _to, m in messages)

        to, invitation = by_subject[
            f"C2i : invitation à vous inscrire à la session « {institution_session.session.name} »"
        ]
        assert to == ["oceane.lambert@etu.example.fr"]
        text, html = plain_and_html(invitation)
        assert "Bonjour Océane Lambert," in text and "vous invite à vous inscrire" in text
        assert f"{SITE}/inscription/?next=%2Fmon-espace%2Fcertification%2F" in text
        assert f'href="{SITE}/inscription/?next=%2Fmon-espace%2Fcertification%2F"' in html

        to, results = by_subject[f"C2i : vos résultats à « {attempt.exam.title} » sont publiés"]
        assert to == [a1.candidate.email]
        text, _html = plain_and_html(results)
        assert "Domaine D1 « " in text and f"{SITE}/mon-espace/epreuves/{attempt.exam_id}/" in text

        reminders = [(to, m) for to, m in messages if "pour déposer votre dossier de compétences" in subject(m)]
        assert reminders and all(to != [a1.candidate.email] for to, _m in reminders)
        assert subject(reminders[0][1]) == "C2i : il vous reste 6 jours pour déposer votre dossier de compétences"
        text, _html = plain_and_html(reminders[0][1])
        assert "vous ne l'avez pas encore déposé" in text and f"{SITE}/mon-espace/dossier/C2i1/" in text

        to, certified = by_subject["C2i : le certificat C2i1 vous est délivré"]
        assert to == [a1.candidate.email]
        text, _html = plain_and_html(certified)
        assert "tous les domaines sont validés" in text and f"{SITE}/mon-espace/resultats/{a1.pk}/" in text
        outcome_a2 = [m for to, m in messages if to == [a2.candidate.email]]
        assert [subject(m) for m in outcome_a2] == ["C2i : la décision du jury"]
        assert "Votre attestation de domaines validés" in plain_and_html(outcome_a2[0])[0]

        # one message per candidate and event: the documents' batch (run by the same worker) adds none
        assert len([1 for to, _m in messages if to == [a1.candidate.email]]) == 2  # results, outcome
