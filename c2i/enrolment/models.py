from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from c2i.lib.identifiers import identity_key


class Session(models.Model):
    """A national certification session: a framework and a period (R5)."""

    framework = models.ForeignKey("frameworks.Framework", on_delete=models.PROTECT, related_name="sessions")
    name = models.CharField(_("name"), max_length=120, help_text=_("For example « C2i1 — printemps 2027 »."))
    start = models.DateField(_("start of the period"))
    end = models.DateField(_("end of the period"))
    enrolment_opens = models.DateField(_("enrolment opens"))
    enrolment_closes = models.DateField(_("enrolment closes"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("national session")
        verbose_name_plural = _("national sessions")
        ordering = ["-start", "framework__code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "name"], name="session_name_unique"),
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="session_period_ordered"),
            models.CheckConstraint(
                condition=models.Q(enrolment_closes__gte=models.F("enrolment_opens")),
                name="session_enrolment_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("enrolment:session", args=[self.pk])

    def enrolment_open_on(self, day: dt.date) -> bool:
        return self.enrolment_opens <= day <= self.enrolment_closes


class InstitutionSession(models.Model):
    """One institution's organisation of a national session (R4)."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="institution_sessions")
    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.PROTECT, related_name="institution_sessions"
    )
    portfolio_deadline = models.DateTimeField(_("portfolio deadline"))
    test_opens = models.DateTimeField(_("knowledge test opens"), null=True, blank=True)
    test_closes = models.DateTimeField(_("knowledge test closes"), null=True, blank=True)
    jury_date = models.DateField(_("jury date"))
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True, help_text=_("Empty: no limit."))
    place = models.CharField(_("place"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("institution session")
        verbose_name_plural = _("institution sessions")
        ordering = ["-session__start", "institution__name"]
        constraints = [
            models.UniqueConstraint(fields=["session", "institution"], name="institution_session_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.session} — {self.institution}"

    def get_absolute_url(self) -> str:
        return reverse("enrolment:institution_session", args=[self.pk])

    @property
    def framework(self):  # type: ignore[no-untyped-def]
        return self.session.framework

    def active_count(self) -> int:
        return self.enrolments.filter(status=EnrolmentStatus.ACTIVE).count()

    def deadline_passed(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) > self.portfolio_deadline

    @cached_property
    def deliberated(self) -> bool:
        """The jury has closed (or published) its deliberation: the session's
        enrolments and submitted portfolios are frozen (docs/lifecycle.md)."""
        from c2i.enrolment import freeze

        return freeze.closed_at(self.pk) is not None


class CandidateStatus(models.TextChoices):
    STUDENT = "student", _("student of the institution")
    CONTINUING = "continuing", _("continuing education")


class Candidate(models.Model):
    """A person seeking a certificate: the identity R5 is checked on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="candidate"
    )
    email = models.EmailField(_("e-mail address"))
    last_name = models.CharField(_("last name"), max_length=100)
    first_names = models.CharField(_("first names"), max_length=150)
    birth_date = models.DateField(_("birth date"))
    birth_place = models.CharField(_("birth place"), max_length=120)
    ine = models.CharField(_("INE"), max_length=11, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=CandidateStatus.choices)
    identity_key = models.CharField(max_length=300, editable=False, db_index=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["last_name", "first_names"]
        constraints = [
            models.UniqueConstraint(fields=["ine"], condition=~models.Q(ine=""), name="candidate_ine_unique"),
        ]
        # a person's records by address (`conflicts.person`, email__iexact): read
        # on every page of a juror, among a nation's 950,000 candidates
        indexes = [models.Index(Upper("email"), name="candidate_email_upper_idx")]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        previous = self.identity_key
        self.identity_key = identity_key(self.ine or None, self.last_name, self.first_names, self.birth_date)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "identity_key"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if previous and previous != self.identity_key:
            # R5 is checked on the enrolments' copy of the identity: keep it in step.
            self.enrolments.update(identity_key=self.identity_key)

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_name.upper()}"


class EnrolmentStatus(models.TextChoices):
    """An enrolment is always the candidate's own act (R6): an institution's
    invitation is an `Invitation` until the candidate confirms it."""

    ACTIVE = "active", _("enrolled")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Enrolment(models.Model):
    """A candidate's enrolment in an institution session.

    R5 lives in the database: the partial unique constraint
    `enrolment_one_active_per_identity_and_session` allows at most one active
    enrolment per candidate identity and national session, whatever the
    institution; `session` and `identity_key` are copied here for it.
    """

    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="enrolments")
    institution_session = models.ForeignKey(InstitutionSession, on_delete=models.PROTECT, related_name="enrolments")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="enrolments", editable=False)
    identity_key = models.CharField(max_length=300, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=EnrolmentStatus.choices)
    special_curriculum = models.BooleanField(
        _("particular curriculum without specific training"),
        default=False,
        help_text=_("Set by the institution; allows final practical activities as evidence (R8)."),
    )
    # Exam adjustments (aménagements d'épreuve), for every test of the session;
    # `assessment.ExtraTime` stays for one test's exceptional minutes.
    extra_time_percent = models.PositiveSmallIntegerField(
        _("extra time (% of each test's duration)"),
        default=0,
        validators=[MaxValueValidator(200)],
        help_text=_("The « tiers-temps » is 33 %. Rounded up to the whole minute."),
    )
    larger_text = models.BooleanField(_("larger text"), default=False)
    separate_room = models.BooleanField(_("separate room"), default=False)
    adjustments_note = models.CharField(
        _("adjustments: reference"),
        max_length=200,
        blank=True,
        help_text=_("E.g. the date of the disability service's opinion. Never medical details."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["candidate__last_name", "candidate__first_names"]
        constraints = [
            models.UniqueConstraint(
                fields=["identity_key", "session"],
                condition=models.Q(status="active"),
                name="enrolment_one_active_per_identity_and_session",
            ),
            # docs/lifecycle.md: a withdrawal is dated.
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "withdrawn"]), name="enrolment_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(status="active") | models.Q(withdrawn_at__isnull=False),
                name="enrolment_withdrawn_dated",
            ),
        ]
        indexes = [models.Index(fields=["institution_session", "status"])]

    def __str__(self) -> str:
        return f"{self.candidate} — {self.institution_session}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.session_id = self.institution_session.session_id
        self.identity_key = self.candidate.identity_key
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_active(self) -> bool:
        return self.status == EnrolmentStatus.ACTIVE

    @property
    def final_practical_allowed(self) -> bool:
        """R8: continuing-education learners, or students of a particular curriculum."""
        return self.candidate.status == CandidateStatus.CONTINUING or self.special_curriculum


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("invited (to confirm)")
    CONFIRMED = "confirmed", _("invitation confirmed")
    DECLINED = "declined", _("invitation declined")


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(state=InvitationStatus.PENDING)

    def to_address(self, email: str) -> InvitationQuerySet:
        return self.filter(email=(email or "").strip().lower())

    def addressed_to(self, user: Any) -> InvitationQuerySet:
        """The invitations a signed-in person may answer: those sent to their
        account's address, and only if the account is a candidate's."""
        if not user.is_authenticated or not Candidate.objects.filter(user=user).exists():
            return self.none()
        return self.to_address(user.email)


class Invitation(models.Model):
    """An institution's invitation to enrol (R6), one line of its import.

    It holds what the institution typed, and nothing else: an import is never
    matched with a stored person, so that it discloses nothing about anyone
    (issue 10). It is addressed to an e-mail; the candidate account with that
    address sees it, and only their confirmation makes it an enrolment of
    *their own* candidate record, which the institution then sees. An account
    that is not a candidate's never gets an identity from an invitation.
    """

    institution_session = models.ForeignKey(InstitutionSession, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    last_name = models.CharField(_("last name"), max_length=100)
    first_names = models.CharField(_("first names"), max_length=150)
    birth_date = models.DateField(_("birth date"))
    birth_place = models.CharField(_("birth place"), max_length=120)
    ine = models.CharField(_("INE"), max_length=11, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=CandidateStatus.choices)
    special_curriculum = models.BooleanField(_("particular curriculum without specific training"), default=False)
    # The exam adjustments the institution typed, given to the enrolment when confirmed.
    extra_time_percent = models.PositiveSmallIntegerField(
        _("extra time (% of each test's duration)"), default=0, validators=[MaxValueValidator(200)]
    )
    larger_text = models.BooleanField(_("larger text"), default=False)
    separate_room = models.BooleanField(_("separate room"), default=False)
    adjustments_note = models.CharField(_("adjustments: reference"), max_length=200, blank=True)
    identity_key = models.CharField(max_length=300, editable=False)
    state = models.CharField(
        _("invitation"), max_length=12, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.PROTECT, null=True, blank=True, related_name="invitation", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["last_name", "first_names"]
        constraints = [
            # One pending invitation per address and per identity in a session,
            # whoever imports and however many at once: the database decides.
            models.UniqueConstraint(
                fields=["institution_session", "email"],
                condition=models.Q(state="pending"),
                name="invitation_one_pending_per_address",
            ),
            models.UniqueConstraint(
                fields=["institution_session", "identity_key"],
                condition=models.Q(state="pending"),
                name="invitation_one_pending_per_identity",
            ),
            # docs/lifecycle.md: an answer is dated; a confirmation names the enrolment it made.
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "confirmed", "declined"]), name="invitation_state_known"
            ),
            models.CheckConstraint(
                condition=models.Q(state="pending") | models.Q(answered_at__isnull=False),
                name="invitation_answer_dated",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="confirmed") | models.Q(enrolment__isnull=False),
                name="invitation_confirmed_enrolled",
            ),
        ]
        indexes = [models.Index(fields=["email", "state"])]

    def __str__(self) -> str:
        return f"{self.full_name} — {self.institution_session}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = self.email.strip().lower()
        self.identity_key = identity_key(self.ine or None, self.last_name, self.first_names, self.birth_date)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_name.upper()}"

    @property
    def is_pending(self) -> bool:
        return self.state == InvitationStatus.PENDING
