"""Sitting the test: starting from the page, answering with plain form posts
(no JavaScript) or through the JSON API, each answer stored at once and
idempotently; the page and the API never say which options are correct; the
answer endpoint is lean (one statement for the page's script, three queries
for the API); CSRF is enforced."""

import json
import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from c2i.accounts.models import Session
from c2i.assessment import services
from c2i.assessment.models import AttemptQuestion, Exam, Option, Question
from tests.assessment_support import api_answer, demo_exam, expire, items, page_answer, right_answer, start

pytestmark = pytest.mark.django_db


class TestWithoutJavaScript:
    def test_a_candidate_starts_and_answers_with_plain_forms(self, demo) -> None:
        client = demo.client("candidat-a1")
        exam = demo_exam(demo)
        page = client.get(f"/mon-espace/epreuves/{exam.pk}/")
        assert page.status_code == 200 and page.context["can_start"]
        response = client.post(f"/mon-espace/epreuves/{exam.pk}/commencer/")
        assert response.status_code == 302
        attempt_url = response["Location"]
        html = client.get(attempt_url).content.decode()
        assert html.count('class="c2i-answer"') == 60
        attempt = demo.user("candidat-a1").candidate.enrolments.get(status="active").attempts.get()
        first = items(attempt)[0]
        response = client.post(f"{attempt_url}reponses/1/", {"option": [str(i) for i in right_answer(first)]})
        assert response.status_code == 302 and response["Location"].endswith("#q-2")
        first.refresh_from_db()
        assert first.ticked == right_answer(first) and first.answered_at is not None
        html = client.get(attempt_url).content.decode()
        for index in right_answer(first):
            assert f'id="q-1-o-{index}" checked' in html
        # unticking everything is an answer too (an empty one)
        client.post(f"{attempt_url}reponses/1/", {})
        first.refresh_from_db()
        assert first.ticked == []

    def test_an_option_that_does_not_exist_is_not_stored(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        client.post(f"/mon-espace/epreuves/passages/{attempt.pk}/reponses/1/", {"option": ["7"]})
        client.post(f"/mon-espace/epreuves/passages/{attempt.pk}/reponses/1/", {"option": ["x"]})
        assert items(attempt)[0].ticked is None

    def test_handing_in_scores_the_sitting(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        response = client.post(f"/mon-espace/epreuves/passages/{attempt.pk}/terminer/")
        assert response.status_code == 302
        attempt.refresh_from_db()
        assert attempt.submitted_at and attempt.closed_at and attempt.domain_results.count() == 5
        assert client.get(f"/mon-espace/epreuves/passages/{attempt.pk}/").status_code == 302


class TestNoCorrectnessLeaks:
    def test_the_page_and_the_api_never_say_which_options_are_correct(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        api_answer(client, attempt, 1, [0])
        html = client.get(f"/mon-espace/epreuves/passages/{attempt.pk}/").content.decode()
        payload = client.get(f"/api/epreuves/passages/{attempt.pk}").content.decode()
        questions = Question.objects.filter(pk__in=attempt.items.values("question_id"))
        feedback = [q.feedback for q in questions if q.feedback]
        feedback += [o.feedback for o in Option.objects.filter(question__in=questions) if o.feedback]
        assert feedback  # the demo questions have feedback, so the check below means something
        for text in (html, payload):
            lowered = text.lower()
            assert "correct" not in lowered and "fraction" not in lowered and "feedback" not in lowered
            for secret in feedback:
                assert secret not in text
        # the options are shown as indexes in a shuffled order, never as their stored positions or ids
        assert not re.search(r'name="option" value="\d{3,}"', html)
        assert set(json.loads(payload)) == {"id", "over", "paused", "seconds_left", "deadline", "questions"}

    def test_the_results_page_shows_no_correction(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        api_answer(client, attempt, 1, [0])
        client.post(f"/mon-espace/epreuves/passages/{attempt.pk}/terminer/")
        services.publish_results(attempt.exam, demo.user("correspondant-a"))
        html = client.get(f"/mon-espace/epreuves/{attempt.exam_id}/").content.decode()
        # the published results are there: one percentage per domain tested...
        attempt.refresh_from_db()
        results = list(attempt.domain_results.select_related("domain"))
        assert len(results) == 5
        for result in results:
            assert escape(result.domain.title) in html
        # ...but nothing of the questions: no stem, no option, no feedback, no word of correction
        questions = Question.objects.filter(pk__in=attempt.items.values("question_id"))
        for question in questions:
            assert question.stem[:40] not in html
            if question.feedback:
                assert question.feedback not in html
        for option in Option.objects.filter(question__in=questions):
            if len(option.text) > 12:
                assert option.text not in html
        assert "correct" not in html.lower()


class TestAnswerApi:
    def test_it_stores_the_last_set_of_ticked_options(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        response = api_answer(client, attempt, 3, [2, 0], seq=10)
        assert response.status_code == 200 and response.json() == {"saved": True, "status": "saved", "seq": 10}
        assert api_answer(client, attempt, 3, [2, 0], seq=11).status_code == 200  # the same set again: idempotent
        item = AttemptQuestion.objects.get(attempt=attempt, position=3)
        assert item.ticked == [0, 2] and item.seq == 11
        # an older request arriving late does not replace a newer answer
        late = api_answer(client, attempt, 3, [1], seq=5)
        assert late.status_code == 200 and late.json()["status"] == "stale" and late.json()["seq"] == 11
        item.refresh_from_db()
        assert item.ticked == [0, 2]

    def test_it_refuses_what_does_not_exist(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        n = items(attempt)[0].n_options
        assert api_answer(client, attempt, 1, [n]).status_code == 422
        assert api_answer(client, attempt, 99, [0]).status_code == 404
        assert api_answer(client, attempt, 1, [0, 1, 2, 3, 4, 5]).status_code == 422  # more than 5 options
        assert api_answer(demo.client("candidat-a2"), attempt, 1, [0]).status_code == 404  # not theirs
        assert api_answer(Client(), attempt, 1, [0]).status_code == 401

    def test_the_api_saves_an_answer_in_three_queries(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        client.get(f"/mon-espace/epreuves/passages/{attempt.pk}/")  # the page caches the address ranges
        with CaptureQueriesContext(connection) as queries:
            response = api_answer(client, attempt, 5, [1])
        assert response.status_code == 200 and response.json()["saved"]
        statements = [q["sql"] for q in queries.captured_queries]
        assert len(statements) == 3, statements  # session, user, the update
        assert "accounts_session" in statements[0] and "accounts_user" in statements[1]
        assert statements[2].startswith("UPDATE")

    def test_the_page_posts_json_to_the_form_url(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        response = page_answer(client, attempt, 4, [1, 0], seq=7)
        assert response.status_code == 200 and response.json() == {"saved": True, "status": "saved", "seq": 7}
        assert items(attempt)[3].ticked == [0, 1]
        assert page_answer(client, attempt, 4, [9]).status_code == 422
        assert page_answer(client, attempt, 4, ["0"]).status_code == 422
        assert page_answer(client, attempt, 99, [0]).status_code == 404
        assert page_answer(demo.client("candidat-a2"), attempt, 4, [2]).status_code == 404
        assert page_answer(Client(), attempt, 4, [2]).status_code == 401
        assert items(attempt)[3].ticked == [0, 1]

    def test_csrf_is_enforced(self, demo) -> None:
        attempt = start(demo)
        client = Client(enforce_csrf_checks=True)
        client.force_login(demo.user("candidat-a1"))
        assert api_answer(client, attempt, 1, [0]).status_code == 403
        assert page_answer(client, attempt, 1, [0]).status_code == 403
        client.get(f"/mon-espace/epreuves/passages/{attempt.pk}/")
        token = client.cookies["csrftoken"].value
        response = client.post(
            f"/api/epreuves/passages/{attempt.pk}/reponses/1",
            json.dumps({"ticked": [0]}),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
        assert response.status_code == 200


def _csrf_client(demo, username: str = "candidat-a1") -> tuple[Client, str]:
    """A browser: CSRF enforced, its token read from the cookie the page sets."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo.user(username))
    client.get("/mon-espace/epreuves/")
    return client, client.cookies["csrftoken"].value


class TestAnswerFastPath:
    """The page's script posts JSON to the question's own URL; the answer is
    stored by one statement before the session and the user are loaded
    (assessment/middleware.py), with the regular path's checks; whatever
    that statement cannot store goes on to the regular view, which says why."""

    def test_one_statement_stores_the_answer(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token)  # the first answer reads the exam's ranges
        with CaptureQueriesContext(connection) as queries:
            response = page_answer(client, attempt, 5, [1, 0], seq=42, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200 and response.json() == {"saved": True, "status": "saved", "seq": 42}
        statements = [q["sql"] for q in queries.captured_queries]
        assert len(statements) == 1 and "UPDATE" in statements[0], statements
        assert "accounts_session" in statements[0]  # the login must be alive, and the sitting its user's
        item = items(attempt)[4]
        assert item.ticked == [0, 1] and item.seq == 42 and item.answered_at is not None

    def test_without_the_csrf_token_nothing_is_stored(self, demo) -> None:
        attempt = start(demo)
        client, _token = _csrf_client(demo)
        assert page_answer(client, attempt, 1, [0]).status_code == 403
        assert page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN="x" * 32).status_code == 403
        assert items(attempt)[0].ticked is None

    def test_another_candidates_session_cannot_answer(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo, "candidat-a2")
        response = page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 404 and response.json()["status"] == "not_found"
        assert items(attempt)[0].ticked is None

    def test_a_signed_out_session_cannot_answer(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        stolen = client.cookies["sessionid"].value
        client.post("/deconnexion/", HTTP_X_CSRFTOKEN=token)
        assert not Session.objects.filter(session_key=stolen).exists()
        client.cookies["sessionid"] = stolen  # the old cookie, replayed
        response = page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 401 and items(attempt)[0].ticked is None

    def test_a_new_password_ends_the_other_sessions(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        assert page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token).status_code == 200
        user = demo.user("candidat-a1")
        user.set_password("un-autre-mot-de-passe-2026")
        user.save()
        assert not Session.objects.filter(user=user).exists()
        assert page_answer(client, attempt, 1, [1], HTTP_X_CSRFTOKEN=token).status_code == 401
        assert items(attempt)[0].ticked == [0]

    def test_a_deactivated_account_is_signed_out_everywhere(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        user = demo.user("candidat-a1")
        user.is_active = False
        user.save()
        assert page_answer(client, attempt, 1, [1], HTTP_X_CSRFTOKEN=token).status_code == 401
        assert items(attempt)[0].ticked is None

    def test_after_the_end_the_answer_is_refused(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        expire(attempt)
        response = page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 409 and response.json()["status"] == "over"
        assert items(attempt)[0].ticked is None

    def test_an_older_answer_does_not_replace_a_newer_one(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        page_answer(client, attempt, 2, [1], seq=20, HTTP_X_CSRFTOKEN=token)
        late = page_answer(client, attempt, 2, [0], seq=19, HTTP_X_CSRFTOKEN=token)
        assert late.status_code == 200 and late.json() == {"saved": True, "status": "stale", "seq": 20}
        assert items(attempt)[1].ticked == [1]

    def test_the_rooms_address_ranges_hold(self, demo) -> None:
        attempt = start(demo)
        Exam.objects.filter(pk=attempt.exam_id).update(allowed_networks="192.0.2.0/24")
        client, token = _csrf_client(demo)
        outside = page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token, REMOTE_ADDR="198.51.100.7")
        assert outside.status_code == 403 and items(attempt)[0].ticked is None
        inside = page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token, REMOTE_ADDR="192.0.2.40")
        assert inside.status_code == 200 and items(attempt)[0].ticked == [0]

    @override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies")
    def test_with_another_session_engine_the_regular_view_answers(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        with CaptureQueriesContext(connection) as queries:
            response = page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200 and items(attempt)[0].ticked == [0]
        assert not any("accounts_session" in q["sql"] for q in queries.captured_queries)


class TestSessions:
    def test_a_session_records_whose_login_it_is(self, demo) -> None:
        client = Client()
        client.get("/connexion/")
        assert client.post("/connexion/", {"username": "candidat-a1", "password": "demo"}).status_code == 302
        session = Session.objects.get(session_key=client.cookies["sessionid"].value)
        assert session.user == demo.user("candidat-a1")
        assert session.get_decoded()["_auth_user_id"] == str(session.user_id)


class TestImages:
    def test_the_candidate_sees_the_image_of_a_drawn_question_only_during_the_sitting(self, demo, media) -> None:
        import io

        from django.core.files.base import ContentFile
        from PIL import Image

        attempt = start(demo)
        item = items(attempt)[2]
        buffer = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buffer, format="JPEG")
        question = Question.objects.get(pk=item.question_id)
        question.image.save("image", ContentFile(buffer.getvalue()))
        Question.objects.filter(pk=question.pk).update(image_type="jpeg")
        client = demo.client("candidat-a1")
        url = f"/mon-espace/epreuves/passages/{attempt.pk}/images/3/"
        assert url in client.get(f"/mon-espace/epreuves/passages/{attempt.pk}/").content.decode()
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert response.content == buffer.getvalue()
        assert demo.client("candidat-a2").get(url).status_code == 404
        assert client.get(f"/mon-espace/epreuves/passages/{attempt.pk}/images/1/").status_code == 404
        expire(attempt)
        assert client.get(url).status_code == 404
