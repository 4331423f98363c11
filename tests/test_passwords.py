"""Passwords: « Mot de passe oublié » (an e-mail with a one-time link, the
same answer for an unknown address, rate-limited), the change of a password
by its owner (their other sessions end), and the first password of an
outside jury member, whose account is created without one."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from c2i.accounts.models import Session, User
from c2i.deliberation import services as deliberation

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/mot-de-passe/nouveau/[^/\s]+/[^/\s]+/)")
NEW = "Un-nouveau-mot-de-passe-2027"


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = "http://testserver"


def set_password_through(link: str) -> Client:
    client = Client()
    response = client.get(link, follow=True)  # Django moves the token into the session
    assert response.status_code == 200 and "Choisir un nouveau mot de passe" in response.content.decode()
    response = client.post(response.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True)
    assert "Mot de passe enregistré" in response.content.decode()
    return client


def logs_in(username: str, password: str) -> bool:
    return Client().post("/connexion/", {"username": username, "password": password}).status_code == 302


class TestForgottenPassword:
    def test_the_link_sets_a_new_password_and_ends_the_other_sessions(self, demo) -> None:
        old_session = demo.client("candidat-a1")
        assert old_session.get("/mon-espace/").status_code == 200
        login_page = Client().get("/connexion/").content.decode()
        assert 'href="/mot-de-passe/oublie/"' in login_page
        email = demo.user("candidat-a1").email
        response = Client().post("/mot-de-passe/oublie/", {"email": email.upper()})
        assert response.status_code == 302 and response["Location"] == "/mot-de-passe/oublie/envoye/"
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [email] and message.subject == "C2i : choisissez votre mot de passe"
        assert "dans les trois jours" in message.body and "candidat-a1" in message.body
        link = LINK.search(message.body)
        assert link is not None
        set_password_through(link[1])
        assert logs_in("candidat-a1", NEW) and not logs_in("candidat-a1", "demo")
        assert old_session.get("/mon-espace/").status_code == 302  # signed out
        again = Client().get(link[1], follow=True).content.decode()
        assert "Ce lien n’est pas valide" in again or "Ce lien n'est pas valide" in again  # used once

    def test_an_unknown_address_gets_the_same_answer_and_no_mail(self) -> None:
        response = Client().post("/mot-de-passe/oublie/", {"email": "personne@example.fr"})
        assert response.status_code == 302 and response["Location"] == "/mot-de-passe/oublie/envoye/"
        assert mail.outbox == []

    def test_a_wrong_address_is_told_where(self) -> None:
        response = Client().post("/mot-de-passe/oublie/", {"email": "pas-une-adresse"})
        assert response.status_code == 200
        assert "Saisissez une adresse de courriel valide" in response.content.decode()

    def test_a_forged_link_is_refused(self, demo) -> None:
        page = Client().get("/mot-de-passe/nouveau/MQ/lien-perime/").content.decode()
        assert "pas valide" in page and 'name="new_password1"' not in page

    def test_requests_are_rate_limited_per_address(self, demo, settings) -> None:
        settings.C2I_VERIFY_LIMIT = 2
        client = Client()
        for _ in range(2):
            assert client.post("/mot-de-passe/oublie/", {"email": "personne@example.fr"}).status_code == 302
        response = client.post("/mot-de-passe/oublie/", {"email": demo.user("candidat-a1").email})
        assert response.status_code == 200 and "Trop de demandes" in response.content.decode()
        assert mail.outbox == []


class TestChangePassword:
    def test_the_owner_changes_it_and_their_other_sessions_end(self, demo) -> None:
        here, elsewhere = demo.client("tuteur-a"), demo.client("tuteur-a")
        assert 'href="/mon-espace/mot-de-passe/"' in here.get("/mon-espace/").content.decode()
        wrong = here.post(
            "/mon-espace/mot-de-passe/", {"old_password": "faux", "new_password1": NEW, "new_password2": NEW}
        )
        assert wrong.status_code == 200 and "ancien mot de passe est incorrect" in wrong.content.decode()
        response = here.post(
            "/mon-espace/mot-de-passe/",
            {"old_password": "demo", "new_password1": NEW, "new_password2": NEW},
            follow=True,
        )
        assert "autres sessions sont fermées" in response.content.decode()
        assert here.get("/mon-espace/").status_code == 200  # this session goes on
        assert elsewhere.get("/mon-espace/").status_code == 302  # the other one is signed out
        assert Session.objects.filter(user=demo.user("tuteur-a")).count() == 1
        assert logs_in("tuteur-a", NEW)

    def test_a_too_simple_password_is_refused_next_to_its_field(self, demo) -> None:
        response = demo.client("tuteur-a").post(
            "/mon-espace/mot-de-passe/", {"old_password": "demo", "new_password1": "1234", "new_password2": "1234"}
        )
        assert response.status_code == 200 and "trop court" in response.content.decode()
        assert logs_in("tuteur-a", "demo")


class TestOutsideJuryMember:
    def test_a_new_member_gets_the_link_of_their_first_password(self, demo, django_capture_on_commit_callbacks) -> None:
        institution_session = demo.institution_session("a")
        with django_capture_on_commit_callbacks(execute=True):
            deliberation.add_jury_member(
                institution_session, "Expert.Exterieur@example.fr", False, demo.user("correspondant-a")
            )
        user = User.objects.get(email="expert.exterieur@example.fr")
        assert not user.has_usable_password()
        assert len(mail.outbox) == 1
        body = mail.outbox[0].body
        assert institution_session.institution.name in body and "membre du jury" in body
        link = LINK.search(body)
        assert link is not None
        set_password_through(link[1])
        assert logs_in("expert.exterieur@example.fr", NEW)

    def test_a_lost_first_link_can_be_asked_again(self, demo, django_capture_on_commit_callbacks) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            deliberation.add_jury_member(
                demo.institution_session("a"), "expert2@example.fr", False, demo.user("correspondant-a")
            )
        Client().post("/mot-de-passe/oublie/", {"email": "expert2@example.fr"})
        assert len(mail.outbox) == 2 and LINK.search(mail.outbox[1].body)

    def test_an_existing_account_gets_no_mail(self, demo, django_capture_on_commit_callbacks) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            deliberation.add_jury_member(
                demo.institution_session("a"), demo.user("relecteur").email, False, demo.user("correspondant-a")
            )
        assert mail.outbox == []
