from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JuryMember(models.Model):
    """A seat in the jury of an institution session; one member chairs it."""

    institution_session = models.ForeignKey(
        "enrolment.InstitutionSession", on_delete=models.CASCADE, related_name="jury_members"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jury_seats")
    is_chair = models.BooleanField(_("chair"), default=False)

    class Meta:
        verbose_name = _("jury member")
        verbose_name_plural = _("jury members")
        ordering = ["-is_chair", "user__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["institution_session", "user"], name="jury_member_unique"),
            models.UniqueConstraint(
                fields=["institution_session"], condition=models.Q(is_chair=True), name="jury_one_chair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({_('chair') if self.is_chair else _('member')})"
