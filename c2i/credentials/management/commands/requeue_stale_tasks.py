from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from c2i.credentials import leases


class Command(BaseCommand):
    help = (
        "Queue again the background tasks whose worker stopped renewing its lease (a worker killed or lost), "
        "give up those lost too often, remove files written but never recorded. Run it every minute (cron or "
        "a systemd timer); the workers also run it themselves while tasks run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(leases.requeue_stale_tasks()))
