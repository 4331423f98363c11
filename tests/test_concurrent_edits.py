"""Concurrent edits (issue 10): no lost update, and the loser is told.

Two jury members deciding the same competency of the same candidate: each
page sends the id of the decision it showed, the service compares it under
the deliberation's row lock, and the one who decided from a stale view is
refused with the decision recorded meanwhile (candidate page and grid page).
Two tabs of one candidate editing the same evidence item: each form sends
the item's version, the second save is refused and keeps its text.

Deterministic stale-view tests run on both databases; the real races (two
threads at the same instant) run on PostgreSQL, where writers do not queue
on a database-wide lock."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

import pytest
from django.db import connection

from c2i.deliberation import services
from c2i.deliberation.models import CompetencyDecision
from c2i.enrolment.models import EnrolmentStatus
from c2i.portfolio import services as portfolio_services
from c2i.portfolio.models import Evidence, EvidenceKind
from tests.concurrency_support import race
from tests.deliberation_support import submit
from tests.persona_support import new_candidate
from tests.portfolio_support import portfolio_of

pytestmark = pytest.mark.usefixtures("media")


def a2(demo):
    """A candidate of A's C2i1 session, whom jury-a and jury-a-membre judge."""
    person = new_candidate(demo.institution_session("a"), first_names="Bruno", last_name="Saunier")
    return person.enrolments.get(status=EnrolmentStatus.ACTIVE)


def candidate_url(enrolment: Any) -> str:
    return f"/jury/sessions/{enrolment.institution_session_id}/candidats/{enrolment.pk}/"


def grid_url(enrolment: Any) -> str:
    return f"/jury/sessions/{enrolment.institution_session_id}/grille/"


def seen_on_candidate_page(html: str, code: str) -> str:
    """The `seen` field of the decision form of one competency."""
    section = html[html.index(f'id="c-{code}"') :]
    match = re.search(r'name="seen" value="(\d+)"', section)
    assert match is not None
    return match.group(1)


def grid_fields(html: str, enrolment_id: int, code: str) -> dict[str, str]:
    """The hidden fields of one grid cell, as the page sent them."""
    fields = {}
    for prefix in ("o", "s"):
        match = re.search(rf'name="{prefix}-{enrolment_id}-{re.escape(code)}" value="([^"]*)"', html)
        assert match is not None
        fields[f"{prefix}-{enrolment_id}-{code}"] = match.group(1)
    return fields


def selected_in_grid(html: str, enrolment_id: int, code: str) -> str:
    select = html[html.index(f'name="c-{enrolment_id}-{code}"') :]
    select = select[: select.index("</select>")]
    match = re.search(r'<option value="(\w*)" selected>', select)
    return match.group(1) if match else ""


def current(enrolment: Any, code: str) -> CompetencyDecision:
    return CompetencyDecision.objects.get(enrolment=enrolment, competency_code=code, superseded_by__isnull=True)


def edit_url(evidence: Evidence) -> str:
    return f"/mon-espace/dossier/{evidence.portfolio.framework.code}/elements/{evidence.pk}/modifier/"


def form_of(evidence: Evidence, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": evidence.kind,
        "title": evidence.title,
        "context": evidence.context,
        "activity_date": evidence.activity_date.isoformat() if evidence.activity_date else "",
        "competencies": [c.pk for c in evidence.competencies.all()],
        "link": evidence.link,
        "reflection": evidence.reflection,
        "version": evidence.version,
    }
    data.update(changes)
    return data


def editable_item(demo) -> Evidence:
    item = portfolio_of(demo).items.exclude(kind=EvidenceKind.TEST_RESULT).first()
    assert item is not None
    return item


# --- stale views, deterministic (both databases) -----------------------------


@pytest.mark.django_db
class TestTwoJurorsOnTheCandidatePage:
    def test_the_second_juror_is_told_and_nothing_is_overwritten(self, demo) -> None:
        enrolment = a2(demo)
        ids = submit(enrolment, {"D1.1": "a"})
        chair, member = demo.client("jury-a"), demo.client("jury-a-membre")
        seen_by_chair = seen_on_candidate_page(chair.get(candidate_url(enrolment)).content.decode(), "D1.1")
        seen_by_member = seen_on_candidate_page(member.get(candidate_url(enrolment)).content.decode(), "D1.1")
        assert seen_by_chair == seen_by_member == "0"
        first = chair.post(
            candidate_url(enrolment),
            {"competency": "D1.1", "value": "V", "evidence": ids["D1.1"], "seen": seen_by_chair},
        )
        assert first.status_code == 302
        second = member.post(candidate_url(enrolment), {"competency": "D1.1", "value": "NV", "seen": seen_by_member})
        assert second.status_code == 409
        page = html.unescape(second.content.decode())
        chair_name = demo.user("jury-a").get_full_name()
        assert f"{chair_name} a enregistré entre-temps une décision sur D1.1 (validée" in page
        assert "la vôtre n'a pas été enregistrée" in page
        decision = current(enrolment, "D1.1")
        assert (decision.value, decision.decided_by) == ("V", demo.user("jury-a"))
        assert CompetencyDecision.objects.filter(enrolment=enrolment, competency_code="D1.1").count() == 1
        # The refusal shows the page as it is now: deciding from it is informed.
        fresh = seen_on_candidate_page(page, "D1.1")
        assert fresh == str(decision.pk)
        third = member.post(candidate_url(enrolment), {"competency": "D1.1", "value": "NV", "seen": fresh})
        assert third.status_code == 302
        assert current(enrolment, "D1.1").supersedes == decision

    def test_the_same_juror_in_two_tabs_is_told_too(self, demo) -> None:
        enrolment = a2(demo)
        chair = demo.client("jury-a")
        seen = seen_on_candidate_page(chair.get(candidate_url(enrolment)).content.decode(), "D2.1")
        first = chair.post(candidate_url(enrolment), {"competency": "D2.1", "value": "NV", "seen": seen})
        assert first.status_code == 302
        response = chair.post(candidate_url(enrolment), {"competency": "D2.1", "value": "", "seen": seen})
        assert response.status_code == 409
        assert current(enrolment, "D2.1").value == "NV"

    def test_the_service_compares_only_when_given_a_view(self, demo) -> None:
        """A CSV grid or a command has no view to compare: no check, as before."""
        enrolment = a2(demo)
        chair, member = demo.user("jury-a"), demo.user("jury-a-membre")
        services.record_decision(enrolment, "D1.2", "NV", chair, seen=0)
        with pytest.raises(services.DeliberationError) as refused:
            services.record_decision(enrolment, "D1.2", "", member, seen=0)
        assert refused.value.code == "stale"
        services.record_decision(enrolment, "D1.2", "", member)
        assert current(enrolment, "D1.2").value == ""


@pytest.mark.django_db
class TestTwoJurorsOnTheGrid:
    def test_the_second_grid_is_refused_whole_and_keeps_the_other_changes(self, demo) -> None:
        enrolment = a2(demo)
        submit(enrolment, {"D1.1": "a", "D1.2": "a"})
        chair, member = demo.client("jury-a"), demo.client("jury-a-membre")
        page_of_chair = chair.get(grid_url(enrolment)).content.decode()
        page_of_member = member.get(grid_url(enrolment)).content.decode()
        e = enrolment.pk
        first = chair.post(grid_url(enrolment), {**grid_fields(page_of_chair, e, "D1.1"), f"c-{e}-D1.1": "NV"})
        assert first.status_code == 302
        assert current(enrolment, "D1.1").value == "NV"
        response = member.post(
            grid_url(enrolment),
            {
                **grid_fields(page_of_member, e, "D1.1"),
                **grid_fields(page_of_member, e, "D1.2"),
                f"c-{e}-D1.1": "V",
                f"c-{e}-D1.2": "V",
            },
        )
        assert response.status_code == 409
        page = html.unescape(response.content.decode())
        chair_name = demo.user("jury-a").get_full_name()
        assert f"« Bruno SAUNIER », D1.1 : {chair_name} a enregistré entre-temps une décision sur D1.1" in page
        assert "Rien n'a été enregistré" in page
        # all or nothing: D1.2, which nobody else touched, is not recorded either…
        assert current(enrolment, "D1.1").value == "NV"
        assert not CompetencyDecision.objects.filter(enrolment=enrolment, competency_code="D1.2").exists()
        # …but the page keeps it, and shows D1.1 as decided meanwhile.
        assert selected_in_grid(page, e, "D1.2") == "V"
        assert selected_in_grid(page, e, "D1.1") == "NV"
        again = member.post(
            grid_url(enrolment),
            {**grid_fields(page, e, "D1.1"), **grid_fields(page, e, "D1.2"), f"c-{e}-D1.1": "NV", f"c-{e}-D1.2": "V"},
        )
        assert again.status_code == 302
        assert current(enrolment, "D1.2").value == "V"
        assert current(enrolment, "D1.1").decided_by == demo.user("jury-a")

    def test_a_cell_changed_meanwhile_to_the_same_value_is_no_conflict(self, demo) -> None:
        enrolment = a2(demo)
        chair, member = demo.user("jury-a"), demo.user("jury-a-membre")
        cell = services.Cell(enrolment.pk, "D3.1", "NV", "x", seen=0)
        assert services.record_cells(enrolment.institution_session, [cell], chair, "grid page") == 1
        assert services.record_cells(enrolment.institution_session, [cell], member, "grid page") == 0
        assert current(enrolment, "D3.1").decided_by == chair


@pytest.mark.django_db
class TestTwoTabsOnOneItem:
    def test_the_second_save_is_refused_and_keeps_its_text(self, demo) -> None:
        item = editable_item(demo)
        client = demo.client("candidat-a1")
        first_tab = client.get(edit_url(item)).content.decode()
        assert f'name="version" value="{item.version}"' in first_tab
        original_reflection = item.reflection
        saved = client.post(edit_url(item), form_of(item, title="Titre de l'onglet 1"))
        assert saved.status_code == 302
        refused = client.post(edit_url(item), form_of(item, reflection="Réflexion écrite dans l'onglet 2."))
        assert refused.status_code == 409
        page = html.unescape(refused.content.decode())
        assert "a été modifié entre-temps (dans un autre onglet ou une autre fenêtre" in page
        assert "vos modifications n'ont pas été enregistrées" in page
        assert "Réflexion écrite dans l'onglet 2." in page  # kept in the form
        assert "Titre de l'onglet 1" in page  # the saved version, shown beside it
        item.refresh_from_db()
        assert (item.title, item.reflection, item.version) == ("Titre de l'onglet 1", original_reflection, 2)
        assert 'name="version" value="2"' in page
        # Saving again from that page is a knowing choice: it goes through.
        again = client.post(
            edit_url(item), form_of(item, title="Titre de l'onglet 1", reflection="Réflexion écrite dans l'onglet 2.")
        )
        assert again.status_code == 302
        item.refresh_from_db()
        assert (item.reflection, item.version) == ("Réflexion écrite dans l'onglet 2.", 3)

    def test_the_service_refuses_a_stale_version(self, demo) -> None:
        item = editable_item(demo)
        draft = portfolio_services.EvidenceDraft(
            kind=item.kind,
            title="Nouveau titre",
            competencies=list(item.competencies.all()),
            link=item.link,
            reflection=item.reflection,
        )
        portfolio_services.update_evidence(item, None, draft, version=1)
        with pytest.raises(portfolio_services.StaleEvidence) as refused:
            portfolio_services.update_evidence(item, None, replace(draft, title="Autre titre"), version=1)
        assert refused.value.code == "stale"
        assert refused.value.current.title == "Nouveau titre"
        item.refresh_from_db()
        assert (item.title, item.version) == ("Nouveau titre", 2)


# --- real races (PostgreSQL) ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
class TestRaces:
    @pytest.fixture(autouse=True)
    def _postgres_only(self) -> None:
        if connection.vendor != "postgresql":
            pytest.skip("the race is meaningful on PostgreSQL (SQLite serialises every writer)")

    ROUNDS = 5

    def test_two_jurors_deciding_at_the_same_instant(self, demo) -> None:
        enrolment = a2(demo)
        codes = ["D1.1", "D1.2", "D1.3", "D2.1", "D2.2"][: self.ROUNDS]
        ids = submit(enrolment, dict.fromkeys(codes, "a"))
        chair, member = demo.client("jury-a"), demo.client("jury-a-membre")
        for code in codes:
            seen = seen_on_candidate_page(chair.get(candidate_url(enrolment)).content.decode(), code)
            seen_too = seen_on_candidate_page(member.get(candidate_url(enrolment)).content.decode(), code)
            validate = {"competency": code, "value": "V", "evidence": ids[code], "seen": seen}
            reject = {"competency": code, "value": "NV", "seen": seen_too}
            results = race(
                lambda: chair.post(candidate_url(enrolment), validate),  # noqa: B023 - run in this iteration
                lambda: member.post(candidate_url(enrolment), reject),  # noqa: B023
            )
            statuses = sorted(r.status_code for r in results)
            assert statuses == [302, 409], (code, results)
            assert CompetencyDecision.objects.filter(enrolment=enrolment, competency_code=code).count() == 1
            loser = results[[r.status_code for r in results].index(409)]
            assert "a enregistré entre-temps une décision sur " + code in html.unescape(loser.content.decode())
        # The grid's path (one statement for many cells), on other competencies.
        session = enrolment.institution_session
        codes = ["D3.1", "D3.2", "D3.3", "D4.1", "D4.2"][: self.ROUNDS]
        submit(enrolment, dict.fromkeys(codes, "a"))
        sophie, karim = demo.user("jury-a"), demo.user("jury-a-membre")
        for code in codes:
            cells = [services.Cell(enrolment.pk, code, "V", code, seen=0)]
            other_cells = [services.Cell(enrolment.pk, code, "NV", code, seen=0)]
            results = race(
                lambda: services.record_cells(session, cells, sophie, "grid page"),  # noqa: B023
                lambda: services.record_cells(session, other_cells, karim, "grid page"),  # noqa: B023
            )
            written = [r for r in results if r == 1]
            refused = [r for r in results if isinstance(r, services.DeliberationError)]
            assert len(written) == 1 and len(refused) == 1, results
            assert refused[0].code == "stale"
            assert CompetencyDecision.objects.filter(enrolment=enrolment, competency_code=code).count() == 1

    def test_two_tabs_saving_the_same_item_at_the_same_instant(self, demo) -> None:
        item = editable_item(demo)
        first, second = demo.client("candidat-a1"), demo.client("candidat-a1")
        for n in range(self.ROUNDS):
            item.refresh_from_db()
            version = item.version
            one, two = form_of(item, title=f"Onglet 1, tour {n}"), form_of(item, title=f"Onglet 2, tour {n}")
            results = race(
                lambda: first.post(edit_url(item), one),  # noqa: B023 - run in this iteration
                lambda: second.post(edit_url(item), two),  # noqa: B023
            )
            statuses = sorted(r.status_code for r in results)
            assert statuses == [302, 409], (n, results)
            winner = ("Onglet 1" if results[0].status_code == 302 else "Onglet 2") + f", tour {n}"
            item.refresh_from_db()
            assert (item.title, item.version) == (winner, version + 1)
