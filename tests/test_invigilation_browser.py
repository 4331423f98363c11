"""The exam day on the invigilator's side, in Debian's Chromium (issue 13):
an invigilator signs in to « Salle B204 » with its code and password;
candidat-a1 (tiers-temps, 33 %) and candidat-a2 sit the test; a2 calls for
help and goes to the top of the list without a reload; the invigilator
answers, authorises a2's resume after a cut (the minutes pre-filled), writes
an incident, and reads a1's end time with its 33 % of extra time.
Screenshots go to test-artifacts/invigilation-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import login, screenshot

pytestmark = pytest.mark.browser

REFRESH = 15_000  # the list is fetched every 5 s

PRELUDE = """
import datetime as dt
from django.utils import timezone
from c2i.assessment import services
from c2i.assessment.models import Attempt, Exam, Incident
from c2i.enrolment.models import Enrolment
def enrolment_of(username):
    return Enrolment.objects.select_related("candidate__user").get(
        candidate__user__username=username, status="active", institution_session__session__framework__code="C2i1"
    )
def exam():
    return Exam.objects.get(institution_session=enrolment_of("candidat-a1").institution_session)
def attempt_of(username):
    return Attempt.objects.get(exam=exam(), enrolment=enrolment_of(username))
"""


def run(live_site, code: str) -> str:
    return live_site.manage("shell", "--no-imports", "-c", PRELUDE + code).strip()


class TestTheInvigilatorsRoom:
    def test_sign_in_help_first_resume_incident_and_extra_time(self, page, live_site) -> None:
        names = run(
            live_site,
            """
a1 = enrolment_of("candidat-a1")
a1.extra_time_percent = 33
a1.save(update_fields=["extra_time_percent"])
for username in ("candidat-a1", "candidat-a2"):
    e = enrolment_of(username)
    services.start_attempt(exam(), e, e.candidate.user)
print(enrolment_of("candidat-a1").candidate.last_name, "|", enrolment_of("candidat-a2").candidate.last_name, "|",
      timezone.localtime(attempt_of("candidat-a1").deadline).strftime("%H:%M"),
      "|", attempt_of("candidat-a1").deadline - attempt_of("candidat-a1").started_at)
""",
        )
        a1_name, a2_name, a1_end, a1_length = (part.strip() for part in names.splitlines()[-1].split("|"))
        assert a1_length.startswith("1:20:00")  # 60 minutes and 33 % of them, rounded up

        navigations: list[str] = []
        page.goto("/surveillance/")
        page.get_by_label("Code de salle").fill("B204SURV")
        page.get_by_label("Mot de passe").fill("surveillance-b204")
        page.get_by_label("Votre nom").fill("Mme Martin")
        page.get_by_role("button", name="Ouvrir la salle").click()
        page.wait_for_load_state()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Salle B204")
        rows = page.locator("#invigilation-rows tr")
        expect(rows).to_have_count(2)
        a1_row = rows.filter(has_text=a1_name)
        expect(a1_row).to_contain_text("+33 %")
        expect(a1_row).to_contain_text(a1_end)
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        # dense: 40 such rows hold on one screen
        heights = [box["height"] for box in (rows.nth(i).bounding_box() for i in range(2)) if box]
        assert heights and max(heights) <= 24, heights

        # a2 calls for help: within a refresh, a2's row comes first, flagged, without a reload
        run(
            live_site,
            'Attempt.objects.filter(pk=attempt_of("candidat-a2").pk).update(help_requested_at=timezone.now())',
        )
        expect(rows.first).to_contain_text(a2_name, timeout=REFRESH)
        expect(rows.first).to_contain_text("demande de l'aide")
        expect(rows.first).to_have_class(re.compile("c2i-attention"))
        assert navigations == []
        screenshot(page, "invigilation-help-first")
        rows.first.get_by_role("button", name=re.compile("J'arrive")).click()
        page.wait_for_load_state()
        expect(page.locator(".fr-alert").first).to_contain_text("prévenu")

        # a2's connection is cut for two minutes and a half: the resume gives three minutes back
        run(
            live_site,
            'Attempt.objects.filter(pk=attempt_of("candidat-a2").pk)'
            ".update(last_seen_at=timezone.now() - dt.timedelta(seconds=150))",
        )
        page.reload()
        expect(rows.first).to_contain_text("connexion perdue")
        rows.first.get_by_role("link", name=re.compile("Reprise")).click()
        page.wait_for_load_state()
        expect(page.get_by_label("Minutes rendues")).to_have_value("3")
        page.get_by_label("Motif").fill("Coupure du wifi de la salle")
        screenshot(page, "invigilation-resume")
        page.get_by_role("button", name="Autoriser la reprise").click()
        page.wait_for_load_state()
        expect(page.locator(".fr-alert").first).to_contain_text("peut reprendre")
        expect(rows.filter(has_text=a2_name)).not_to_contain_text("connexion perdue")

        # an incident about a2, with its time
        page.get_by_role("link", name="Signaler un incident").first.click()
        page.wait_for_load_state()
        page.get_by_label("Nature de l'incident").select_option("connection")
        candidate = page.get_by_label("Candidat (facultatif)")
        candidate.select_option(label=candidate.locator("option", has_text=a2_name).inner_text())
        page.get_by_label("Rapport").fill("Wifi coupé 3 minutes ; temps rendu.")
        page.get_by_role("button", name="Signaler l'incident").click()
        page.wait_for_load_state()
        expect(page.locator(".fr-alert").first).to_contain_text("procès-verbal")
        screenshot(page, "invigilation-room")
        found = run(
            live_site,
            'i = Incident.objects.get(); print(i.reported_by, "|", i.attempt_id == attempt_of("candidat-a2").pk)',
        )
        assert found.splitlines()[-1] == "Mme Martin | True"

    def test_the_correspondent_gives_a_room_a_new_password_and_reads_the_sheet(self, page, live_site) -> None:
        login(page, "correspondant-a")
        page.goto("/correspondant/epreuves/")
        page.locator("main table a").first.click()
        page.wait_for_load_state()
        page.get_by_role("link", name="Salles et surveillance").click()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text("B204SURV")
        page.get_by_role("button", name=re.compile("Nouveau mot de passe")).first.click()
        page.wait_for_load_state()
        sheet = page.locator("#room-password")
        expect(sheet).to_contain_text("Fiche surveillant — Salle B204")
        expect(sheet).to_contain_text("B204SURV")
        password = page.locator("#shown-password").inner_text()
        assert len(password) == 10
        screenshot(page, "invigilation-rooms")
        page.reload()  # a reload sends nothing again: the password is gone
        expect(page.locator("#shown-password")).to_have_count(0)
