"""Knowledge-test workflows (RULES.md R16–R19): the question bank and its
review, exams, sittings, answers, scoring and results. Each workflow runs in
a transaction, writes its audit entry and raises `AssessmentError` with a
code and a French message; access is decided before, by
`c2i.assessment.access`.

The deadline rule (R19). When a candidate starts, the server fixes the end
of the sitting once and for all:

    deadline = min(start + duration + extra time, window close + extra time)

so a late start does not buy time beyond the window, and a candidate with
extra time keeps it even when they start just before the window closes. The
deadline changes only when the correspondent grants extra time to a running
sitting or reopens one (with a logged reason).
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import io
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.access import roles
from c2i.accounts.models import AuditEntry, Session, User, audit
from c2i.assessment import scoring
from c2i.assessment.answer_queue import PendingAnswer
from c2i.assessment.models import (
    CLOSED,
    Attempt,
    AttemptQuestion,
    DomainResult,
    Exam,
    ExtraTime,
    Option,
    Question,
    QuestionKind,
    QuestionStatus,
    Review,
    ReviewVerdict,
    parse_networks,
)
from c2i.assessment.text import foreign_image
from c2i.deliberation import freeze
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession
from c2i.frameworks.models import Competency, Domain, Framework
from c2i.lib.errors import DomainError
from c2i.notifications import services as notifications


class AssessmentError(DomainError):
    pass


def required_approvals() -> int:
    return max(1, int(getattr(settings, "C2I_REVIEW_APPROVALS", 3)))


# --- questions ----------------------------------------------------------------

MAX_IMAGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class OptionInput:
    text: str  # sanitised HTML fragment
    fraction: float  # Moodle percent; correct when positive
    feedback: str = ""


def fractions_for(correct: Sequence[bool]) -> list[float]:
    """Moodle grades that make Moodle score like R18: each correct option
    100/B, each wrong one −100/M (B ≤ 5 and M ≤ 4 give allowed grades)."""
    b = sum(1 for c in correct if c)
    m = len(correct) - b
    right = round(100 / b, 5) if b else 0.0
    wrong = -round(100 / m, 5) if m else 0.0
    return [right if c else wrong for c in correct]


def check_options(kind: str, options: Sequence[OptionInput]) -> None:
    """R18: 4 or 5 options (2 for true/false), at least one correct."""
    if kind == QuestionKind.TRUEFALSE:
        if len(options) != 2:
            raise AssessmentError("tf_options", _("A true/false question has exactly two options."))
    elif len(options) not in scoring.DRAWABLE_OPTION_COUNTS:
        raise AssessmentError(
            "option_count",
            _("R18: a question has 4 or 5 options (%(count)s given).") % {"count": len(options)},
        )
    if not any(o.fraction > 0 for o in options):
        raise AssessmentError("no_correct_option", _("R18: at least one option must be correct."))
    if any(not o.text.strip() for o in options):
        raise AssessmentError("empty_option", _("Every option needs a text."))


def check_images(stem: str, stem_format: str, options: Sequence[OptionInput], feedback: str) -> None:
    """Only the platform's own images: one another site serves would have
    each candidate's browser call it during the test (tracking)."""
    found = foreign_image(stem, stem_format, [(o.text, o.feedback) for o in options], feedback)
    if found is not None:
        raise AssessmentError(
            "external_image",
            _(
                "Image from another site (%(src)s) in %(where)s: only images stored on the platform are "
                "accepted; add the image with the Image field of the question."
            )
            % {"src": found[1], "where": found[0]},
        )


def _check_competency(framework: Framework, competency: Competency) -> None:
    if competency.domain.framework_id != framework.pk or competency.retired:
        raise AssessmentError(
            "competency_foreign",
            _("The competency %(code)s is not a current competency of %(framework)s.")
            % {"code": competency.code, "framework": framework.code},
        )


def _write_options(question: Question, options: Sequence[OptionInput]) -> None:
    question.options.all().delete()
    Option.objects.bulk_create(
        Option(question=question, position=i, text=o.text, fraction=o.fraction, feedback=o.feedback)
        for i, o in enumerate(options)
    )
    question.option_count = len(options)
    question.save(update_fields=["option_count", "updated_at"])


@transaction.atomic
def create_question(
    actor: User | None,
    *,
    framework: Framework,
    competency: Competency,
    stem: str,
    options: Sequence[OptionInput],
    stem_format: str = "plain",
    kind: str = QuestionKind.MULTICHOICE,
    name: str = "",
    feedback: str = "",
    single: bool = False,
    idnumber: str = "",
    status: str = QuestionStatus.DRAFT,
    image: bytes | None = None,
) -> Question:
    """The question, its options and (optionally) its image, in one transaction:
    every check, the image's included, runs before anything is written."""
    _check_competency(framework, competency)
    check_options(kind, options)
    if not stem.strip():
        raise AssessmentError("empty_stem", _("The question needs a text."))
    check_images(stem, stem_format, options, feedback)
    image_type = check_image(image) if image is not None else ""
    question = Question.objects.create(
        framework=framework,
        competency=competency,
        kind=kind,
        name=name.strip()[:200],
        stem=stem,
        stem_format=stem_format,
        single=single,
        feedback=feedback,
        idnumber=idnumber[:100],
        status=status,
        author=actor,
    )
    _write_options(question, options)
    audit(actor, "assessment.question_create", question, status=status, competency=competency.code)
    if image is not None:
        _store_image(question, actor, image, image_type)
    return question


def _check_editable(question: Question) -> None:
    if not question.is_editable:
        raise AssessmentError(
            "not_editable",
            _(
                "Only a draft or a refused question can be changed (this one is %(status)s). A validated "
                "question is never changed under the candidates who drew it: retire it and write a new one."
            )
            % {"status": question.get_status_display()},
        )


@transaction.atomic
def update_question(
    question: Question,
    actor: User | None,
    *,
    competency: Competency,
    stem: str,
    options: Sequence[OptionInput],
    name: str = "",
    feedback: str = "",
    image: bytes | None = None,
    remove_image: bool = False,
) -> Question:
    """The text, options and image (`image`: a new one; `remove_image`: none
    any more; neither: kept) in one transaction, every check first."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    _check_editable(question)
    _check_competency(question.framework, competency)
    check_options(question.kind, options)
    if not stem.strip():
        raise AssessmentError("empty_stem", _("The question needs a text."))
    check_images(stem, question.stem_format, options, feedback)
    image_type = check_image(image) if image is not None else ""
    question.competency = competency
    question.stem = stem
    question.name = name.strip()[:200]
    question.feedback = feedback
    question.save(update_fields=["competency", "stem", "name", "feedback", "updated_at"])
    _write_options(question, options)
    audit(actor, "assessment.question_update", question)
    if image is not None:
        _store_image(question, actor, image, image_type)
    elif remove_image and question.image:
        _store_image(question, actor, None, "")
    return question


def check_image(data: bytes) -> str:
    """PNG or JPEG, decided from the bytes (and decoded by Pillow); the type key."""
    if not data:
        raise AssessmentError("image_empty", _("The image is empty."))
    if len(data) > MAX_IMAGE_BYTES:
        raise AssessmentError("image_too_large", _("The image weighs more than 2 MB."))
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind, pil_format = "png", "PNG"
    elif data.startswith(b"\xff\xd8\xff"):
        kind, pil_format = "jpeg", "JPEG"
    else:
        raise AssessmentError("image_type", _("The image must be a PNG or JPEG file (its content is neither)."))
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != pil_format:
                raise ValueError(image.format)
            image.verify()
    except Exception as error:  # Pillow raises many kinds on a broken file
        raise AssessmentError("image_broken", _("The image file is damaged.")) from error
    return kind


def _store_image(question: Question, actor: User | None, data: bytes | None, image_type: str) -> None:
    """Write an image already checked (`image_type` from check_image), or with
    None remove it; the old file goes once the transaction is committed."""
    old = question.image.name if question.image else ""
    if data is None:
        question.image = ""  # type: ignore[assignment]
    else:
        question.image.save("image", ContentFile(data), save=False)
    question.image_type = image_type
    question.save(update_fields=["image", "image_type", "updated_at"])
    if old:
        storage = question.image.storage
        transaction.on_commit(lambda: storage.delete(old))
    audit(actor, "assessment.question_image", question, removed=data is None)


# --- review -------------------------------------------------------------------


@transaction.atomic
def submit_for_review(question: Question, actor: User | None) -> Question:
    question = Question.objects.select_for_update().get(pk=question.pk)
    _check_editable(question)
    if question.status == QuestionStatus.REFUSED:
        question.review_round += 1  # opinions on the refused version no longer count
    question.status = QuestionStatus.IN_REVIEW
    question.save(update_fields=["status", "review_round", "updated_at"])
    audit(actor, "assessment.question_submit", question, round=question.review_round)
    return question


@transaction.atomic
def review_question(question: Question, reviewer: User, verdict: str, remark: str = "") -> Review:
    """A reviewer's opinion. N approvals in the round validate the question
    (C2I_REVIEW_APPROVALS); one refusal sends it back to its author."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    r = roles(reviewer)
    if not (r.is_reviewer or r.is_admin):
        raise AssessmentError("not_reviewer", _("Only question reviewers give an opinion on questions."))
    if question.author_id == reviewer.pk:
        raise AssessmentError("own_question", _("You cannot review a question you wrote."))
    if question.status != QuestionStatus.IN_REVIEW:
        raise AssessmentError(
            "not_in_review",
            _("This question is not in review (it is %(status)s).") % {"status": question.get_status_display()},
        )
    if verdict not in ReviewVerdict.values:
        raise AssessmentError("verdict_unknown", _("Approve or refuse the question."))
    if verdict == ReviewVerdict.REFUSE and not remark.strip():
        raise AssessmentError("remark_required", _("Say why you refuse the question: the author will read it."))
    try:
        with transaction.atomic():
            review = Review.objects.create(
                question=question,
                reviewer=reviewer,
                round=question.review_round,
                verdict=verdict,
                remark=remark.strip(),
            )
    except IntegrityError as error:
        raise AssessmentError(
            "already_reviewed", _("You have already given your opinion on this version of the question.")
        ) from error
    audit(reviewer, "assessment.question_review", question, verdict=verdict, round=question.review_round)
    if verdict == ReviewVerdict.REFUSE:
        question.status = QuestionStatus.REFUSED
    elif question.reviews.filter(round=question.review_round, verdict=ReviewVerdict.APPROVE).count() >= (
        required_approvals()
    ):
        question.status = QuestionStatus.VALIDATED
    if question.status != QuestionStatus.IN_REVIEW:
        question.save(update_fields=["status", "updated_at"])
        audit(reviewer, f"assessment.question_{question.status}", question, round=question.review_round)
    return review


@transaction.atomic
def retire_question(question: Question, actor: User | None) -> Question:
    """A retired question is never drawn again; attempts that drew it keep it."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.status == QuestionStatus.RETIRED:
        raise AssessmentError("already_retired", _("This question is already retired."))
    question.status = QuestionStatus.RETIRED
    question.save(update_fields=["status", "updated_at"])
    audit(actor, "assessment.question_retire", question)
    return question


def latest_refusal(question: Question) -> Review | None:
    return question.reviews.filter(verdict=ReviewVerdict.REFUSE).order_by("-created_at", "-id").first()


# --- exams --------------------------------------------------------------------


def default_domains(framework: Framework) -> list[Domain]:
    """R16: the domains the framework requires a test in (all of them for
    C2i1 and C2i2ms, none elsewhere)."""
    if not framework.test_required:
        return []
    return list(framework.domains.order_by("position"))


def bank_for(framework: Framework, domains: Iterable[Domain]) -> list[scoring.BankQuestion]:
    """The drawable questions (R17, R18): validated multiple-choice questions
    with 4 or 5 options, in the domains asked."""
    rows = Question.objects.filter(
        framework=framework,
        status=QuestionStatus.VALIDATED,
        kind=QuestionKind.MULTICHOICE,
        option_count__in=sorted(scoring.DRAWABLE_OPTION_COUNTS),
        competency__domain__in=list(domains),
    ).values_list("id", "competency__domain__code", "competency__code", "option_count")
    return [scoring.BankQuestion(*row) for row in rows]


def check_bank(framework: Framework, domains: Sequence[Domain], per_domain: int) -> None:
    """R17: the bank holds enough validated questions in each domain."""
    try:
        scoring.draw(bank_for(framework, domains), [d.code for d in domains], per_domain, 0)
    except scoring.DrawError as error:
        raise AssessmentError(error.code, error.message) from error


def _check_exam(institution_session: InstitutionSession, domains: Sequence[Domain], fields: dict[str, Any]) -> None:
    framework = institution_session.session.framework
    if not domains:
        raise AssessmentError("no_domain", _("Choose at least one domain to test."))
    if any(d.framework_id != framework.pk for d in domains):
        raise AssessmentError(
            "domain_foreign", _("Every domain tested must belong to %(framework)s.") % {"framework": framework.code}
        )
    if fields["closes_at"] <= fields["opens_at"]:
        raise AssessmentError("window", _("The test must close after it opens."))
    try:
        parse_networks(fields.get("allowed_networks", ""))
    except ValueError as error:
        raise AssessmentError("networks", _("An address range is not valid CIDR.")) from error
    check_bank(framework, domains, fields["per_domain"])


EXAM_FIELDS = ("title", "per_domain", "duration_minutes", "opens_at", "closes_at", "access_code", "allowed_networks")


@transaction.atomic
def create_exam(
    actor: User | None, institution_session: InstitutionSession, domains: Sequence[Domain], **fields: Any
) -> Exam:
    _check_not_deliberated(
        institution_session.pk,
        _("The jury of this session deliberated on %(date)s: its knowledge test can no longer change."),
    )
    domains = sorted(domains, key=lambda d: d.position)
    _check_exam(institution_session, domains, fields)
    if Exam.objects.filter(institution_session=institution_session).exists():
        raise AssessmentError("exam_exists", _("This session already has its knowledge test."))
    exam = Exam(institution_session=institution_session, created_by=actor, **fields)
    exam.full_clean(exclude=["domains"])
    exam.save()
    exam.domains.set(domains)
    audit(actor, "assessment.exam_create", exam, domains=[d.code for d in domains], **_exam_details(exam))
    return exam


def _exam_details(exam: Exam) -> dict[str, Any]:
    return {
        "per_domain": exam.per_domain,
        "duration_minutes": exam.duration_minutes,
        "opens_at": exam.opens_at.isoformat(),
        "closes_at": exam.closes_at.isoformat(),
        "access_code": bool(exam.access_code),
        "allowed_networks": exam.network_texts(),
    }


@transaction.atomic
def update_exam(exam: Exam, actor: User | None, domains: Sequence[Domain], **fields: Any) -> Exam:
    """Before the first sitting only: candidates all sit the same test."""
    exam = Exam.objects.select_for_update().select_related("institution_session__session__framework").get(pk=exam.pk)
    _check_not_deliberated(
        exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: its knowledge test can no longer change."),
    )
    if exam.attempts.exists():
        raise AssessmentError(
            "exam_started", _("Candidates have started this test: its settings can no longer change.")
        )
    domains = sorted(domains, key=lambda d: d.position)
    _check_exam(exam.institution_session, domains, fields)
    for name, value in fields.items():
        setattr(exam, name, value)
    exam.full_clean(exclude=["domains"])
    exam.save()
    exam.domains.set(domains)
    audit(actor, "assessment.exam_update", exam, domains=[d.code for d in domains], **_exam_details(exam))
    return exam


def _check_not_deliberated(institution_session_id: int, refusal: str) -> None:
    """Once the jury has deliberated, its session's test is over for good (docs/lifecycle.md)."""
    closed = freeze.closed_at(institution_session_id)
    if closed is not None:
        raise AssessmentError("deliberated", refusal % {"date": freeze.date_text(closed)})


def deadline_for(exam: Exam, started_at: dt.datetime, extra_minutes: int) -> dt.datetime:
    """The deadline rule (module docstring)."""
    extra = dt.timedelta(minutes=extra_minutes)
    return min(started_at + dt.timedelta(minutes=exam.duration_minutes) + extra, exam.closes_at + extra)


def extra_minutes(exam: Exam, enrolment: Enrolment) -> int:
    return int(ExtraTime.objects.filter(exam=exam, enrolment=enrolment).values_list("minutes", flat=True).first() or 0)


@transaction.atomic
def set_extra_time(exam: Exam, enrolment: Enrolment, minutes: int, reason: str, actor: User | None) -> ExtraTime | None:
    """Grant (or with 0 remove) extra time; a running sitting gets its new deadline."""
    if enrolment.institution_session_id != exam.institution_session_id:
        raise AssessmentError("foreign_enrolment", _("This candidate is not enrolled in the session of this test."))
    _check_not_deliberated(
        exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: the test's sittings can no longer change."),
    )
    if not 0 <= minutes <= 600:
        raise AssessmentError("extra_time_range", _("Extra time is between 0 and 600 minutes."))
    obj: ExtraTime | None = None
    if minutes:
        obj, _created = ExtraTime.objects.update_or_create(
            exam=exam, enrolment=enrolment, defaults={"minutes": minutes, "reason": reason.strip()[:200]}
        )
    else:
        ExtraTime.objects.filter(exam=exam, enrolment=enrolment).delete()
    attempt = Attempt.objects.select_for_update().filter(exam=exam, enrolment=enrolment).first()
    details: dict[str, Any] = {"enrolment": enrolment.pk, "minutes": minutes, "reason": reason.strip()}
    if attempt is not None and not attempt.is_over() and not attempt.reopen_count:
        attempt.deadline = deadline_for(exam, attempt.started_at, minutes)
        attempt.save(update_fields=["deadline"])
        attempt.items.update(open_until=attempt.deadline)
        details["new_deadline"] = attempt.deadline.isoformat()
        _schedule_close(attempt)
    audit(actor, "assessment.extra_time", exam, **details)
    return obj


# --- sitting the test ---------------------------------------------------------


def _check_network(exam: Exam, address: str) -> None:
    from c2i.assessment.access import address_allowed

    if not address_allowed(exam.network_texts(), address):
        raise AssessmentError(
            "network",
            _("This test can only be taken from the rooms the institution has set (your address: %(address)s).")
            % {"address": address or "?"},
        )


def _schedule_close(attempt: Attempt) -> None:
    """Score the sitting at its deadline even if the candidate never comes back."""
    from c2i.assessment.tasks import finalise_attempt_task

    run_after = attempt.deadline + dt.timedelta(seconds=2)
    pk = attempt.pk
    transaction.on_commit(lambda: finalise_attempt_task.using(run_after=run_after).enqueue(pk))


def _refuse_second_sitting() -> AssessmentError:
    return AssessmentError(
        "r19_already_sat",
        _("You have already sat this test; a test is taken once. Only the correspondent can reopen it."),
    )


MAX_CODE_TRIES = 5  # wrong access codes per candidate and exam in CODE_TRIES_WINDOW
CODE_TRIES_WINDOW = dt.timedelta(minutes=15)


def _check_access_code(exam: Exam, enrolment: Enrolment, actor: User, given: str, now: dt.datetime) -> None:
    """The code given in the room; each wrong try is audited (and kept: this
    runs outside the sitting's transaction), a few of them lock for a while."""
    if not exam.access_code:
        return
    tries = AuditEntry.objects.filter(
        action="assessment.access_code_refused",
        object_type=exam._meta.label_lower,
        object_id=str(exam.pk),
        details__enrolment=enrolment.pk,
        at__gte=now - CODE_TRIES_WINDOW,
    ).count()
    if tries >= MAX_CODE_TRIES:
        raise AssessmentError(
            "access_code_locked",
            _("Too many wrong access codes: wait a few minutes, or ask the supervisor of the room."),
        )
    if not hmac.compare_digest(given.strip().upper().encode(), exam.access_code.strip().upper().encode()):
        audit(actor, "assessment.access_code_refused", exam, enrolment=enrolment.pk)
        raise AssessmentError("access_code", _("The access code is not right. Ask the supervisor of the room."))


def start_attempt(
    exam: Exam,
    enrolment: Enrolment,
    actor: User,
    *,
    access_code: str = "",
    address: str = "",
    now: dt.datetime | None = None,
) -> Attempt:
    """Start (or resume) the candidate's sitting: checks, then the draw (R17)."""
    now = now or timezone.now()
    _check_not_deliberated(
        exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: its knowledge test can no longer be taken."),
    )
    existing = Attempt.objects.filter(exam=exam, enrolment=enrolment).first()
    if existing is not None:
        if existing.is_over(now):
            raise _refuse_second_sitting()
        _check_network(exam, address)
        return existing
    if enrolment.status != EnrolmentStatus.ACTIVE or enrolment.institution_session_id != exam.institution_session_id:
        raise AssessmentError("not_enrolled", _("You are not enrolled in the session of this test."))
    if enrolment.candidate.user_id != actor.pk:
        raise AssessmentError("not_yours", _("Only the candidate sits their test."))
    if now < exam.opens_at:
        raise AssessmentError(
            "not_open",
            _("The test opens on %(when)s.") % {"when": timezone.localtime(exam.opens_at).strftime("%d/%m/%Y %H:%M")},
        )
    if now >= exam.closes_at:
        raise AssessmentError(
            "closed",
            _("The test closed on %(when)s.") % {"when": timezone.localtime(exam.closes_at).strftime("%d/%m/%Y %H:%M")},
        )
    _check_access_code(exam, enrolment, actor, access_code, now)
    _check_network(exam, address)
    with transaction.atomic():
        return _draw_and_start(exam, enrolment, actor, now)


def _draw_and_start(exam: Exam, enrolment: Enrolment, actor: User, now: dt.datetime) -> Attempt:
    framework = exam.institution_session.session.framework
    domains = exam.ordered_domains()
    seed = secrets.randbits(62)
    try:
        drawn = scoring.draw(bank_for(framework, domains), [d.code for d in domains], exam.per_domain, seed)
    except scoring.DrawError as error:
        raise AssessmentError(error.code, error.message) from error
    deadline = deadline_for(exam, now, extra_minutes(exam, enrolment))
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                exam=exam, enrolment=enrolment, user=actor, seed=seed, started_at=now, deadline=deadline
            )
    except IntegrityError:  # a second tab started at the same moment: one sitting (R19)
        attempt = Attempt.objects.get(exam=exam, enrolment=enrolment)
        if attempt.is_over(now):
            raise _refuse_second_sitting() from None
        return attempt
    domain_ids = {d.code: d.pk for d in domains}
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            position=i,
            user=actor,
            open_until=deadline,
            question_id=q.question_id,
            domain_id=domain_ids[q.domain],
            option_order=list(q.option_order),
            n_options=len(q.option_order),
        )
        for i, q in enumerate(drawn, start=1)
    )
    audit(actor, "assessment.attempt_start", attempt, deadline=deadline.isoformat(), questions=len(drawn), seed=seed)
    _schedule_close(attempt)
    return attempt


def redraw(attempt: Attempt) -> list[scoring.DrawnQuestion]:
    """The draw of an attempt, recomputed from its seed and today's bank (for audit)."""
    exam = attempt.exam
    domains = exam.ordered_domains()
    framework = exam.institution_session.session.framework
    return scoring.draw(bank_for(framework, domains), [d.code for d in domains], exam.per_domain, attempt.seed)


# Why an answer was not stored, for the API and the page.
SAVED = "saved"
NOT_FOUND = "not_found"
OVER = "over"
BAD_OPTION = "bad_option"
STALE = "stale"


@dataclass(frozen=True)
class SaveResult:
    status: str
    seq: int  # the stored answer's sequence number (the newer one when STALE)


def save_answer(
    attempt_id: int,
    user_id: int,
    position: int,
    ticked: Iterable[int],
    seq: int | None = None,
    now: dt.datetime | None = None,
) -> SaveResult:
    """Store the set of options the candidate ticks now (R19: answers are kept
    as they are given). One update of one row, by its unique index, checked on
    the row itself: the candidate's own sitting, before its end, options that
    exist, and not older than what is stored (`seq`, increasing per click;
    the server's clock in milliseconds when the page posts without it).
    Idempotent: the same set stored twice is the same answer."""
    now = now or timezone.now()
    shown = sorted(set(ticked))
    if shown and shown[0] < 0:
        return SaveResult(BAD_OPTION, 0)
    if seq is None:
        seq = clock_seq(now)
    # The ORM's update, written once as SQL: compiling it cost a third of the request.
    db = connections[DEFAULT_DB_ALIAS]  # the thread's own, resolved once (`connection` is a proxy)
    moment = db.ops.adapt_datetimefield_value(now)
    ticked_value = AttemptQuestion._meta.get_field("ticked").get_db_prep_save(shown, db)
    with _answer_cursor(db) as cursor:
        cursor.execute(
            _save_sql(db.vendor),
            [ticked_value, seq, moment, attempt_id, position, moment, shown[-1] if shown else -1, seq, user_id],
        )
        stored = cursor.rowcount == 1
    if stored:
        return SaveResult(SAVED, seq)
    return _why_not_saved(attempt_id, user_id, position, shown, now)


def clock_seq(now: dt.datetime) -> int:
    """An answer's sequence number when the page posts none: the server's
    clock in milliseconds."""
    return int(now.timestamp() * 1000)


def save_answers_in_sessions(answers: Sequence[PendingAnswer]) -> set[tuple[int, int]]:
    """Store a group of answers (`answer_queue`: those that arrived together
    in one server process) in one statement, each owned by the user of a
    live login session (the `accounts.Session` row, checked in the same
    statement): the answer fast path (`middleware.AnswerFastPath`), which
    loads neither the session nor the user. Each row is checked as in
    `save_answer`. Returns the (sitting, question number) of the rows
    stored; at most one answer per row (an UPDATE changes a row once)."""
    db = connections[DEFAULT_DB_ALIAS]
    moment = db.ops.adapt_datetimefield_value(timezone.now())
    ticked = AttemptQuestion._meta.get_field("ticked")
    values: list[Any] = []
    for answer in answers:
        values += [
            answer.attempt_id,
            answer.position,
            ticked.get_db_prep_save(answer.shown, db),
            answer.seq,
            answer.shown[-1] if answer.shown else -1,
            answer.session_key,
        ]
    with _answer_cursor(db) as cursor:
        cursor.execute(_group_sql(db.vendor, len(answers)), [*values, moment, moment, moment])
        return {(attempt_id, position) for attempt_id, position in cursor.fetchall()}


def _answer_cursor(db: Any) -> Any:
    """On PostgreSQL, a cursor that binds the values on the server, so that
    the answer's update is parsed and planned once per connection (prepared
    after a few runs, see DATABASES' prepare_threshold); elsewhere, and for
    the rest of the code, Django's usual cursor."""
    if db.vendor != "postgresql":
        return db.cursor()
    import psycopg  # only on PostgreSQL

    db.ensure_connection()
    raw = psycopg.Cursor(db.connection)
    return (CursorDebugWrapper if db.queries_logged else CursorWrapper)(raw, db)


@functools.cache
def _save_sql(vendor: str) -> str:
    """UPDATE … WHERE attempt, position (the unique index), before the end,
    options that exist, not older than what is stored, and the user's own."""
    q = connection.ops.quote_name  # identifiers from the model, quoted; every value is a parameter
    return (
        f"UPDATE {q(AttemptQuestion._meta.db_table)} SET {q('ticked')} = %s, {q('seq')} = %s, "  # noqa: S608
        f"{q('answered_at')} = %s WHERE {q('attempt_id')} = %s AND {q('position')} = %s AND "
        f"{q('open_until')} > %s AND {q('n_options')} > %s AND {q('seq')} < %s AND {q('user_id')} = %s"
    )


# The SQL types of a group's columns (`save_answers_in_sessions`): the values
# are parameters, whose types a VALUES list does not infer.
_GROUP_TYPES = {
    "postgresql": ("integer", "integer", "jsonb", "bigint", "integer", "varchar"),
    "sqlite": ("integer", "integer", "text", "integer", "integer", "text"),
}


@functools.cache
def _group_sql(vendor: str, size: int) -> str:
    """The update of `size` rows: WITH v AS (VALUES …) UPDATE … FROM v, each
    row found by its unique index (sitting, question number) and checked as
    in `_save_sql`, with the owner the user of a live login session; RETURNING
    the rows stored. One text per group size, so each is prepared once."""
    q = connection.ops.quote_name  # identifiers from the model, quoted; every value is a parameter
    table, sessions = q(AttemptQuestion._meta.db_table), q(Session._meta.db_table)
    row = "(" + ", ".join(f"CAST(%s AS {kind})" for kind in _GROUP_TYPES.get(vendor, _GROUP_TYPES["sqlite"])) + ")"
    return (
        f"WITH v (a, p, tk, sq, top, sk) AS (VALUES {', '.join([row] * size)}) "  # noqa: S608
        f"UPDATE {table} SET {q('ticked')} = v.tk, {q('seq')} = v.sq, {q('answered_at')} = %s FROM v "
        f"WHERE {table}.{q('attempt_id')} = v.a AND {table}.{q('position')} = v.p "
        f"AND {table}.{q('open_until')} > %s AND {table}.{q('n_options')} > v.top AND {table}.{q('seq')} < v.sq "
        f"AND EXISTS (SELECT 1 FROM {sessions} WHERE {sessions}.{q('session_key')} = v.sk "
        f"AND {sessions}.{q('expire_date')} > %s AND {sessions}.{q('user_id')} = {table}.{q('user_id')}) "
        f"RETURNING {table}.{q('attempt_id')}, {table}.{q('position')}"
    )


def _why_not_saved(attempt_id: int, user_id: int, position: int, shown: list[int], now: dt.datetime) -> SaveResult:
    row = (
        AttemptQuestion.objects.filter(attempt_id=attempt_id, position=position, user_id=user_id)
        .values("open_until", "n_options", "seq")
        .first()
    )
    if row is None:
        return SaveResult(NOT_FOUND, 0)
    if row["open_until"] <= now:
        return SaveResult(OVER, row["seq"])
    if shown and shown[-1] >= row["n_options"]:
        return SaveResult(BAD_OPTION, row["seq"])
    return SaveResult(STALE, row["seq"])  # a newer answer is already stored


@transaction.atomic
def finish_attempt(attempt: Attempt, actor: User | None, now: dt.datetime | None = None) -> Attempt:
    """The candidate hands in before the deadline; the sitting is scored."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.is_over(now):
        return finalise_attempt(attempt, now=now)
    attempt.submitted_at = now
    attempt.save(update_fields=["submitted_at"])
    audit(actor, "assessment.attempt_finish", attempt)
    return finalise_attempt(attempt, now=now)


@transaction.atomic
def finalise_attempt(attempt: Attempt, now: dt.datetime | None = None) -> Attempt:
    """Score a sitting that is over (R18); idempotent. Answers in flight are
    either committed before this (row locks) or refused after it (`CLOSED`)."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
    if attempt.closed_at is not None:
        return attempt
    if not attempt.is_over(now):
        raise AssessmentError("running", _("This sitting is still running."))
    AttemptQuestion.objects.filter(attempt=attempt).update(open_until=CLOSED)
    items = list(attempt.items.all())
    correct: dict[int, set[int]] = defaultdict(set)
    for question_id, position in Option.objects.filter(
        question_id__in=[i.question_id for i in items], fraction__gt=0
    ).values_list("question_id", "position"):
        correct[question_id].add(position)
    by_domain: dict[int, list[float]] = defaultdict(list)
    for item in items:
        item.score = scoring.question_score(correct[item.question_id], item.ticked_positions(), item.n_options)
        by_domain[item.domain_id].append(item.score)
    AttemptQuestion.objects.bulk_update(items, ["score"])
    DomainResult.objects.filter(attempt=attempt).delete()
    DomainResult.objects.bulk_create(
        DomainResult(
            attempt=attempt,
            domain_id=domain_id,
            questions=len(scores),
            percent=(percent := scoring.domain_percent(scores)),
            positive=scoring.is_positive(percent),
        )
        for domain_id, scores in by_domain.items()
    )
    attempt.score = scoring.domain_percent([i.score for i in items if i.score is not None]) if items else None
    attempt.closed_at = now
    attempt.save(update_fields=["score", "closed_at"])
    audit(
        None,
        "assessment.attempt_close",
        attempt,
        score=attempt.score,
        answered=sum(1 for i in items if i.ticked is not None),
    )
    if attempt.exam.results_published_at is not None and _publish_attempt(attempt, None):
        transaction.on_commit(lambda: notifications.results_published(attempt.exam_id))  # a late sitting's e-mail
    return attempt


def close_expired_attempts(now: dt.datetime | None = None) -> int:
    """Score every sitting whose deadline has passed (the periodic task and
    `manage.py close_expired_attempts`); the number scored."""
    now = now or timezone.now()
    closed = 0
    for attempt in Attempt.objects.filter(closed_at__isnull=True).filter(
        Q(deadline__lte=now) | Q(submitted_at__isnull=False)
    ):
        finalise_attempt(attempt, now=now)
        closed += 1
    return closed


@transaction.atomic
def reopen_attempt(attempt: Attempt, actor: User | None, reason: str, minutes: int) -> Attempt:
    """R19's one exception: the correspondent reopens a sitting (an incident
    in the room), for `minutes` from now, with a reason kept in the audit trail."""
    attempt = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
    _check_not_deliberated(
        attempt.exam.institution_session_id,
        _("The jury of this session deliberated on %(date)s: the test's sittings can no longer change."),
    )
    if not reason.strip():
        raise AssessmentError("reason_required", _("Give the reason for reopening: it is kept in the audit trail."))
    if not 1 <= minutes <= 600:
        raise AssessmentError("minutes_range", _("Reopen for 1 to 600 minutes."))
    now = timezone.now()
    if not attempt.is_over(now):
        raise AssessmentError("running", _("This sitting is still running."))
    if attempt.domain_results.filter(evidence__isnull=False).exists():
        raise AssessmentError(
            "published", _("The results of this sitting are published in the portfolio: it cannot be reopened.")
        )
    previous = attempt.deadline
    attempt.deadline = now + dt.timedelta(minutes=minutes)
    attempt.submitted_at = None
    attempt.closed_at = None
    attempt.score = None
    attempt.reopen_count += 1
    attempt.save(update_fields=["deadline", "submitted_at", "closed_at", "score", "reopen_count"])
    attempt.domain_results.all().delete()
    attempt.items.update(open_until=attempt.deadline, score=None)
    audit(
        actor,
        "assessment.attempt_reopen",
        attempt,
        reason=reason.strip(),
        minutes=minutes,
        previous_deadline=previous.isoformat(),
        deadline=attempt.deadline.isoformat(),
    )
    _schedule_close(attempt)
    return attempt


# --- results ------------------------------------------------------------------


def _publish_attempt(attempt: Attempt, actor: User | None) -> int:
    """Each domain result enters the candidate's portfolio as evidence of
    kind (b) (R7), once."""
    from c2i.portfolio.services import add_test_result_evidence, open_portfolio

    results = list(
        attempt.domain_results.filter(evidence__isnull=True).select_related("domain").order_by("domain__position")
    )
    if not results:
        return 0
    enrolment = attempt.enrolment
    exam = attempt.exam
    framework = exam.institution_session.session.framework
    portfolio = open_portfolio(enrolment.candidate, framework, actor)
    when = timezone.localtime(attempt.started_at).strftime("%d/%m/%Y")
    for result in results:
        outcome = _("positive") if result.positive else _("not positive")
        title = _("Knowledge test %(domain)s: %(percent)s (%(outcome)s)") % {
            "domain": result.domain.code,
            "percent": scoring.format_percent(result.percent),
            "outcome": outcome,
        }
        summary = _(
            "%(exam)s, %(institution)s, %(date)s. Domain %(domain)s « %(title)s »: %(percent)s over "
            "%(questions)s questions, %(outcome)s (R18: positive at 50 %% or more). A test result never "
            "validates a competency on its own (R10)."
        ) % {
            "exam": exam.title,
            "institution": exam.institution_session.institution.name,
            "date": when,
            "domain": result.domain.code,
            "title": result.domain.title,
            "percent": scoring.format_percent(result.percent),
            "questions": result.questions,
            "outcome": outcome,
        }
        competencies = list(result.domain.competencies.filter(retired=False))
        evidence = add_test_result_evidence(portfolio, title, competencies, summary, actor)
        result.evidence = evidence
        result.save(update_fields=["evidence"])
    return len(results)


@dataclass(frozen=True)
class Publication:
    published: int  # sittings whose results entered the portfolios now
    running: int  # sittings still running: published when they end


@transaction.atomic
def publish_results(exam: Exam, actor: User | None) -> Publication:
    """Show the results to the candidates and put them in their portfolios.
    Sittings still running are published as they end."""
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    now = timezone.now()
    for attempt in exam.attempts.filter(closed_at__isnull=True):
        if attempt.is_over(now):
            finalise_attempt(attempt, now=now)
    closed = list(exam.attempts.filter(closed_at__isnull=False).select_related("enrolment__candidate"))
    if not closed:
        raise AssessmentError("nothing_to_publish", _("No sitting of this test has ended yet: nothing to publish."))
    first = exam.results_published_at is None
    if first:
        exam.results_published_at = now
        exam.save(update_fields=["results_published_at"])
    published = sum(1 for attempt in closed if _publish_attempt(attempt, actor))
    running = exam.attempts.filter(closed_at__isnull=True).count()
    audit(actor, "assessment.results_publish", exam, published=published, running=running, first=first)
    if published:
        transaction.on_commit(lambda: notifications.results_published(exam.pk))  # e-mails, by the worker
    return Publication(published, running)


@dataclass(frozen=True)
class ResultRow:
    attempt: Attempt
    by_domain: dict[str, DomainResult]


def result_rows(exam: Exam) -> list[ResultRow]:
    attempts = list(
        exam.attempts.select_related("enrolment__candidate").order_by(
            "enrolment__candidate__last_name", "enrolment__candidate__first_names"
        )
    )
    results: dict[int, dict[str, DomainResult]] = defaultdict(dict)
    for result in DomainResult.objects.filter(attempt__exam=exam).select_related("domain"):
        results[result.attempt_id][result.domain.code] = result
    return [ResultRow(a, results[a.pk]) for a in attempts]


@dataclass(frozen=True)
class ItemRow:
    question_id: int
    name: str
    competency: str
    stats: scoring.ItemStats

    @property
    def flags(self) -> list[str]:
        """Why the question deserves a look (empty below 12 sittings)."""
        s = self.stats
        found: list[str] = []
        if s.discrimination is None and s.upper_lower is None:
            return found
        if s.difficulty is not None and s.difficulty < 0.2:
            found.append(_("very hard"))
        if s.difficulty is not None and s.difficulty > 0.9:
            found.append(_("very easy"))
        if (s.discrimination is not None and s.discrimination < 0.2) or (
            s.upper_lower is not None and s.upper_lower < 0.2
        ):
            found.append(_("does not discriminate"))
        return found


def item_statistics(attempts: Any, question_ids: Iterable[int] | None = None) -> list[ItemRow]:
    """Per question, over the scored sittings given: difficulty (mean score),
    point-biserial correlation with the rest of the test, upper–lower index
    (`scoring.item_statistics`; no discrimination below 12 sittings)."""
    wanted = set(question_ids) if question_ids is not None else None
    rows = list(
        AttemptQuestion.objects.filter(
            attempt__in=attempts, attempt__closed_at__isnull=False, score__isnull=False
        ).values_list("attempt_id", "question_id", "score")
    )
    totals: dict[int, float] = defaultdict(float)
    for attempt_id, _question_id, score in rows:
        totals[attempt_id] += float(score or 0)
    pairs: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for attempt_id, question_id, score in rows:
        if wanted is None or question_id in wanted:
            pairs[question_id].append((float(score or 0), totals[attempt_id] - float(score or 0)))  # rest score
    questions = {q.pk: q for q in Question.objects.filter(pk__in=list(pairs)).select_related("competency")}
    result = [
        ItemRow(pk, questions[pk].name, questions[pk].competency.code, scoring.item_statistics(values))
        for pk, values in pairs.items()
    ]
    return sorted(result, key=lambda r: (r.competency, r.question_id))


def exam_progress(exam: Exam) -> dict[str, int]:
    now = timezone.now()
    counts = exam.attempts.aggregate(
        started=Count("id"),
        closed=Count("id", filter=Q(closed_at__isnull=False)),
        running=Count("id", filter=Q(closed_at__isnull=True, submitted_at__isnull=True, deadline__gt=now)),
    )
    return {k: int(v or 0) for k, v in counts.items()}
