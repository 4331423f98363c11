from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from c2i.enrolment.demo import ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demonstration accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            f"\nComptes de démonstration (mot de passe « {DEMO_PASSWORD} ») — {settings.SITE_URL}/connexion/"
        )
        for username, role in ACCOUNTS:
            self.stdout.write(f"  {username:<18} {role}")
        self.stdout.write("")
