from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "c2i.deliberation"
    label = "deliberation"
    verbose_name = _("Jury and deliberation")

    def ready(self) -> None:
        from c2i.accounts import roles
        from c2i.deliberation import freeze
        from c2i.deliberation.roles import jury_roles
        from c2i.enrolment import freeze as session_freeze

        roles.register("deliberation.jury", jury_roles)
        session_freeze.register("deliberation.closed", freeze.closed_at, freeze.closed_among)
        from c2i.assessment.signals import test_results_changed
        from c2i.deliberation.services.closing import on_test_results_changed

        test_results_changed.connect(on_test_results_changed, dispatch_uid="deliberation.test_results_changed")
