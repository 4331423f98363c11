from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from c2i.credentials import keys, services


def deliver_to(command: BaseCommand, output: str | None) -> services.Deliver:
    """Where a command hands the next secret document: `output` (mode 0600,
    replaced atomically), else the standard output."""

    def deliver(secret: keys.Secret) -> None:
        if output:
            try:
                keys.write_secret(output, secret)
            except OSError as error:
                raise CommandError(_("Cannot write %(file)s: %(error)s.") % {"file": output, "error": error}) from None
        else:
            command.stdout.write(secret.document(), ending="")

    return deliver


@contextlib.contextmanager
def operator_errors() -> Iterator[None]:
    """A missing or invalid key store, or a refused key operation: the
    command's error, its French message for the operator, no traceback."""
    try:
        yield
    except keys.KeyStoreError as error:
        raise CommandError(str(error)) from None
    except services.CredentialError as error:
        raise CommandError(error.message) from None


def tell(command: BaseCommand, output: str | None, message: str) -> None:
    """A message for the operator, kept off the standard output when the document goes there."""
    (command.stdout if output else command.stderr).write(message)


class Command(BaseCommand):
    help = (
        "Write the secret every node reads (C2I_SIGNING_KEYS_FILE or C2I_SIGNING_KEYS): the keys of "
        "C2I_KEYS_DIR (moving from one machine to several), or with --new a first key for a new platform. "
        "Into --output (mode 0600), else on the standard output (docs/credentials.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="the file to write (mode 0600); the standard output without it")
        parser.add_argument("--new", action="store_true", help="a new key instead of the keys of C2I_KEYS_DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"]
        with translation.override(settings.LANGUAGE_CODE):
            with operator_errors():
                secret = services.export_signing_keys(None, deliver_to(self, output), new=options["new"])
            tell(
                self,
                output,
                _(
                    "Signing keys secret written (%(where)s): current key %(key_id)s, keys in all: %(count)s. "
                    "Deploy it on every node (application servers and workers) as C2I_SIGNING_KEYS_FILE "
                    "or C2I_SIGNING_KEYS."
                )
                % {"where": output or _("standard output"), "count": len(secret.entries), "key_id": secret.current_id},
            )
