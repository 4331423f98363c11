"""Background work of the documents (django-tasks; worker: `manage.py db_worker`).

A session's batch is split into `DocumentBatch.parts` tasks, one per worker
(C2I_DOCUMENT_TASKS, 2 by default), each producing its share."""

from __future__ import annotations

from django_tasks import task


@task()
def produce_documents_task(batch_id: int, part: int) -> int:
    from c2i.credentials.services import run_batch_part

    return run_batch_part(batch_id, part)
