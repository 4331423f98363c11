from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
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


class DeliberationStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")
    PUBLISHED = "published", _("published")


class Deliberation(models.Model):
    """The jury's work on one institution session: open while it decides,
    closed by the chair (decisions become immutable), then published
    (documents issued)."""

    institution_session = models.OneToOneField(
        "enrolment.InstitutionSession", on_delete=models.PROTECT, related_name="deliberation"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeliberationStatus.choices, default=DeliberationStatus.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_reason = models.TextField(
        _("reason for closing early"),
        blank=True,
        help_text=_("Given by the chair when the deliberation closes before the portfolio deadline or the test ends."),
    )

    class Meta:
        verbose_name = _("deliberation")
        verbose_name_plural = _("deliberations")
        constraints = [
            # docs/lifecycle.md: open → closed → published, each step dated.
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "closed", "published"]), name="deliberation_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", closed_at__isnull=True) | models.Q(closed_at__isnull=False),
                name="deliberation_closed_dated",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(published_at__isnull=False),
                name="deliberation_published_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution_session} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == DeliberationStatus.OPEN


class DecisionValue(models.TextChoices):
    VALIDATED = "V", _("validated")
    NOT_VALIDATED = "NV", _("not validated")
    UNDECIDED = "", _("undecided")


class CompetencyDecision(models.Model):
    """The jury's decision on one competency of one enrolment. Append-only: a
    change is a new row that supersedes the current one (`supersedes`, unique,
    so the history is a chain); the current decision is the row nobody
    supersedes. A row with the empty value withdraws a decision (undecided)."""

    enrolment = models.ForeignKey("enrolment.Enrolment", on_delete=models.PROTECT, related_name="decisions")
    institution_session = models.ForeignKey(
        "enrolment.InstitutionSession", on_delete=models.PROTECT, related_name="+", editable=False
    )
    competency_code = models.CharField(_("competency"), max_length=12)
    value = models.CharField(_("decision"), max_length=2, choices=DecisionValue.choices, blank=True)
    evidence = models.JSONField(_("evidence cited"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    rectification_reason = models.TextField(_("reason of the rectification"), blank=True)

    class Meta:
        verbose_name = _("competency decision")
        verbose_name_plural = _("competency decisions")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "competency_code"],
                condition=models.Q(supersedes__isnull=True),
                name="decision_first_unique",
            ),
            models.CheckConstraint(condition=models.Q(value__in=["V", "NV", ""]), name="decision_value_known"),
        ]
        indexes = [models.Index(fields=["institution_session", "id"], name="decision_session_idx")]

    def __str__(self) -> str:
        return f"{self.competency_code}: {self.value or '—'}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("a jury decision is never changed: record a new one that supersedes it")
        self.institution_session_id = self.enrolment.institution_session_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        raise ValueError("a jury decision is never deleted")


class OutcomeStatus(models.TextChoices):
    CERTIFIED = "certified", _("certified")
    NOT_CERTIFIED = "not_certified", _("not certified")
    INCOMPLETE = "incomplete", _("undecided")


class OutcomeExplanation(models.Model):
    """The reasons of an outcome, stored once however many candidates share
    them (most of a session's candidates do), keyed by their digest."""

    digest = models.CharField(max_length=40, primary_key=True)
    reasons = models.JSONField(_("reasons"), default=list)

    class Meta:
        verbose_name = _("outcome explanation")
        verbose_name_plural = _("outcome explanations")

    def __str__(self) -> str:
        return self.digest


class CandidateOutcome(models.Model):
    """The engine's current outcome for an enrolment (recomputed from the
    decisions whenever they change) and the chair's deferral mark."""

    enrolment = models.OneToOneField("enrolment.Enrolment", on_delete=models.PROTECT, related_name="jury_outcome")
    # indexed by `outcome_session_idx` (session, status), which leads with it
    institution_session = models.ForeignKey(
        "enrolment.InstitutionSession", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(_("outcome"), max_length=16, choices=OutcomeStatus.choices)
    validated_domains = models.JSONField(_("validated domains"), default=list)
    carried_over = models.JSONField(_("carried-over domains"), default=list)
    explanation = models.ForeignKey(
        OutcomeExplanation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deferred = models.BooleanField(_("deferred (ajourné)"), default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("candidate outcome")
        verbose_name_plural = _("candidate outcomes")
        indexes = [models.Index(fields=["institution_session", "status"], name="outcome_session_idx")]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.get_status_display()}"

    @property
    def certified(self) -> bool | None:
        if self.status == OutcomeStatus.INCOMPLETE:
            return None
        return self.status == OutcomeStatus.CERTIFIED

    @property
    def reasons(self) -> list[str]:
        """The engine's reasons, in French, each citing its rule."""
        return list(self.explanation.reasons) if self.explanation_id and self.explanation else []


class DomainCredit(models.Model):
    """R14 ledger: a domain validated at a closed deliberation, kept for the
    candidate's later enrolments in the same framework. Keyed by the
    candidate identity (the R5 key) so that a new account finds it too. A
    rectification that un-validates the domain revokes the row (never deleted)."""

    identity_key = models.CharField(max_length=300, db_index=True)
    framework = models.ForeignKey("frameworks.Framework", on_delete=models.PROTECT, related_name="+")
    domain_code = models.CharField(_("domain"), max_length=10)
    institution_session = models.ForeignKey("enrolment.InstitutionSession", on_delete=models.PROTECT, related_name="+")
    enrolment = models.ForeignKey("enrolment.Enrolment", on_delete=models.PROTECT, related_name="domain_credits")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("validated domain (carried over)")
        verbose_name_plural = _("validated domains (carried over)")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "domain_code"],
                condition=models.Q(revoked_at__isnull=True),
                name="domain_credit_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain_code} ({self.institution_session})"
