from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from c2i.privacy import audit


class Command(BaseCommand):
    help = (
        "Check the hash chain of the audit trail: every entry against its hash and the one before it. "
        "Names the first broken entry and exits with status 1. With --expect ID:HASH, also checks that "
        "entry ID still has the hash recorded earlier (e.g. copied from a previous run into another system)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--expect", action="append", default=[], metavar="ID:HASH")
        parser.add_argument(
            "--print-anchor",
            action="store_true",
            help="On success, print only ID:HASH of the last entry (for --expect).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit.verify()
        if report.first_break is not None:
            raise CommandError(audit.describe(report.first_break), returncode=1)
        for expected in options["expect"]:
            problem = audit.check_anchor(expected)
            if problem:
                raise CommandError(problem, returncode=1)
        if options["print_anchor"]:
            self.stdout.write(f"{report.last_id}:{report.last_hash}")
            return
        self.stdout.write(
            _("Audit trail intact: %(count)s entries; last entry #%(id)s, hash %(hash)s.")
            % {"count": report.checked, "id": report.last_id, "hash": report.last_hash}
        )
