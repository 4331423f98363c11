"""Error pages (issue 11, point 8): 400, 403 (a CSRF failure included), 404
and 500 are French DSFR pages with a way back, never Django's bare or debug
answers. pytest-django runs with DEBUG off, as production and `make run` do."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from c2i import error_views

DSFR_PAGE = 'class="fr-header"'
CONTACT = "Contacter un correspondant C2i"


def html_of(response) -> str:
    return response.content.decode()


def assert_error_page(html: str, code: int, title: str) -> None:
    assert DSFR_PAGE in html and 'lang="fr"' in html
    assert f"<h1>{title}</h1>" in html
    assert f"Erreur {code}" in html
    assert 'href="/"' in html and "Page d'accueil</a>" in html
    assert CONTACT in html and 'href="/etablissements/"' in html
    assert "Traceback" not in html and "Django" not in html


class TestErrorPages:
    def test_it_answers_an_unknown_address_with_the_french_404_page(self, demo, settings) -> None:
        assert settings.DEBUG is False
        response = Client().get("/nulle-part/", HTTP_REFERER="http://testserver/referentiels/")
        assert response.status_code == 404
        html = html_of(response)
        assert_error_page(html, 404, "Page non trouvée")
        assert "<title>Page non trouvée — C2i" in html
        assert 'href="http://testserver/referentiels/"' in html and "Page précédente" in html
        assert "/nulle-part/" not in html  # nothing typed in the address is echoed back

    def test_it_offers_no_previous_page_from_another_site(self, demo) -> None:
        html = html_of(Client().get("/nulle-part/", HTTP_REFERER="https://ailleurs.example/x"))
        assert "ailleurs.example" not in html and "Page précédente" not in html

    def test_it_answers_an_object_out_of_reach_with_the_same_page(self, demo) -> None:
        response = demo.client("candidat-a1").get("/mon-espace/invitations/999999/confirmer/")
        assert response.status_code in (404, 405)
        response = demo.client("correspondant-a").get("/gestion/sessions/999999/")
        assert response.status_code == 404
        assert_error_page(html_of(response), 404, "Page non trouvée")

    def test_it_answers_a_role_gate_with_the_french_403_page(self, demo) -> None:
        response = demo.client("candidat-a1").get("/correspondant/")
        assert response.status_code == 403
        html = html_of(response)
        assert_error_page(html, 403, "Accès refusé")
        assert "Votre compte ne donne pas accès à cette page." in html
        assert "403 Forbidden" not in html

    def test_it_tells_a_visitor_to_log_in_on_a_403(self) -> None:
        request = RequestFactory().get("/correspondant/")
        response = error_views.permission_denied(request)
        assert response.status_code == 403
        assert 'href="/connexion/?next=%2Fcorrespondant%2F"' in html_of(response)

    def test_it_answers_a_csrf_failure_with_a_french_page(self, demo) -> None:
        client = Client(enforce_csrf_checks=True)
        response = client.post("/connexion/", {"username": "candidat-a1", "password": "demo"})
        assert response.status_code == 403
        html = html_of(response)
        assert_error_page(html, 403, "Formulaire expiré")
        assert "rechargez-la" in html
        assert "CSRF" not in html

    def test_it_answers_a_bad_request_with_the_french_400_page(self, demo) -> None:
        response = Client().get("/", HTTP_HOST="ailleurs.example")  # not in ALLOWED_HOSTS: DisallowedHost
        assert response.status_code == 400
        assert_error_page(html_of(response), 400, "Requête incomprise")

    def test_it_answers_a_failure_with_the_self_contained_500_page(
        self, demo, monkeypatch, django_assert_max_num_queries
    ) -> None:
        class Broken:
            @property
            def objects(self):
                raise RuntimeError("boom")  # the home page fails before its first query

        monkeypatch.setattr("c2i.views.Framework", Broken())
        client = Client(raise_request_exception=False)
        with django_assert_max_num_queries(0):  # the page needs no database
            response = client.get("/")
        assert response.status_code == 500
        html = html_of(response)
        assert "<h1>Erreur inattendue</h1>" in html and "Erreur 500" in html
        assert "boom" not in html and "RuntimeError" not in html
        assert 'href="/"' in html and CONTACT in html and "Recharger la page" in html
        assert "/static/dsfr/dist/dsfr/dsfr.min.css" in html

    def test_the_500_page_needs_nothing_from_the_request(self) -> None:
        request = RequestFactory().get("/x/")  # no session, no user, no middleware ran
        response = error_views.server_error(request)
        assert response.status_code == 500
        assert "Erreur inattendue" in html_of(response)

    @pytest.mark.parametrize(("path", "status"), [("/api/nulle-part", 404)])
    def test_it_answers_json_to_the_api(self, demo, path: str, status: int) -> None:
        response = Client().get(path)
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]


class TestMethodNotAllowed:
    def test_a_post_only_address_opened_as_a_page_says_why(self, demo) -> None:
        enrolment = demo.candidate("candidat-a1").enrolments.first()
        response = demo.client("candidat-a1").get(
            f"/sessions/etablissement/{enrolment.institution_session_id}/inscription/"
        )
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        html = html_of(response)
        assert "<h1>Page indisponible de cette façon</h1>" in html and "Erreur 405" in html
        assert CONTACT in html

    def test_the_405_of_other_methods_keeps_its_headers(self, demo) -> None:
        response = Client().delete("/")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD, POST, OPTIONS"
        assert "Content-Security-Policy" in response
        assert "Erreur 405" in html_of(response)

    def test_a_json_client_gets_no_page(self, demo) -> None:
        response = Client().delete("/", HTTP_ACCEPT="application/json")
        assert response.status_code == 405 and b"<html" not in response.content
