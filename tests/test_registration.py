"""Self-registration of a candidate (R6): identity, INE checked when given."""

import pytest

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


class TestRegistration:
    def test_it_creates_the_account_and_logs_in(self, demo) -> None:  # type: ignore[no-untyped-def]
        client = demo.client(None)
        response = client.post("/inscription/", FORM)
        assert response.status_code == 302
        candidate = Candidate.objects.get(email="nina.petit@example.fr")
        assert candidate.user is not None and candidate.status == "student"
        assert client.get("/mon-espace/certification/").status_code == 200

    @pytest.mark.parametrize(
        ("ine", "message"),
        [
            ("1234567890A", "Caractère de contrôle de l&#x27;INE incorrect"),
            ("12345", "11 caractères"),
            ("1111111111Z", "dix chiffres identiques"),
        ],
    )
    def test_it_checks_the_ine(self, demo, ine: str, message: str) -> None:  # type: ignore[no-untyped-def]
        response = demo.client(None).post("/inscription/", {**FORM, "ine": ine})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Candidate.objects.filter(email="nina.petit@example.fr").exists()

    def test_it_accepts_a_base36_ine_written_with_spaces(self, demo) -> None:  # type: ignore[no-untyped-def]
        demo.client(None).post("/inscription/", {**FORM, "ine": "0ddg5r 00015"})
        assert Candidate.objects.get(email="nina.petit@example.fr").ine == "0DDG5R00015"

    def test_it_refuses_a_taken_email_and_a_weak_password(self, demo) -> None:  # type: ignore[no-untyped-def]
        response = demo.client(None).post(
            "/inscription/", {**FORM, "email": "candidat-a1@c2i-demo.fr", "password1": "123", "password2": "123"}
        )
        html = response.content.decode()
        assert "existe déjà" in html
        assert html.count("fr-input-group--error") >= 2

    def test_it_never_redirects_off_site(self, demo) -> None:  # type: ignore[no-untyped-def]
        response = demo.client(None).post("/inscription/?next=https://evil.example/", FORM)
        assert response.status_code == 302
        assert not response["Location"].startswith("https://evil.example")
