"""The review of the bank's questions: submitted by their author, approved
by `C2I_REVIEW_APPROVALS` reviewers or refused by one, retired."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from c2i.accounts.access import roles
from c2i.accounts.models import AuditAction, User, audit
from c2i.assessment.models import (
    Question,
    QuestionStatus,
    Review,
    ReviewVerdict,
)
from c2i.assessment.services.errors import AssessmentError
from c2i.assessment.services.questions import check_editable


def required_approvals() -> int:
    return max(1, int(getattr(settings, "C2I_REVIEW_APPROVALS", 3)))


@transaction.atomic
def submit_for_review(question: Question, actor: User | None) -> Question:
    question = Question.objects.select_for_update().get(pk=question.pk)
    check_editable(question)
    if question.status == QuestionStatus.REFUSED:
        question.review_round += 1  # opinions on the refused version no longer count
    question.status = QuestionStatus.IN_REVIEW
    question.save(update_fields=["status", "review_round", "updated_at"])
    audit(actor, AuditAction.ASSESSMENT_QUESTION_SUBMIT, question, round=question.review_round)
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
    audit(reviewer, AuditAction.ASSESSMENT_QUESTION_REVIEW, question, verdict=verdict, round=question.review_round)
    if verdict == ReviewVerdict.REFUSE:
        question.status = QuestionStatus.REFUSED
    elif question.reviews.filter(round=question.review_round, verdict=ReviewVerdict.APPROVE).count() >= (
        required_approvals()
    ):
        question.status = QuestionStatus.VALIDATED
    if question.status != QuestionStatus.IN_REVIEW:
        fields = ["status", "updated_at"]
        if question.status == QuestionStatus.VALIDATED and question.rereview_note:
            question.rereview_note = ""  # reviewed again after a neutralisation: drawable again
            fields.append("rereview_note")
        question.save(update_fields=fields)
        outcome = (
            AuditAction.ASSESSMENT_QUESTION_VALIDATED
            if question.status == QuestionStatus.VALIDATED
            else AuditAction.ASSESSMENT_QUESTION_REFUSED
        )
        audit(reviewer, outcome, question, round=question.review_round)
    return review


@transaction.atomic
def retire_question(question: Question, actor: User | None) -> Question:
    """A retired question is never drawn again; attempts that drew it keep it."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.status == QuestionStatus.RETIRED:
        raise AssessmentError("already_retired", _("This question is already retired."))
    question.status = QuestionStatus.RETIRED
    question.save(update_fields=["status", "updated_at"])
    audit(actor, AuditAction.ASSESSMENT_QUESTION_RETIRE, question)
    return question


def latest_refusal(question: Question) -> Review | None:
    return question.reviews.filter(verdict=ReviewVerdict.REFUSE).order_by("-created_at", "-id").first()
