from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "c2i.credentials"
    label = "credentials"
    verbose_name = _("Certificates and attestations")

    def ready(self) -> None:
        # The workers' leases (leases.py): taken when a task starts, released when it ends.
        from django_tasks_db.compat import task_finished, task_started

        from c2i.credentials import leases

        task_started.connect(leases.take_lease, dispatch_uid="c2i.credentials.leases.take")
        task_finished.connect(leases.release_lease, dispatch_uid="c2i.credentials.leases.release")
