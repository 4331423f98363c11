from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from c2i.credentials import services
from c2i.credentials.management.commands.export_signing_keys import operator_errors


class Command(BaseCommand):
    help = (
        "The current Open Badges signing key: made in C2I_KEYS_DIR if there is none yet; with the operator's "
        "secret (C2I_SIGNING_KEYS_FILE or C2I_SIGNING_KEYS), only checked (a node never makes a key)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with operator_errors():
            store = services.key_store()
            key = services.signing_key()
        self.stdout.write(f"{key.key_id} ({store.describe()})")
