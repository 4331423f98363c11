from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    INVITATION = "invitation", _("invitation to enrol")
    EXAM_RESULTS = "exam_results", _("knowledge test results")
    JURY_OUTCOME = "jury_outcome", _("jury outcome")
    DEADLINE_REMINDER = "deadline_reminder", _("portfolio deadline reminder")


class SentNotification(models.Model):
    """An e-mail that was sent: recorded in the transaction that sends it, so
    that a task run again (a retry, a worker that died, two workers at once)
    never sends it twice. `object_id` is the invitation, the sitting or the
    enrolment the message is about; `step` tells reminders apart (days before
    the deadline), 0 for the other kinds."""

    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    object_id = models.PositiveBigIntegerField(_("object"))
    step = models.PositiveSmallIntegerField(_("step"), default=0)
    recipient = models.EmailField(_("recipient"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("e-mail sent")
        verbose_name_plural = _("e-mails sent")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "step", "recipient"], name="notification_sent_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id} → {self.recipient}"
