"""The exam day on the candidate's side, in Debian's Chromium (issue 13):
candidat-a2, placed in a room where the invigilator lets each candidate in,
waits on the exam's page until the invigilator does (the start button comes
alive without a reload), starts, calls for help (« Demande envoyée au
surveillant »), reads the invigilator's answer, loses the connection for
more than a minute (the sitting pauses: a clear alert, the answers disabled),
and goes on once the invigilator authorises the resume with the time given
back — every change without a reload, written by the invigilator's services
(`services.invigilation`). candidat-a1's larger text (an adjustment of the
enrolment) shows in the questions' computed font size; the invigilator ends
their sitting and the page takes them to the exam's page, which says why.
Screenshots go to
test-artifacts/presence-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, login, screenshot

pytestmark = pytest.mark.browser

POLL = 25_000  # the page asks every 10 s: a notice shows within that, on a slow machine a little more

PRELUDE = """
import datetime as dt
from django.utils import timezone, translation
from c2i.assessment.models import Attempt, AttemptNotice, Exam, ExamRoom, Seat
from c2i.assessment.services import invigilation
from c2i.enrolment.models import Enrolment
translation.activate("fr")
def enrolment_of(username):
    return Enrolment.objects.get(
        candidate__user__username=username, status="active", institution_session__session__framework__code="C2i1"
    )
def seat_of(username):
    enrolment = enrolment_of(username)
    exam = Exam.objects.get(institution_session=enrolment.institution_session)
    seat = Seat.objects.select_related("room").filter(exam=exam, enrolment=enrolment).first()
    if seat is None:
        room = ExamRoom.objects.filter(exam=exam).first() or invigilation.create_room(exam, None, "Salle P101")
        seat = invigilation.seat_candidate(room, enrolment, None)
    return seat
def who(seat):
    return invigilation.Invigilator(seat.room, "Mme Martin")
def last_notice(username):
    return AttemptNotice.objects.filter(attempt__enrolment=enrolment_of(username)).order_by("pk").last().message
"""


def run(live_site, code: str) -> str:
    return live_site.manage("shell", "--no-imports", "-c", PRELUDE + code).strip()


def in_view(page, name: str) -> None:
    """What the candidate sees (the window, not the 60 questions): the notices sit at its bottom."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def seconds(timer_text: str) -> int:
    h, m, s = (int(x) for x in timer_text.split(":"))
    return h * 3600 + m * 60 + s


class TestTheCandidatesExamDay:
    def test_waiting_help_pause_and_resume_without_reload(self, page, live_site) -> None:
        run(
            live_site,
            """
seat = seat_of("candidat-a2")
ExamRoom.objects.filter(pk=seat.room_id).update(admission_required=True)
Seat.objects.filter(pk=seat.pk).update(admitted_at=None)
""",
        )
        login(page, "candidat-a2")
        page.goto("/mon-espace/epreuves/")
        page.locator("main table a").first.click()
        page.wait_for_load_state()
        waiting = page.locator("#c2i-waiting-text")
        expect(waiting).to_contain_text("Attendez que le surveillant vous fasse entrer")
        expect(page.locator("#start")).to_be_disabled()
        screenshot(page, "presence-waiting")

        run(live_site, 'seat = seat_of("candidat-a2"); invigilation.admit(who(seat), seat)')
        expect(page.locator("#start")).to_be_enabled(timeout=POLL)
        expect(waiting).to_contain_text("Le surveillant vous a fait entrer : vous pouvez commencer l'épreuve.")
        screenshot(page, "presence-let-in")

        page.click("#start")
        page.wait_for_selector("#c2i-timer")
        help_button = page.locator("#c2i-help")
        expect(help_button).to_have_text("J'ai besoin d'aide")
        help_button.click()
        expect(help_button).to_have_text("Demande envoyée au surveillant")
        expect(help_button).to_be_disabled()
        notices = page.locator("#c2i-notices")
        expect(notices).to_contain_text("Votre demande d'aide a été envoyée au surveillant de votre salle.")
        asked = run(live_site, 'print(Attempt.objects.get(enrolment=enrolment_of("candidat-a2")).help_requested_at)')
        assert asked != "None"
        in_view(page, "presence-help-sent")

        coming = run(
            live_site,
            'seat = seat_of("candidat-a2"); invigilation.answer_help(who(seat), seat);'
            ' print(last_notice("candidat-a2"))',
        )
        expect(notices).to_contain_text(coming, timeout=POLL)
        expect(help_button).to_have_text("J'ai besoin d'aide")
        expect(help_button).to_be_enabled()

        # the connection is lost for two minutes; when it comes back, the page asks at once
        page.context.set_offline(True)
        run(
            live_site,
            'Attempt.objects.filter(enrolment=enrolment_of("candidat-a2"))'
            ".update(last_seen_at=timezone.now() - dt.timedelta(minutes=2))",
        )
        page.context.set_offline(False)
        pause = page.locator("#c2i-pause")
        expect(pause).to_contain_text("Épreuve suspendue — le surveillant doit autoriser la reprise", timeout=POLL)
        expect(page.locator("#q-1-o-0")).to_be_disabled()
        before = seconds(page.inner_text("#c2i-timer"))
        in_view(page, "presence-paused")

        resumed = run(
            live_site,
            'seat = seat_of("candidat-a2"); invigilation.resume(who(seat), seat, 5, "Coupure du réseau");'
            ' print(last_notice("candidat-a2"))',
        )
        expect(notices).to_contain_text(resumed, timeout=POLL)
        expect(pause).to_be_empty()
        expect(page.locator("#q-1-o-0")).to_be_enabled()
        assert seconds(page.inner_text("#c2i-timer")) >= before + 4 * 60  # the time given back
        page.click("label[for=q-1-o-0]")
        expect(page.locator("#nav-1")).to_have_class(re.compile("c2i-answered"))
        in_view(page, "presence-resumed")

    def test_larger_text_makes_the_questions_bigger(self, page, live_site) -> None:
        run(
            live_site,
            """
enrolment = enrolment_of("candidat-a1")
Enrolment.objects.filter(pk=enrolment.pk).update(larger_text=True)
Seat.objects.filter(enrolment=enrolment).update(admitted_at=timezone.now())
""",
        )
        login(page, "candidat-a1")
        page.goto("/mon-espace/epreuves/")
        page.locator("main table a").first.click()
        page.wait_for_load_state()
        page.click("#start")
        page.wait_for_selector("#c2i-timer")
        size = "e => getComputedStyle(e).fontSize"
        assert page.locator("#q-1 .fr-label").first.evaluate(size) == "20px"
        assert page.locator("#q-1 .c2i-stem").evaluate(size) == "20px"
        assert page.locator("#q-1 .fr-fieldset__legend").evaluate(size) == "16px"  # the rest of the page as usual
        page.locator("#q-1").scroll_into_view_if_needed()
        in_view(page, "presence-larger-text")

        # the invigilator ends the sitting (illness): the page says so, then goes to the exam's page
        ended = run(
            live_site,
            'seat = seat_of("candidat-a1"); invigilation.end_early(who(seat), seat, "Malaise");'
            ' print(last_notice("candidat-a1"))',
        )
        expect(page.locator("#c2i-notices")).to_contain_text(ended, timeout=POLL)
        in_view(page, "presence-ended")
        page.wait_for_url(re.compile(r"/mon-espace/epreuves/\d+/$"), timeout=POLL)
        expect(page.locator("#c2i-ended-early")).to_contain_text("Le surveillant a mis fin à votre épreuve : Malaise")
        screenshot(page, "presence-ended-exam-page")
