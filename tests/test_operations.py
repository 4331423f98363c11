"""What a load balancer and Prometheus read from each node (issue 16):
`/sante/`, `/metriques/`, the request id and the JSON log lines."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from c2i.credentials import keys
from c2i.lib.observability import JsonFormatter, RequestIdFilter
from tests.assessment_support import items, page_answer, right_answer, start
from tests.test_database_down import database_down

pytestmark = pytest.mark.django_db


def waiting_task(age: dt.timedelta) -> DBTaskResult:
    """A task enqueued `age` ago and not yet taken by a worker."""
    task = DBTaskResult.objects.create(
        status=TaskResultStatus.READY,
        args_kwargs={"args": [], "kwargs": {}},
        priority=0,
        task_path="c2i.credentials.tasks.produce_documents",
        queue_name="default",
        backend_name="default",
        run_after=get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - age)
    return task


class TestHealth:
    def test_a_serving_node_says_ok_with_each_check(self, client: Client) -> None:
        response = client.get("/sante/")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"]["database"] == {"ok": True}
        assert body["checks"]["storage"] == {"ok": True}
        assert body["checks"]["tasks"] == {"ok": True, "waiting": 0, "oldest_waiting_seconds": 0.0}
        assert body["checks"]["signing_keys"]["ok"] is True
        assert "no-cache" in response["Cache-Control"]

    def test_the_signing_keys_secret_is_checked_and_never_made(
        self, client: Client, settings: Any, tmp_path: Path
    ) -> None:
        """Several nodes sign with the operator's secret (C2I_SIGNING_KEYS_FILE):
        a node reports the current key it read; a broken or missing secret says
        « degraded » (exams go on, documents wait) and no key is made."""
        secret = keys.new_secret()
        path = tmp_path / "c2i-signing-keys.json"
        path.write_text(secret.document(), encoding="utf-8")
        settings.C2I_SIGNING_KEYS_FILE, settings.C2I_SIGNING_KEYS = str(path), ""
        body = client.get("/sante/").json()
        assert body["status"] == "ok"
        assert body["checks"]["signing_keys"] == {
            "ok": True,
            "store": "secret",
            "keys": 1,
            "current": secret.current.key_id,
        }
        path.write_text('{"format": "c2i-signing-keys/1", "current": "x"', encoding="utf-8")
        response = client.get("/sante/")
        assert response.status_code == 200
        assert response.json()["status"] == "degraded"
        assert response.json()["checks"]["signing_keys"] == {"ok": False, "error": "KeyStoreError"}
        path.unlink()
        assert client.get("/sante/").json()["checks"]["signing_keys"]["ok"] is False
        assert list(tmp_path.iterdir()) == []

    def test_an_old_waiting_task_is_degraded_but_still_served(self, client: Client, settings: Any) -> None:
        settings.C2I_HEALTH_MAX_TASK_AGE = 300
        waiting_task(dt.timedelta(minutes=20))
        waiting_task(dt.timedelta(seconds=5))
        response = client.get("/sante/")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "degraded"
        tasks = body["checks"]["tasks"]
        assert tasks["ok"] is False and tasks["waiting"] == 2
        assert 1190 < tasks["oldest_waiting_seconds"] < 1300

    def test_a_task_scheduled_for_later_is_not_waiting_yet(self, client: Client) -> None:
        task = waiting_task(dt.timedelta(hours=2))
        task.run_after = timezone.now() + dt.timedelta(hours=1)
        task.save()
        assert client.get("/sante/").json()["checks"]["tasks"]["waiting"] == 0

    def test_the_database_down_takes_the_node_out(self, client: Client) -> None:
        with database_down():
            response = client.get("/sante/")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "down"
        assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
        assert "tasks" not in body["checks"]

    def test_unreadable_storage_takes_the_node_out(self, client: Client, settings: Any, tmp_path: Any) -> None:
        blocked = tmp_path / "not-a-folder"
        blocked.write_text("a file where the media folder should be")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "tests.test_operations.RefusingStorage"},
        }
        response = client.get("/sante/")
        assert response.status_code == 503
        assert response.json()["checks"]["storage"] == {"ok": False, "error": "PermissionError"}


from django.core.files.storage import FileSystemStorage  # noqa: E402 - the storage the test above names


class RefusingStorage(FileSystemStorage):
    """A file store whose server refuses every request (an object store whose credentials were revoked)."""

    def exists(self, name: str) -> bool:
        raise PermissionError("access denied")


class TestMetrics:
    def test_without_the_token_there_is_no_such_page(self, client: Client, settings: Any) -> None:
        settings.C2I_METRICS_TOKEN = "s3cret-scrape-token"
        assert client.get("/metriques/").status_code == 404
        assert client.get("/metriques/", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
        settings.C2I_METRICS_TOKEN = ""
        assert client.get("/metriques/", HTTP_AUTHORIZATION="Bearer ").status_code == 404

    def test_prometheus_reads_requests_latency_answers_and_the_queue(self, demo: Any, settings: Any) -> None:
        settings.C2I_METRICS_TOKEN = "s3cret-scrape-token"
        scraper = Client(HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")

        def read() -> dict[str, float]:
            text = scraper.get("/metriques/").content.decode()
            return {
                line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line and not line.startswith("#")
            }

        before = read()
        Client().get("/ping/")
        attempt = start(demo)
        candidate = Client()
        candidate.force_login(demo.user("candidat-a1"))
        assert page_answer(candidate, attempt, 1, right_answer(items(attempt)[0])).status_code == 200
        waiting_task(dt.timedelta(seconds=30))
        after = read()
        ping = 'c2i_requests_total{method="GET",route="ping",status="2xx"}'
        assert after[ping] == before.get(ping, 0) + 1
        assert after['c2i_request_seconds_count{route="ping"}'] >= 1
        assert after["c2i_answers_saved_total"] == before.get("c2i_answers_saved_total", 0) + 1
        # the answer's fast path resolves no URL: it names its route itself
        answered = 'c2i_requests_total{method="POST",route="assessment:answer",status="2xx"}'
        assert after[answered] == before.get(answered, 0) + 1
        assert after["c2i_tasks_waiting"] == 1
        assert after["c2i_task_oldest_waiting_seconds"] >= 29


class TestRequestId:
    def test_each_answer_carries_a_new_id(self, client: Client) -> None:
        first, second = client.get("/ping/")["X-Request-ID"], client.get("/ping/")["X-Request-ID"]
        assert len(first) == 32 and first != second

    def test_the_proxy_s_id_is_kept_when_it_is_a_plain_token(self, client: Client) -> None:
        assert client.get("/ping/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")["X-Request-ID"] == "lb-7f3a9c2e-0001"
        forged = client.get("/ping/", HTTP_X_REQUEST_ID='x"\n{"level":"ERROR"}')["X-Request-ID"]
        assert len(forged) == 32 and "{" not in forged

    def test_a_log_line_is_json_with_the_request_s_id(self, client: Client) -> None:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(JsonFormatter())
        logger = logging.getLogger("django.request")
        logger.addHandler(handler)
        try:
            response = client.get("/nulle-part/")
        finally:
            logger.removeHandler(handler)
        assert response.status_code == 404
        line = json.loads(stream.getvalue().splitlines()[-1])
        assert line["request_id"] == response["X-Request-ID"]
        assert line["level"] == "WARNING" and line["logger"] == "django.request"
        assert "/nulle-part/" in line["message"]
        assert dt.datetime.fromisoformat(line["time"]).tzinfo is not None
