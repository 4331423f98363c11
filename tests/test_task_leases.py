"""Leases of background tasks (issue 10, finding 5).

A worker killed with SIGKILL writes nothing more: its task stays « running »
in django-tasks' table for ever. Each running task now holds a lease that its
worker renews; `manage.py requeue_stale_tasks` (cron, and the workers' own
watchdog task) queues again a task whose lease went silent. The batch then
completes with no document missing and none issued twice, its counters count
each enrolment once, no file is left behind, and the batch page says what
happened. The worker runs in this process, as `manage.py db_worker` does
(hence transactional tests: the worker commits)."""

from __future__ import annotations

import datetime as dt
import io
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks_db.models import DBTaskResult

from c2i.credentials import services
from c2i.credentials.models import (
    BatchPart,
    BatchState,
    DocumentBatch,
    DocumentStatus,
    IssuedDocument,
    PendingFile,
    TaskLease,
)
from c2i.credentials.tasks import produce_documents_task
from c2i.deliberation.models import OutcomeStatus
from c2i.enrolment.models import Enrolment
from tests.credentials_support import ALL, isolated, publish, set_outcome

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db(transaction=True)

RUNNING, READY, FAILED = "RUNNING", "READY", "FAILED"


class Killed(BaseException):
    """What SIGKILL does to a task: it stops, and nothing after it runs
    (neither its `except` nor its `finally`, nor the worker's bookkeeping)."""


@task(takes_context=True)
def beating_task(context: TaskContext, seconds: float) -> float:
    """Sleeps while its worker beats: returns how far its lease moved meanwhile."""
    task_id = context.task_result.id
    first = TaskLease.objects.get(task_id=task_id).beat_at
    time.sleep(seconds)
    return (TaskLease.objects.get(task_id=task_id).beat_at - first).total_seconds()


@pytest.fixture
def session(demo: Any, isolated: Any) -> tuple[Any, list[int]]:
    """A's C2i1 session, published, with ten final outcomes (certified and not)."""
    institution_session = demo.institution_session("a")
    enrolments = list(institution_session.enrolments.order_by("pk")[:10])
    for i, enrolment in enumerate(enrolments):
        certified = i % 2 == 0
        set_outcome(enrolment, OutcomeStatus.CERTIFIED if certified else OutcomeStatus.NOT_CERTIFIED, ALL[: 5 - i % 3])
    publish(institution_session)
    return institution_session, [e.pk for e in enrolments]


@pytest.fixture
def worker() -> Iterator[Callable[[], None]]:
    """Runs `manage.py db_worker --batch` here (it sets its own signal handlers: put back pytest's)."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}

    def run() -> None:
        call_command(
            "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--worker-id", "survivor", verbosity=0
        )

    yield run
    for number, handler in saved.items():
        signal.signal(number, handler)


def task_of(batch: DocumentBatch, part: int) -> DBTaskResult:
    rows = [t for t in DBTaskResult.objects.filter(task_path__endswith="produce_documents_task")]
    return next(t for t in rows if t.args_kwargs["args"] == [batch.pk, part])


def dies_after(count: int, exception: type[BaseException] = Killed) -> Any:
    """`produce_document` as a worker runs it until it is killed, after `count` documents."""
    real = services.produce_document
    calls = {"n": 0}

    def produce(*args: Any, **kwargs: Any) -> Any:
        if calls["n"] == count:
            raise exception()
        calls["n"] += 1
        return real(*args, **kwargs)

    return mock.patch.object(services, "produce_document", side_effect=produce)


def killed_worker(batch: DocumentBatch, part: int, after: int) -> DBTaskResult:
    """A worker claims the part's task, takes its lease, produces `after`
    documents and is killed: the task stays « running » and the lease stops beating."""
    row = task_of(batch, part)
    row.claim("dead-worker")
    TaskLease.objects.create(task_id=row.pk, worker_id="dead-worker", beat_at=timezone.now())
    with dies_after(after), pytest.raises(Killed):
        produce_documents_task.call(batch.pk, part)
    return row


def silent_for(seconds: float) -> None:
    """Move every clock of the running tasks back by `seconds`: their leases are that old."""
    delta = dt.timedelta(seconds=seconds)
    for row in DBTaskResult.objects.filter(status=RUNNING):
        DBTaskResult.objects.filter(pk=row.pk).update(started_at=row.started_at - delta)
    for lease in TaskLease.objects.all():
        TaskLease.objects.filter(pk=lease.pk).update(beat_at=lease.beat_at - delta)
    for part in BatchPart.objects.all():
        BatchPart.objects.filter(pk=part.pk).update(
            started_at=part.started_at and part.started_at - delta,
            progress_at=part.progress_at and part.progress_at - delta,
        )


def sweep() -> str:
    out = io.StringIO()
    call_command("requeue_stale_tasks", stdout=out)
    return out.getvalue()


def page(demo: Any, institution_session: Any) -> str:
    response = demo.client("correspondant-a").get(f"/gestion/sessions/{institution_session.pk}/documents/")
    assert response.status_code == 200
    return response.content.decode()


def document_files(isolated: Path) -> set[str]:
    folder = isolated / "media" / "documents"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def assert_complete(ids: list[int], isolated: Path) -> None:
    """Every final enrolment has exactly one document, valid, and each document exactly one file."""
    documents = list(IssuedDocument.objects.filter(enrolment_id__in=ids))
    assert sorted(d.enrolment_id for d in documents) == ids  # none missing, none twice
    assert all(d.status == DocumentStatus.VALID for d in documents)
    assert document_files(isolated) == {Path(d.pdf.name).name for d in documents}  # no file written twice


class TestTaskLeases:
    def test_it_requeues_the_task_of_a_killed_worker_and_the_batch_completes(
        self, demo: Any, session: Any, isolated: Path, worker: Callable[[], None], settings: Any
    ) -> None:
        institution_session, ids = session
        batch = services.enqueue_session_documents(institution_session, None)
        assert batch.parts == 2
        dead = killed_worker(batch, 0, after=2)
        assert dead.status == RUNNING and IssuedDocument.objects.count() == 2

        # Within its lease, the task may still be alive: nothing is touched.
        assert "0 requeued" in sweep()
        assert task_of(batch, 0).status == RUNNING

        silent_for(settings.C2I_TASK_LEASE_SECONDS + 1)
        html = page(demo, institution_session)
        assert 'data-batch-state="stalled"' in html and 'data-ready="2"' in html and 'data-expected="10"' in html

        assert "1 requeued" in sweep()
        assert task_of(batch, 0).status == READY
        assert 'data-batch-state="resuming"' in page(demo, institution_session)

        worker()
        batch.refresh_from_db()
        assert batch.state == BatchState.DONE
        assert (batch.done, batch.skipped, batch.failed) == (10, 0, 0)  # each enrolment counted once
        assert_complete(ids, isolated)
        assert task_of(batch, 0).worker_ids == ["dead-worker", "survivor"]
        assert not TaskLease.objects.filter(task_id__in=[dead.pk, task_of(batch, 1).pk]).exists()
        html = page(demo, institution_session)
        assert 'data-batch-state="done"' in html and 'data-ready="10"' in html and 'data-resumed="1"' in html

        # The killed worker's run, had it only been frozen, would now find its part finished.
        assert produce_documents_task.call(batch.pk, 0) == 0
        batch.refresh_from_db()
        assert (batch.done, batch.parts_done) == (10, 2)

    def test_a_worker_that_still_beats_keeps_its_task(self, session: Any, settings: Any) -> None:
        institution_session, _ids = session
        batch = services.enqueue_session_documents(institution_session, None)
        row = task_of(batch, 1)
        row.claim("slow-worker")
        TaskLease.objects.create(task_id=row.pk, worker_id="slow-worker", beat_at=timezone.now())
        DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - dt.timedelta(hours=1))
        assert "0 requeued" in sweep()
        assert task_of(batch, 1).status == RUNNING
        silent_for(settings.C2I_TASK_LEASE_SECONDS + 1)
        assert "1 requeued" in sweep()
        assert task_of(batch, 1).status == READY

    def test_a_task_that_kills_its_worker_again_and_again_is_given_up_and_the_batch_says_so(
        self, demo: Any, session: Any, settings: Any
    ) -> None:
        institution_session, _ids = session
        batch = services.enqueue_session_documents(institution_session, None)
        row = task_of(batch, 0)
        for n in range(settings.C2I_TASK_MAX_ATTEMPTS):
            row.claim(f"worker-{n}")
        silent_for(settings.C2I_TASK_LEASE_SECONDS + 1)
        out = sweep()
        assert "0 requeued" in out and "1 given up" in out
        assert task_of(batch, 0).status == FAILED
        batch.refresh_from_db()
        assert batch.state == BatchState.FAILED and batch.error
        assert 'data-batch-state="failed"' in page(demo, institution_session)

    def test_a_worker_stopped_by_a_second_signal_hands_its_part_back(
        self, session: Any, isolated: Path, worker: Callable[[], None]
    ) -> None:
        institution_session, ids = session
        batch = services.enqueue_session_documents(institution_session, None)
        row = task_of(batch, 0)
        row.claim("stopped-worker")
        with dies_after(1, SystemExit), pytest.raises(SystemExit):
            produce_documents_task.call(batch.pk, 0)
        row.set_failed(SystemExit())  # what db_worker records for an interrupted task
        assert DBTaskResult.objects.filter(task_path__endswith="produce_documents_task", status=READY).count() == 2
        worker()
        batch.refresh_from_db()
        assert batch.state == BatchState.DONE and (batch.done, batch.skipped) == (10, 0)
        assert_complete(ids, isolated)

    def test_a_file_written_by_a_killed_worker_before_its_row_is_removed(
        self, session: Any, isolated: Path, settings: Any
    ) -> None:
        _institution_session, ids = session
        enrolment = Enrolment.objects.get(pk=ids[0])
        with mock.patch.object(IssuedDocument.objects, "create", side_effect=Killed), pytest.raises(Killed):
            services.produce_document(enrolment, None)
        assert len(document_files(isolated)) == 1 and PendingFile.objects.count() == 1
        sweep()
        assert len(document_files(isolated)) == 1  # maybe a live writer: left alone within the lease
        PendingFile.objects.update(
            created_at=timezone.now() - dt.timedelta(seconds=settings.C2I_TASK_LEASE_SECONDS + 1)
        )
        assert "1 unrecorded file(s) removed" in sweep()
        assert document_files(isolated) == set() and PendingFile.objects.count() == 0
        services.produce_document(enrolment, None)
        assert_complete(ids[:1], isolated)

    def test_the_worker_renews_the_lease_while_the_task_runs(self, worker: Callable[[], None], settings: Any) -> None:
        settings.C2I_TASK_LEASE_SECONDS = 2  # a beat every half second
        result = beating_task.enqueue(1.6)
        worker()
        row = DBTaskResult.objects.get(pk=result.id)
        assert row.status == "SUCCESSFUL" and row.return_value >= 0.5
        assert not TaskLease.objects.filter(task_id=row.pk).exists()  # released when the task ended
