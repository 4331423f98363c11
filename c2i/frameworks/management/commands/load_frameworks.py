from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from c2i.frameworks.loader import FrameworkDataError, load_frameworks


class Command(BaseCommand):
    help = "Load or update the C2i frameworks (référentiels) from a folder of JSON files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", nargs="?", default=str(settings.C2I_DATA_DIR))

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        try:
            report = load_frameworks(Path(directory))
        except FrameworkDataError as error:
            raise CommandError(f"Aucun référentiel n'a été modifié. {error}") from error
        self.stdout.write(f"Référentiels : {report.summary()}.")
        for label in report.retired:
            self.stdout.write(f"  compétence retirée (encore référencée) : {label}")
