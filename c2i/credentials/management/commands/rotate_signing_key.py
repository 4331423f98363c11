from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from c2i.credentials import keys


class Command(BaseCommand):
    help = (
        "Make a new current signing key in C2I_KEYS_DIR. Old public keys stay, so credentials "
        "signed before the rotation still verify."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        key = keys.rotate(settings.C2I_KEYS_DIR)
        self.stdout.write(f"{key.key_id} ({settings.C2I_KEYS_DIR})")
