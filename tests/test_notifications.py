"""The e-mails the pages promise (issue 11, point 9): the invitation of an
import (with the link to answer it, through registration when the addressee
has no account), the knowledge test's results, the jury's outcome (one
message per candidate, the document announced in it, no second notice) and
the reminders before the portfolio deadline (each step once). Each is French,
has a plain-text part and an HTML alternative, and links to absolute
addresses of C2I_SITE_URL; a message is never sent twice.

The tasks run with django-tasks' immediate backend here;
tests/test_mail_smtp.py sends them through the real worker and an SMTP server."""

from __future__ import annotations

import datetime as dt
import io
import random
import smtplib
from html import unescape
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from c2i.assessment import services as assessment
from c2i.assessment.scoring import format_percent
from c2i.deliberation import services as deliberation
from c2i.deliberation.models import CandidateOutcome, DeliberationStatus, OutcomeStatus
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession, Invitation
from c2i.notifications import services
from c2i.notifications.models import NotificationKind, SentNotification
from c2i.portfolio.models import SubmissionStatus
from tests.assessment_support import demo_exam, start, start_for
from tests.credentials_support import ALL, SITE, enrolment_of, isolated, publish, set_outcome
from tests.persona_support import new_candidate
from tests.test_assessment_results import sit
from tests.test_registration import FORM, the_code

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
HEADER = "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier"


@pytest.fixture(autouse=True)
def _immediate(settings: Any, isolated: Any) -> None:
    settings.TASKS = IMMEDIATE
    settings.C2I_REGISTRATIONS_PER_ADDRESS = 10


def to(address: str) -> list[mail.EmailMultiAlternatives]:
    return [m for m in mail.outbox if m.to == [address]]


def parts(message: Any) -> tuple[str, str]:
    """The plain-text body and the HTML alternative; both must be there."""
    assert isinstance(message, mail.EmailMultiAlternatives)
    html = [content for content, kind in message.alternatives if kind == "text/html"]
    assert len(html) == 1
    assert "<img" not in html[0] and "http" not in html[0].replace(SITE, "")  # nothing remote
    return str(message.body), unescape(str(html[0]))


def import_lines(demo: Any, lines: list[str], capture: Any) -> Any:
    upload = io.BytesIO(("\n".join([HEADER, *lines]) + "\n").encode())
    upload.name = "liste.csv"
    url = f"/gestion/sessions/{demo.institution_session('a').pk}/import/"
    with capture(execute=True):
        response = demo.client("correspondant-a").post(url, {"file": upload})
    assert response.status_code in (200, 302)  # 200: the report of lines already invited
    return response


NEW = "Lambert;Océane;12/03/2003;Annecy;oceane.lambert@etu.example.fr;;etudiant;non"
KNOWN = "Roche;Pascale;05/07/1978;Brest;pascale.roche@example.fr;;formation_continue;"


class TestInvitation:
    def test_it_sends_each_imported_line_its_invitation_in_french(
        self, demo: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        institution_session = demo.institution_session("a")
        import_lines(demo, [NEW], django_capture_on_commit_callbacks)
        [message] = to("oceane.lambert@etu.example.fr")
        text, html = parts(message)
        assert (
            message.subject == f"C2i : invitation à vous inscrire à la session « {institution_session.session.name} »"
        )
        assert text.startswith("Bonjour Océane Lambert,")
        assert f"L'établissement {institution_session.institution.name} vous invite" in text
        closes = institution_session.session.enrolment_closes
        assert "au plus tard le" in text and str(closes.year) in text
        assert "Vous n'avez pas encore de compte sur la plateforme" in text
        link = f"{SITE}/inscription/?next=%2Fmon-espace%2Fcertification%2F"
        assert link in text and f'href="{link}"' in html
        assert "Créer mon compte et répondre à l'invitation" in html

    def test_the_link_leads_through_registration_to_the_invitation(
        self, demo: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        import_lines(demo, [NEW], django_capture_on_commit_callbacks)
        [message] = to("oceane.lambert@etu.example.fr")
        link = next(w for w in str(message.body).split() if w.startswith(f"{SITE}/inscription/"))
        client = Client()
        form = {**FORM, "email": "oceane.lambert@etu.example.fr", "first_names": "Océane", "last_name": "Lambert"}
        response = client.post(link.removeprefix(SITE), form)
        assert response.status_code == 302 and response["Location"] == "/inscription/code/"
        response = client.post("/inscription/code/", {"code": the_code()})
        assert response.status_code == 302 and response["Location"] == "/mon-espace/certification/"
        page = client.get(response["Location"]).content.decode()
        assert demo.institution_session("a").institution.name in page
        invitation = Invitation.objects.get(email="oceane.lambert@etu.example.fr")
        assert f"/mon-espace/invitations/{invitation.pk}/confirmer/" in page

    def test_an_addressee_with_an_account_is_sent_to_their_space(
        self, demo: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        from c2i.accounts.models import User

        User.objects.create_user("pascale.roche@example.fr", "pascale.roche@example.fr", "x")
        import_lines(demo, [KNOWN], django_capture_on_commit_callbacks)
        [message] = to("pascale.roche@example.fr")
        text, html = parts(message)
        assert f"Répondre à l'invitation :\n{SITE}/mon-espace/certification/\n" in text
        assert "Vous n'avez pas encore de compte" not in text
        assert f'href="{SITE}/mon-espace/certification/"' in html

    def test_it_is_sent_once(self, demo: Any, django_capture_on_commit_callbacks: Any) -> None:
        import_lines(demo, [NEW, KNOWN], django_capture_on_commit_callbacks)
        assert len(mail.outbox) == 2
        ids = list(Invitation.objects.filter(email__endswith="example.fr").values_list("pk", flat=True))
        assert services.send_invitations(ids) == 0  # the task run again
        import_lines(demo, [NEW], django_capture_on_commit_callbacks)  # the same line imported again
        assert len(mail.outbox) == 2
        assert SentNotification.objects.filter(kind=NotificationKind.INVITATION).count() == 2


class TestResults:
    def test_each_candidate_receives_their_own_results(
        self, demo: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        exam = demo_exam(demo)
        me = new_candidate(exam.institution_session, first_names="Agathe", last_name="Delorme")
        other = new_candidate(exam.institution_session, first_names="Bruno", last_name="Saunier")
        attempt = start_for(me.user, exam)
        sit(attempt, 0.8, random.Random(1))
        sit(start_for(other.user, exam), 0.2, random.Random(2))
        with django_capture_on_commit_callbacks(execute=True):
            assessment.publish_results(exam, demo.user("correspondant-a"))
        [message] = to(me.email)
        assert len(mail.outbox) == 2
        text, html = parts(message)
        assert message.subject == f"C2i : vos résultats à « {exam.title} » sont publiés"
        assert text.startswith("Bonjour Agathe DELORME,")
        for result in attempt.domain_results.select_related("domain"):
            line = f"Domaine {result.domain.code} « {result.domain.title} » : {format_percent(result.percent)}, "
            assert line + ("positif" if result.positive else "non positif") in text
        assert "Bruno" not in text and "SAUNIER" not in text.upper()  # nobody else's
        assert "SAUNIER" not in html.upper()
        assert f"{SITE}/mon-espace/epreuves/{attempt.exam_id}/" in text
        assert "positif à partir de 50 %" in text

    def test_a_late_sitting_is_sent_when_it_ends_and_nothing_twice(
        self, demo: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        done = start(demo)
        sit(done, 0.7, random.Random(3))
        running = start(demo, "candidat-a2", exam=done.exam)
        with django_capture_on_commit_callbacks(execute=True):
            assessment.publish_results(done.exam, demo.user("correspondant-a"))
        assert [m.to for m in mail.outbox] == [[demo.candidate("candidat-a1").email]]
        with django_capture_on_commit_callbacks(execute=True):
            assessment.finish_attempt(running, running.user)
        assert [m.to for m in mail.outbox][1:] == [[demo.candidate("candidat-a2").email]]
        with django_capture_on_commit_callbacks(execute=True):
            assessment.publish_results(done.exam, demo.user("correspondant-a"))
        assert services.send_results(done.exam_id) == 0
        assert len(mail.outbox) == 2


def publish_session(demo: Any, capture: Any) -> tuple[InstitutionSession, dict[str, Enrolment]]:
    """A's session closed with four kinds of outcome, then published by its chair."""
    institution_session = demo.institution_session("a")
    enrolments = list(
        Enrolment.objects.filter(institution_session=institution_session, status=EnrolmentStatus.ACTIVE).exclude(
            candidate__user__username__in=["candidat-a1", "candidat-a2"]
        )
    )
    CandidateOutcome.objects.filter(institution_session=institution_session).delete()
    named = {
        "certified": enrolment_of(demo, "candidat-a1"),
        "domains": enrolment_of(demo, "candidat-a2"),
        "nothing": enrolments[0],
        "deferred": enrolments[1],
    }
    set_outcome(named["certified"], OutcomeStatus.CERTIFIED, ALL)
    set_outcome(named["domains"], OutcomeStatus.NOT_CERTIFIED, ["D1", "D3"])
    set_outcome(named["nothing"], OutcomeStatus.NOT_CERTIFIED, [])
    set_outcome(named["deferred"], OutcomeStatus.INCOMPLETE, ["D2"], deferred=True)
    publish(institution_session, DeliberationStatus.CLOSED)
    with capture(execute=True):
        deliberation.publish_deliberation(institution_session, demo.user("jury-a"))
    return institution_session, named


class TestOutcome:
    def test_each_candidate_receives_one_message_saying_their_outcome(
        self, demo: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        institution_session, named = publish_session(demo, django_capture_on_commit_callbacks)
        assert len(mail.outbox) == 4  # one each: the documents' batch sends no second notice
        texts = {}
        for key, enrolment in named.items():
            [message] = to(enrolment.candidate.email)
            text, html = parts(message)
            texts[key] = (message.subject, text)
            assert f"Voir mon résultat :\n{SITE}" in text
            assert f'href="{SITE}' in html
            assert f"Le jury de la session « {institution_session.session.name} »" in text
        subject, text = texts["certified"]
        assert subject == "C2i : le certificat C2i1 vous est délivré"
        assert "tous les domaines sont validés" in text and f"« Mes documents » ({SITE}/" in text
        subject, text = texts["domains"]
        assert subject == "C2i : la décision du jury"
        assert "Ces domaines sont validés :\n\n- D1 « " in text and "\n- D3 « " in text and "- D2 « " not in text
        assert "Votre attestation de domaines validés est en cours d'émission" in text
        assert "vous restent acquis" in text
        subject, text = texts["nothing"]
        assert "Aucun domaine n'est validé ; aucun document n'est délivré." in text
        assert "attestation" not in text and "Mes documents" not in text
        subject, text = texts["deferred"]
        assert subject == "C2i : le jury vous a ajourné"
        assert "- D2 « " in text and "Aucun document n'est délivré." in text and "attestation" not in text

    def test_the_link_is_the_candidates_result_page(self, demo: Any, django_capture_on_commit_callbacks: Any) -> None:
        from django.urls import reverse

        _session, named = publish_session(demo, django_capture_on_commit_callbacks)
        enrolment = named["domains"]
        [message] = to(enrolment.candidate.email)
        url = reverse("deliberation:my_result", args=[enrolment.pk])
        assert f"Voir mon résultat :\n{SITE}{url}\n" in str(message.body)

    def test_it_is_sent_once(self, demo: Any, django_capture_on_commit_callbacks: Any) -> None:
        institution_session, _named = publish_session(demo, django_capture_on_commit_callbacks)
        assert services.send_outcomes(institution_session.pk) == 0
        assert len(mail.outbox) == 4
        assert SentNotification.objects.filter(kind=NotificationKind.JURY_OUTCOME).count() == 4

    def test_nothing_is_sent_for_a_deliberation_not_published(self, demo: Any) -> None:
        institution_session = demo.institution_session("a")
        set_outcome(enrolment_of(demo, "candidat-a1"), OutcomeStatus.CERTIFIED, ALL)
        publish(institution_session, DeliberationStatus.CLOSED)
        assert services.send_outcomes(institution_session.pk) == 0
        assert mail.outbox == []


def without_submission(institution_session: InstitutionSession) -> set[str]:
    return {
        e.candidate.email
        for e in Enrolment.objects.filter(institution_session=institution_session, status=EnrolmentStatus.ACTIVE)
        .exclude(submissions__status=SubmissionStatus.SUBMITTED)
        .select_related("candidate")
    }


class TestDeadlineReminders:
    def remind(self, capture: Any) -> list[Any]:
        before = len(mail.outbox)
        with capture(execute=True):
            call_command("send_deadline_reminders", stdout=io.StringIO())
        return mail.outbox[before:]

    def test_seven_days_then_one_day_before_each_once(self, demo: Any, django_capture_on_commit_callbacks: Any) -> None:
        institution_session = demo.institution_session("a")
        waiting = without_submission(institution_session)
        assert waiting and demo.candidate("candidat-a1").email not in waiting  # a1 has submitted
        InstitutionSession.objects.filter(pk=institution_session.pk).update(
            portfolio_deadline=timezone.now() + dt.timedelta(days=6, hours=12)
        )
        sent = self.remind(django_capture_on_commit_callbacks)
        assert {m.to[0] for m in sent} == waiting and len(sent) == len(waiting)
        text, _html = parts(sent[0])
        assert sent[0].subject == "C2i : il vous reste 7 jours pour déposer votre dossier de compétences"
        assert "et vous ne l'avez pas encore déposé" in text
        assert f"Ouvrir mon dossier de compétences :\n{SITE}/mon-espace/dossier/C2i1/\n" in text
        assert self.remind(django_capture_on_commit_callbacks) == []  # the next day: nothing again
        InstitutionSession.objects.filter(pk=institution_session.pk).update(
            portfolio_deadline=timezone.now() + dt.timedelta(hours=20)
        )
        sent = self.remind(django_capture_on_commit_callbacks)
        assert {m.to[0] for m in sent} == waiting
        assert sent[0].subject == "C2i : il vous reste 1 jour pour déposer votre dossier de compétences"
        assert self.remind(django_capture_on_commit_callbacks) == []

    def test_a_late_first_run_sends_the_nearest_step_only(
        self, demo: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        institution_session = demo.institution_session("a")
        InstitutionSession.objects.filter(pk=institution_session.pk).update(
            portfolio_deadline=timezone.now() + dt.timedelta(hours=10)
        )
        sent = self.remind(django_capture_on_commit_callbacks)
        assert sent and all("1 jour" in m.subject for m in sent)
        assert not SentNotification.objects.filter(kind=NotificationKind.DEADLINE_REMINDER, step=7).exists()

    def test_no_reminder_far_from_the_deadline_after_it_or_once_submitted(
        self, demo: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        institution_session = demo.institution_session("a")
        for delta in (dt.timedelta(days=30), dt.timedelta(hours=-1)):
            InstitutionSession.objects.filter(pk=institution_session.pk).update(
                portfolio_deadline=timezone.now() + delta
            )
            assert self.remind(django_capture_on_commit_callbacks) == []


class TestSending:
    def test_a_failed_send_records_nothing_and_the_next_try_sends_it(self, demo: Any) -> None:
        invitation = Invitation.objects.pending().first()
        assert invitation is not None
        with (
            mock.patch("c2i.lib.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected()),
            pytest.raises(services.MailServerUnavailable),
        ):
            services.send_invitations([invitation.pk])
        assert not SentNotification.objects.exists() and mail.outbox == []
        assert services.send_invitations([invitation.pk]) == 1
        assert len(mail.outbox) == 1

    def test_the_task_tries_again_later_when_the_server_fails(self, demo: Any, settings: Any) -> None:
        from django_tasks_db.models import DBTaskResult

        from c2i.notifications.tasks import send_invitations_task

        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
        invitation = Invitation.objects.pending().first()
        assert invitation is not None
        with mock.patch("c2i.lib.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError()):
            assert send_invitations_task.call([invitation.pk]) == 0
        queued = DBTaskResult.objects.filter(task_path__endswith="send_invitations_task").get()
        assert queued.args_kwargs == {"args": [[invitation.pk]], "kwargs": {"attempt": 1}}
        assert queued.run_after is not None and queued.run_after > timezone.now()
