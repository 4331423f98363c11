"""Helpers of the credentials tests: final outcomes written as the
deliberation stores them (a published deliberation, one `CandidateOutcome`
per candidate), and isolated media and key directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from c2i.deliberation.models import (
    CandidateOutcome,
    Deliberation,
    DeliberationStatus,
    DomainCredit,
    OutcomeExplanation,
    OutcomeStatus,
)
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession

SITE = "https://c2i.example.fr"


@pytest.fixture
def isolated(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Documents and keys in a temporary folder, a known site URL, an empty rate-limit cache."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.C2I_KEYS_DIR = tmp_path / "keys"
    settings.SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield tmp_path
    cache.clear()


def enrolment_of(demo: Any, username: str) -> Enrolment:
    return Enrolment.objects.get(candidate=demo.candidate(username), status=EnrolmentStatus.ACTIVE)


def set_outcome(
    enrolment: Enrolment, status: str, domains: list[str], deferred: bool = False, carried: list[str] | None = None
) -> CandidateOutcome:
    explanation, _ = OutcomeExplanation.objects.get_or_create(
        digest="credentials-test", defaults={"reasons": ["R12 : raison confidentielle du jury"]}
    )
    outcome, _ = CandidateOutcome.objects.update_or_create(
        enrolment=enrolment,
        defaults={
            "institution_session": enrolment.institution_session,
            "status": status,
            "validated_domains": domains,
            "carried_over": carried or [],
            "explanation": explanation,
            "deferred": deferred,
        },
    )
    return outcome


def publish(institution_session: Any, status: str = DeliberationStatus.PUBLISHED) -> Deliberation:
    final = status != DeliberationStatus.OPEN  # closed and published are dated (docs/lifecycle.md)
    deliberation, _ = Deliberation.objects.update_or_create(
        institution_session=institution_session,
        defaults={
            "status": status,
            "closed_at": timezone.now() if final else None,
            "published_at": timezone.now() if status == DeliberationStatus.PUBLISHED else None,
        },
    )
    return deliberation


ALL = ["D1", "D2", "D3", "D4", "D5"]


def carry_over(enrolment: Enrolment, domain_code: str) -> InstitutionSession:
    """A domain the candidate validated in another C2i1 institution session
    (the R14 ledger's row); that older session."""
    older = InstitutionSession.objects.exclude(pk=enrolment.institution_session_id).filter(
        session__framework__code="C2i1"
    )[0]
    DomainCredit.objects.create(
        identity_key=enrolment.identity_key,
        framework=enrolment.session.framework,
        domain_code=domain_code,
        institution_session=older,
        enrolment=Enrolment.objects.filter(institution_session=older).exclude(candidate=enrolment.candidate)[0],
    )
    return older


def certified_and_not(demo: Any) -> tuple[Enrolment, Enrolment]:
    """candidat-a1 certified, candidat-a2 not certified with D1 and D3 validated, deliberation published."""
    a1, a2 = enrolment_of(demo, "candidat-a1"), enrolment_of(demo, "candidat-a2")
    set_outcome(a1, OutcomeStatus.CERTIFIED, ALL)
    set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, ["D1", "D3"])
    publish(a1.institution_session)
    return a1, a2


# A script for `Site.manage("shell", "-c", ...)` (the browser journeys' servers):
# `prepare(username, percents)` gives that C2i1 candidate of the demo a submitted
# portfolio whose evidence covers every competency and published knowledge-test
# results (75 % in each domain unless `percents` says otherwise); `chair` is jury-a.
PREPARE_CANDIDATES = """
import datetime as dt
from django.utils import timezone
from c2i.accounts.models import User
from c2i.assessment.models import Attempt, DomainResult, Exam
from c2i.enrolment.models import Enrolment
from c2i.frameworks.models import Competency, Domain
from c2i.portfolio import services as portfolio

now = timezone.now()
chair = User.objects.get(username="jury-a")

def prepare(username, percents):
    e = Enrolment.objects.get(candidate__user__username=username, status="active", session__framework__code="C2i1")
    user, framework = e.candidate.user, e.session.framework
    mine = portfolio.open_portfolio(e.candidate, framework, user)
    portfolio.create_evidence(mine, user, portfolio.EvidenceDraft(
        kind="a", title="Projet tutoré : site web du club de théâtre",
        competencies=list(Competency.objects.filter(domain__framework=framework, retired=False)),
        context="L2 Informatique — projet tutoré", link="https://example.fr/projet-theatre",
        reflection="Ce projet a mobilisé l'ensemble des compétences du référentiel.",
    ))
    portfolio.submit_portfolio(mine, e, user)
    exam = Exam.objects.get(institution_session=e.institution_session)
    attempt = Attempt.objects.filter(exam=exam, enrolment=e).first() or Attempt.objects.create(
        exam=exam, enrolment=e, user=user, seed=1, started_at=now - dt.timedelta(hours=2),
        deadline=now - dt.timedelta(hours=1))
    Attempt.objects.filter(pk=attempt.pk).update(submitted_at=now - dt.timedelta(hours=1),
                                                 closed_at=now - dt.timedelta(hours=1))
    for domain in Domain.objects.filter(framework=framework):
        percent = percents.get(domain.code, 75.0)
        DomainResult.objects.update_or_create(attempt=attempt, domain=domain, defaults=dict(
            questions=12, percent=percent, positive=percent >= 50))
    Exam.objects.filter(pk=exam.pk).update(results_published_at=now)
    return e

"""
