"""The digital competency portfolio (dossier numérique de compétences, R7–R9).

The living portfolio (`Portfolio`, `Evidence`, `EvidenceFile`) is the
candidate's to change; a `Submission` is a frozen copy of it for the jury of
one institution session (`SubmittedEvidence`, `SubmittedFile`): its rows are
never updated, and the files it refers to (`StoredFile`) are immutable and
kept as long as anything refers to them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from c2i.portfolio import filetypes


class Portfolio(models.Model):
    """One per candidate and framework; it lives across sessions (a candidate
    who tries again keeps it)."""

    candidate = models.ForeignKey("enrolment.Candidate", on_delete=models.PROTECT, related_name="portfolios")
    framework = models.ForeignKey("frameworks.Framework", on_delete=models.PROTECT, related_name="portfolios")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("portfolio")
        verbose_name_plural = _("portfolios")
        ordering = ["candidate__last_name", "candidate__first_names", "framework__code"]
        constraints = [models.UniqueConstraint(fields=["candidate", "framework"], name="portfolio_one_per_framework")]

    def __str__(self) -> str:
        return f"{self.candidate} — {self.framework}"

    def get_absolute_url(self) -> str:
        return reverse("portfolio:mine", args=[self.framework.code])

    def get_staff_url(self) -> str:
        return reverse("portfolio:staff_detail", args=[self.pk])

    def stored_bytes(self) -> int:
        total = EvidenceFile.objects.filter(evidence__portfolio=self).aggregate(n=models.Sum("blob__size"))["n"]
        return int(total or 0)


class EvidenceKind(models.TextChoices):
    """R7 (a)–(d)."""

    CURRICULUM = "a", _("(a) production from an activity of the curriculum")
    TEST_RESULT = "b", _("(b) knowledge-test result")
    EXTERNAL = "c", _("(c) external production, with the candidate's commentary")
    FINAL_PRACTICAL = "d", _("(d) production from a final practical activity")


class Evidence(models.Model):
    """One item of the living portfolio, supporting one or more competencies."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=1, choices=EvidenceKind.choices)
    title = models.CharField(_("title"), max_length=200)
    context = models.CharField(
        _("context"), max_length=300, blank=True, help_text=_("The course or activity it comes from.")
    )
    activity_date = models.DateField(_("date of the activity"), null=True, blank=True)
    competencies = models.ManyToManyField(
        "frameworks.Competency", related_name="evidence", verbose_name=_("competencies supported")
    )
    link = models.URLField(_("link"), max_length=500, blank=True)
    reflection = models.TextField(
        _("reflection"),
        blank=True,
        help_text=_("What you did, what you learnt, why it shows the competency. Markdown allowed."),
    )
    summary = models.TextField(_("result"), blank=True, help_text=_("Written by the platform for kind (b)."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Raised by each saved edit: a form sends the version it was filled from,
    # and an edit made from an older one is refused (two tabs, one item).
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portfolio:evidence", args=[self.portfolio.framework.code, self.pk])

    @property
    def is_system(self) -> bool:
        """Kind (b) items are written by the platform only."""
        return self.kind == EvidenceKind.TEST_RESULT

    @property
    def counts_for_validation(self) -> bool:
        """R10: a competency needs at least one item that is not a test result."""
        return self.kind != EvidenceKind.TEST_RESULT


def new_storage_name() -> str:
    import secrets

    token = secrets.token_hex(20)
    return f"portfolio/{token[:2]}/{token}"


class StoredFile(models.Model):
    """The bytes of an uploaded file, under a random name outside the static
    root. Never rewritten: a snapshot refers to the same row as the living
    item it was copied from, so deleting the living item leaves it intact."""

    storage_name = models.CharField(max_length=100, unique=True, default=new_storage_name, editable=False)
    filetype = models.CharField(_("type"), max_length=10, choices=[(t.key, t.label) for t in filetypes.ALL])
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return self.storage_name

    @property
    def type(self) -> filetypes.FileType:
        return filetypes.BY_KEY[self.filetype]

    def is_referenced(self) -> bool:
        return self.evidence_files.exists() or self.submitted_files.exists()


class EvidenceFile(models.Model):
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="files")
    blob = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="evidence_files")
    original_name = models.CharField(_("file name"), max_length=150)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("portfolio:file", args=[self.pk])


class EvidenceComment(models.Model):
    """An assessor's comment on an item; append-only."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.author} — {self.at:%Y-%m-%d %H:%M}"


class PositioningLevel(models.TextChoices):
    ACQUIRED = "acquired", _("acquired")
    TO_CONSOLIDATE = "to_consolidate", _("to consolidate")
    NOT_ACQUIRED = "not_acquired", _("not acquired")


class Positioning(models.Model):
    """An assessor's estimate of one competency: not a decision. Append-only;
    the latest row per competency is the one shown, the others are its history."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="positionings")
    competency = models.ForeignKey("frameworks.Competency", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("positioning"), max_length=20, choices=PositioningLevel.choices)
    comment = models.TextField(_("comment"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("positioning")
        verbose_name_plural = _("positionings")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["portfolio", "competency", "-at"])]

    def __str__(self) -> str:
        return f"{self.competency.code}: {self.get_level_display()}"


class SubmissionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    WITHDRAWN = "withdrawn", _("withdrawn")
    REPLACED = "replaced", _("replaced by a later submission")


class Submission(models.Model):
    """A frozen copy of the portfolio for the jury of the enrolment's
    institution session (R9). Only its status changes (withdrawal)."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="submissions")
    enrolment = models.ForeignKey("enrolment.Enrolment", on_delete=models.PROTECT, related_name="submissions")
    institution_session = models.ForeignKey(
        "enrolment.InstitutionSession", on_delete=models.PROTECT, related_name="submissions", editable=False
    )
    status = models.CharField(_("status"), max_length=12, choices=SubmissionStatus.choices)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("submitted portfolio")
        verbose_name_plural = _("submitted portfolios")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"], condition=models.Q(status="submitted"), name="submission_one_current"
            ),
            # docs/lifecycle.md: a submission that ends (withdrawn, replaced) is dated.
            models.CheckConstraint(
                condition=models.Q(status__in=["submitted", "withdrawn", "replaced"]), name="submission_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(status="submitted") | models.Q(ended_at__isnull=False),
                name="submission_end_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio} — {self.institution_session} ({self.get_status_display()})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.institution_session_id = self.enrolment.institution_session_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("portfolio:snapshot", args=[self.pk])

    @property
    def is_current(self) -> bool:
        return self.status == SubmissionStatus.SUBMITTED


class FrozenRow(models.Model):
    """A row of a snapshot: written once, never updated (R9)."""

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("a submitted snapshot cannot be changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class SubmittedEvidence(FrozenRow):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="items")
    source_id = models.PositiveBigIntegerField(help_text="The living item it was copied from (which may be gone).")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=1, choices=EvidenceKind.choices)
    title = models.CharField(_("title"), max_length=200)
    context = models.CharField(_("context"), max_length=300, blank=True)
    activity_date = models.DateField(_("date of the activity"), null=True, blank=True)
    competencies = models.ManyToManyField("frameworks.Competency", related_name="+")
    link = models.URLField(_("link"), max_length=500, blank=True)
    reflection = models.TextField(_("reflection"), blank=True)
    summary = models.TextField(_("result"), blank=True)

    class Meta:
        verbose_name = _("submitted evidence item")
        verbose_name_plural = _("submitted evidence items")
        ordering = ["submission", "position"]

    def __str__(self) -> str:
        return self.title

    @property
    def counts_for_validation(self) -> bool:
        return self.kind != EvidenceKind.TEST_RESULT


class SubmittedFile(FrozenRow):
    item = models.ForeignKey(SubmittedEvidence, on_delete=models.PROTECT, related_name="files")
    blob = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="submitted_files")
    original_name = models.CharField(_("file name"), max_length=150)

    class Meta:
        verbose_name = _("submitted file")
        verbose_name_plural = _("submitted files")
        ordering = ["item", "id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("portfolio:snapshot_file", args=[self.item.submission_id, self.pk])
