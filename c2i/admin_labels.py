"""The Django admin's headings in French that reads right (issue 11, list 10).

- Django's French for « %(app)s administration » and « Add %s » puts « de »
  before the name: « Administration de Établissements », « Ajout de
  établissement ». Our catalogue (LOCALE_PATHS, read before Django's) gives
  these messages a wording that suits every name; the `gettext_noop` below
  keep them in it (`make messages` keeps only the messages our code names).
- django-tasks-db names its app in English, untranslated (« Tasks Database
  Backend »), and its model « Task Results » without a French catalogue:
  `TasksConfig` (in INSTALLED_APPS instead of "django_tasks_db") names the app,
  the catalogue its model and fields. Model and field names stay the
  package's own messages: changing them on the model would be a migration of
  a package we do not own. The two-factor packages' apps get a name too.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy
from django_tasks_db.apps import TasksAppConfig

DJANGO_ADMIN_MESSAGES = (
    gettext_noop("%(app)s administration"),
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
)

TASK_MESSAGES = (
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
)


class TasksConfig(TasksAppConfig):
    verbose_name = _("Background tasks")  # type: ignore[assignment]  # lazy: translated when shown

    def ready(self) -> None:
        super().ready()
        from django_tasks_db.admin import DBTaskResultAdmin
        from django_tasks_db.models import DBTaskResult

        # Columns the admin names after an attribute, in English.
        DBTaskResult.task_name.fget.short_description = _("task")  # type: ignore[attr-defined]
        DBTaskResultAdmin.formatted_traceback.short_description = _("traceback")  # type: ignore[attr-defined]
        DBTaskResultAdmin.display_run_after.short_description = _("run after")  # type: ignore[attr-defined]
        for label, name in (
            ("otp_totp", _("Two-factor authentication: applications")),
            ("otp_static", _("Two-factor authentication: recovery codes")),
        ):
            if apps.is_installed(f"django_otp.plugins.{label}"):
                apps.get_app_config(label).verbose_name = name
