from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "c2i.deliberation"
    label = "deliberation"
    verbose_name = _("Jury and deliberation")
