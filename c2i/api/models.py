"""API tokens: one institution's key to its part of the API (issue 14).

A token is shown once, when it is made: `c2i_<key id>_<secret>`. The key id
(stored in clear, unique) finds the row; only the SHA-256 of the whole token
is stored, compared in constant time. A revoked token stays, dated and
signed, for the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    READ = "read", _("read: sessions and enrolments")
    INVITE = "invite", _("invite: bulk invitations of candidates")
    RESULTS = "results", _("results: test results, jury outcomes and documents")


class ApiToken(models.Model):
    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("institution")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. « Apogée »."))
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["institution__name", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.institution})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def prefix(self) -> str:
        """What the correspondent sees of a token afterwards: enough to tell it apart."""
        return f"c2i_{self.key_id}_…"

    def scope_labels(self) -> list[str]:
        return [str(Scope(s).label) for s in self.scopes if s in Scope.values]
