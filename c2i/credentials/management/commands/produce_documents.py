from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from c2i.credentials.services import enqueue_session_documents
from c2i.enrolment.models import InstitutionSession


class Command(BaseCommand):
    help = "Produce (again: idempotent) the documents of an institution session, through the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("institution_session", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        batch = enqueue_session_documents(InstitutionSession.objects.get(pk=options["institution_session"]), None)
        self.stdout.write(f"batch {batch.pk}: {batch.total} documents in {batch.parts} task(s)")
