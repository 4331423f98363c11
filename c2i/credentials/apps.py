from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "c2i.credentials"
    label = "credentials"
    verbose_name = _("Certificates and attestations")
