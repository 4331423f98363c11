"""The exam's answer path has one owner (c2i/assessment/answering.py): one
check of an answer whichever door it comes through (the API, the page's JSON,
the page's form, the service), one cache of the exams' address ranges."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from c2i.assessment import services
from c2i.assessment.models import Exam
from tests.assessment_support import api_answer, items, page_answer, start

pytestmark = pytest.mark.django_db

# What no door accepts: a string, a boolean, six options, an index past 9, a
# sequence number out of range or of the wrong type, no list at all.
REFUSED = [
    {"ticked": ["0"]},
    {"ticked": [True]},
    {"ticked": [0, 1, 2, 3, 4, 0]},
    {"ticked": [10]},
    {"ticked": [-1]},
    {"ticked": [0], "seq": 0},
    {"ticked": [0], "seq": "5"},
    {"ticked": "0"},
    {"seq": 3},
]


def _post(client: Client, url: str, body: dict) -> int:
    return client.post(url, json.dumps(body), content_type="application/json").status_code


class TestOneCheck:
    def test_the_api_and_the_page_refuse_the_same_answers(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        api = f"/api/epreuves/passages/{attempt.pk}/reponses/1"
        page = f"/mon-espace/epreuves/passages/{attempt.pk}/reponses/1/"
        for body in REFUSED:
            assert (_post(client, api, body), _post(client, page, body)) == (422, 422), body
        assert items(attempt)[0].ticked is None

    def test_the_service_refuses_them_too(self, demo) -> None:
        attempt = start(demo)
        for ticked in ([10], [-1], [0, 1, 2, 3, 4, 0]):
            result = services.save_answer(attempt.pk, attempt.user_id, 1, ticked)
            assert result.status == services.BAD_OPTION, ticked
        assert services.save_answer(attempt.pk, attempt.user_id, 1, [0], seq=0).status == services.BAD_OPTION
        assert items(attempt)[0].ticked is None

    def test_the_form_without_javascript_is_checked_the_same_way(self, demo) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        url = f"/mon-espace/epreuves/passages/{attempt.pk}/reponses/1/"
        for options in (["10"], ["-1"], ["x"], ["0", "1", "2", "3", "4", "0"]):
            response = client.post(url, {"option": options}, follow=True)
            assert escape("Cette réponse n'est pas valide ; elle n'a pas été enregistrée.") in response.content.decode()
        assert items(attempt)[0].ticked is None
        client.post(url, {"option": ["1", "0"]})
        assert items(attempt)[0].ticked == [0, 1]


class TestOneCache:
    def test_once_the_page_is_shown_the_first_answer_is_one_statement(self, demo) -> None:
        attempt = start(demo)
        client = Client(enforce_csrf_checks=True)
        client.force_login(demo.user("candidat-a1"))
        client.get(f"/mon-espace/epreuves/passages/{attempt.pk}/")  # the page keeps the exam's ranges
        token = client.cookies["csrftoken"].value
        with CaptureQueriesContext(connection) as queries:
            response = page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200 and response.json()["status"] == "saved"
        statements = [q["sql"] for q in queries.captured_queries]
        assert len(statements) == 1 and "UPDATE" in statements[0], statements

    def test_another_candidates_sitting_is_not_found_from_outside_its_rooms(self, demo) -> None:
        attempt = start(demo)
        Exam.objects.filter(pk=attempt.exam_id).update(allowed_networks="192.0.2.0/24")
        other = demo.client("candidat-a2")
        outside = api_answer(other, attempt, 1, [0], REMOTE_ADDR="198.51.100.7")
        assert outside.status_code == 404 and outside.json()["status"] == "not_found"
        mine = api_answer(demo.client("candidat-a1"), attempt, 1, [0], REMOTE_ADDR="198.51.100.7")
        assert mine.status_code == 403 and mine.json()["status"] == "network"
        assert items(attempt)[0].ticked is None
