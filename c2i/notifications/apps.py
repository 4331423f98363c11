from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "c2i.notifications"
    label = "notifications"
    verbose_name = _("E-mail notifications")

    def ready(self) -> None:
        # The e-mails the workflows promise (receivers.py); the workflows announce, they never import us.
        from c2i.assessment.signals import results_published
        from c2i.deliberation.signals import outcomes_published
        from c2i.enrolment.signals import invitations_created
        from c2i.notifications import receivers

        invitations_created.connect(receivers.on_invitations_created, dispatch_uid="c2i.notifications.invitations")
        results_published.connect(receivers.on_results_published, dispatch_uid="c2i.notifications.results")
        outcomes_published.connect(receivers.on_outcomes_published, dispatch_uid="c2i.notifications.outcomes")
