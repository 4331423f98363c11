from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from c2i.lib import audit_chain


class User(AbstractUser):
    """A person with an account. Roles are held through `Membership` rows,
    the candidate profile (`enrolment.Candidate`) and jury seats
    (`deliberation.JuryMember`); a person may hold several."""

    email = models.EmailField(_("e-mail address"), unique=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new password or a deactivation signs the person out everywhere:
        their other sessions end at once, not at their next page (Django's
        own check happens only then; the exam's answer fast path, which never
        loads the user, relies on this). The password change view then starts
        the current session again (`update_session_auth_hash`)."""
        password_changed = getattr(self, "_password", None) is not None  # set by set_password(), cleared by save()
        super().save(*args, **kwargs)
        if password_changed or not self.is_active:
            Session.objects.filter(user=self).delete()


class Session(AbstractBaseSession):
    """A login session (Django's database sessions, SESSION_ENGINE
    `c2i.accounts.sessions`) with the user it belongs to in a column of its
    own: ending someone's sessions is one query, and the exam's answer fast
    path checks, in its one statement, that the session is alive and that
    the sitting is its user's."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("user")
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls) -> Any:
        from c2i.accounts.sessions import SessionStore

        return SessionStore


class Role(models.TextChoices):
    NATIONAL_ADMIN = "national_admin", _("national administrator")
    CORRESPONDENT = "correspondent", _("C2i correspondent")
    ASSESSOR = "assessor", _("assessor / tutor")
    REVIEWER = "reviewer", _("question reviewer")


INSTITUTION_ROLES = {Role.CORRESPONDENT, Role.ASSESSOR}


class Membership(models.Model):
    """One role of a user; correspondents and assessors belong to an institution."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("institution"),
    )
    is_public_contact = models.BooleanField(
        _("shown in the public directory"),
        default=True,
        help_text=_("For correspondents: their name, e-mail and phone appear in the directory."),
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "institution"],
                condition=models.Q(institution__isnull=False),
                name="membership_unique_in_institution",
            ),
            models.UniqueConstraint(
                fields=["user", "role"], condition=models.Q(institution__isnull=True), name="membership_unique_national"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=[Role.CORRESPONDENT, Role.ASSESSOR], institution__isnull=False)
                    | models.Q(role__in=[Role.NATIONAL_ADMIN, Role.REVIEWER], institution__isnull=True)
                ),
                name="membership_institution_matches_role",
            ),
        ]

    def __str__(self) -> str:
        if self.institution_id:
            return f"{self.user} — {self.get_role_display()} ({self.institution})"
        return f"{self.user} — {self.get_role_display()}"


class AuditAction(models.TextChoices):
    """Every action the audit trail records (`audit`), by app: a page or an
    export shows the label; the stored value is the dotted name."""

    ACCOUNT_TWO_FACTOR_ON = "account.two_factor_on", _("Two-factor authentication turned on")
    ACCOUNT_TWO_FACTOR_OFF = "account.two_factor_off", _("Two-factor authentication turned off")
    CANDIDATE_REGISTER = "candidate.register", _("Candidate registered")
    SESSION_CREATE = "session.create", _("National session created")
    INSTITUTION_SESSION_CREATE = "institution_session.create", _("Institution session opened")
    ENROLMENT_ENROL = "enrolment.enrol", _("Enrolment")
    ENROLMENT_WITHDRAW = "enrolment.withdraw", _("Withdrawal from a session")
    ENROLMENT_IMPORT = "enrolment.import", _("Candidates imported")
    INVITATION_CONFIRM = "invitation.confirm", _("Invitation confirmed")
    INVITATION_DECLINE = "invitation.decline", _("Invitation declined")
    PORTFOLIO_CREATE = "portfolio.create", _("Portfolio created")
    PORTFOLIO_EVIDENCE_CREATE = "portfolio.evidence_create", _("Evidence item added")
    PORTFOLIO_EVIDENCE_UPDATE = "portfolio.evidence_update", _("Evidence item changed")
    PORTFOLIO_EVIDENCE_DELETE = "portfolio.evidence_delete", _("Evidence item deleted")
    PORTFOLIO_FILE_ADD = "portfolio.file_add", _("File added to an item")
    PORTFOLIO_FILE_REMOVE = "portfolio.file_remove", _("File removed from an item")
    PORTFOLIO_COMMENT = "portfolio.comment", _("Assessor's comment")
    PORTFOLIO_POSITION = "portfolio.position", _("Assessor's positioning")
    PORTFOLIO_SUBMIT = "portfolio.submit", _("Portfolio submitted to the jury")
    PORTFOLIO_WITHDRAW_SUBMISSION = "portfolio.withdraw_submission", _("Submission withdrawn")
    ASSESSMENT_QUESTION_CREATE = "assessment.question_create", _("Question written")
    ASSESSMENT_QUESTION_UPDATE = "assessment.question_update", _("Question changed")
    ASSESSMENT_QUESTION_IMAGE = "assessment.question_image", _("Question image changed")
    ASSESSMENT_QUESTION_SUBMIT = "assessment.question_submit", _("Question submitted for review")
    ASSESSMENT_QUESTION_REVIEW = "assessment.question_review", _("Reviewer's opinion")
    ASSESSMENT_QUESTION_VALIDATED = "assessment.question_validated", _("Question validated")
    ASSESSMENT_QUESTION_REFUSED = "assessment.question_refused", _("Question refused")
    ASSESSMENT_QUESTION_RETIRE = "assessment.question_retire", _("Question retired")
    ASSESSMENT_QUESTIONS_IMPORT = "assessment.questions_import", _("Questions imported")
    ASSESSMENT_EXAM_CREATE = "assessment.exam_create", _("Knowledge test created")
    ASSESSMENT_EXAM_UPDATE = "assessment.exam_update", _("Knowledge test changed")
    ASSESSMENT_ACCESS_CODE_REFUSED = "assessment.access_code_refused", _("Wrong access code")
    ASSESSMENT_ATTEMPT_START = "assessment.attempt_start", _("Sitting started")
    ASSESSMENT_ATTEMPT_FINISH = "assessment.attempt_finish", _("Sitting handed in")
    ASSESSMENT_ATTEMPT_CLOSE = "assessment.attempt_close", _("Sitting closed")
    ASSESSMENT_ATTEMPT_REOPEN = "assessment.attempt_reopen", _("Sitting reopened")
    ASSESSMENT_EXTRA_TIME = "assessment.extra_time", _("Extra time granted")
    ASSESSMENT_RESULTS_PUBLISH = "assessment.results_publish", _("Test results published")
    ASSESSMENT_ROOM_CREATE = "assessment.room_create", _("Exam room created")
    ASSESSMENT_ROOM_UPDATE = "assessment.room_update", _("Exam room changed")
    ASSESSMENT_ROOM_PASSWORD = "assessment.room_password", _("Invigilator password set")
    ASSESSMENT_SEATS = "assessment.seats", _("Candidates placed in the rooms")
    INVIGILATION_SIGN_IN = "invigilation.sign_in", _("Invigilator signed in")
    INVIGILATION_SIGN_IN_REFUSED = "invigilation.sign_in_refused", _("Invigilator sign-in refused")
    INVIGILATION_ADMIT = "invigilation.admit", _("Candidate let in by the invigilator")
    INVIGILATION_RESUME = "invigilation.resume", _("Resume authorised by the invigilator")
    INVIGILATION_END = "invigilation.end", _("Sitting ended early by the invigilator")
    INVIGILATION_INCIDENT = "invigilation.incident", _("Incident reported")
    INVIGILATION_HELP_ANSWERED = "invigilation.help_answered", _("Call for help answered")
    ASSESSMENT_HELP_REQUEST = "assessment.help_request", _("Candidate asked for help")
    ASSESSMENT_ATTEMPT_PAUSE = "assessment.attempt_pause", _("Sitting paused after a lost connection")
    ASSESSMENT_QUESTION_NEUTRALISE = "assessment.question_neutralise", _("Question neutralised in a test")
    ASSESSMENT_QUESTION_RESTORE = "assessment.question_restore", _("Question neutralisation lifted")
    ENROLMENT_ADJUSTMENTS = "enrolment.adjustments", _("Exam adjustments set")
    JURY_MEMBER = "jury.member", _("Jury member added")
    JURY_REMOVE = "jury.remove", _("Jury member removed")
    DELIBERATION_DECIDE = "deliberation.decide", _("Jury decision")
    DELIBERATION_GRID = "deliberation.grid", _("Jury grid recorded")
    DELIBERATION_DEFER = "deliberation.defer", _("Deferral set or lifted")
    DELIBERATION_CLOSE = "deliberation.close", _("Deliberation closed")
    DELIBERATION_PUBLISH = "deliberation.publish", _("Results published")
    DELIBERATION_RECTIFY = "deliberation.rectify", _("Decision rectified")
    DELIBERATION_TEST_RECTIFY = "deliberation.test_rectify", _("Outcomes rectified after a test's correction")
    DOCUMENTS_ISSUE = "documents.issue", _("Document issued")
    DOCUMENTS_REPLACE = "documents.replace", _("Document replaced")
    DOCUMENTS_REVOKE = "documents.revoke", _("Document revoked")
    DOCUMENTS_BATCH = "documents.batch", _("Documents produced for a session")
    SSO_PROVIDER_CHANGE = "sso.provider_change", _("Institution sign-on configured")
    SSO_SIGN_IN = "sso.sign_in", _("Signed in through the institution")
    SSO_ACCOUNT_CREATE = "sso.account_create", _("Account created at a first institution sign-in")
    SSO_ACCOUNT_LINK = "sso.account_link", _("Account linked to an institution identity")
    SSO_CONFLICT = "sso.conflict", _("Institution sign-in refused: identity conflict")
    SSO_CONFLICT_RESOLVE = "sso.conflict_resolve", _("Identity conflict settled")
    API_TOKEN_CREATE = "api.token_create", _("API token created")
    API_TOKEN_REVOKE = "api.token_revoke", _("API token revoked")
    API_INVITE = "api.invite", _("Invitations sent through the API")
    API_WRITE = "api.write", _("Change made through the API")
    DOCUMENTS_STATUS_LIST = "documents.status_list", _("Credential status list published")
    STATISTICS_REFRESH = "statistics.refresh", _("National figures refreshed")
    SIGNING_KEY_CREATE = "documents.signing_key_create", _("Signing key created")
    SIGNING_KEY_ROTATE = "documents.signing_key_rotate", _("Signing key rotated")
    SIGNING_KEY_WITHDRAW = "documents.signing_key_withdraw", _("Signing key withdrawn")
    PRIVACY_ERASURE_REQUEST = "privacy.erasure_request", _("Erasure requested")
    PRIVACY_ERASURE_REFUSE = "privacy.erasure_refuse", _("Erasure refused")
    PRIVACY_ERASE = "privacy.erase", _("Personal data erased")


class AuditEntry(models.Model):
    """Append-only trail of writes that matter (enrolments, portfolio, decisions),
    tamper-evident: each entry carries the hash of the one before it
    (`c2i.lib.audit_chain`), written under the lock of the chain's head row so
    that concurrent writers never fork the chain. `manage.py verify_audit`
    checks it. The author is protected: an account named in the trail is
    deactivated or anonymised, never deleted."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=60, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    details = models.JSONField(default=dict, blank=True)
    details_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    details_pruned_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Details emptied by the retention (their digest stays)."
    )
    prev_hash = models.CharField(max_length=64, default="", editable=False)
    entry_hash = models.CharField(max_length=64, default="", editable=False)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [
            # Each hash is the predecessor of one entry at most: the chain cannot fork.
            models.UniqueConstraint(fields=["prev_hash"], name="audit_chain_no_fork"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Append to the chain: lock its head (the one extra read), hash, insert,
        move the head. An entry is never changed afterwards."""
        if not self._state.adding:
            raise ValueError("an audit entry is never changed")
        with transaction.atomic(savepoint=False):  # a failed append fails the write it records
            head = AuditChainHead.locked()
            self.at = timezone.now()  # under the lock: dates follow the chain's order
            self.details = audit_chain.as_stored(self.details)
            self.details_digest = audit_chain.details_digest(self.details)
            self.prev_hash = head.last_hash
            self.entry_hash = audit_chain.entry_hash(
                self.prev_hash,
                self.at,
                self.actor_id,
                self.action,
                self.object_type,
                self.object_id,
                self.details_digest,
            )
            super().save(*args, **kwargs)
            AuditChainHead.objects.filter(pk=head.pk).update(last_id=self.pk, last_hash=self.entry_hash)

    def detail_pairs(self) -> list[tuple[str, Any]]:
        """The details as (key, value) pairs: a template reading `details.items`
        would get the detail named « items » (a submission records one)."""
        return list(self.details.items())


class AuditChainHead(models.Model):
    """The last link of the audit chain, one row: every append locks it
    (SELECT ... FOR UPDATE; on SQLite writers are serialised anyway), reads
    the previous hash from it and moves it. It also tells `verify_audit`
    whether entries were removed from the end of the trail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=audit_chain.GENESIS)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.last_id} {self.last_hash[:12]}"

    @classmethod
    def locked(cls) -> AuditChainHead:
        head = cls.objects.select_for_update().filter(pk=1).first()
        if head is None:  # a new database, or one a test flushed: start from its last entry
            last = AuditEntry.objects.order_by("-id").values_list("id", "entry_hash").first()
            cls.objects.get_or_create(
                pk=1,
                defaults={"last_id": last[0] if last else 0, "last_hash": last[1] if last else audit_chain.GENESIS},
            )
            head = cls.objects.select_for_update().get(pk=1)
        return head


def audit(actor: User | None, action: AuditAction, obj: models.Model, **details: object) -> AuditEntry:
    entry = AuditEntry(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        details=details,
    )
    entry.save()
    return entry
