"""Institution single sign-on (issue 14): an institution's identity provider
(CAS 3.0 or SAML 2), the identities it vouched for, and the sign-ins refused
for a conflict, left for the institution's correspondent to settle."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Protocol(models.TextChoices):
    CAS = "cas", _("CAS 3.0")
    SAML = "saml", _("SAML 2 (RENATER federation)")


class IdentityProvider(models.Model):
    """How one institution signs its people in. Set by the national
    administrator; off until `enabled`. Attribute names default to what
    French universities release (eduPerson, SupAnn)."""

    institution = models.OneToOneField(
        "institutions.Institution",
        on_delete=models.CASCADE,
        related_name="identity_provider",
        verbose_name=_("institution"),
    )
    protocol = models.CharField(_("protocol"), max_length=4, choices=Protocol.choices)
    enabled = models.BooleanField(_("enabled"), default=False)
    # CAS: the server's base URL, e.g. https://cas.univ-exemple.fr/cas/
    cas_server_url = models.URLField(_("CAS server URL"), blank=True)
    # SAML: the IdP's entity id and where its metadata is read (an URL), or
    # the metadata itself pasted by the administrator (kept, so that a
    # sign-in never waits on the federation's server).
    saml_entity_id = models.CharField(_("IdP entity ID"), max_length=500, blank=True)
    saml_metadata_url = models.URLField(_("metadata URL"), max_length=500, blank=True)
    saml_metadata_xml = models.TextField(_("metadata"), blank=True)
    saml_metadata_fetched_at = models.DateTimeField(_("metadata read at"), null=True, blank=True)
    # Attribute names, as the provider releases them.
    attr_identity = models.CharField(_("identity attribute"), max_length=100, default="eduPersonPrincipalName")
    attr_email = models.CharField(_("e-mail attribute"), max_length=100, default="mail")
    attr_given_name = models.CharField(_("given name attribute"), max_length=100, default="givenName")
    attr_surname = models.CharField(_("surname attribute"), max_length=100, default="sn")
    attr_ine = models.CharField(_("INE attribute"), max_length=100, default="supannCodeINE")
    attr_student_id = models.CharField(_("student number attribute"), max_length=100, default="supannEtuId")
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        constraints = [
            models.CheckConstraint(condition=models.Q(protocol__in=["cas", "saml"]), name="sso_protocol_known"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} ({self.get_protocol_display()})"


class ExternalIdentity(models.Model):
    """A person as one institution's provider knows them: `subject` is the
    stable identity (eduPersonPrincipalName, or the pairwise/persistent id)."""

    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE, related_name="identities", verbose_name=_("identity provider")
    )
    subject = models.CharField(_("identity"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="external_identities",
        verbose_name=_("user"),
    )
    student_id = models.CharField(_("student number"), max_length=50, blank=True)
    # The INE the provider vouched for (validated): kept here until the
    # person completes their candidate profile, which then carries it.
    ine = models.CharField(_("INE"), max_length=11, blank=True)
    created_at = models.DateTimeField(_("linked at"), auto_now_add=True)
    last_sign_in_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("institution identity")
        verbose_name_plural = _("institution identities")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="sso_identity_unique"),
        ]

    def __str__(self) -> str:
        return self.subject


class SignInConflict(models.Model):
    """A first sign-in that could not be tied to one account without risk of
    joining two people (same INE, another person's e-mail...): refused, and
    kept here for the institution's correspondent."""

    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("identity provider")
    )
    subject = models.CharField(_("identity"), max_length=255)
    attributes = models.JSONField(_("attributes received"), default=dict)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("settled by"),
    )
    resolution = models.TextField(_("how it was settled"), blank=True)

    class Meta:
        verbose_name = _("identity conflict")
        verbose_name_plural = _("identity conflicts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class CasSessionTicket(models.Model):
    """The CAS service ticket a platform session was opened with: the CAS
    server's single logout names the ticket, and that session is ended."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    ticket = models.CharField(max_length=255, unique=True)
    session_key = models.CharField(max_length=40, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("CAS session ticket")
        verbose_name_plural = _("CAS session tickets")

    def __str__(self) -> str:
        return self.ticket
