"""Background work of the knowledge test (django-tasks, database backend;
run by `manage.py db_worker`).

Each sitting schedules its own scoring at its deadline when it starts, so a
candidate who never comes back is scored anyway. `close_expired_attempts`
sweeps whatever a stopped worker missed; run it periodically too (cron, or
`manage.py close_expired_attempts`)."""

from __future__ import annotations

from django_tasks import task


@task()
def finalise_attempt_task(attempt_id: int) -> bool:
    from c2i.assessment.models import Attempt
    from c2i.assessment.services.results import finalise_attempt

    attempt = Attempt.objects.filter(pk=attempt_id).first()
    if attempt is None or attempt.closed_at is not None or not attempt.is_over():
        return False  # reopened or extended: a later task scores it
    finalise_attempt(attempt)
    return True


@task()
def close_expired_attempts_task() -> int:
    from c2i.assessment.services.results import close_expired_attempts

    return close_expired_attempts()
