from typing import Any

from django.core.management.base import BaseCommand

from c2i.statistics import services


class Command(BaseCommand):
    help = (
        "Rebuild every national figure from the records (after rectifications, or nightly); "
        "a jury's publication already refreshes its own session. Audited."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = services.refresh_all()
        self.stdout.write(f"Chiffres nationaux recalculés : {done.rows} lignes en {done.seconds} s.")
