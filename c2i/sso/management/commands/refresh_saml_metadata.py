"""`manage.py refresh_saml_metadata`: read again the metadata of every SAML
provider that has a metadata URL (daily, from cron: certificates and
endpoints change, a federation's metadata expires), and keep it; a provider
whose URL fails keeps the metadata read before. Exit status 1 if one failed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from c2i.accounts.models import AuditAction, audit
from c2i.sso import saml
from c2i.sso.models import IdentityProvider, Protocol


class Command(BaseCommand):
    help = "Read again the metadata of the institutions' SAML identity providers from their URLs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--institution", help="only this institution (UAI)")

    def handle(self, *args: Any, **options: Any) -> None:
        providers = IdentityProvider.objects.filter(protocol=Protocol.SAML).exclude(saml_metadata_url="")
        if options["institution"]:
            providers = providers.filter(institution__uai=options["institution"].strip().upper())
        failed = 0
        for provider in providers.select_related("institution").order_by("pk"):
            before = provider.saml_metadata_xml
            try:
                saml.refresh_metadata(provider)
            except saml.MetadataError as error:
                failed += 1
                self.stderr.write(f"{provider.institution.uai}: {error.message}")
                continue
            if provider.saml_metadata_xml != before:  # new keys or endpoints trusted: recorded
                audit(None, AuditAction.SSO_PROVIDER_CHANGE, provider, saml_metadata_refreshed=provider.saml_entity_id)
            self.stdout.write(f"{provider.institution.uai}: {provider.saml_entity_id}")
        if failed:
            raise CommandError(f"{failed} metadata could not be read")
