"""Finding 12 of issue 10: while the database is unreachable, the exam's
answers (exam.js's JSON posts, the API) are told to come back later (JSON
503 with Retry-After), never given an HTML error page; exam.js retries them
until they are stored, so nothing is lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, close_old_connections, connection
from django.test import Client

from tests.assessment_support import api_answer, items, page_answer, start
from tests.conftest import login


def _csrf_client(demo: Any) -> tuple[Client, str]:
    """A browser of candidat-a1: CSRF enforced, its token read from the cookie a page sets."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(demo.user("candidat-a1"))
    client.get("/mon-espace/epreuves/")
    return client, client.cookies["csrftoken"].value


@contextmanager
def database_down() -> Iterator[None]:
    """Every statement fails as with a server that stopped (or a locked file)."""

    def refuse(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def assert_come_back_later(response: Any) -> None:
    assert response.status_code == 503, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["status"] == "unavailable" and body["detail"]


@pytest.mark.django_db
class TestDatabaseDown:
    def test_it_tells_the_exam_page_to_send_the_answer_again(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        with database_down():
            response = page_answer(client, attempt, 1, [0], seq=7, HTTP_X_CSRFTOKEN=token)
        assert_come_back_later(response)
        again = page_answer(client, attempt, 1, [0], seq=7, HTTP_X_CSRFTOKEN=token)  # what exam.js does next
        assert again.status_code == 200 and items(attempt)[0].ticked == [0]

    def test_it_answers_json_once_the_exam_ranges_are_known(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        assert page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token).status_code == 200  # ranges now cached
        with database_down():
            response = page_answer(client, attempt, 2, [1], HTTP_X_CSRFTOKEN=token)
        assert_come_back_later(response)
        assert items(attempt)[1].ticked is None

    def test_it_tells_the_api_client_to_come_back(self, demo) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)
        with database_down():
            response = api_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token)
        assert_come_back_later(response)

    def test_it_answers_json_when_the_connection_cannot_be_opened(self, demo, monkeypatch) -> None:
        attempt = start(demo)
        client, token = _csrf_client(demo)

        def refuse() -> None:
            raise OperationalError('connection to server at "db" failed: Connection refused')

        monkeypatch.setattr(connection, "ensure_connection", refuse)  # every cursor opens through it
        response = page_answer(client, attempt, 1, [0], HTTP_X_CSRFTOKEN=token)
        monkeypatch.undo()
        assert_come_back_later(response)

    def test_pages_keep_their_own_error_page(self, demo) -> None:
        client, _token = _csrf_client(demo)
        with database_down():
            response = client.get("/mon-espace/epreuves/")
        assert response.status_code == 500
        assert not response["Content-Type"].startswith("application/json")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConnectionLost:
    """A real failure: the server ends the connection of the process (as a
    restart of PostgreSQL would)."""

    def test_the_answer_is_refused_with_503_then_stored_on_a_new_connection(self, demo) -> None:
        if connection.vendor != "postgresql":
            pytest.skip("ends a PostgreSQL server's connection")
        if settings.C2I_DB_POOLER:
            # the process holds a connection to the pooler, which hands out
            # server connections per transaction and replaces an ended one
            pytest.skip("ends the process's own server connection: .ci/run runs it on PostgreSQL without the pooler")
        attempt = start(demo)
        client, token = _csrf_client(demo)
        with connection.cursor() as cursor:  # the server's own process (behind a pooler, not the pooler's id)
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        other = connection.copy()  # a second connection, beside the one under test
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            other.close()
        response = page_answer(client, attempt, 1, [0], seq=7, HTTP_X_CSRFTOKEN=token)
        assert_come_back_later(response)
        close_old_connections()  # what the end of a request does in a server (the test client does not)
        again = page_answer(client, attempt, 1, [0], seq=7, HTTP_X_CSRFTOKEN=token)
        assert again.status_code == 200 and items(attempt)[0].ticked == [0]


@pytest.mark.browser
class TestTheExamPageRetries:
    def test_an_answer_refused_with_503_is_sent_again_until_stored(self, page) -> None:
        login(page, "candidat-a1")
        page.goto("/mon-espace/epreuves/")
        page.locator("main table a").first.click()
        page.click("#start")
        page.wait_for_selector("#c2i-timer")
        refused: list[str] = []

        def database_down_twice(route) -> None:
            if len(refused) < 2:
                refused.append(route.request.url)
                body = '{"status": "unavailable", "detail": "x"}'
                route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/json", body=body)
            else:
                route.continue_()

        page.route("**/reponses/1/", database_down_twice)
        page.click("label[for=q-1-o-0]")
        page.wait_for_selector("#nav-1.c2i-answered", timeout=20000)
        assert len(refused) == 2
        page.reload()
        page.wait_for_selector("#c2i-timer")
        assert page.is_checked("#q-1-o-0")  # stored by the third try
