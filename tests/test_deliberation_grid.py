"""The grid page: one select per cell, only changed cells saved, all or
nothing, R10 per cell with the cell named."""

from __future__ import annotations

import pytest

from c2i.deliberation.models import CandidateOutcome, CompetencyDecision
from c2i.enrolment.models import EnrolmentStatus
from tests.deliberation_support import codes, publish_session_tests, submit, submit_all

pytestmark = pytest.mark.django_db


def enrolment(demo, username: str):
    return demo.candidate(username).enrolments.get(status=EnrolmentStatus.ACTIVE)


def grid_url(demo) -> str:
    return f"/jury/sessions/{demo.institution_session('a').pk}/grille/"


def form(demo) -> dict[str, str]:
    """What the page posts untouched: every cell with its original value."""
    page = demo.client("jury-a").get(grid_url(demo))
    assert page.status_code == 200
    data = {}
    for row in page.context["rows"]:
        for cell in row["cells"]:
            key = f"{row['enrolment'].pk}-{cell['code']}"
            data[f"c-{key}"] = data[f"o-{key}"] = cell["value"]
            data[f"s-{key}"] = str(cell["id"])
    return data


class TestGridPage:
    def test_it_shows_a_select_per_cell(self, demo) -> None:
        page = demo.client("jury-a").get(grid_url(demo)).content.decode()
        a1 = enrolment(demo, "candidat-a1")
        assert f'name="c-{a1.pk}-D5.3"' in page
        assert page.count("<select") >= 20 * 2

    def test_it_saves_only_the_changed_cells(self, demo) -> None:
        publish_session_tests(demo.institution_session("a"))
        a1, a2 = enrolment(demo, "candidat-a1"), enrolment(demo, "candidat-a2")
        submit_all(a1)
        submit(a2, {"D1.1": "c"})
        data = form(demo)
        for code in codes("C2i1"):
            data[f"c-{a1.pk}-{code}"] = "V"
        data[f"c-{a2.pk}-D1.1"] = "V"
        data[f"c-{a2.pk}-D1.2"] = "NV"
        response = demo.client("jury-a").post(grid_url(demo), data)
        assert response.status_code == 302
        session_rows = CompetencyDecision.objects.filter(enrolment__in=[a1, a2])
        assert session_rows.count() == 22
        assert CandidateOutcome.objects.get(enrolment=a1).status == "certified"
        assert CandidateOutcome.objects.get(enrolment=a2).status == "incomplete"
        # the same form again changes nothing
        assert demo.client("jury-a").post(grid_url(demo), form(demo)).status_code == 302
        assert session_rows.count() == 22

    def test_it_refuses_a_cell_without_evidence_and_stores_nothing(self, demo) -> None:
        a1, a2 = enrolment(demo, "candidat-a1"), enrolment(demo, "candidat-a2")
        submit(a1, {"D1.1": "a"})
        submit(a2, {"D3.2": "b"})
        data = form(demo)
        data[f"c-{a1.pk}-D1.1"] = "V"
        data[f"c-{a2.pk}-D3.2"] = "V"
        response = demo.client("jury-a").post(grid_url(demo), data)
        assert response.status_code == 400
        text = response.content.decode()
        reason = "R10 : D3.2 ne peut être validée sur le seul contrôle de connaissances"
        assert f"« {a2.candidate.full_name} », D3.2 : {reason}" in text
        assert not CompetencyDecision.objects.filter(enrolment__in=[a1, a2]).exists()

    def test_a_non_member_cannot_post(self, demo) -> None:
        assert demo.client("admin").post(grid_url(demo), {}).status_code == 403
        assert demo.client("correspondant-a").post(grid_url(demo), {}).status_code == 403
