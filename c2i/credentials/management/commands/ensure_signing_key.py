from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from c2i.credentials import keys, services


class Command(BaseCommand):
    help = (
        "The current Open Badges signing key: made in C2I_KEYS_DIR if there is none yet; with the operator's "
        "secret (C2I_SIGNING_KEYS_FILE or C2I_SIGNING_KEYS), only checked (a node never makes a key)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            store = services.key_store()
            key = services.signing_key()
        except keys.KeyStoreError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{key.key_id} ({store.describe()})")
