from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from c2i.credentials import services


class Command(BaseCommand):
    help = (
        "Withdraw a compromised signing key (rotate first): it stays in the issuer's profile marked "
        "revoked and verifies nothing any more; the credentials and status lists it signed are signed "
        "again with the current key (docs/credentials.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id", help="the key's id, YYYYMMDD-<12 hex digits>")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            documents, lists = services.withdraw_key(options["key_id"], None)
        except services.CredentialError as error:
            raise CommandError(error.message) from None
        key_id = options["key_id"]
        self.stdout.write(f"{key_id} withdrawn: {documents} credentials and {lists} status lists signed again")
