"""The national figures, kept as counts (aggregates) so that a dashboard over a
million enrolments reads a few thousand rows, never the enrolments.

One row per institution session (and candidate status, or domain, or
competency), with the keys the pages filter on copied into it (year,
framework, national session, institution). The rows are derived data: they
are rebuilt from the outcomes by `services.refresh_all()` and, for one
institution session, when its jury publishes (`outcomes_published`). They hold
counts only, never a person.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FigureKeys(models.Model):
    """The keys every figure row carries: where the counts come from. Derived
    rows never hold a deletion of the records back (no database constraint:
    a bulk deletion of sessions or institutions is not blocked by them; the
    next refresh drops what they counted)."""

    institution_session = models.ForeignKey(
        "enrolment.InstitutionSession", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    session = models.ForeignKey("enrolment.Session", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    framework = models.ForeignKey(
        "frameworks.Framework", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    # the calendar year of the national session's start
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        abstract = True


class SessionFigures(FigureKeys):
    """The counts of one institution session's active enrolments of one
    candidate status. The outcome columns partition `enrolled`: certified +
    attested + not_certified + deferred + undecided = enrolled."""

    candidate_status = models.CharField(max_length=12)
    enrolled = models.PositiveIntegerField(default=0)
    submitted = models.PositiveIntegerField(default=0)  # a current submitted portfolio
    sat = models.PositiveIntegerField(default=0)  # a knowledge-test sitting
    certified = models.PositiveIntegerField(default=0)  # published, certified (certificate)
    attested = models.PositiveIntegerField(default=0)  # published, not certified, a domain validated (attestation)
    not_certified = models.PositiveIntegerField(default=0)  # published, not certified, no domain (no document)
    deferred = models.PositiveIntegerField(default=0)  # published, deferred by the chair (ajourné)
    undecided = models.PositiveIntegerField(default=0)  # no published outcome yet
    returning = models.PositiveIntegerField(default=0)  # published with a carried-over domain (R14)
    returning_certified = models.PositiveIntegerField(default=0)
    domains_kept = models.PositiveIntegerField(default=0)  # carried-over domains counted in the outcomes

    class Meta:
        verbose_name = _("figures of an institution session")
        verbose_name_plural = _("figures of institution sessions")
        constraints = [
            models.UniqueConstraint(fields=["institution_session", "candidate_status"], name="session_figures_once")
        ]
        indexes = [models.Index(fields=["year", "framework"], name="session_figures_filter_idx")]

    def __str__(self) -> str:
        return f"{self.institution_session_id} {self.candidate_status}"


class DomainFigures(FigureKeys):
    """One domain in one institution session: among the published final
    outcomes (`decided`), how many validated it, how many carried it over,
    and the knowledge test's published results for it."""

    domain_code = models.CharField(max_length=10)
    position = models.PositiveSmallIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)
    validated = models.PositiveIntegerField(default=0)
    carried_over = models.PositiveIntegerField(default=0)
    tested = models.PositiveIntegerField(default=0)
    test_positive = models.PositiveIntegerField(default=0)
    test_percent_sum = models.FloatField(default=0)

    class Meta:
        verbose_name = _("figures of a domain")
        verbose_name_plural = _("figures of domains")
        constraints = [
            models.UniqueConstraint(fields=["institution_session", "domain_code"], name="domain_figures_once")
        ]
        indexes = [models.Index(fields=["year", "framework"], name="domain_figures_filter_idx")]

    def __str__(self) -> str:
        return f"{self.institution_session_id} {self.domain_code}"


class CompetencyFigures(FigureKeys):
    """The jury's current decisions on one competency in one published
    institution session."""

    competency_code = models.CharField(max_length=12)
    position = models.PositiveIntegerField(default=0)
    validated = models.PositiveIntegerField(default=0)
    not_validated = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("figures of a competency")
        verbose_name_plural = _("figures of competencies")
        constraints = [
            models.UniqueConstraint(fields=["institution_session", "competency_code"], name="competency_figures_once")
        ]
        indexes = [models.Index(fields=["year", "framework"], name="competency_figures_filter_idx")]

    def __str__(self) -> str:
        return f"{self.institution_session_id} {self.competency_code}"


class Refresh(models.Model):
    """One rebuild of the figures: all of them, or one institution session's."""

    institution_session = models.ForeignKey(
        "enrolment.InstitutionSession",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    started_at = models.DateTimeField(_("started at"))
    seconds = models.FloatField(_("duration (s)"), default=0)
    rows = models.PositiveIntegerField(_("rows written"), default=0)

    class Meta:
        verbose_name = _("refresh of the figures")
        verbose_name_plural = _("refreshes of the figures")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.institution_session_id or 'all'})"
