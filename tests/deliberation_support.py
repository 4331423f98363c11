"""Helpers of the deliberation tests: a submitted portfolio with chosen
evidence kinds per competency, and published knowledge-test results, both
written as the portfolio and assessment apps store them (the jury reads them
through `c2i.deliberation.sources`, unreplaced)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from c2i.accounts.models import User
from c2i.assessment.models import Attempt, DomainResult, Exam
from c2i.assessment.scoring import is_positive
from c2i.assessment.services import default_domains, publish_results
from c2i.enrolment.models import Candidate, Enrolment, EnrolmentStatus, InstitutionSession
from c2i.frameworks.models import Competency
from c2i.portfolio.models import Portfolio, Submission, SubmissionStatus, SubmittedEvidence


def codes(framework_code: str) -> list[str]:
    return list(
        Competency.objects.filter(domain__framework__code=framework_code, retired=False)
        .order_by("domain__position", "domain__code", "position", "code")
        .values_list("code", flat=True)
    )


def submit(enrolment: Any, kinds: dict[str, str]) -> dict[str, list[int]]:
    """A fresh current submission for `enrolment` holding, for each
    competency code, one item per kind letter given ("ab": one (a), one (b)).
    Returns {code: [submitted evidence ids]}."""
    framework = enrolment.session.framework
    portfolio, _ = Portfolio.objects.get_or_create(candidate=enrolment.candidate, framework=framework)
    Submission.objects.filter(enrolment=enrolment, status=SubmissionStatus.SUBMITTED).update(
        status=SubmissionStatus.REPLACED, ended_at=timezone.now()
    )
    submission = Submission.objects.create(portfolio=portfolio, enrolment=enrolment, status=SubmissionStatus.SUBMITTED)
    competencies = {c.code: c for c in Competency.objects.filter(domain__framework=framework)}
    ids: dict[str, list[int]] = {}
    position = 0
    for code, letters in kinds.items():
        for kind in letters:
            position += 1
            item = SubmittedEvidence.objects.create(
                submission=submission, source_id=position, position=position, kind=kind, title=f"{code} ({kind})"
            )
            item.competencies.set([competencies[code]])
            ids.setdefault(code, []).append(item.pk)
    return ids


def submit_all(enrolment: Any, kind: str = "a") -> dict[str, list[int]]:
    return submit(enrolment, {c: kind for c in codes(enrolment.session.framework.code)})


def publish_test_results(
    enrolments: Iterable[Enrolment], percent: float = 75.0, overrides: Mapping[int, Mapping[str, float]] | None = None
) -> None:
    """Each enrolment has sat its session's knowledge test, scored `percent`
    in every domain the test covers (`overrides`: {enrolment id: {domain
    code: percent}}), and the results are published through the assessment
    service: the jury reads them from the assessment tables, as in production.
    A session without a test gets one whose window is over."""
    now = timezone.now()
    exams: dict[int, Exam] = {}
    for enrolment in enrolments:
        exam = exams.get(enrolment.institution_session_id)
        if exam is None:
            exam = exams[enrolment.institution_session_id] = _exam_of(enrolment.institution_session, now)
        attempt, _ = Attempt.objects.update_or_create(
            exam=exam,
            enrolment=enrolment,
            defaults={
                "user": _account_of(enrolment.candidate),
                "seed": 1,
                "started_at": now - dt.timedelta(hours=2),
                "deadline": now - dt.timedelta(hours=1),
                "submitted_at": now - dt.timedelta(hours=1),
                "closed_at": now - dt.timedelta(hours=1),
            },
        )
        mine = (overrides or {}).get(enrolment.pk, {})
        for domain in exam.domains.all():
            score = mine.get(domain.code, percent)
            DomainResult.objects.update_or_create(
                attempt=attempt,
                domain=domain,
                defaults={"questions": exam.per_domain, "percent": score, "positive": is_positive(score)},
            )
    for exam in exams.values():
        publish_results(exam, None)


def publish_session_tests(
    institution_session: InstitutionSession,
    percent: float = 75.0,
    overrides: Mapping[int, Mapping[str, float]] | None = None,
) -> None:
    """`publish_test_results` for every active enrolment of the session."""
    enrolments = institution_session.enrolments.filter(status=EnrolmentStatus.ACTIVE).select_related(
        "candidate__user", "institution_session"
    )
    publish_test_results(enrolments, percent, overrides)


def _account_of(candidate: Candidate) -> User:
    """A candidate sits the test with their account: one an imported candidate
    would have created (same e-mail address) when they have none yet."""
    if candidate.user is None:
        candidate.user = User.objects.create_user(username=candidate.email.lower(), email=candidate.email)
        candidate.save(update_fields=["user"])
    return candidate.user


def _exam_of(institution_session: InstitutionSession, now: dt.datetime) -> Exam:
    exam = Exam.objects.filter(institution_session=institution_session).first()
    if exam is None:
        exam = Exam.objects.create(
            institution_session=institution_session,
            title="Contrôle de connaissances (test)",
            opens_at=now - dt.timedelta(days=2),
            closes_at=now - dt.timedelta(days=1),
        )
        exam.domains.set(default_domains(institution_session.session.framework))
    return exam
