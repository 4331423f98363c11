"""The e-mails' background work (django-tasks; worker: `manage.py db_worker`).

Each task sends what is left to send of one event (an import, a publication,
a day's reminders of a session), one recipient after the other on one
connection; a message already sent is skipped (`services.deliver`), so that a
task run again, by a retry or after its worker died (leases), sends nothing
twice. When the mail server fails, the task is queued again a little later
(RETRY_DELAYS), resuming with the messages not sent yet."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone
from django_tasks import task

from c2i.notifications import services

log = logging.getLogger(__name__)


def _retry(task_: Any, error: Exception, attempt: int, *args: Any) -> int:
    if attempt >= len(services.RETRY_DELAYS):
        log.error("%s%r: the mail server failed %s times; given up", task_.name, args, attempt + 1)
        raise error
    delay = services.RETRY_DELAYS[attempt]
    task_.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue(*args, attempt=attempt + 1)
    log.warning("%s%r: the mail server failed; tried again in %s s", task_.name, args, delay)
    return 0


@task()
def send_invitations_task(invitation_ids: list[int], attempt: int = 0) -> int:
    try:
        return services.send_invitations(invitation_ids)
    except services.MailServerUnavailable as error:
        return _retry(send_invitations_task, error, attempt, invitation_ids)


@task()
def send_results_task(exam_id: int, attempt: int = 0) -> int:
    try:
        return services.send_results(exam_id)
    except services.MailServerUnavailable as error:
        return _retry(send_results_task, error, attempt, exam_id)


@task()
def send_outcomes_task(institution_session_id: int, attempt: int = 0) -> int:
    try:
        return services.send_outcomes(institution_session_id)
    except services.MailServerUnavailable as error:
        return _retry(send_outcomes_task, error, attempt, institution_session_id)


@task()
def send_reminders_task(institution_session_id: int, step: int, attempt: int = 0) -> int:
    try:
        return services.send_reminders(institution_session_id, step)
    except services.MailServerUnavailable as error:
        return _retry(send_reminders_task, error, attempt, institution_session_id, step)
