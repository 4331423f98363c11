"""Handing in the test (issue 11, list 10): « Remettre votre copie ? » is a
page of its own, reached by a link or by keyboard, that says how many
questions are still unanswered (computed by the server, no JavaScript
needed), and the question bubbles say « répondue » / « sans réponse » in
words, not only in bold type."""

import re

import pytest

from c2i.assessment.models import Attempt
from tests.assessment_support import items, page_answer, start

pytestmark = pytest.mark.django_db


def confirm_url(attempt: Attempt) -> str:
    return f"/mon-espace/epreuves/passages/{attempt.pk}/terminer/"


class TestHandInConfirmation:
    def test_it_says_how_many_questions_are_unanswered(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        for position in (1, 2, 3):
            page_answer(client, attempt, position, [0])
        response = client.get(confirm_url(attempt))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Remettre votre copie ?" in html
        assert "57 questions sans réponse sur 60" in html
        # the page posts to the same address, the only way to hand in
        assert f'action="{confirm_url(attempt)}"' in html and 'method="post"' in html
        attempt.refresh_from_db()
        assert attempt.submitted_at is None  # looking at the question hands nothing in

    def test_one_question_left_is_said_in_the_singular(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        for item in items(attempt)[:-1]:
            page_answer(client, attempt, item.position, [0])
        html = client.get(confirm_url(attempt)).content.decode()
        assert "1 question sans réponse sur 60" in html

    def test_it_says_when_every_question_is_answered(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        for item in items(attempt):
            page_answer(client, attempt, item.position, [1])
        html = client.get(confirm_url(attempt)).content.decode()
        assert "Vous avez répondu aux 60 questions." in html
        assert "sans réponse sur" not in html

    def test_the_test_page_links_to_the_confirmation(self, demo) -> None:
        attempt = start(demo)
        html = demo.client("candidat-a1").get(f"/mon-espace/epreuves/passages/{attempt.pk}/").content.decode()
        assert re.search(rf'<a [^>]*href="{confirm_url(attempt)}"', html)

    def test_a_test_that_is_over_goes_back_to_the_exam_page(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        client.post(confirm_url(attempt))
        response = client.get(confirm_url(attempt))
        assert response.status_code == 302 and response["Location"] == f"/mon-espace/epreuves/{attempt.exam_id}/"


class TestQuestionBubbles:
    def test_answered_and_unanswered_bubbles_say_so_in_words(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        page_answer(client, attempt, 2, [0])
        html = client.get(f"/mon-espace/epreuves/passages/{attempt.pk}/").content.decode()
        nav = html[html.index('class="c2i-progress') :]
        nav = nav[: nav.index("</nav>")]
        bubble_2 = re.search(r'<a [^>]*id="nav-2"[^>]*>(.*?)</a>', nav, re.S)
        bubble_3 = re.search(r'<a [^>]*id="nav-3"[^>]*>(.*?)</a>', nav, re.S)
        assert bubble_2 and bubble_3
        assert "c2i-answered" in bubble_2.group(0) and "répondue" in bubble_2.group(1)
        assert "c2i-answered" not in bubble_3.group(0) and "sans réponse" in bubble_3.group(1)
        # an icon, not only the type's weight
        assert "fr-icon-check-line" in bubble_2.group(0)
