"""Who may see and change what in the knowledge test, built on
`c2i.accounts.access.roles`: `Http404` for an object out of reach, 403 (the
views' `role_required`) for a missing role.

- The bank is secret: the national administrator and the reviewers see every
  question; a correspondent (an author) sees the questions they wrote.
- Exams, attempts and results: the correspondents of the institution and the
  national administrator.
- A candidate: the exams of the institution sessions they are actively
  enrolled in, and their own attempts.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from c2i.accounts.access import roles
from c2i.accounts.models import User
from c2i.assessment.answering import NETWORKS
from c2i.assessment.models import Attempt, Exam, Question
from c2i.enrolment.models import Enrolment, EnrolmentStatus

# --- the bank -----------------------------------------------------------------


def can_author(user: Any) -> bool:
    """Authors of questions: the national administrator, reviewers, correspondents."""
    r = roles(user)
    return r.is_admin or r.is_reviewer or r.is_correspondent


def can_review(user: Any) -> bool:
    r = roles(user)
    return r.is_admin or r.is_reviewer


def sees_whole_bank(user: Any) -> bool:
    return can_review(user)


def questions_for_user(user: User) -> QuerySet[Question]:
    qs = Question.objects.select_related("framework", "competency__domain", "author")
    if sees_whole_bank(user):
        return qs
    return qs.filter(author=user)


def get_question_for_user(user: User, pk: int) -> Question:
    question = questions_for_user(user).filter(pk=pk).first()
    if question is None:
        raise Http404
    return question


def can_edit_question(user: User, question: Question) -> bool:
    return question.is_editable and (question.author_id == user.pk or roles(user).is_admin)


# --- exams (correspondents) ---------------------------------------------------


def exams_for_correspondent(user: User) -> QuerySet[Exam]:
    r = roles(user)
    qs = Exam.objects.select_related("institution_session__session__framework", "institution_session__institution")
    if r.is_admin:
        return qs
    return qs.filter(institution_session__institution_id__in=r.correspondent_of)


def get_exam_for_correspondent(user: User, pk: int) -> Exam:
    exam = exams_for_correspondent(user).filter(pk=pk).first()
    if exam is None:
        raise Http404
    return exam


def get_attempt_for_correspondent(user: User, pk: int) -> Attempt:
    r = roles(user)
    qs = Attempt.objects.select_related("exam__institution_session", "enrolment__candidate")
    if not r.is_admin:
        qs = qs.filter(exam__institution_session__institution_id__in=r.correspondent_of)
    attempt = qs.filter(pk=pk).first()
    if attempt is None:
        raise Http404
    return attempt


# --- candidates ---------------------------------------------------------------


def exams_for_candidate(user: User) -> QuerySet[Exam]:
    """Exams of the sessions the candidate is actively enrolled in, and those
    they already sat."""
    r = roles(user)
    if r.candidate_id is None:
        return Exam.objects.none()
    active = Enrolment.objects.filter(candidate_id=r.candidate_id, status=EnrolmentStatus.ACTIVE).values(
        "institution_session_id"
    )
    return (
        Exam.objects.filter(Q(institution_session_id__in=active) | Q(attempts__enrolment__candidate_id=r.candidate_id))
        .distinct()
        .select_related("institution_session__session__framework", "institution_session__institution")
    )


def get_exam_for_candidate(user: User, pk: int) -> tuple[Exam, Enrolment | None]:
    """The exam and the candidate's enrolment in its session (the active one,
    else the one they sat it under)."""
    r = roles(user)
    exam = exams_for_candidate(user).filter(pk=pk).first()
    if exam is None or r.candidate_id is None:
        raise Http404
    enrolments = Enrolment.objects.filter(
        candidate_id=r.candidate_id, institution_session_id=exam.institution_session_id
    ).select_related("candidate")
    enrolment = (
        enrolments.filter(status=EnrolmentStatus.ACTIVE).first() or enrolments.filter(attempts__exam=exam).first()
    )
    return exam, enrolment


def get_attempt_for_candidate(user: User, pk: int) -> Attempt:
    attempt = (
        Attempt.objects.select_related(
            "exam__institution_session__session__framework", "exam__institution_session__institution"
        )
        .filter(pk=pk, user=user)
        .first()
    )
    if attempt is None:
        raise Http404
    NETWORKS.remember(attempt)  # the sitting's pages: its answers are then checked without a query
    return attempt
