from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from c2i.credentials import keys


class Command(BaseCommand):
    help = "Create the Open Badges signing key pair in C2I_KEYS_DIR if there is none yet."

    def handle(self, *args: Any, **options: Any) -> None:
        key = keys.ensure_key(settings.C2I_KEYS_DIR)
        self.stdout.write(f"{key.key_id} ({settings.C2I_KEYS_DIR})")
