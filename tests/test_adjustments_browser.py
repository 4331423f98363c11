"""Exam adjustments in a browser (issue 13): correspondant-a gives Hugo
PERRIN the tiers-temps and a separate room from the session's list, sees the
badges in the list; candidat-a1 (the demo's tiers-temps) reads their extra
minutes and their adjustment on the exam's page.
Screenshots: test-artifacts/adjustments-form.png, adjustments-list.png, adjustments-candidate.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import Site, login, screenshot

pytestmark = pytest.mark.browser

IDS = (
    "from c2i.enrolment.models import Enrolment; from c2i.assessment.models import Exam; "
    "e = Enrolment.objects.get(candidate__user__username='candidat-a2', status='active', "
    "session__framework__code='C2i1'); "
    "print(e.institution_session_id, Exam.objects.get(institution_session=e.institution_session).pk)"
)


def test_the_correspondent_sets_the_adjustments_from_the_list(live_site: Site, page: Any) -> None:
    session_pk, _exam_pk = live_site.manage("shell", "-c", IDS).split()[-2:]
    login(page, "correspondant-a")
    page.goto(f"{live_site.url}/gestion/sessions/{session_pk}/")
    row = page.get_by_role("row").filter(has_text="Léa FONTAINE")
    expect(row).to_contain_text("tiers-temps (+33 %)")
    page.get_by_role("link", name="Définir les aménagements d'épreuve de Hugo PERRIN").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aménagements d'épreuve de Hugo PERRIN")
    page.get_by_label("Temps supplémentaire (% de la durée de chaque épreuve)").fill("250")
    page.get_by_role("button", name="Enregistrer les aménagements").click()
    expect(page.get_by_role("alert").first).to_contain_text("Le formulaire contient des erreurs")
    field = page.get_by_label("Temps supplémentaire (% de la durée de chaque épreuve)")
    field.fill("33")
    page.locator("label", has_text="Salle à part").click()
    page.get_by_label("Référence").fill("Avis du service handicap du 3/10")
    screenshot(page, "adjustments-form")
    page.get_by_role("button", name="Enregistrer les aménagements").click()
    expect(page.get_by_text("Les aménagements d'épreuve de Hugo PERRIN sont enregistrés.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Hugo PERRIN")
    expect(row).to_contain_text("tiers-temps (+33 %)")
    expect(row).to_contain_text("salle à part")
    row.scroll_into_view_if_needed()
    screenshot(page, "adjustments-list")


def test_the_candidate_reads_their_extra_time_and_adjustment(live_site: Site, page: Any) -> None:
    _session_pk, exam_pk = live_site.manage("shell", "-c", IDS).split()[-2:]
    login(page, "candidat-a1")
    page.goto(f"{live_site.url}/mon-espace/epreuves/{exam_pk}/")
    expect(page.get_by_text("Temps supplémentaire accordé : 20 minutes.")).to_be_visible()
    expect(page.locator("#adjustments")).to_have_text("Aménagement : tiers-temps (+33 %).")
    screenshot(page, "adjustments-candidate")
