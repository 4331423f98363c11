from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "c2i.assessment"
    label = "assessment"
    verbose_name = _("Knowledge test")

    def ready(self) -> None:
        from c2i.assessment.services.exams import move_running_deadlines
        from c2i.enrolment import adjustments

        # A change of an enrolment's exam adjustments moves its running sitting's end.
        adjustments.register_hook("assessment.deadlines", move_running_deadlines)
