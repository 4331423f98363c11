from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from c2i.credentials import keys, services
from c2i.credentials.management.commands.export_signing_keys import deliver_to, operator_errors, tell


class Command(BaseCommand):
    help = (
        "Withdraw a compromised signing key (rotate first): it stays in the issuer's profile marked revoked and "
        "verifies nothing any more; the credentials and status lists it signed are signed again with the current "
        "key (docs/credentials.md). With the operator's secret: the first run writes the next secret into "
        "--output (mode 0600, else the standard output); once it is deployed on every node, run the command "
        "again to sign again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id", help="the key's id, YYYYMMDD-<12 hex digits>")
        parser.add_argument("--output", help="with a secret: the file to write the new secret into (mode 0600)")

    def handle(self, *args: Any, **options: Any) -> None:
        key_id, output = options["key_id"], options["output"]
        with translation.override(settings.LANGUAGE_CODE):
            with operator_errors():
                store = services.key_store()
                pending = store.kind == keys.SECRET and key_id not in store.withdrawn()
                if pending:
                    services.withdrawal_secret(key_id, None, deliver_to(self, output))
                else:
                    documents, lists = services.withdraw_key(key_id, None)
            if pending:
                tell(
                    self,
                    output,
                    _(
                        "New signing keys secret written (%(where)s): key %(key_id)s withdrawn, its private key "
                        "dropped. Deploy it on every node, then run this command again (manage.py "
                        "withdraw_signing_key %(key_id)s): it signs again, with the current key, what the withdrawn "
                        "key had signed."
                    )
                    % {"where": output or _("standard output"), "key_id": key_id},
                )
                return
            self.stdout.write(
                _(
                    "Key %(key_id)s withdrawn. Signed again with the current key: credentials %(documents)s, "
                    "status lists %(lists)s."
                )
                % {"key_id": key_id, "documents": documents, "lists": lists}
            )
