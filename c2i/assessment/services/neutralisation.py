"""Faulty questions: the exam's author or the national administrator
neutralises a question drawn in an exam, with a reason. It is taken out of
every sitting's score (R18 on the questions left, `scoring.domain_score`),
the scored sittings are rescored at once (`results.rescore_attempt`), the
published results in the portfolios say the new percentages, and the jury is
told (`signals.test_results_changed`: its stored outcomes while it
deliberates, its audited rectification once it has closed). The question
goes back to review with a note, so that it is not drawn again before a
reviewer validates it. Lifting a neutralisation is possible until the jury
closes (docs/lifecycle.md)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.access import roles
from c2i.accounts.models import AuditAction, User, audit
from c2i.assessment.models import Attempt, AttemptQuestion, Exam, Neutralisation, Question, QuestionStatus
from c2i.assessment.services.errors import AssessmentError
from c2i.assessment.services.results import rescore_attempt
from c2i.assessment.signals import test_results_changed
from c2i.enrolment import freeze
from c2i.lib import text as lib_text


def can_neutralise(user: User, exam: Exam) -> bool:
    """The exam's author and the national administrator."""
    if not user.is_authenticated:
        return False
    return roles(user).is_admin or (exam.created_by_id is not None and exam.created_by_id == user.pk)


def check_allowed(user: User, exam: Exam) -> None:
    if not can_neutralise(user, exam):
        raise AssessmentError(
            "not_allowed",
            _("Only the author of this test or the national administrator may neutralise or restore its questions."),
        )


def _reason(reason: str, refusal: str) -> str:
    try:
        text = lib_text.clean_free_text(reason or "", _("Reason")).strip()
    except ValidationError as error:
        raise AssessmentError("too_long", error.messages[0]) from error
    if not text:
        raise AssessmentError("reason_required", refusal)
    return text


def active_neutralisations(exam: Exam) -> list[Neutralisation]:
    return list(
        Neutralisation.objects.filter(exam=exam, lifted_at__isnull=True).select_related("question", "by").order_by("at")
    )


@transaction.atomic
def neutralise(exam: Exam, question: Question, reason: str, actor: User) -> Neutralisation:
    """Take `question` out of every sitting of `exam`, with the reason;
    rescore, tell the jury, send the question back to review."""
    exam = Exam.objects.select_for_update().select_related("institution_session").get(pk=exam.pk)
    check_allowed(actor, exam)
    reason = _reason(reason, _("Give the reason for neutralising the question: it is kept with the test's results."))
    if not AttemptQuestion.objects.filter(attempt__exam=exam, question=question).exists():
        raise AssessmentError(
            "not_drawn", _("This question was not drawn in this test: there is nothing to neutralise.")
        )
    if Neutralisation.objects.filter(exam=exam, question=question, lifted_at__isnull=True).exists():
        raise AssessmentError("already_neutralised", _("This question is already neutralised in this test."))
    neutralisation = Neutralisation.objects.create(exam=exam, question=question, reason=reason, by=actor)
    _back_to_review(question, exam, neutralisation, actor)
    rescored = _rescore(exam, question, actor, reason)
    audit(
        actor,
        AuditAction.ASSESSMENT_QUESTION_NEUTRALISE,
        neutralisation,
        exam=exam.pk,
        question=question.pk,
        reason=reason,
        sittings_rescored=rescored,
    )
    return neutralisation


@transaction.atomic
def restore(neutralisation: Neutralisation, reason: str, actor: User) -> Neutralisation:
    """Lift a neutralisation (the question counts again in every sitting)
    while the session's jury has not closed; rescore and tell the jury."""
    exam = Exam.objects.select_for_update().select_related("institution_session").get(pk=neutralisation.exam_id)
    neutralisation = Neutralisation.objects.select_for_update().select_related("question").get(pk=neutralisation.pk)
    check_allowed(actor, exam)
    if neutralisation.lifted_at is not None:
        raise AssessmentError("already_lifted", _("This neutralisation has already been lifted."))
    closed = freeze.closed_at(exam.institution_session_id, lock=True)
    if closed is not None:
        raise AssessmentError(
            "deliberated",
            _(
                "The jury closed its deliberation on %(date)s: the neutralisation can no longer be lifted "
                "(the jury's outcomes were rectified with it)."
            )
            % {"date": freeze.date_text(closed)},
        )
    reason = _reason(reason, _("Give the reason for lifting the neutralisation: it is kept in the audit trail."))
    neutralisation.lifted_at = timezone.now()
    neutralisation.lifted_by = actor
    neutralisation.lift_reason = reason
    neutralisation.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    rescored = _rescore(exam, neutralisation.question, actor, reason)
    audit(
        actor,
        AuditAction.ASSESSMENT_QUESTION_RESTORE,
        neutralisation,
        exam=exam.pk,
        question=neutralisation.question_id,
        reason=reason,
        sittings_rescored=rescored,
    )
    return neutralisation


def _back_to_review(question: Question, exam: Exam, neutralisation: Neutralisation, actor: User) -> None:
    """The question is reviewed again before it is drawn again (a validated
    question goes back to review, in a new round: earlier approvals no longer
    count); the note says why. A retired question stays retired."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    question.rereview_note = _("Neutralised in the test « %(exam)s » on %(date)s: %(reason)s") % {
        "exam": exam.title,
        "date": timezone.localtime(neutralisation.at).strftime("%d/%m/%Y"),
        "reason": neutralisation.reason,
    }
    fields = ["rereview_note", "updated_at"]
    if question.status == QuestionStatus.VALIDATED:
        question.status = QuestionStatus.IN_REVIEW
        question.review_round += 1
        fields += ["status", "review_round"]
    question.save(update_fields=fields)


def _rescore(exam: Exam, question: Question, actor: User, reason: str) -> int:
    """Every scored sitting that drew the question, rescored; the jury told
    of the published results that changed. The number of sittings rescored."""
    # Every sitting that drew it, locked: one being scored meanwhile either
    # committed before (it is closed here) or reads this neutralisation after.
    drew = AttemptQuestion.objects.filter(attempt__exam=exam, question=question).values("attempt_id")
    locked = Attempt.objects.select_for_update().filter(exam=exam, pk__in=drew).order_by("pk")
    attempts = [attempt for attempt in locked if attempt.closed_at is not None]
    changed: list[int] = []
    for attempt in attempts:
        if rescore_attempt(attempt, actor, reason):
            changed.append(attempt.enrolment_id)
    if changed and exam.results_published_at is not None:
        test_results_changed.send(
            None,
            institution_session_id=exam.institution_session_id,
            enrolment_ids=sorted(set(changed)),
            reason=reason,
            actor=actor,
        )
    return len(attempts)
