"""Daily (cron): remind the candidates who have not submitted their portfolio
that the deadline is near (C2I_DEADLINE_REMINDER_DAYS, 7 and 1 days before by
default). The e-mails are sent by the background worker, each (enrolment,
step) once, however often the command runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from c2i.notifications import services


class Command(BaseCommand):
    help = "Queue the reminders before the portfolio deadline (run it daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="ISO date-time to run as (tests, catching up); default: now")

    def handle(self, *args: Any, **options: Any) -> None:
        now = dt.datetime.fromisoformat(options["now"]) if options["now"] else timezone.now()
        if timezone.is_naive(now):
            now = timezone.make_aware(now)
        due = services.enqueue_reminders(now)
        self.stdout.write(f"{len(due)} session(s) with reminders queued: {due}")
