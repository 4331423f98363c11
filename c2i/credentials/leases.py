"""Leases of background tasks (django-tasks, database backend).

`manage.py db_worker` marks a task RUNNING when it claims it and writes
nothing more until the task ends: a worker killed with SIGKILL (out of
memory, a lost host, `kill -9`) leaves its task « running » for ever, and a
document batch never completes. So:

- when a worker starts a task (signal `task_started`) it takes a lease
  (`TaskLease`), and a thread of the worker renews it every quarter of
  C2I_TASK_LEASE_SECONDS while the task runs; `task_finished` releases it;
- `requeue_stale_tasks()` queues again every running task whose lease has
  been silent for longer than C2I_TASK_LEASE_SECONDS (a task whose workers
  died C2I_TASK_MAX_ATTEMPTS times is marked failed instead, and its
  `on_abandon` handler tells its owner), and deletes the files that a dead
  process wrote without recording them (`PendingFile`);
- it runs from cron or a systemd timer (`manage.py requeue_stale_tasks`,
  docs/operations.md) and from the workers themselves: while any task runs, a
  watchdog task is kept scheduled one lease ahead, so that a surviving or a
  restarted worker takes over a dead one's task with no one's help.

A task may thus run twice (and, if a worker froze rather than died, twice
at once): tasks must be idempotent. The documents' batch resumes after its
cursor and relies on the constraint « one valid document per enrolment ».
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from c2i.credentials.models import PendingFile, TaskLease

log = logging.getLogger(__name__)

RUNNING, READY, FAILED = TaskResultStatus.RUNNING, TaskResultStatus.READY, TaskResultStatus.FAILED
WATCHDOG = "c2i.credentials.tasks.watch_leases_task"


def lease_seconds() -> float:
    return float(settings.C2I_TASK_LEASE_SECONDS)


def beat_seconds() -> float:
    return max(0.05, lease_seconds() / 4)


# --- the worker's side: take, renew and release the lease ----------------------


def renew(task_id: str, worker_id: str) -> None:
    now = timezone.now()
    if not TaskLease.objects.filter(task_id=task_id, worker_id=worker_id).update(beat_at=now):
        # Lost (swept, or never written): take it again unless another worker holds it now.
        TaskLease.objects.get_or_create(
            task_id=task_id,
            defaults={"worker_id": worker_id, "host": socket.gethostname()[:255], "pid": os.getpid(), "beat_at": now},
        )


class Heartbeat(threading.Thread):
    """Renews one task's lease until stopped. Its own database connection,
    closed when it stops; a failed renewal is retried at the next beat (the
    lease outlasts three missed beats)."""

    def __init__(self, task_id: str, worker_id: str) -> None:
        super().__init__(name=f"lease-{task_id}", daemon=True)
        self.task_id, self.worker_id = task_id, worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(beat_seconds()):
                try:
                    renew(self.task_id, self.worker_id)
                except DatabaseError:
                    log.warning("lease of task %s not renewed", self.task_id, exc_info=True)
        finally:
            connections.close_all()


_heartbeats: dict[str, Heartbeat] = {}


def _database_backend(sender: Any) -> bool:
    backend = sender if isinstance(sender, type) else type(sender)
    return issubclass(backend, DatabaseBackend)


def take_lease(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """`task_started` receiver: runs in the worker, before the task."""
    if not _database_backend(sender) or not task_result.worker_ids:
        return
    worker_id = task_result.worker_ids[-1]
    try:
        TaskLease.objects.update_or_create(
            task_id=task_result.id,
            defaults={
                "worker_id": worker_id,
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "beat_at": timezone.now(),
            },
        )
        if task_result.task.module_path != WATCHDOG:
            ensure_watchdog()
    except DatabaseError:  # the heartbeat writes it at its first beat
        log.warning("lease of task %s not taken", task_result.id, exc_info=True)
    heartbeat = Heartbeat(task_result.id, worker_id)
    _heartbeats[task_result.id] = heartbeat
    heartbeat.start()


def release_lease(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """`task_finished` receiver."""
    if not _database_backend(sender):
        return
    heartbeat = _heartbeats.pop(task_result.id, None)
    if heartbeat is not None:
        heartbeat.stopped.set()
        heartbeat.join(timeout=10)
    worker_id = task_result.worker_ids[-1] if task_result.worker_ids else ""
    try:
        TaskLease.objects.filter(task_id=task_result.id, worker_id=worker_id).delete()
    except DatabaseError:  # the sweep deletes leases of ended tasks
        log.warning("lease of task %s not released", task_result.id, exc_info=True)


# --- the sweep -----------------------------------------------------------------

_abandon_handlers: dict[str, Callable[..., None]] = {}


def on_abandon(task: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register what to do when `task` is given up (called with the task's arguments)."""

    def register(handler: Callable[..., None]) -> Callable[..., None]:
        _abandon_handlers[task.module_path] = handler
        return handler

    return register


class WorkerLost(Exception):
    """The failure recorded for a task given up: its workers kept dying."""


@dataclass
class Sweep:
    requeued: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    files_removed: int = 0

    def __str__(self) -> str:
        return (
            f"{len(self.requeued)} requeued, {len(self.abandoned)} given up, "
            f"{self.files_removed} unrecorded file(s) removed"
        )


def _abandon(task: DBTaskResult, now: dt.datetime) -> bool:
    message = (
        f"{WorkerLost.__module__}.{WorkerLost.__qualname__}: the worker(s) {', '.join(task.worker_ids)} "
        f"stopped renewing the lease of this task {len(task.worker_ids)} times; given up."
    )
    given_up = DBTaskResult.objects.filter(pk=task.pk, status=RUNNING, started_at=task.started_at).update(
        status=FAILED,
        finished_at=now,
        return_value=None,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=message,
    )
    if not given_up:
        return False
    log.error("task %s (%s) given up: %s", task.pk, task.task_path, message)
    with contextlib.suppress(ImportError):
        import_string(task.task_path)  # its module registers its handler
    handler = _abandon_handlers.get(task.task_path)
    if handler is not None:
        handler(*task.args_kwargs.get("args", []), **task.args_kwargs.get("kwargs", {}))
    return True


def _remove_unrecorded_files(limit: dt.datetime) -> int:
    from c2i.credentials.models import IssuedDocument

    removed = 0
    for pending in PendingFile.objects.filter(created_at__lt=limit):
        if not IssuedDocument.objects.filter(pdf=pending.name).exists():
            default_storage.delete(pending.name)
            removed += 1
        pending.delete()
    return removed


def requeue_stale_tasks(now: dt.datetime | None = None) -> Sweep:
    """Queue again (or give up) the running tasks whose lease went silent.
    Each change is conditional on the task being as it was read: a task that
    a worker claimed or ended meanwhile is left alone."""
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=lease_seconds())
    sweep = Sweep()
    live = TaskLease.objects.filter(beat_at__gte=limit).values("task_id")
    for task in DBTaskResult.objects.filter(status=RUNNING, started_at__lt=limit).exclude(id__in=live):
        if len(task.worker_ids) >= settings.C2I_TASK_MAX_ATTEMPTS:
            if _abandon(task, now):
                sweep.abandoned.append(str(task.pk))
        elif DBTaskResult.objects.filter(pk=task.pk, status=RUNNING, started_at=task.started_at).update(
            status=READY, started_at=None
        ):
            log.warning(
                "task %s (%s) requeued: its worker %s stopped renewing its lease",
                task.pk,
                task.task_path,
                task.worker_ids[-1] if task.worker_ids else "?",
            )
            sweep.requeued.append(str(task.pk))
        TaskLease.objects.filter(task_id=task.pk, beat_at__lt=limit).delete()
    TaskLease.objects.filter(beat_at__lt=limit).exclude(
        task_id__in=DBTaskResult.objects.filter(status=RUNNING).values("id")
    ).delete()
    sweep.files_removed = _remove_unrecorded_files(limit)
    return sweep


def ensure_watchdog() -> bool:
    """While some task runs, keep one watchdog task scheduled a lease ahead
    (the workers then sweep by themselves). True when one was scheduled."""
    if not DBTaskResult.objects.filter(status=RUNNING).exclude(task_path=WATCHDOG).exists():
        return False
    if DBTaskResult.objects.filter(status=READY, task_path=WATCHDOG).exists():
        return False
    watchdog = import_string(WATCHDOG)
    watchdog.using(run_after=timezone.now() + dt.timedelta(seconds=lease_seconds())).enqueue()
    return True


# --- files written before their record ------------------------------------------


def reserve_file(name: str) -> None:
    """Before writing `name`: a dead process's file can then be found and removed."""
    PendingFile.objects.create(name=name)


def file_recorded(name: str) -> None:
    """In the transaction that records the row pointing to `name`."""
    PendingFile.objects.filter(name=name).delete()


def file_abandoned(name: str) -> None:
    default_storage.delete(name)
    PendingFile.objects.filter(name=name).delete()
