"""Issued certificates and attestations (RULES.md R15), the progress of a
session's batch, and the leases of background tasks.

`IssuedDocument` is append-only: a rectification is a new row, and the row it
replaces only changes status (valid → replaced, with `replaced_by`); a
revocation only changes status. What the document says is a snapshot taken at
issue time, so a later change of a name or a framework never alters it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    CERTIFICATE = "certificate", _("certificate")
    ATTESTATION = "attestation", _("attestation")


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("valid")
    REVOKED = "revoked", _("revoked")
    REPLACED = "replaced", _("replaced by a rectification")


class IssuedDocument(models.Model):
    enrolment = models.ForeignKey("enrolment.Enrolment", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    code = models.CharField(_("verification code"), max_length=17, unique=True)
    holder_name = models.CharField(_("holder"), max_length=260)
    framework_code = models.CharField(_("framework"), max_length=30)
    framework_title = models.CharField(_("framework title"), max_length=300)
    institution_name = models.CharField(_("institution"), max_length=200)
    institution_town = models.CharField(_("town"), max_length=120, blank=True)
    session_name = models.CharField(_("session"), max_length=120)
    jury_date = models.DateField(_("jury date"))
    validated_domains = models.JSONField(_("validated domains"), default=list)
    all_domains_count = models.PositiveSmallIntegerField(default=0)
    outcome_key = models.CharField(max_length=200, editable=False)
    pdf = models.FileField(_("PDF"), upload_to="documents/", max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.VALID)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces", verbose_name=_("replaced by")
    )
    reason = models.TextField(_("reason of the rectification"), blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason of the revocation"), blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The signed Open Badges credential, exactly as every download returns it:
    # signed once, when the document is issued (or on the first download of a
    # document issued before, `services.credential_bytes`).
    credential = models.TextField(_("signed Open Badges credential"), blank=True, editable=False)
    # Its place in the Bitstring Status List (`status.py`): list `index // LIST_SIZE`,
    # bit `index % LIST_SIZE`. The document's id (a database sequence), unique.
    status_index = models.PositiveBigIntegerField(_("index in the status list"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ["-issued_at", "-id"]
        constraints = [
            # Two workers producing the same session can never give one enrolment two valid documents.
            models.UniqueConstraint(
                fields=["enrolment"], condition=models.Q(status="valid"), name="document_one_valid_per_enrolment"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["valid", "revoked", "replaced"]), name="document_status_known"
            ),
            models.UniqueConstraint(fields=["status_index"], name="document_status_index_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} — {self.holder_name}"

    @property
    def is_valid(self) -> bool:
        return self.status == DocumentStatus.VALID

    @property
    def is_certificate(self) -> bool:
        return self.kind == DocumentKind.CERTIFICATE


class BatchState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class DocumentBatch(models.Model):
    """One production of a session's documents, split into `parts` tasks that
    workers run in parallel; the counters are updated with F() expressions."""

    institution_session = models.ForeignKey(
        "enrolment.InstitutionSession", on_delete=models.PROTECT, related_name="document_batches"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=BatchState.choices, default=BatchState.QUEUED)
    total = models.PositiveIntegerField(_("documents to produce"), default=0)
    done = models.PositiveIntegerField(_("documents produced"), default=0)
    skipped = models.PositiveIntegerField(_("already up to date"), default=0)
    failed = models.PositiveIntegerField(_("failures"), default=0)
    parts = models.PositiveSmallIntegerField(default=1)
    parts_done = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("document batch")
        verbose_name_plural = _("document batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.institution_session} — {self.done + self.skipped}/{self.total} ({self.get_state_display()})"

    @property
    def processed(self) -> int:
        return self.done + self.skipped + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.processed / self.total))

    @property
    def is_active(self) -> bool:
        return self.state in (BatchState.QUEUED, BatchState.RUNNING)


class BatchPart(models.Model):
    """One task's share of a batch and how far it got. Its enrolments are
    taken in ascending id order; `cursor` is the last one handled, moved
    together with its counter in one conditional statement, so that a task
    run again after its worker died resumes after it and counts each
    enrolment once, even if the old run was still going."""

    batch = models.ForeignKey(DocumentBatch, on_delete=models.CASCADE, related_name="part_rows")
    part = models.PositiveSmallIntegerField()
    cursor = models.BigIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "part"], name="batch_part_once")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.part}"


class TaskLease(models.Model):
    """The lease of a background task being run (django-tasks' database
    backend records who claimed a task, never whether that worker is still
    alive). The worker renews `beat_at` while the task runs and deletes the
    row when it ends; a running task whose lease is older than
    C2I_TASK_LEASE_SECONDS is queued again (`leases.py`)."""

    task_id = models.UUIDField(primary_key=True)
    worker_id = models.CharField(max_length=64)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.task_id} ({self.worker_id})"


class PendingFile(models.Model):
    """A document's file being written: the row is made before the file and
    deleted in the transaction that records the document. A row older than a
    lease names a file that a dead process wrote without recording it; the
    sweep deletes both (no file is ever left written twice)."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class StatusList(models.Model):
    """One W3C Bitstring Status List credential (purpose "revocation") as it is
    served at /statut/<number>: regenerated and signed again, in the
    transaction that revokes or replaces one of its documents."""

    number = models.PositiveIntegerField(_("status list number"), unique=True)
    credential = models.TextField(_("signed Open Badges credential"), blank=True)
    updated_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("W3C status list")
        verbose_name_plural = _("W3C status lists")

    def __str__(self) -> str:
        return f"{self.number}"


class SigningKeyRecord(models.Model):
    """A signing key the platform has known, for the audit trail of its
    creation, rotation and withdrawal (the keys themselves live in the key
    store: a directory or the operator's secret, `keys.py`)."""

    key_id = models.CharField(_("key id"), max_length=21, unique=True)
    public_key = models.CharField(_("public key (Multikey)"), max_length=60)
    store = models.CharField(_("key store"), max_length=10)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    rotated_at = models.DateTimeField(_("rotated out at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")

    def __str__(self) -> str:
        return self.key_id
