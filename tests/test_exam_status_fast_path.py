"""The sitting's status on its fast path (`middleware.StatusFastPath`,
issue 16: the status polls are most of a test day's requests,
docs/capacity.md): the same answers as the regular view, in at most three
statements, and everything it does not answer left to that view."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from c2i.accounts.models import Session
from c2i.assessment.models import AttemptNotice, NoticeKind
from tests.test_exam_presence import away, sitting, status_url

pytestmark = pytest.mark.django_db

FAST = "c2i.assessment.middleware.StatusFastPath"


def regular(settings: Any) -> None:
    """The platform without the fast path: the regular view answers every
    poll (of a client made afterwards: a client loads the middleware once)."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != FAST]


def poll(client: Client, url: str) -> tuple[int, dict[str, Any], int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response.status_code, response.json(), len(ctx.captured_queries)


def without_clock(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "seconds_left"}


def test_a_running_sitting_is_answered_as_the_view_does_in_two_statements(demo: Any, settings: Any) -> None:
    attempt = sitting(demo)
    client = demo.client("candidat-a1")
    code, fast, statements = poll(client, status_url(attempt))
    assert code == 200 and fast["state"] == "running" and fast["notices"] == []
    assert statements == 2  # the sitting with its session and notices, the page seen (last_seen_at)
    response = client.get(status_url(attempt))
    assert response["Content-Length"] == str(len(response.content))  # not chunked, as the regular path
    assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    assert poll(client, status_url(attempt))[2] == 1  # seen less than five seconds ago: nothing written
    regular(settings)
    code, slow, statements = poll(demo.client("candidat-a1"), status_url(attempt))  # a client loads the chain once
    assert code == 200 and without_clock(slow) == without_clock(fast)
    assert abs(slow["seconds_left"] - fast["seconds_left"]) <= 2
    assert statements > 2


def test_notices_after_the_pages_last_one_come_in_order(demo: Any, settings: Any) -> None:
    attempt = sitting(demo)
    client = demo.client("candidat-a1")
    first = AttemptNotice.objects.create(attempt=attempt, kind=NoticeKind.HELP, message="Le surveillant arrive.")
    second = AttemptNotice.objects.create(attempt=attempt, kind=NoticeKind.TIME, message="Dix minutes.")
    _, fast, statements = poll(client, f"{status_url(attempt)}?after=0")
    assert [n["id"] for n in fast["notices"]] == [first.pk, second.pk] and statements == 3
    assert poll(client, f"{status_url(attempt)}?after={first.pk}")[1]["notices"][0]["message"] == "Dix minutes."
    assert poll(client, f"{status_url(attempt)}?after={second.pk}")[1]["notices"] == []
    assert poll(client, f"{status_url(attempt)}?after=abc")[1]["notices"] != []  # unreadable: from the start
    regular(settings)
    assert poll(demo.client("candidat-a1"), f"{status_url(attempt)}?after=0")[1]["notices"] == fast["notices"]


def test_a_poll_after_a_lost_connection_pauses_the_invigilated_sitting(demo: Any) -> None:
    attempt = away(sitting(demo), 90)
    code, data, _ = poll(demo.client("candidat-a1"), status_url(attempt))
    assert code == 200 and data["state"] == "paused"
    attempt.refresh_from_db()
    assert attempt.paused_at is not None


def test_what_it_does_not_answer_the_view_refuses_as_before(demo: Any) -> None:
    attempt = sitting(demo)
    assert Client().get(status_url(attempt)).status_code == 401  # no session
    other = demo.client("candidat-a2")
    assert other.get(status_url(attempt)).status_code == 404  # not theirs
    assert demo.client("candidat-a1").get(status_url(attempt).replace(str(attempt.pk), "999999")).status_code == 404
    owner = demo.client("candidat-a1")
    key = owner.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    response = owner.get(status_url(attempt))
    assert response.status_code == 401 and response.json()["status"] == "unauthenticated"  # expired
    signed_out = demo.client("candidat-a1")
    Session.objects.filter(session_key=signed_out.cookies["sessionid"].value).delete()
    assert signed_out.get(status_url(attempt)).status_code == 401  # signed out elsewhere (a new password)


def test_it_is_counted_under_its_route(demo: Any, settings: Any) -> None:
    """It resolves no URL: it names its route for Prometheus itself."""
    settings.C2I_METRICS_TOKEN = "s3cret-scrape-token"
    scraper = Client(HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    line = 'c2i_requests_total{method="GET",route="assessment:attempt_status",status="2xx"} '

    def count() -> float:
        text = scraper.get("/metriques/").content.decode()
        return next((float(x.rsplit(" ", 1)[1]) for x in text.splitlines() if x.startswith(line)), 0.0)

    attempt = sitting(demo)
    before = count()
    assert demo.client("candidat-a1").get(status_url(attempt)).status_code == 200
    assert count() == before + 1
