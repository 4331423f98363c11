"""Self-registration of a candidate (R6): identity, INE checked when given;
the address is proven by a code sent to it before the account exists, and the
page answers the same whether the address or the INE already has an account:
the e-mail says the rest (issue 10, finding 9); rate-limited per address."""

import re

import pytest
from django.core import mail
from django.test import Client

from c2i.accounts.models import User
from c2i.enrolment.models import Candidate

pytestmark = pytest.mark.django_db

FORM = {
    "email": "nina.petit@example.fr",
    "password1": "Un-mot-de-passe-long",
    "password2": "Un-mot-de-passe-long",
    "last_name": "Petit",
    "first_names": "Nina",
    "birth_date": "2004-09-02",
    "birth_place": "Rouen",
    "ine": "",
    "status": "student",
}


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = "http://testserver"
    settings.C2I_REGISTRATIONS_PER_ADDRESS = 10


def the_code() -> str:
    """The six digits of the last e-mail."""
    found = re.search(r"^ +(\d{6})$", mail.outbox[-1].body, re.M)
    assert found is not None, mail.outbox[-1].body
    return found[1]


def register(client: Client, form: dict[str, str], url: str = "/inscription/"):
    """Fill in the form, then type the code of the e-mail."""
    response = client.post(url, form)
    assert response.status_code == 302 and response["Location"] == "/inscription/code/"
    return client.post("/inscription/code/", {"code": the_code()})


class TestRegistration:
    def test_it_creates_the_account_once_the_code_comes_back_and_logs_in(self, demo) -> None:
        client = demo.client(None)
        response = client.post("/inscription/", FORM)
        assert response.status_code == 302 and response["Location"] == "/inscription/code/"
        assert not User.objects.filter(email="nina.petit@example.fr").exists()  # nothing yet
        assert mail.outbox[0].to == ["nina.petit@example.fr"] and the_code() in mail.outbox[0].subject
        page = client.get("/inscription/code/").content.decode()
        assert "nina.petit@example.fr" in page and 'name="code"' in page
        response = client.post("/inscription/code/", {"code": the_code()})
        assert response.status_code == 302 and response["Location"] == "/sessions/"
        candidate = Candidate.objects.get(email="nina.petit@example.fr")
        assert candidate.user is not None and candidate.status == "student"
        assert candidate.user.check_password("Un-mot-de-passe-long")
        assert client.get("/mon-espace/certification/").status_code == 200

    def test_a_wrong_code_is_refused_and_five_start_over(self, demo) -> None:
        client = demo.client(None)
        client.post("/inscription/", FORM)
        wrong = f"{(int(the_code()) + 1) % 1_000_000:06d}"
        for _ in range(4):
            response = client.post("/inscription/code/", {"code": wrong})
            assert response.status_code == 200 and 'id="id_code-desc-error"' in response.content.decode()
        response = client.post("/inscription/code/", {"code": wrong})
        assert response.status_code == 302 and response["Location"] == "/inscription/"
        assert client.post("/inscription/code/", {"code": the_code()})["Location"] == "/inscription/"
        assert not User.objects.filter(email="nina.petit@example.fr").exists()

    @pytest.mark.parametrize(
        ("ine", "message"),
        [
            ("1234567890A", "Caractère de contrôle de l&#x27;INE incorrect"),
            ("12345", "11 caractères"),
            ("1111111111Z", "dix chiffres identiques"),
        ],
    )
    def test_it_checks_the_ine(self, demo, ine: str, message: str) -> None:
        response = demo.client(None).post("/inscription/", {**FORM, "ine": ine})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Candidate.objects.filter(email="nina.petit@example.fr").exists()

    def test_it_accepts_a_base36_ine_written_with_spaces(self, demo) -> None:
        register(demo.client(None), {**FORM, "ine": "0ddg5r 00015"})
        assert Candidate.objects.get(email="nina.petit@example.fr").ine == "0DDG5R00015"

    def test_it_refuses_a_weak_password_next_to_its_field(self, demo) -> None:
        response = demo.client(None).post("/inscription/", {**FORM, "password1": "123", "password2": "123"})
        assert response.status_code == 200 and "fr-input-group--error" in response.content.decode()
        assert mail.outbox == []

    def test_it_never_redirects_off_site(self, demo) -> None:
        response = register(demo.client(None), FORM, "/inscription/?next=https://evil.example/")
        assert response.status_code == 302
        assert not response["Location"].startswith("https://evil.example")

    def test_it_goes_back_where_the_person_came_from(self, demo) -> None:
        response = register(demo.client(None), FORM, "/inscription/?next=/sessions/")
        assert response["Location"] == "/sessions/"


class TestNothingTold:
    """Finding 9: the page never says whether an address or an INE is known."""

    def answer(self, form: dict[str, str]) -> tuple[int, str, str]:
        client = Client()
        response = client.post("/inscription/", form)
        page = client.get("/inscription/code/").content.decode()
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|breadcrumb-[a-z]+', "", page)
        page = page.replace(form["email"].lower(), "ADDRESS")  # the address is shown back, lower-cased
        return response.status_code, response["Location"], page

    def test_a_taken_address_gets_the_same_answer_and_an_e_mail_saying_the_rest(self, demo) -> None:
        taken = {**FORM, "email": "Candidat-A1@c2i-demo.fr"}
        assert self.answer(taken) == self.answer(FORM)
        message = mail.outbox[0]
        assert message.to == ["candidat-a1@c2i-demo.fr"]
        assert "candidat-a1" in message.body  # the username to log in with
        assert (
            "http://testserver/connexion/" in message.body and "http://testserver/mot-de-passe/oublie/" in message.body
        )
        assert not re.search(r"^ +\d{6}$", message.body, re.M)  # no code: nothing can be created
        assert User.objects.filter(email__iexact="candidat-a1@c2i-demo.fr").count() == 1
        assert not Candidate.objects.filter(first_names="Nina").exclude(email="nina.petit@example.fr").exists()

    def test_a_taken_address_cannot_be_confirmed_whatever_the_code(self, demo) -> None:
        client = Client()
        client.post("/inscription/", {**FORM, "email": "candidat-a1@c2i-demo.fr"})
        for code in ("000000", "123456"):
            assert client.post("/inscription/code/", {"code": code}).status_code == 200
        assert not Candidate.objects.filter(first_names="Nina").exists()

    def test_a_taken_ine_is_told_to_the_new_address_only(self, demo) -> None:
        ine = demo.candidate("candidat-a1").ine
        assert ine
        assert self.answer({**FORM, "email": "autre@example.fr", "ine": ine}) == self.answer(
            {**FORM, "email": "nouvelle@example.fr", "ine": "0DDG5R00015"}
        )
        message = mail.outbox[0]
        assert message.to == ["autre@example.fr"]
        assert ine in message.body and "/etablissements/" in message.body  # the way to the correspondent
        assert not re.search(r"^ +\d{6}$", message.body, re.M)
        assert not User.objects.filter(email="autre@example.fr").exists()

    def test_registrations_are_rate_limited_per_client_address(self, demo, settings) -> None:
        settings.C2I_REGISTRATIONS_PER_ADDRESS = 2
        client = Client(REMOTE_ADDR="203.0.113.20")
        for n in range(2):
            assert client.post("/inscription/", {**FORM, "email": f"n{n}@example.fr"}).status_code == 302
        response = client.post("/inscription/", {**FORM, "email": "n3@example.fr"})
        assert response.status_code == 429 and int(response["Retry-After"]) > 0
        assert len(mail.outbox) == 2
        other = Client(REMOTE_ADDR="203.0.113.21").post("/inscription/", {**FORM, "email": "n4@example.fr"})
        assert other.status_code == 302
