"""Background work of the documents (django-tasks; worker: `manage.py db_worker`).

A session's batch is split into `DocumentBatch.parts` tasks, one per worker
(C2I_DOCUMENT_TASKS, 2 by default), each producing its share. A part whose
worker died is queued again by the lease sweep (`leases.py`) and resumes
after the last enrolment it handled; one given up fails its batch.

`watch_leases_task` is the workers' own sweep, kept scheduled while tasks run."""

from __future__ import annotations

from django_tasks import task
from django_tasks.base import TASK_MAX_PRIORITY

from c2i.credentials import leases


@task()
def produce_documents_task(batch_id: int, part: int) -> int:
    from c2i.credentials.services import run_batch_part

    return run_batch_part(batch_id, part)


@leases.on_abandon(produce_documents_task)
def _part_given_up(batch_id: int, part: int) -> None:
    from c2i.credentials.services import give_up_batch_part

    give_up_batch_part(batch_id, part)


@task(priority=TASK_MAX_PRIORITY)
def watch_leases_task() -> str:
    sweep = leases.requeue_stale_tasks()
    leases.ensure_watchdog()
    return str(sweep)
