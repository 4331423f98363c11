from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "c2i.statistics"
    label = "statistics"
    verbose_name = _("National figures")

    def ready(self) -> None:
        # A jury's publication rebuilds its institution session's figures (services.py).
        from c2i.deliberation.signals import outcomes_published
        from c2i.statistics import services

        outcomes_published.connect(services.on_outcomes_published, dispatch_uid="c2i.statistics.outcomes")
