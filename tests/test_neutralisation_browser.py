"""Neutralising a faulty question as the test's author sees it, in Debian's
Chromium: « Neutraliser » with a reason on the item statistics, the exam page's
« Questions neutralisées » with the reason and « Lever la neutralisation »
(axe-core checks both pages). Screenshots: test-artifacts/neutralisation-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import login, screenshot

pytestmark = pytest.mark.browser

# candidat-a1 sits A's C2i1 test on the live site (let in by the invigilator),
# ticks the first option everywhere and hands in; prints the exam and the first question.
SIT = """
from django.utils import timezone
from c2i.accounts.models import User
from c2i.assessment import services
from c2i.assessment.models import Exam, Seat
from c2i.enrolment.models import Enrolment

user = User.objects.get(username="candidat-a1")
enrolment = Enrolment.objects.get(candidate__user=user, status="active", session__framework__code="C2i1")
exam = Exam.objects.get(institution_session=enrolment.institution_session)
Seat.objects.filter(exam=exam).update(admitted_at=timezone.now())
attempt = services.start_attempt(exam, enrolment, user)
for item in attempt.items.order_by("position"):
    services.save_answer(attempt.pk, user.pk, item.position, [0])
services.finish_attempt(attempt, user)
print("sat:", exam.pk, attempt.items.order_by("position").first().question_id)
"""


class TestNeutralisePages:
    def test_the_author_neutralises_then_lifts_a_question(self, page, live_site) -> None:
        output = live_site.manage("shell", "-c", SIT)
        exam, question = output[output.rindex("sat:") :].split()[1:3]
        login(page, "correspondant-a")
        page.goto(f"/correspondant/epreuves/{exam}/statistiques/")
        page.get_by_role("link", name=f"Neutraliser la question {question}", exact=True).click()
        page.wait_for_load_state()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Neutraliser la question {question}")
        screenshot(page, "neutralisation-confirm")
        page.get_by_label("Motif de la neutralisation").fill("Deux propositions sont justes")
        page.get_by_role("button", name="Confirmer la neutralisation").click()
        page.wait_for_load_state()
        expect(page.locator(".fr-alert--success, .fr-alert--info").first).to_contain_text(
            f"La question {question} est neutralisée"
        )
        expect(page.locator("main table")).to_contain_text("neutralisée")
        screenshot(page, "neutralisation-statistics")
        page.goto(f"/correspondant/epreuves/{exam}/")
        section = page.locator("#neutralised + p + ul")
        expect(page.locator("#neutralised")).to_have_text("Questions neutralisées")
        expect(section).to_contain_text("Deux propositions sont justes")
        screenshot(page, "neutralisation-exam")
        section.get_by_label(f"Motif de la levée de la neutralisation de la question {question}").fill("Erreur")
        section.get_by_role("button", name="Lever la neutralisation").click()
        page.wait_for_load_state()
        expect(page.locator(".fr-alert--success, .fr-alert--info").first).to_contain_text("La neutralisation est levée")
        expect(page.locator("#neutralised + p")).to_contain_text("Aucune.")
