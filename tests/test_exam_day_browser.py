"""The exam day, every person in their own browser (issue 13's journey): an
invigilator signs in to « Salle B204 » with its code and password (no
account); candidat-a1 (tiers-temps, 33 %) and candidat-a2 wait until the
invigilator lets them in, then sit the test; a2 presses « J'ai besoin
d'aide » and goes to the top of the invigilator's list; a2's connection is
cut for two minutes, the sitting pauses, the invigilator authorises the
resume with the time given back and a2's page goes on without a reload; the
invigilator writes an incident and reads a1's end time, 33 % of extra time
included. Screenshots go to test-artifacts/exam-day-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import login, screenshot

pytestmark = pytest.mark.browser

POLL = 25_000  # the candidate's page asks every 10 s, the list is fetched every 5 s: a slow machine takes longer

PRELUDE = """
import datetime as dt
from django.utils import timezone
from c2i.assessment.models import Attempt, ExamRoom, Incident, Seat
from c2i.enrolment.models import Enrolment
def enrolment_of(username):
    return Enrolment.objects.select_related("candidate").get(
        candidate__user__username=username, status="active", institution_session__session__framework__code="C2i1"
    )
def attempt_of(username):
    return Attempt.objects.get(enrolment=enrolment_of(username))
"""


def run(live_site, code: str) -> str:
    """Run `code` against the live site's database; the last line it printed."""
    lines = live_site.manage("shell", "--no-imports", "-c", PRELUDE + code).strip().splitlines()
    return lines[-1] if lines else ""


def candidate_page(browser, live_site, username: str):
    context = browser.new_context(base_url=live_site.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, username)
    page.goto("/mon-espace/epreuves/")
    page.locator("main table a").first.click()
    page.wait_for_load_state()
    return page


class TestExamDay:
    def test_the_invigilator_and_two_candidates(self, page, browser, live_site) -> None:
        # the room where the invigilator lets each candidate in (the demo's room lets them start alone)
        names = run(
            live_site,
            'ExamRoom.objects.filter(code="B204SURV").update(admission_required=True);'
            'a1, a2 = enrolment_of("candidat-a1"), enrolment_of("candidat-a2");'
            'print(a1.candidate.last_name, "|", a2.candidate.last_name, "|", a1.extra_time_percent)',
        )
        a1_name, a2_name, a1_percent = (part.strip() for part in names.split("|"))
        assert a1_percent == "33"

        # the invigilator: room code, password, name; no account
        invigilator = page
        invigilator.goto("/surveillance/")
        invigilator.get_by_label("Code de salle").fill("B204SURV")
        invigilator.get_by_label("Mot de passe").fill("surveillance-b204")
        invigilator.get_by_label("Votre nom").fill("Mme Martin")
        invigilator.get_by_role("button", name="Ouvrir la salle").click()
        invigilator.wait_for_load_state()
        expect(invigilator.get_by_role("heading", level=1)).to_contain_text("Salle B204")
        rows = invigilator.locator("#invigilation-rows tr")
        expect(rows).to_have_count(2)
        navigations: list[str] = []
        invigilator.on("framenavigated", lambda frame: navigations.append(frame.url))

        # the candidates wait, then are let in: their start button comes alive without a reload
        a1 = candidate_page(browser, live_site, "candidat-a1")
        a2 = candidate_page(browser, live_site, "candidat-a2")
        for candidate in (a1, a2):
            expect(candidate.locator("#start")).to_be_disabled()
            expect(candidate.locator("#c2i-waiting-text")).to_contain_text("Attendez que le surveillant")
        screenshot(a2, "exam-day-candidate-waiting")
        expect(rows.filter(has_text=a1_name)).to_contain_text("à faire entrer", timeout=POLL)
        screenshot(invigilator, "exam-day-room-waiting")
        for name in (a1_name, a2_name):
            rows.filter(has_text=name).get_by_role("button", name=re.compile("Faire entrer")).click()
            invigilator.wait_for_load_state()
        for candidate in (a1, a2):
            expect(candidate.locator("#start")).to_be_enabled(timeout=POLL)
            candidate.click("#start")
            candidate.wait_for_selector("#c2i-timer")
        a1.click("label[for=q-1-o-0]")
        expect(a1.locator("#nav-1")).to_have_class(re.compile("c2i-answered"))

        # a1's end time includes the tiers-temps: 60 minutes and 20 more
        a1_end = run(
            live_site,
            'a = attempt_of("candidat-a1"); print(timezone.localtime(a.deadline).strftime("%H:%M"),'
            ' "|", int((a.deadline - a.started_at).total_seconds()))',
        )
        a1_end_time, a1_length = (part.strip() for part in a1_end.split("|"))
        assert a1_length == str(80 * 60)
        a1_row = rows.filter(has_text=a1_name)
        expect(a1_row).to_contain_text(a1_end_time, timeout=POLL)
        expect(a1_row).to_contain_text("+33 %")
        expect(a1_row).to_contain_text("1/60", timeout=POLL)

        # a2 calls for help: within a refresh, a2's row comes first, flagged, the page never reloaded
        invigilator.reload()
        navigations.clear()
        help_button = a2.locator("#c2i-help")
        help_button.click()
        expect(help_button).to_have_text("Demande envoyée au surveillant")
        screenshot(a2, "exam-day-candidate-help")
        expect(rows.first).to_contain_text(a2_name, timeout=POLL)
        expect(rows.first).to_have_class(re.compile("c2i-attention"))
        expect(rows.first).to_contain_text("aide")
        assert navigations == []
        screenshot(invigilator, "exam-day-room-help-first")
        rows.first.get_by_role("button", name=re.compile("J'arrive")).click()
        invigilator.wait_for_load_state()
        expect(a2.locator("#c2i-notices")).to_contain_text("Le surveillant arrive", timeout=POLL)

        # a2's connection is cut; two minutes pass; when it comes back the sitting is paused
        a2.context.set_offline(True)
        run(
            live_site,
            'Attempt.objects.filter(pk=attempt_of("candidat-a2").pk)'
            ".update(last_seen_at=timezone.now() - dt.timedelta(minutes=2))",
        )
        a2.context.set_offline(False)
        pause = a2.locator("#c2i-pause")
        expect(pause).to_contain_text("Épreuve suspendue", timeout=POLL)
        expect(a2.locator("#q-1-o-0")).to_be_disabled()
        screenshot(a2, "exam-day-candidate-paused")
        a2_row = rows.filter(has_text=a2_name)
        expect(a2_row).to_contain_text("pause", timeout=POLL)
        screenshot(invigilator, "exam-day-room-paused")

        # the invigilator authorises the resume, with the minutes lost given back
        a2_row.get_by_role("link", name=re.compile("Reprise")).click()
        invigilator.wait_for_load_state()
        minutes = invigilator.get_by_label("Minutes rendues")
        assert int(minutes.input_value()) >= 2
        invigilator.get_by_label("Motif").fill("Coupure du réseau de la salle")
        screenshot(invigilator, "exam-day-resume-form")
        invigilator.get_by_role("button", name="Autoriser la reprise").click()
        invigilator.wait_for_load_state()
        expect(invigilator.locator(".fr-alert").first).to_contain_text("reprendre")
        expect(a2.locator("#c2i-notices")).to_contain_text("vous autorise à reprendre", timeout=POLL)
        expect(pause).to_be_empty()
        a2.click("label[for=q-1-o-0]")
        expect(a2.locator("#nav-1")).to_have_class(re.compile("c2i-answered"))
        screenshot(a2, "exam-day-candidate-resumed")

        # an incident about a2, into the session's minutes
        invigilator.get_by_role("link", name="Signaler un incident").first.click()
        invigilator.wait_for_load_state()
        invigilator.get_by_label("Nature de l'incident").select_option("connection")
        chosen = invigilator.get_by_label("Candidat (facultatif)")
        chosen.select_option(label=chosen.locator("option", has_text=a2_name).inner_text())
        invigilator.get_by_label("Rapport").fill("Réseau coupé deux minutes ; temps rendu.")
        invigilator.get_by_role("button", name="Signaler l'incident").click()
        invigilator.wait_for_load_state()
        expect(invigilator.locator(".fr-alert").first).to_contain_text("procès-verbal")
        screenshot(invigilator, "exam-day-room-end")
        incident = run(
            live_site,
            'i = Incident.objects.get(); print(i.reported_by, "|", i.attempt_id == attempt_of("candidat-a2").pk)',
        )
        assert incident == "Mme Martin | True"
        for candidate in (a1, a2):
            candidate.context.close()
