"""The resume test (R19: answers are kept as they are given). A candidate
answers, loses their session (a crashed browser, another computer), logs in
again and finds the same sitting: the same questions in the same order with
the same options, their answers, and the clock still running — less time
left, the same deadline."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from c2i.assessment.models import Attempt, Seat
from tests.assessment_support import api_answer, demo_exam, right_answer

pytestmark = pytest.mark.django_db


def login(username: str) -> Client:
    client = Client()
    response = client.post("/connexion/", {"username": username, "password": "demo"})
    assert response.status_code == 302, "demo password"
    return client


def seconds_left(html: str) -> int:
    return int(re.search(r'data-seconds-left="(\d+)"', html).group(1))


def shown_questions(html: str) -> list[str]:
    """Each question's text and its options, in the order the page shows them."""
    return re.findall(r'<div class="c2i-stem">(.*?)</div>', html, re.S) + re.findall(
        r'<label class="fr-label" for="q-\d+-o-\d+">(.*?)</label>', html, re.S
    )


class TestResume:
    def test_a_lost_session_resumes_the_same_sitting_with_its_answers_and_clock(self, demo, monkeypatch) -> None:
        exam = demo_exam(demo)
        # a sitting nobody invigilates: in a room, the page away for 7 minutes pauses it until the
        # invigilator lets it resume (tests/test_exam_presence.py)
        Seat.objects.filter(exam=exam, enrolment__candidate__user__username="candidat-a1").delete()
        first = login("candidat-a1")
        response = first.post(f"/mon-espace/epreuves/{exam.pk}/commencer/")
        attempt_url = response["Location"]
        before = first.get(attempt_url).content.decode()
        attempt = Attempt.objects.get(exam=exam, user=demo.user("candidat-a1"))
        deadline = attempt.deadline
        items = list(attempt.items.order_by("position"))
        # three answers: two through the API (JavaScript), one with the plain form
        given = {1: right_answer(items[0]), 2: [0, 1], 7: [items[6].n_options - 1]}
        assert api_answer(first, attempt, 1, given[1]).status_code == 200
        assert api_answer(first, attempt, 2, given[2]).status_code == 200
        first.post(f"{attempt_url}reponses/7/", {"option": [str(i) for i in given[7]]})
        del first  # the browser crashes: its session is gone

        later = timezone.now() + dt.timedelta(minutes=7)
        monkeypatch.setattr(timezone, "now", lambda: later)
        second = login("candidat-a1")
        home = second.get(f"/mon-espace/epreuves/{exam.pk}/")
        assert home.context["running"] and attempt_url in home.content.decode()
        # starting again gives back the same sitting (R19), not a new draw
        assert second.post(f"/mon-espace/epreuves/{exam.pk}/commencer/")["Location"] == attempt_url
        assert Attempt.objects.filter(exam=exam, user=demo.user("candidat-a1")).count() == 1
        after = second.get(attempt_url).content.decode()
        assert shown_questions(after) == shown_questions(before)
        for position, ticked in given.items():
            for index in range(items[position - 1].n_options):
                checked = f'id="q-{position}-o-{index}" checked' in after
                assert checked == (index in ticked), (position, index)
        assert after.count(" checked>") == sum(len(t) for t in given.values())
        # the clock kept running while the candidate was away; the deadline did not move
        assert seconds_left(before) - seconds_left(after) >= 7 * 60 - 1
        attempt.refresh_from_db()
        assert attempt.deadline == deadline
        state = second.get(f"/api/epreuves/passages/{attempt.pk}").json()
        assert state["deadline"] == deadline.isoformat() and not state["over"]
        assert [q["ticked"] for q in state["questions"][:2]] == [sorted(given[1]), given[2]]
        # and the candidate carries on where they were
        assert api_answer(second, attempt, 3, [0]).status_code == 200
