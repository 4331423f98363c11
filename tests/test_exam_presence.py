"""The exam day on the candidate's side (issue 13): the sitting's page reports
that it is there (`presence.touch`, through the status URL and the page
itself); an invigilated sitting whose page was away for more than a minute
is paused, once, and its answers are refused with their own reason
(« paused », never « over ») by every path until the invigilator lets it
resume; the status JSON tells the page its state, its time left and the
invigilator's notices after the last one it has; the help button is
audited; the waiting page learns when the candidate is let in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.assessment import services
from c2i.assessment.models import PAUSED, Attempt, AttemptNotice, AttemptQuestion, ExamRoom, NoticeKind, Seat
from c2i.assessment.services import presence
from tests.assessment_support import api_answer, demo_exam, enrolment_of, expire, page_answer, start

pytestmark = pytest.mark.django_db

PAUSED_FR = (
    "Votre épreuve est suspendue : le surveillant doit autoriser la reprise. Votre réponse n'a pas été enregistrée."
)


def seat(demo: Any, username: str = "candidat-a1", *, admitted: bool = True) -> Seat:
    """The candidate placed in a room where the invigilator lets each one in
    (the demo's own seat when it has one)."""
    exam = demo_exam(demo)
    room = ExamRoom.objects.filter(exam=exam).first() or ExamRoom.objects.create(
        exam=exam, name="Salle P101", code="PRESENC1", admission_required=True
    )
    ExamRoom.objects.filter(pk=room.pk).update(admission_required=True)
    found, _ = Seat.objects.update_or_create(
        exam=exam,
        enrolment=enrolment_of(demo, username),
        defaults={"room": room, "admitted_at": timezone.now() if admitted else None, "admitted_by": "Mme Martin"},
    )
    return found


def sitting(demo: Any, username: str = "candidat-a1", *, room: bool = True) -> Attempt:
    """A running sitting, in a room (invigilated) or not."""
    if room:
        placed = seat(demo, username)
        attempt = start(demo, username)
        Attempt.objects.filter(pk=attempt.pk).update(room=placed.room)
    else:
        Seat.objects.filter(exam=demo_exam(demo), enrolment=enrolment_of(demo, username)).delete()
        attempt = start(demo, username)
    attempt.refresh_from_db()
    return attempt


def away(attempt: Attempt, seconds: int) -> Attempt:
    """The page was last seen `seconds` ago."""
    Attempt.objects.filter(pk=attempt.pk).update(last_seen_at=timezone.now() - dt.timedelta(seconds=seconds))
    attempt.refresh_from_db()
    return attempt


def pauses(attempt: Attempt) -> int:
    return AuditEntry.objects.filter(
        action=AuditAction.ASSESSMENT_ATTEMPT_PAUSE, object_type="assessment.attempt", object_id=str(attempt.pk)
    ).count()


def status_url(attempt: Attempt) -> str:
    return f"/mon-espace/epreuves/passages/{attempt.pk}/etat/"


def help_url(attempt: Attempt) -> str:
    return f"/mon-espace/epreuves/passages/{attempt.pk}/aide/"


class TestTouch:
    def test_it_pauses_an_invigilated_sitting_away_for_more_than_a_minute(self, demo) -> None:
        attempt = away(sitting(demo), 61)
        now = timezone.now()
        assert presence.touch(attempt, now) is True
        attempt.refresh_from_db()
        assert attempt.paused_at == now and attempt.last_seen_at == now
        assert set(AttemptQuestion.objects.filter(attempt=attempt).values_list("open_until", flat=True)) == {PAUSED}
        entry = AuditEntry.objects.get(action=AuditAction.ASSESSMENT_ATTEMPT_PAUSE, object_id=str(attempt.pk))
        assert entry.details["gap_seconds"] >= 61 and entry.details["room"] == attempt.room_id

    def test_the_api_says_a_sitting_is_paused(self, demo) -> None:
        attempt = away(sitting(demo), 61)
        client = demo.client("candidat-a1")
        assert client.get(f"/api/epreuves/passages/{attempt.pk}").json()["paused"] is False
        presence.touch(attempt)
        state = client.get(f"/api/epreuves/passages/{attempt.pk}").json()
        assert state["paused"] is True and state["over"] is False

    def test_it_does_not_pause_within_the_minute(self, demo) -> None:
        attempt = away(sitting(demo), 50)
        assert presence.touch(attempt) is False
        attempt.refresh_from_db()
        assert attempt.paused_at is None and timezone.now() - attempt.last_seen_at < dt.timedelta(seconds=5)

    def test_it_never_pauses_a_sitting_without_a_room(self, demo) -> None:
        attempt = away(sitting(demo, room=False), 600)
        assert attempt.room_id is None
        assert presence.touch(attempt) is False
        attempt.refresh_from_db()
        assert attempt.paused_at is None and pauses(attempt) == 0
        assert attempt.items.filter(open_until=attempt.deadline).count() == attempt.items.count()

    def test_two_tabs_coming_back_at_once_pause_once(self, demo) -> None:
        attempt = away(sitting(demo), 120)
        other_tab = Attempt.objects.get(pk=attempt.pk)  # loaded before the pause too
        assert presence.touch(attempt) is True
        assert presence.touch(other_tab) is False
        # still away while paused: the page polls, nothing more happens
        assert presence.touch(away(attempt, 300)) is False
        assert pauses(attempt) == 1

    def test_a_resume_authorised_while_the_page_was_away_is_not_undone(self, demo) -> None:
        attempt = away(sitting(demo), 300)
        AttemptNotice.objects.create(attempt=attempt, kind=NoticeKind.RESUMED, message="Reprise autorisée.")
        assert presence.touch(attempt) is False
        attempt.refresh_from_db()
        assert attempt.paused_at is None and pauses(attempt) == 0

    def test_a_sitting_the_correspondent_reopened_is_not_paused_on_coming_back(self, demo) -> None:
        attempt = away(sitting(demo), 600)
        Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
        attempt.refresh_from_db()
        reopened = services.reopen_attempt(attempt, demo.user("correspondant-a"), "panne de courant", 15)
        assert presence.touch(reopened) is False
        reopened.refresh_from_db()
        assert reopened.paused_at is None and pauses(reopened) == 0

    def test_it_writes_at_most_every_five_seconds(self, demo, django_assert_num_queries) -> None:
        attempt = sitting(demo)
        now = timezone.now()
        with django_assert_num_queries(1):  # the common case: one UPDATE
            presence.touch(attempt, now)
        with django_assert_num_queries(0):
            presence.touch(attempt, now + dt.timedelta(seconds=4))
        with django_assert_num_queries(1):
            presence.touch(attempt, now + dt.timedelta(seconds=6))

    def test_a_reload_of_the_page_after_a_cut_pauses(self, demo) -> None:
        attempt = away(sitting(demo), 90)
        html = demo.client("candidat-a1").get(attempt.get_absolute_url()).content.decode()
        assert "Épreuve suspendue — le surveillant doit autoriser la reprise" in html
        assert 'id="q-1-o-0" disabled' in html
        attempt.refresh_from_db()
        assert attempt.paused_at is not None

    def test_the_hand_in_page_keeps_the_sitting_seen(self, demo) -> None:
        attempt = away(sitting(demo), 30)
        html = demo.client("candidat-a1").get(f"{attempt.get_absolute_url()}terminer/").content.decode()
        attempt.refresh_from_db()
        assert timezone.now() - attempt.last_seen_at < dt.timedelta(seconds=5)
        assert f'data-status-url="{status_url(attempt)}"' in html and "c2i/exam.js" in html  # and it polls

    def test_the_pages_poll_as_often_as_the_setting_says(self, demo, settings) -> None:
        """C2I_EXAM_POLL_SECONDS (docs/capacity.md: the status polls are most of
        a test day's work): both pages of a sitting hand it to exam.js."""
        attempt = sitting(demo)
        client = demo.client("candidat-a1")
        pages = [attempt.get_absolute_url(), f"{attempt.get_absolute_url()}terminer/"]
        assert all('data-poll-ms="10000"' in client.get(url).content.decode() for url in pages)
        settings.C2I_EXAM_POLL_SECONDS = 20
        assert all('data-poll-ms="20000"' in client.get(url).content.decode() for url in pages)
        assert presence.LOST_AFTER.total_seconds() >= 20 * 3, "three polls at least before a sitting is lost"


class TestAnswersWhilePaused:
    def paused(self, demo: Any) -> Attempt:
        attempt = away(sitting(demo), 90)
        assert presence.touch(attempt)
        return attempt

    def test_the_pages_json_answer_is_refused_as_paused(self, demo) -> None:
        attempt = self.paused(demo)
        response = page_answer(demo.client("candidat-a1"), attempt, 1, [0])
        assert response.status_code == 423
        assert response.json() == {"status": "paused", "detail": PAUSED_FR}
        assert attempt.items.get(position=1).ticked is None

    def test_the_apis_answer_is_refused_as_paused(self, demo) -> None:
        attempt = self.paused(demo)
        response = api_answer(demo.client("candidat-a1"), attempt, 1, [0])
        assert response.status_code == 423 and response.json()["status"] == "paused"

    def test_the_form_answer_is_refused_with_the_same_words(self, demo) -> None:
        attempt = self.paused(demo)
        client = demo.client("candidat-a1")
        response = client.post(f"{attempt.get_absolute_url()}reponses/1/", {"option": ["0"]}, follow=True)
        html = response.content.decode()
        assert response.redirect_chain[0][0] == attempt.get_absolute_url()
        assert PAUSED_FR.replace("'", "&#x27;") in html and "trop tard" not in html
        assert attempt.items.get(position=1).ticked is None

    def test_after_the_resume_the_answers_are_stored_again(self, demo) -> None:
        attempt = self.paused(demo)
        # what the invigilator's resume does to the rows (services.invigilation.resume)
        Attempt.objects.filter(pk=attempt.pk).update(paused_at=None)
        attempt.items.update(open_until=attempt.deadline)
        response = page_answer(demo.client("candidat-a1"), attempt, 1, [0])
        assert response.status_code == 200 and attempt.items.get(position=1).ticked == [0]


class TestStatus:
    def test_a_running_sitting(self, demo) -> None:
        attempt = sitting(demo)
        data = demo.client("candidat-a1").get(status_url(attempt)).json()
        assert data["state"] == "running" and data["help"] is False and data["notices"] == []
        assert abs(data["seconds_left"] - attempt.seconds_left()) <= 2 and data["seconds_left"] > 3500
        assert data["deadline"] == attempt.deadline.isoformat()
        attempt.refresh_from_db()
        assert attempt.last_seen_at is not None  # the poll is the page saying it is there

    def test_the_poll_after_a_cut_pauses_and_says_so(self, demo) -> None:
        attempt = away(sitting(demo), 75)
        data = demo.client("candidat-a1").get(status_url(attempt)).json()
        assert data["state"] == "paused" and data["seconds_left"] > 0

    def test_an_ended_sitting_is_over(self, demo) -> None:
        attempt = expire(sitting(demo))
        assert demo.client("candidat-a1").get(status_url(attempt)).json()["state"] == "over"

    def test_notices_come_once_in_order_after_the_pages_last_one(self, demo) -> None:
        attempt = sitting(demo)
        client = demo.client("candidat-a1")
        page = client.get(attempt.get_absolute_url())
        after = page.context["notice_after"]
        first = AttemptNotice.objects.create(attempt=attempt, kind=NoticeKind.HELP, message="Le surveillant arrive.")
        second = AttemptNotice.objects.create(
            attempt=attempt, kind=NoticeKind.RESUMED, message="Le surveillant a autorisé la reprise."
        )
        other = sitting(demo, "candidat-a2")
        AttemptNotice.objects.create(attempt=other, kind=NoticeKind.ENDED, message="Pas pour a1.")
        notices = client.get(status_url(attempt), {"after": after}).json()["notices"]
        assert notices == [
            {"id": first.pk, "kind": "help", "message": "Le surveillant arrive."},
            {"id": second.pk, "kind": "resumed", "message": "Le surveillant a autorisé la reprise."},
        ]
        assert client.get(status_url(attempt), {"after": second.pk}).json()["notices"] == []
        assert [n["id"] for n in client.get(status_url(attempt), {"after": first.pk}).json()["notices"]] == [second.pk]
        # a page loaded now starts after them
        assert client.get(attempt.get_absolute_url()).context["notice_after"] == second.pk

    def test_a_nonsense_after_is_read_as_zero(self, demo) -> None:
        attempt = sitting(demo)
        AttemptNotice.objects.create(attempt=attempt, kind=NoticeKind.HELP, message="Le surveillant arrive.")
        client = demo.client("candidat-a1")
        assert len(client.get(status_url(attempt), {"after": "abc"}).json()["notices"]) == 1
        assert client.get(status_url(attempt), {"after": str(10**30)}).json()["notices"] == []

    def test_the_poll_is_lean(self, demo, django_assert_max_num_queries) -> None:
        attempt = sitting(demo)
        client = demo.client("candidat-a1")
        client.get(status_url(attempt))  # the page's first request of the session (the two-factor gate's)
        away(attempt, 8)
        # the session, the user, the sitting, its last_seen_at, the notices: every candidate of a room polls
        with django_assert_max_num_queries(5):
            assert client.get(status_url(attempt)).status_code == 200

    def test_signed_out_the_page_is_told_in_json(self, demo) -> None:
        attempt = sitting(demo)
        response = demo.client(None).get(status_url(attempt))
        assert response.status_code == 401 and response.json()["status"] == "unauthenticated"

    def test_another_candidates_sitting_is_not_found(self, demo) -> None:
        attempt = sitting(demo)
        assert demo.client("candidat-a2").get(status_url(attempt)).status_code == 404


class TestHelp:
    def test_the_form_asks_once_and_is_audited(self, demo) -> None:
        attempt = sitting(demo)
        client = demo.client("candidat-a1")
        response = client.post(help_url(attempt), follow=True)
        assert response.redirect_chain[0][0] == attempt.get_absolute_url()
        html = response.content.decode()
        assert "Votre demande d&#x27;aide a été envoyée au surveillant de votre salle." in html
        assert "Demande envoyée au surveillant" in html  # the button says so
        attempt.refresh_from_db()
        asked = attempt.help_requested_at
        assert asked is not None
        client.post(help_url(attempt))
        attempt.refresh_from_db()
        assert attempt.help_requested_at == asked  # the first call keeps its place in the list
        entries = AuditEntry.objects.filter(action=AuditAction.ASSESSMENT_HELP_REQUEST, object_id=str(attempt.pk))
        assert entries.count() == 1 and entries.get().actor == demo.user("candidat-a1")
        assert client.get(status_url(attempt)).json()["help"] is True

    def test_the_script_gets_json(self, demo) -> None:
        attempt = sitting(demo)
        response = demo.client("candidat-a1").post(help_url(attempt), HTTP_ACCEPT="application/json")
        assert response.status_code == 200 and response.json() == {"help": True}

    def test_without_a_room_there_is_no_button_and_nobody_to_call(self, demo) -> None:
        attempt = sitting(demo, room=False)
        client = demo.client("candidat-a1")
        assert "c2i-help" not in client.get(attempt.get_absolute_url()).content.decode()
        response = client.post(help_url(attempt), HTTP_ACCEPT="application/json")
        assert response.status_code == 409 and response.json()["status"] == "no_invigilator"
        attempt.refresh_from_db()
        assert attempt.help_requested_at is None

    def test_the_page_of_an_invigilated_sitting_has_the_button(self, demo) -> None:
        attempt = sitting(demo)
        html = demo.client("candidat-a1").get(attempt.get_absolute_url()).content.decode()
        assert 'id="c2i-help"' in html and "J'ai besoin d'aide" in html
        assert f'action="{help_url(attempt)}"' in html


class TestLargerText:
    def test_the_enrolments_adjustment_marks_the_exam(self, demo) -> None:
        attempt = sitting(demo, room=False)
        client = demo.client("candidat-a1")
        assert "c2i-larger-text" not in client.get(attempt.get_absolute_url()).content.decode()
        type(attempt.enrolment).objects.filter(pk=attempt.enrolment_id).update(larger_text=True)
        assert 'id="c2i-exam" class="c2i-larger-text"' in client.get(attempt.get_absolute_url()).content.decode()


class TestWaitingPage:
    def my_exam_url(self, demo: Any) -> str:
        return f"/mon-espace/epreuves/{demo_exam(demo).pk}/"

    def test_a_candidate_not_let_in_waits_then_may_start(self, demo) -> None:
        placed = seat(demo, admitted=False)
        client = demo.client("candidat-a1")
        html = client.get(self.my_exam_url(demo)).content.decode()
        assert "Attendez que le surveillant vous fasse entrer" in html
        assert 'id="start" disabled' in html and "c2i/exam.js" in html
        status = client.get(f"{self.my_exam_url(demo)}etat/").json()
        assert status == {"room": placed.room.name, "admitted": False, "started": False, "can_start": False}
        Seat.objects.filter(pk=placed.pk).update(admitted_at=timezone.now())
        status = client.get(f"{self.my_exam_url(demo)}etat/").json()
        assert status["admitted"] is True and status["can_start"] is True
        html = client.get(self.my_exam_url(demo)).content.decode()
        assert "Attendez que le surveillant" not in html and 'id="start">' in html

    def test_a_candidate_without_a_seat_starts_at_once(self, demo) -> None:
        Seat.objects.filter(exam=demo_exam(demo), enrolment=enrolment_of(demo, "candidat-a1")).delete()
        client = demo.client("candidat-a1")
        status = client.get(f"{self.my_exam_url(demo)}etat/").json()
        assert status == {"room": "", "admitted": True, "started": False, "can_start": True}

    def test_a_sitting_ended_by_the_invigilator_says_why_on_the_exam_page(self, demo) -> None:
        attempt = sitting(demo)
        Attempt.objects.filter(pk=attempt.pk).update(submitted_at=timezone.now(), ended_early_reason="malaise")
        html = demo.client("candidat-a1").get(self.my_exam_url(demo)).content.decode()
        assert "Le surveillant a mis fin à votre épreuve : malaise" in html
