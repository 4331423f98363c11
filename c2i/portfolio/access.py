"""Who sees a portfolio (R9): the candidate; the assessors and correspondents
of an institution where the candidate holds an active enrolment in a session
of the portfolio's framework; the jury of the institution session it was
submitted to, and then only the submitted snapshot. Nobody else, the national
administrator included.

Views gate on roles first (`role_required`: 403 without the role); these
helpers then answer 404 for any object out of the user's reach.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from c2i.accounts.access import roles
from c2i.accounts.models import User
from c2i.enrolment import conflicts
from c2i.enrolment.models import Enrolment, EnrolmentStatus
from c2i.frameworks.models import Framework
from c2i.portfolio.models import (
    Evidence,
    EvidenceFile,
    Portfolio,
    Submission,
    SubmissionStatus,
    SubmittedFile,
)
from c2i.portfolio.services import frameworks_of, open_portfolio


def followed_enrolments(institution_ids: frozenset[int] | set[int]) -> QuerySet[Enrolment]:
    """Active enrolments in the sessions of these institutions."""
    return Enrolment.objects.filter(
        status=EnrolmentStatus.ACTIVE, institution_session__institution_id__in=institution_ids
    )


def portfolios_for_staff(user: User) -> QuerySet[Portfolio]:
    """The portfolios an assessor or correspondent follows."""
    r = roles(user)
    enrolled_here = followed_enrolments(r.staff_institutions).filter(
        candidate_id=OuterRef("candidate_id"), session__framework_id=OuterRef("framework_id")
    )
    return Portfolio.objects.filter(Exists(enrolled_here)).select_related("candidate", "framework")


def assesses(user: User, portfolio: Portfolio) -> bool:
    """Whether the user is an assessor where the portfolio's candidate is
    enrolled (correspondents only read)."""
    r = roles(user)
    return (
        followed_enrolments(r.assessor_of)
        .filter(candidate_id=portfolio.candidate_id, session__framework_id=portfolio.framework_id)
        .exists()
    )


def can_assess(user: User, portfolio: Portfolio) -> bool:
    """Assessors comment and position, except their own portfolio."""
    return assesses(user, portfolio) and not conflicts.is_own(user, portfolio.candidate_id)


def get_own_portfolio(user: User, framework_code: str) -> Portfolio:
    """The signed-in candidate's portfolio for a framework they enrolled in
    (opened on first visit)."""
    r = roles(user)
    if r.candidate_id is None:
        raise Http404
    framework = get_object_or_404(Framework, code=framework_code)
    existing = (
        Portfolio.objects.select_related("candidate", "framework")
        .filter(candidate_id=r.candidate_id, framework=framework)
        .first()
    )
    if existing:
        return existing
    candidate = user.candidate  # type: ignore[attr-defined]
    if not frameworks_of(candidate).filter(pk=framework.pk).exists():
        raise Http404
    return open_portfolio(candidate, framework, user)


def get_portfolio_for_staff(user: User, pk: int) -> Portfolio:
    """A living portfolio an assessor or correspondent follows."""
    portfolio = portfolios_for_staff(user).filter(pk=pk).first()
    if portfolio is None:
        raise Http404
    return portfolio


def get_portfolio_for_user(user: User, pk: int) -> Portfolio:
    """A living portfolio: its candidate's, or one the user follows as staff."""
    r = roles(user)
    portfolio = portfolios_for_staff(user).filter(pk=pk).first()
    if portfolio is None and r.candidate_id is not None:
        portfolio = (
            Portfolio.objects.select_related("candidate", "framework")
            .filter(pk=pk, candidate_id=r.candidate_id)
            .first()
        )
    if portfolio is None:
        raise Http404
    return portfolio


def get_own_evidence(user: User, portfolio: Portfolio, pk: int) -> Evidence:
    r = roles(user)
    if portfolio.candidate_id != r.candidate_id:
        raise Http404
    return get_object_or_404(Evidence.objects.select_related("portfolio__framework"), pk=pk, portfolio=portfolio)


def get_evidence_for_staff(user: User, portfolio: Portfolio, pk: int) -> Evidence:
    if not portfolios_for_staff(user).filter(pk=portfolio.pk).exists():
        raise Http404
    return get_object_or_404(Evidence, pk=pk, portfolio=portfolio)


def get_file_for_user(user: User, pk: int) -> EvidenceFile:
    """A file of a living portfolio: its candidate and their staff."""
    item_file = get_object_or_404(
        EvidenceFile.objects.select_related("blob", "evidence__portfolio__candidate", "evidence__portfolio__framework"),
        pk=pk,
    )
    portfolio = item_file.evidence.portfolio
    r = roles(user)
    if portfolio.candidate_id != r.candidate_id and not portfolios_for_staff(user).filter(pk=portfolio.pk).exists():
        raise Http404
    return item_file


def snapshots_for_jury(user: User) -> QuerySet[Submission]:
    """What a jury member sees: the current submissions to their sessions."""
    r = roles(user)
    return Submission.objects.filter(
        institution_session_id__in=r.jury_of,
        status=SubmissionStatus.SUBMITTED,
        enrolment__status=EnrolmentStatus.ACTIVE,
    ).select_related("portfolio__candidate", "portfolio__framework", "institution_session__session")


def get_snapshot_for_user(user: User, pk: int) -> Submission:
    """A submitted snapshot: its jury (current submissions only), its
    candidate, and the staff of that institution who follow the portfolio
    (withdrawn and replaced versions too)."""
    r = roles(user)
    submission = (
        Submission.objects.select_related(
            "portfolio__candidate",
            "portfolio__framework",
            "enrolment",
            "institution_session__session",
            "institution_session__institution",
        )
        .filter(pk=pk)
        .first()
    )
    if submission is None:
        raise Http404
    portfolio = submission.portfolio
    if portfolio.candidate_id == r.candidate_id and r.candidate_id is not None:
        return submission
    if snapshots_for_jury(user).filter(pk=pk).exists():
        return submission
    if (
        submission.institution_session.institution_id in r.staff_institutions
        and portfolios_for_staff(user).filter(pk=portfolio.pk).exists()
    ):
        return submission
    raise Http404


def get_snapshot_file_for_user(user: User, submission_pk: int, pk: int) -> SubmittedFile:
    submission = get_snapshot_for_user(user, submission_pk)
    return get_object_or_404(SubmittedFile.objects.select_related("blob"), pk=pk, item__submission=submission)
