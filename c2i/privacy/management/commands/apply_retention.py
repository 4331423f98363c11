from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from c2i.privacy import retention


class Command(BaseCommand):
    help = (
        "Apply the retention periods (settings C2I_RETENTION_*, docs/privacy.md): expired invitations, "
        "never-submitted portfolios, candidates withdrawn long ago, old audit details. Run it daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be removed, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = retention.apply(dry_run=options["dry_run"])
        labels = {
            "invitations": _("expired or declined invitations deleted"),
            "draft_portfolios": _("never-submitted portfolios deleted"),
            "withdrawn_candidates": _("withdrawn candidates erased"),
            "audit_details": _("audit entries whose details were emptied"),
        }
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was changed."))
        for name, count in counts.items():
            self.stdout.write(f"{count:>6}  {labels[name]}")
