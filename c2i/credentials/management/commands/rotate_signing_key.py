from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from c2i.credentials import keys, services
from c2i.credentials.management.commands.export_signing_keys import deliver_to, operator_errors, tell


class Command(BaseCommand):
    help = (
        "Make a new current signing key. Old public keys stay, so credentials signed before the rotation "
        "still verify. In C2I_KEYS_DIR: done at once. With the operator's secret (C2I_SIGNING_KEYS_FILE or "
        "C2I_SIGNING_KEYS): writes the next secret into --output (mode 0600, else the standard output), to "
        "deploy on every node."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="with a secret: the file to write the new secret into (mode 0600)")

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"]
        with translation.override(settings.LANGUAGE_CODE):
            with operator_errors():
                store = services.key_store()
                if store.kind == keys.DIRECTORY and output:
                    raise CommandError(
                        _("The signing keys are in the folder %(folder)s: --output is only for a secret.")
                        % {"folder": store.describe()}
                    )
                deliver = deliver_to(self, output) if store.kind == keys.SECRET else None
                key, secret = services.rotate_signing_key(None, deliver)
            if secret is None:
                self.stdout.write(f"{key.key_id} ({store.describe()})")
                return
            tell(
                self,
                output,
                _(
                    "New signing keys secret written (%(where)s): key %(key_id)s signs once it is deployed. Deploy "
                    "it on every node (application servers and workers) at once, in place of %(store)s: the nodes "
                    "read it again without a restart. Nothing changed until then."
                )
                % {"where": output or _("standard output"), "key_id": key.key_id, "store": store.describe()},
            )
