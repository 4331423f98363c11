from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "c2i.portfolio"
    label = "portfolio"
    verbose_name = _("Digital competency portfolios")

    def ready(self) -> None:
        from c2i.enrolment.services import register_withdrawal_hook
        from c2i.portfolio.withdrawal import HOOK

        register_withdrawal_hook("portfolio.submission", HOOK)
