"""The knowledge test (contrôle de connaissances, RULES.md R16–R19).

The question bank (`Question`, `Option`, `Review`) feeds exams (`Exam`); a
candidate's sitting is an `Attempt` whose drawn questions are
`AttemptQuestion` rows. Each of those rows also holds the candidate's answer
(the set of ticked options, in the order they were shown), so saving an
answer is one indexed update of one row. Scores are computed when the
attempt closes (`DomainResult`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from c2i.assessment.scoring import DRAWABLE_OPTION_COUNTS, MIN_QUESTIONS_PER_DOMAIN

# --- the question bank --------------------------------------------------------


class QuestionKind(models.TextChoices):
    MULTICHOICE = "multichoice", _("multiple choice")
    TRUEFALSE = "truefalse", _("true / false")


class StemFormat(models.TextChoices):
    PLAIN = "plain", _("plain text")
    MARKDOWN = "markdown", _("Markdown")
    HTML = "html", _("HTML")
    MOODLE = "moodle", _("Moodle auto-format")


class QuestionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    VALIDATED = "validated", _("validated")
    REFUSED = "refused", _("refused")
    RETIRED = "retired", _("retired")


EDITABLE_STATUSES = (QuestionStatus.DRAFT, QuestionStatus.REFUSED)

# `AttemptQuestion.open_until` of a finished attempt: before any request's clock.
CLOSED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# `AttemptQuestion.open_until` of a paused attempt (a lost connection, the
# invigilator's authorisation awaited): also refused by the answer path.
PAUSED = dt.datetime(2000, 1, 2, tzinfo=dt.UTC)


class Label(models.Model):
    """A short word of the bank's own (« facile », « réseau », « session 2025 »)
    that questions carry to be found again: Moodle's tags, kept through import
    and export (GIFT ``// [tag:…]``, Moodle XML ``<tags>``)."""

    MAX_LENGTH = 100

    name = models.CharField(_("name"), max_length=MAX_LENGTH, unique=True)

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def question_image_name(instance: Question, filename: str) -> str:
    token = secrets.token_hex(16)
    return f"questions/{token[:2]}/{token}"


class Question(models.Model):
    """One question of the bank, for one competency of a framework.

    Texts follow `formats.model`: the stem is sanitised HTML, or plain or
    Markdown text as written (`stem_format`); option texts and feedback are
    sanitised HTML fragments. Only validated multiple-choice questions with 4
    or 5 options are drawn for certification (R17, R18)."""

    framework = models.ForeignKey(
        "frameworks.Framework", on_delete=models.PROTECT, related_name="questions", verbose_name=_("framework")
    )
    competency = models.ForeignKey(
        "frameworks.Competency", on_delete=models.PROTECT, related_name="questions", verbose_name=_("competency")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=QuestionKind.choices, default=QuestionKind.MULTICHOICE)
    name = models.CharField(_("name"), max_length=200, blank=True)
    stem = models.TextField(_("question"))
    stem_format = models.CharField(
        _("format of the question"), max_length=10, choices=StemFormat.choices, default=StemFormat.PLAIN
    )
    single = models.BooleanField(
        _("single answer in Moodle"),
        default=False,
        help_text=_("Kept for exports; candidates are never told how many options are correct (R18)."),
    )
    feedback = models.TextField(_("feedback"), blank=True)
    idnumber = models.CharField(_("identifier in the source file"), max_length=100, blank=True)
    option_count = models.PositiveSmallIntegerField(_("number of options"), default=0, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.DRAFT, db_index=True
    )
    review_round = models.PositiveSmallIntegerField(
        _("review round"), default=1, help_text=_("A question sent back to its author starts a new round.")
    )
    image = models.FileField(_("image"), upload_to=question_image_name, blank=True, max_length=100)
    image_type = models.CharField(_("image type"), max_length=10, blank=True)
    labels = models.ManyToManyField(Label, blank=True, related_name="questions", verbose_name=_("labels"))
    rereview_note = models.TextField(
        _("to review again"),
        blank=True,
        help_text=_("Why the question went back to review (a neutralisation in a test); cleared once validated."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["id"]
        indexes = [models.Index(fields=["framework", "status"])]

    def __str__(self) -> str:
        return f"{self.competency.code} — {self.name or self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:question", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_drawable(self) -> bool:
        """R18: only multiple-choice questions with 4 or 5 options are drawn."""
        return self.kind == QuestionKind.MULTICHOICE and self.option_count in DRAWABLE_OPTION_COUNTS

    def correct_positions(self) -> frozenset[int]:
        return frozenset(o.position for o in self.options.all() if o.is_correct)


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.TextField(_("text"))
    fraction = models.FloatField(
        _("Moodle grade (%)"), default=0, help_text=_("Correct when positive; kept for exports.")
    )
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["question", "position"], name="option_position_unique")]

    def __str__(self) -> str:
        return f"{self.question_id}.{self.position}"

    @property
    def is_correct(self) -> bool:
        return self.fraction > 0


class ReviewVerdict(models.TextChoices):
    APPROVE = "approve", _("approve")
    REFUSE = "refuse", _("refuse")


class Review(models.Model):
    """A reviewer's opinion on a question, in one review round."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField()
    verdict = models.CharField(_("opinion"), max_length=10, choices=ReviewVerdict.choices)
    remark = models.TextField(_("remark"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "reviewer", "round"], name="review_one_per_reviewer_and_round")
        ]

    def __str__(self) -> str:
        return f"{self.question_id} — {self.reviewer} — {self.verdict}"


# --- exams --------------------------------------------------------------------


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """One CIDR range per line (or separated by commas or spaces); raises ValueError."""
    return [ipaddress.ip_network(part, strict=False) for part in text.replace(",", " ").split()]


class Exam(models.Model):
    """The knowledge test of an institution session: which domains, how many
    questions, how long, when, and from where (R16–R19)."""

    institution_session = models.ForeignKey(
        "enrolment.InstitutionSession",
        on_delete=models.PROTECT,
        related_name="exams",
        verbose_name=_("institution session"),
    )
    title = models.CharField(_("title"), max_length=200)
    domains = models.ManyToManyField("frameworks.Domain", related_name="+", verbose_name=_("domains tested"))
    per_domain = models.PositiveSmallIntegerField(
        _("questions per domain"),
        default=MIN_QUESTIONS_PER_DOMAIN,
        validators=[MinValueValidator(MIN_QUESTIONS_PER_DOMAIN), MaxValueValidator(100)],
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=60, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    access_code = models.CharField(
        _("access code"),
        max_length=40,
        blank=True,
        help_text=_("Optional: given to the candidates in the room, asked before they start."),
    )
    allowed_networks = models.TextField(
        _("allowed networks"),
        blank=True,
        help_text=_("Optional: address ranges (CIDR, e.g. 192.0.2.0/24), one per line. Empty: from anywhere."),
    )
    results_published_at = models.DateTimeField(_("results published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["-opens_at"]
        constraints = [
            models.UniqueConstraint(fields=["institution_session"], name="exam_one_per_institution_session"),
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")), name="exam_window_ordered"),
            models.CheckConstraint(
                condition=models.Q(per_domain__gte=MIN_QUESTIONS_PER_DOMAIN), name="exam_r17_min_per_domain"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("assessment:exam", args=[self.pk])

    def get_candidate_url(self) -> str:
        return reverse("assessment:my_exam", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.results_published_at is not None

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return parse_networks(self.allowed_networks)

    def network_texts(self) -> list[str]:
        return [str(n) for n in self.networks()]

    def ordered_domains(self) -> list:  # type: ignore[type-arg]
        return list(self.domains.order_by("position"))


class ExtraTime(models.Model):
    """Extra time granted to one candidate (tiers-temps, accommodation)."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="extra_times")
    enrolment = models.ForeignKey("enrolment.Enrolment", on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveSmallIntegerField(_("extra time (minutes)"), validators=[MaxValueValidator(600)])
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("extra time")
        verbose_name_plural = _("extra times")
        constraints = [models.UniqueConstraint(fields=["exam", "enrolment"], name="extra_time_unique")]

    def __str__(self) -> str:
        return f"{self.enrolment} +{self.minutes} min"


class Attempt(models.Model):
    """A candidate's one sitting of an exam (R19: the unique constraint).

    The deadline is fixed by the server when the attempt starts (see
    `services.deadline_for`); the attempt is over once the deadline has
    passed or the candidate has finished, whether or not it has been
    finalised (scored) yet: `closed_at` only records the scoring."""

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts")
    enrolment = models.ForeignKey("enrolment.Enrolment", on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seed = models.BigIntegerField(_("draw seed"))
    started_at = models.DateTimeField(_("started at"))
    deadline = models.DateTimeField(_("deadline"))
    submitted_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    score = models.FloatField(_("overall score (%)"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # The exam day (invigilation): the candidate's page reports every few
    # seconds (`last_seen_at`); a candidate may call for help; a sitting is
    # paused after a lost connection until the invigilator lets it resume.
    room = models.ForeignKey(
        "ExamRoom", on_delete=models.SET_NULL, null=True, blank=True, related_name="attempts", verbose_name=_("room")
    )
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    help_requested_at = models.DateTimeField(_("help asked at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    ended_early_reason = models.CharField(_("ended early because"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["started_at", "id"]
        constraints = [models.UniqueConstraint(fields=["exam", "enrolment"], name="attempt_one_sitting")]
        indexes = [models.Index(fields=["closed_at", "deadline"], name="attempt_to_close")]

    def __str__(self) -> str:
        return f"{self.enrolment} — {self.exam}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:attempt", args=[self.pk])

    def is_over(self, now: dt.datetime | None = None) -> bool:
        return self.submitted_at is not None or (now or timezone.now()) >= self.deadline

    def seconds_left(self, now: dt.datetime | None = None) -> int:
        if self.submitted_at is not None:
            return 0
        return max(0, int((self.deadline - (now or timezone.now())).total_seconds()))


class AttemptQuestion(models.Model):
    """One drawn question of an attempt and the candidate's answer to it.

    `option_order` lists the question's option positions in the order shown;
    `ticked` lists the shown indexes the candidate ticked (None: never
    answered). The latest write wins, unless it carries an older `seq`.
    `open_until` is the attempt's deadline while it runs, and `CLOSED` once
    it has finished or been scored: no answer is accepted after that."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    # Copies of the attempt's owner and end, so that saving an answer is one
    # update of this row alone, checked on the row itself (see services.save_answer).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    open_until = models.DateTimeField()
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    domain = models.ForeignKey("frameworks.Domain", on_delete=models.PROTECT, related_name="+")
    option_order = models.JSONField()
    n_options = models.PositiveSmallIntegerField()
    ticked = models.JSONField(null=True, blank=True)
    seq = models.BigIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("drawn question")
        verbose_name_plural = _("drawn questions")
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_question_position_unique"),
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_question_once"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}"

    def ticked_positions(self) -> frozenset[int]:
        """The ticked options as positions of the question's options."""
        order = list(self.option_order)
        return frozenset(order[i] for i in (self.ticked or []))


class DomainResult(models.Model):
    """R18: a domain's percentage in one attempt, and the portfolio item it
    became once published (R7 b)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="domain_results")
    domain = models.ForeignKey("frameworks.Domain", on_delete=models.PROTECT, related_name="+")
    questions = models.PositiveSmallIntegerField()
    percent = models.FloatField()
    positive = models.BooleanField()
    # Questions of this domain taken out of the score (`Neutralisation`);
    # `questions` counts those left. No question left: `questions` is 0, the
    # result is void (never positive) and reported, not a percentage.
    neutralised = models.PositiveSmallIntegerField(default=0)
    evidence = models.ForeignKey(
        "portfolio.Evidence", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("domain result")
        verbose_name_plural = _("domain results")
        ordering = ["attempt", "domain__position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "domain"], name="domain_result_unique")]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.domain_id} {self.percent}"


# --- the exam day: rooms, invigilation, incidents ------------------------------


class ExamRoom(models.Model):
    """A room of an exam, watched by an invigilator who signs in with the
    room's code and password (no account needed), or with a staff account of
    the institution."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("test"))
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("room code"), max_length=12, unique=True)
    capacity = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True, validators=[MaxValueValidator(500)])
    separate = models.BooleanField(
        _("separate room"), default=False, help_text=_("For the candidates whose adjustments ask for a room apart.")
    )
    admission_required = models.BooleanField(
        _("the invigilator lets each candidate in"),
        default=True,
        help_text=_("A candidate placed in this room starts only once the invigilator has let them in."),
    )
    password_hash = models.CharField(max_length=128, blank=True)
    password_set_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exam room")
        verbose_name_plural = _("exam rooms")
        ordering = ["exam", "name"]
        constraints = [models.UniqueConstraint(fields=["exam", "name"], name="exam_room_name_unique")]

    def __str__(self) -> str:
        return self.name


class Seat(models.Model):
    """Where a candidate sits an exam, and whether the invigilator let them in."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="seats")
    room = models.ForeignKey(ExamRoom, on_delete=models.CASCADE, related_name="seats", verbose_name=_("room"))
    enrolment = models.ForeignKey("enrolment.Enrolment", on_delete=models.CASCADE, related_name="seats")
    admitted_at = models.DateTimeField(_("let in at"), null=True, blank=True)
    admitted_by = models.CharField(_("let in by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        constraints = [models.UniqueConstraint(fields=["exam", "enrolment"], name="seat_one_per_exam")]

    def __str__(self) -> str:
        return f"{self.enrolment} @ {self.room}"


class IncidentKind(models.TextChoices):
    TECHNICAL = "technical", _("technical problem")
    CONNECTION = "connection", _("lost connection")
    CHEATING = "cheating", _("suspected cheating")
    ILLNESS = "illness", _("illness")
    LATE = "late", _("late arrival")
    DISTURBANCE = "disturbance", _("disturbance in the room")
    OTHER = "other", _("other")


class Incident(models.Model):
    """An incident report (« procès-verbal d'incident »): attached to a
    candidate's sitting when it concerns one, and to the session's minutes."""

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="incidents")
    room = models.ForeignKey(ExamRoom, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents")
    enrolment = models.ForeignKey(
        "enrolment.Enrolment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents")
    kind = models.CharField(_("kind"), max_length=12, choices=IncidentKind.choices)
    occurred_at = models.DateTimeField(_("time of the incident"))
    text = models.TextField(_("report"))
    reported_by = models.CharField(_("reported by"), max_length=150)
    reported_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%H:%M}"


class NoticeKind(models.TextChoices):
    ADMITTED = "admitted", _("let in")
    RESUMED = "resumed", _("resume authorised")
    ENDED = "ended", _("ended by the invigilator")
    HELP = "help", _("help on its way")
    TIME = "time", _("time changed")


class AttemptNotice(models.Model):
    """What the invigilator did, told to the candidate's page without reload."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.kind}"


class Neutralisation(models.Model):
    """A faulty question taken out of every sitting of an exam (its score
    computed on the remaining questions of each domain), with its reason;
    lifted (`lifted_at`) before the jury closes, or kept."""

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="neutralisations")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="neutralisations")
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("neutralised question")
        verbose_name_plural = _("neutralised questions")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "question"],
                condition=models.Q(lifted_at__isnull=True),
                name="neutralisation_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.exam_id}: {self.question_id}"
