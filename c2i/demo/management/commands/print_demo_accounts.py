from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from c2i.demo.assessment import ROOM_CODE, ROOM_NAME, ROOM_PASSWORD
from c2i.demo.enrolment import ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demonstration accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            f"\nComptes de démonstration (mot de passe « {DEMO_PASSWORD} ») — {settings.SITE_URL}/connexion/"
        )
        for username, role in ACCOUNTS:
            self.stdout.write(f"  {username:<18} {role}")
        self.stdout.write(
            f"Surveillance de l'épreuve C2i1 de l'établissement A ({settings.SITE_URL}/surveillance/) : "
            f"{ROOM_NAME}, code de salle « {ROOM_CODE} », mot de passe « {ROOM_PASSWORD} » "
            "(candidat-a1 et candidat-a2 y sont placés)."
        )
        if settings.C2I_REQUIRE_2FA:
            self.stdout.write(
                "Double authentification exigée (C2I_REQUIRE_2FA) : admin et jury-a la configurent "
                "à leur première connexion (application d'authentification, codes de secours)."
            )
        else:
            self.stdout.write(
                "Double authentification facultative ici (C2I_REQUIRE_2FA=0) : le mot de passe suffit ; "
                "chacun peut l'activer dans « Mon espace »."
            )
        self.stdout.write("")
