import json
from typing import Any

from django.core.management.base import BaseCommand

from c2i.assessment.services.results import close_expired_attempts


class Command(BaseCommand):
    help = "Score every knowledge-test sitting whose deadline has passed (run it periodically)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps({"closed": close_expired_attempts()}))
