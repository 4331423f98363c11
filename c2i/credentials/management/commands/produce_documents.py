from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from c2i.credentials.services import CredentialError, enqueue_session_documents
from c2i.enrolment.models import InstitutionSession


class Command(BaseCommand):
    help = "Produce (again: idempotent) the documents of an institution session, through the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("institution_session", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        institution_session = InstitutionSession.objects.get(pk=options["institution_session"])
        try:
            batch = enqueue_session_documents(institution_session, None)
        except CredentialError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"batch {batch.pk}: {batch.total} documents in {batch.parts} task(s)")
