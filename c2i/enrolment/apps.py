from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrolmentConfig(AppConfig):
    name = "c2i.enrolment"
    label = "enrolment"
    verbose_name = _("Sessions and enrolment")

    def ready(self) -> None:
        from c2i.accounts import roles
        from c2i.enrolment.access import candidate_role

        roles.register("enrolment.candidate", candidate_role)
