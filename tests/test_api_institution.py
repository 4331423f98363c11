"""The API of an institution (issue 14): its sessions and enrolments
(pagination, filters, CSV export), bulk invitations through the candidates'
import, results, jury outcomes and documents; scopes, foreign tokens, one
error format in French, every write audited with the token's name."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.api import tokens
from c2i.enrolment import roster
from c2i.enrolment.models import InstitutionSession, Invitation
from tests.credentials_support import certified_and_not, isolated  # noqa: F401

pytestmark = pytest.mark.django_db

API = "/api/v1/etablissement"


class Caller:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.client = Client()

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {self.secret}")

    def post(self, path: str, data: Any) -> Any:
        return self.client.post(path, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {self.secret}")


def caller(demo: Any, side: str, scopes: list[str] | None = None, name: str = "SI scolarité") -> Caller:
    made = tokens.create_token(
        demo.institution(side), name, scopes or ["read", "invite", "results"], demo.user(f"correspondant-{side}")
    )
    return Caller(made.secret)


def row(n: int, **changes: Any) -> dict[str, Any]:
    base = {
        "nom": f"Api{n}",
        "prenoms": "Camille",
        "date_naissance": f"0{n % 9 + 1}/02/2001",
        "lieu_naissance": "Lyon",
        "email": f"api{n}@example.fr",
        "statut": "etudiant",
    }
    return {**base, **changes}


class TestAuthenticationAndScopes:
    def test_no_token_or_a_bad_one_is_401_in_the_one_format(self, demo) -> None:
        refused: list[dict[str, Any]] = [
            {},
            {"HTTP_AUTHORIZATION": "Bearer c2i_abc_def"},
            {"HTTP_AUTHORIZATION": "Basic eDp5"},
        ]
        for headers in refused:
            response = Client().get(f"{API}/inscriptions", **headers)
            assert response.status_code == 401
            body = response.json()
            assert body["code"] == "unauthenticated" and body["field"] is None
            assert "jeton" in body["message"].lower()
            assert response["WWW-Authenticate"].startswith("Bearer")

    def test_a_token_without_the_scope_is_403(self, demo) -> None:
        reader = caller(demo, "a", ["read"])
        session = demo.institution_session("a").pk
        assert reader.get(f"{API}/inscriptions").status_code == 200
        for response in (
            reader.post(f"{API}/sessions/{session}/invitations", {"rows": [row(1)]}),
            reader.get(f"{API}/sessions/{session}/resultats"),
            reader.get(f"{API}/sessions/{session}/documents"),
        ):
            assert response.status_code == 403
            assert response.json()["code"] == "scope_missing"
        inviter = caller(demo, "a", ["invite"], "autre")
        assert inviter.get(f"{API}/inscriptions").status_code == 403

    def test_another_institutions_session_is_404_and_its_people_never_shown(self, demo) -> None:
        b = caller(demo, "b")
        session_a = demo.institution_session("a").pk
        for path in ("resultats", "deliberation", "documents"):
            response = b.get(f"{API}/sessions/{session_a}/{path}")
            assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert b.post(f"{API}/sessions/{session_a}/invitations", {"rows": [row(1)]}).status_code == 404
        assert b.get(f"{API}/inscriptions", session=session_a).status_code == 404
        a1 = demo.candidate("candidat-a1")
        listed = b.get(f"{API}/inscriptions", limit=500).json()["results"]
        assert a1.email not in {r["email"] for r in listed}
        assert a1.email not in b.get(f"{API}/inscriptions/export").content.decode()
        assert not Invitation.objects.filter(email="api1@example.fr").exists()


class TestEnrolments:
    def test_the_total_count_and_pages(self, demo) -> None:
        a = caller(demo, "a")
        sessions = InstitutionSession.objects.filter(institution=demo.institution("a"))
        total = sum(len(roster.roster(i)) for i in sessions)
        first = a.get(f"{API}/inscriptions", limit=5).json()
        second = a.get(f"{API}/inscriptions", limit=5, offset=5).json()
        assert first["count"] == second["count"] == total > 10
        assert len(first["results"]) == len(second["results"]) == 5
        assert {r["email"] for r in first["results"]}.isdisjoint({r["email"] for r in second["results"]})
        past = a.get(f"{API}/inscriptions", offset=total).json()
        assert past["count"] == total and past["results"] == []

    def test_filters_by_state_search_and_session(self, demo) -> None:
        a = caller(demo, "a")
        invited = a.get(f"{API}/inscriptions", statut="invited", limit=500).json()
        assert invited["count"] > 0 and {r["state"] for r in invited["results"]} == {"invited"}
        assert all(r["enrolment_id"] is None for r in invited["results"])
        a1 = demo.candidate("candidat-a1")
        found = a.get(f"{API}/inscriptions", recherche=a1.last_name).json()["results"]
        assert a1.email in {r["email"] for r in found}
        session = demo.institution_session("a")
        only = a.get(f"{API}/inscriptions", session=session.pk, limit=500).json()
        assert only["count"] == len(roster.roster(session)) and {r["session"] for r in only["results"]} == {session.pk}

    def test_a_bad_filter_is_refused_in_french_naming_the_parameter(self, demo) -> None:
        response = caller(demo, "a").get(f"{API}/inscriptions", limit=0, statut="tous")
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid" and body["field"] in {"limit", "statut"}
        assert {e["field"] for e in body["errors"]} == {"limit", "statut"}
        assert "au moins 1" in body["message"] or "valeur inattendue" in body["message"]


class TestInvitations:
    def url(self, demo: Any, side: str = "a") -> str:
        return f"{API}/sessions/{demo.institution_session(side).pk}/invitations"

    def test_all_or_nothing_each_wrong_row_named_in_french(self, demo) -> None:
        a = caller(demo, "a")
        before = Invitation.objects.count()
        rows = [row(1), row(2), row(3, email="pas-une-adresse", statut="")]
        response = a.post(self.url(demo), {"rows": rows})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid_rows" and "rien" in body["message"]
        fields = {(e["row"], e["field"]) for e in body["errors"]}
        assert fields == {(2, "email"), (2, "statut")}
        assert any("adresse" in e["message"] for e in body["errors"])
        assert Invitation.objects.count() == before
        assert not AuditEntry.objects.filter(action=AuditAction.API_INVITE).exists()

    def test_partial_invites_the_right_rows_and_is_audited_with_the_tokens_name(self, demo) -> None:
        a = caller(demo, "a", name="Apogée")
        response = a.post(self.url(demo), {"rows": [row(1), row(2, date_naissance="31/02/2001")], "partial": True})
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["invited"], body["already"], body["imported"]) == (1, 0, True)
        assert [(e["row"], e["field"]) for e in body["errors"]] == [(1, "date_naissance")]
        assert Invitation.objects.filter(email="api1@example.fr").exists()
        assert not Invitation.objects.filter(email="api2@example.fr").exists()
        entry = AuditEntry.objects.filter(action=AuditAction.API_INVITE).get()
        assert entry.details["token"] == "Apogée" and entry.details["invited"] == 1
        again = a.post(self.url(demo), {"rows": [row(1)]}).json()
        assert (again["invited"], again["already"]) == (0, 1) and again["notices"][0]["row"] == 0

    def test_a_row_of_the_wrong_shape_is_422_before_the_import(self, demo) -> None:
        a = caller(demo, "a")
        response = a.post(self.url(demo), {"rows": [row(1), {**row(2), "couleur": "bleu"}]})
        assert response.status_code == 422
        body = response.json()
        assert body["field"] == "rows[1].couleur" and body["errors"][0]["row"] == 1
        assert a.post(self.url(demo), {"rows": []}).json()["field"] == "rows"
        assert not Invitation.objects.filter(email="api1@example.fr").exists()

    def test_the_export_neutralises_formulas(self, demo) -> None:
        a = caller(demo, "a")
        hostile = '=HYPERLINK("http://x";"y")'
        assert a.post(self.url(demo), {"rows": [row(1, nom=hostile, lieu_naissance="@SUM(A1)")]}).status_code == 200
        response = a.get(f"{API}/inscriptions/export", statut="invited")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        cells = [c for r in csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";") for c in r]
        assert "'" + hostile in cells and "'@SUM(A1)" in cells
        assert not any(c.startswith(("=", "@")) for c in cells)


class TestResults:
    @pytest.mark.usefixtures("isolated")
    def test_outcomes_wait_for_the_closed_deliberation_then_documents_verify(self, demo) -> None:
        from c2i.credentials.services import produce_document

        a = caller(demo, "a")
        session = demo.institution_session("a").pk
        open_ = a.get(f"{API}/sessions/{session}/deliberation").json()
        assert open_["deliberation"] == "open" and open_["count"] == 0
        a1, a2 = certified_and_not(demo)
        outcomes = a.get(f"{API}/sessions/{session}/deliberation").json()
        assert outcomes["deliberation"] == "published"
        by_id = {o["enrolment_id"]: o for o in outcomes["results"]}
        assert by_id[a1.pk]["status"] == "certified" and by_id[a2.pk]["validated_domains"] == ["D1", "D3"]
        _, document = produce_document(a1, None, notify=False)
        assert document is not None
        listed = a.get(f"{API}/sessions/{session}/documents").json()
        assert [d["code"] for d in listed["results"]] == [document.code]
        verified = Client().get(f"/api/v1/verifier/{document.code}")
        assert verified.status_code == 200 and verified.json()["status"] == "valid"
        unknown = Client().get("/api/v1/verifier/7KQ2H-XD94M-RC0W7")
        assert unknown.status_code in (400, 404) and unknown.json()["field"] == "code"

    def test_exam_results_list_the_sittings(self, demo) -> None:
        from tests.assessment_support import start

        attempt = start(demo)
        a = caller(demo, "a")
        body = a.get(f"{API}/sessions/{demo.institution_session('a').pk}/resultats").json()
        assert body["exam"]["title"] and body["count"] == 1
        assert body["results"][0]["enrolment_id"] == attempt.enrolment_id and body["results"][0]["scored"] is False
