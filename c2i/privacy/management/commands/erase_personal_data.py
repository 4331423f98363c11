from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from c2i.accounts.models import User
from c2i.enrolment.models import Candidate
from c2i.privacy import services
from c2i.privacy.models import ErasureRequest


class Command(BaseCommand):
    help = (
        "Erase a candidate's personal data (docs/privacy.md): that of a pending request (--request ID), "
        "of an account (--user USERNAME) or of a candidate record (--candidate ID)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--request", type=int)
        which.add_argument("--user")
        which.add_argument("--candidate", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["request"] is not None:
                request = ErasureRequest.objects.filter(pk=options["request"]).first()
                if request is None:
                    raise CommandError(_("No erasure request #%(id)s.") % {"id": options["request"]})
                report = services.carry_out(request, None)
            elif options["user"] is not None:
                user = User.objects.filter(username=options["user"]).first()
                if user is None:
                    raise CommandError(_("No account « %(name)s ».") % {"name": options["user"]})
                report = services.erase(user, None)
            else:
                candidate = Candidate.objects.filter(pk=options["candidate"]).first()
                if candidate is None:
                    raise CommandError(_("No candidate #%(id)s.") % {"id": options["candidate"]})
                report = services.erase_candidate(candidate, None)
        except services.PrivacyError as error:
            raise CommandError(error.message) from error
        self.stdout.write(_("Erased: %(summary)s.") % {"summary": report.summary()})
