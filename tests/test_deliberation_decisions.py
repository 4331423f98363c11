"""Decisions per competency through the candidate page: R10 refusals, the
outcome updated as the jury decides, append-only history, and access."""

from __future__ import annotations

import pytest

from c2i.deliberation.models import CandidateOutcome, CompetencyDecision
from c2i.enrolment.models import EnrolmentStatus
from tests.deliberation_support import codes, publish_test_results, submit, submit_all

pytestmark = pytest.mark.django_db


def a1(demo):
    return demo.candidate("candidat-a1").enrolments.get(status=EnrolmentStatus.ACTIVE)


def url(enrolment) -> str:
    return f"/jury/sessions/{enrolment.institution_session_id}/candidats/{enrolment.pk}/"


class TestDecisions:
    def test_it_refuses_a_validation_on_test_results_only(self, demo) -> None:
        enrolment = a1(demo)
        ids = submit(enrolment, {"D1.1": "b"})
        response = demo.client("jury-a").post(
            url(enrolment), {"competency": "D1.1", "value": "V", "evidence": ids["D1.1"]}
        )
        assert response.status_code == 400
        assert "R10 : D1.1 ne peut être validée sur le seul contrôle de connaissances" in response.content.decode()
        assert not CompetencyDecision.objects.filter(enrolment=enrolment).exists()

    def test_it_refuses_a_validation_citing_no_evidence(self, demo) -> None:
        enrolment = a1(demo)
        submit(enrolment, {"D1.1": "a"})
        response = demo.client("jury-a").post(url(enrolment), {"competency": "D1.1", "value": "V"})
        assert response.status_code == 400
        assert "R10 : D1.1 ne peut être validée sans pièce" in response.content.decode()

    def test_it_records_a_validation_citing_a_production(self, demo) -> None:
        enrolment = a1(demo)
        ids = submit(enrolment, {"D1.1": "ab"})
        response = demo.client("jury-a").post(
            url(enrolment), {"competency": "D1.1", "value": "V", "evidence": ids["D1.1"], "comment": "Bien."}
        )
        assert response.status_code == 302
        decision = CompetencyDecision.objects.get(enrolment=enrolment)
        assert (decision.value, decision.evidence, decision.comment) == ("V", ids["D1.1"], "Bien.")
        outcome = CandidateOutcome.objects.get(enrolment=enrolment)
        assert outcome.status == "incomplete"
        assert any("délibération incomplète" in r for r in outcome.reasons)

    def test_it_cannot_cite_an_item_of_another_competency(self, demo) -> None:
        enrolment = a1(demo)
        ids = submit(enrolment, {"D1.1": "a", "D1.2": "a"})
        response = demo.client("jury-a").post(
            url(enrolment), {"competency": "D1.1", "value": "V", "evidence": ids["D1.2"]}
        )
        assert response.status_code == 400
        assert not CompetencyDecision.objects.filter(enrolment=enrolment).exists()

    def test_it_updates_the_outcome_as_the_jury_decides(self, demo) -> None:
        enrolment = a1(demo)
        publish_test_results([enrolment], 75.0)
        ids = submit_all(enrolment)
        client = demo.client("tuteur-a")  # a member of the jury, not its chair
        for code in codes("C2i1"):
            assert (
                client.post(url(enrolment), {"competency": code, "value": "V", "evidence": ids[code]}).status_code
                == 302
            )
        outcome = CandidateOutcome.objects.get(enrolment=enrolment)
        assert outcome.status == "certified"
        assert outcome.validated_domains == ["D1", "D2", "D3", "D4", "D5"]
        assert "R12 : certifié — tous les domaines sont validés" in outcome.reasons
        client.post(url(enrolment), {"competency": "D2.3", "value": "NV", "comment": "Pièce hors sujet."})
        outcome.refresh_from_db()
        assert outcome.status == "not_certified"
        assert "R11 : D2 non validé — D2.3 non validée" in outcome.reasons
        page = client.get(url(enrolment)).content.decode()
        assert "R11 : D2 non validé — D2.3 non validée" in page
        # append-only: the NV row supersedes the V row, which is still there
        rows = list(CompetencyDecision.objects.filter(enrolment=enrolment, competency_code="D2.3").order_by("id"))
        assert [r.value for r in rows] == ["V", "NV"]
        assert rows[1].supersedes_id == rows[0].pk

    def test_it_clears_a_decision_with_a_new_row(self, demo) -> None:
        enrolment = a1(demo)
        client = demo.client("jury-a")
        client.post(url(enrolment), {"competency": "D1.1", "value": "NV"})
        client.post(url(enrolment), {"competency": "D1.1", "value": ""})
        assert list(CompetencyDecision.objects.filter(enrolment=enrolment).values_list("value", flat=True)) == [
            "NV",
            "",
        ]


class TestAccess:
    def test_it_refuses_other_roles(self, demo) -> None:
        enrolment = a1(demo)
        for username in ("candidat-b1", "correspondant-b", "correspondant-a", "candidat-a1"):
            response = demo.client(username).post(url(enrolment), {"competency": "D1.1", "value": "NV"})
            assert response.status_code == 403, username
        assert demo.client("admin").post(url(enrolment), {"competency": "D1.1", "value": "NV"}).status_code == 403
        assert not CompetencyDecision.objects.filter(enrolment=enrolment).exists()

    def test_jury_a_reaches_only_its_session(self, demo) -> None:
        b1 = demo.candidate("candidat-b1").enrolments.get(status=EnrolmentStatus.ACTIVE)
        client = demo.client("jury-a")
        assert client.get(f"/jury/sessions/{b1.institution_session_id}/").status_code == 404
        assert client.post(url(b1), {"competency": "D1.1", "value": "NV"}).status_code == 404
        # an enrolment of B through A's session path is not found either
        a_session = demo.institution_session("a").pk
        assert client.get(f"/jury/sessions/{a_session}/candidats/{b1.pk}/").status_code == 404
        assert not CompetencyDecision.objects.filter(enrolment=b1).exists()
