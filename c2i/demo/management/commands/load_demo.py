from typing import Any

from django.core.management.base import BaseCommand

from c2i.demo.load import load_demo


class Command(BaseCommand):
    help = "Load the demonstration data (idempotent: does nothing when it is already there)."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_demo()
        self.stdout.write(
            "Données de démonstration chargées."
            if summary.created
            else "Données de démonstration déjà présentes : rien à faire."
        )
