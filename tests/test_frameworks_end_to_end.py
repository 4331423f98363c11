"""Every complete framework end to end, through the services: a session
opened by an accredited institution, two candidates enrolling by their own
act, portfolios built and submitted, the knowledge test where the framework
requires it (C2i1, C2i2ms), the jury deciding competency by competency,
closing and publishing, the documents produced by the task and verified as
an employer would.

One candidate has every competency validated; the other has the first
competency of the first domain not validated. Under R11 (no compensation)
that costs the first domain in every framework whose policy needs all
competencies; under C2i2e's threshold policy (23 of 28, at most 2 not
validated per domain) it costs nothing and the candidate is certified."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from c2i.accounts.models import User
from c2i.assessment import services as assessment
from c2i.assessment.models import Exam
from c2i.credentials import services as credentials
from c2i.credentials.models import DocumentKind, IssuedDocument
from c2i.deliberation import services as deliberation
from c2i.deliberation.models import CandidateOutcome, DecisionValue, OutcomeStatus
from c2i.enrolment import services as enrolment_services
from c2i.enrolment.models import Candidate, CandidateStatus, Enrolment, InstitutionSession
from c2i.frameworks.models import Competency, Framework
from c2i.institutions.models import Accreditation
from c2i.portfolio import services as portfolio_services
from c2i.portfolio.models import Submission, SubmissionStatus, SubmittedEvidence
from tests.assessment_support import right_answer
from tests.credentials_support import isolated
from tests.persona_support import new_candidate
from tests.portfolio_support import new_item, pdf_bytes

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
FRAMEWORKS = ["C2i1", "C2i2e", "C2i2md", "C2i2ms", "C2i2mi", "C2i2mead"]


def competencies_of(framework: Framework) -> list[Competency]:
    return list(
        Competency.objects.filter(domain__framework=framework, retired=False)
        .select_related("domain")
        .order_by("domain__position", "domain__code", "position", "code")
    )


def open_session(demo: Any, framework: Framework) -> InstitutionSession:
    """The ministry's session and institution A's opening of it (R2–R4)."""
    institution = demo.institution("a")
    if institution.accreditation_for(framework.pk, dt.date(2026, 9, 1), dt.date(2027, 6, 30)) is None:
        Accreditation.objects.create(
            institution=institution, framework=framework, start=dt.date(2012, 9, 1), reference="Arrêté (test)"
        )
    today = timezone.localdate()
    session = enrolment_services.create_session(
        demo.user("admin"),
        framework=framework,
        name=f"{framework.code} — bout en bout",
        start=today - dt.timedelta(days=30),
        end=today + dt.timedelta(days=150),
        enrolment_opens=today - dt.timedelta(days=10),
        enrolment_closes=today + dt.timedelta(days=20),
    )
    now = timezone.now()
    return enrolment_services.open_institution_session(
        demo.user("correspondant-a"),
        session,
        institution,
        portfolio_deadline=now + dt.timedelta(days=40),
        test_opens=now - dt.timedelta(hours=1),
        test_closes=now + dt.timedelta(days=30),
        jury_date=today + dt.timedelta(days=60),
    )


def build_and_submit(user: User, candidate: Candidate, framework: Framework, enrolment: Enrolment) -> Submission:
    """One item (a) per domain, with a real PDF, citing all its competencies."""
    portfolio = portfolio_services.open_portfolio(candidate, framework, user)
    by_domain: dict[str, list[Competency]] = {}
    for competency in competencies_of(framework):
        by_domain.setdefault(competency.domain.code, []).append(competency)
    for code, competencies in by_domain.items():
        new_item(
            portfolio,
            files=[(f"{code}.pdf", pdf_bytes(code))],
            title=f"Production du domaine {code}",
            competencies=competencies,
            context="Unité d'enseignement",
            reflection="Ce que cette production montre.",
        )
    return portfolio_services.submit_portfolio(portfolio, enrolment, user)


def sit_the_test(demo: Any, institution_session: InstitutionSession, pairs: list[tuple[User, Enrolment]]) -> Exam:
    """R16–R19: the correspondent's exam, each candidate answering every
    question right, the results published (they enter the portfolios)."""
    framework = institution_session.session.framework
    correspondent = demo.user("correspondant-a")
    now = timezone.now()
    exam = assessment.create_exam(
        correspondent,
        institution_session,
        assessment.default_domains(framework),
        title=f"Test {framework.code}",
        per_domain=framework.knowledge_test["min_questions_per_domain"],
        duration_minutes=45,
        opens_at=now - dt.timedelta(minutes=30),
        closes_at=now + dt.timedelta(hours=2),
    )
    for user, enrolment in pairs:
        attempt = assessment.start_attempt(exam, enrolment, user)
        for item in attempt.items.order_by("position"):
            result = assessment.save_answer(attempt.pk, user.pk, item.position, right_answer(item))
            assert result.status == assessment.SAVED, result
        assessment.finish_attempt(attempt, user)
    publication = assessment.publish_results(exam, correspondent)
    assert publication.published == len(pairs)
    return exam


def past_deadlines(institution_session: InstitutionSession, exam: Exam | None) -> None:
    """Time passes: the portfolio deadline and the test window are over, the
    jury's day has come (closing needs no reason then)."""
    past = timezone.now() - dt.timedelta(minutes=5)
    InstitutionSession.objects.filter(pk=institution_session.pk).update(
        portfolio_deadline=past, test_closes=past, jury_date=timezone.localdate()
    )
    if exam is not None:
        Exam.objects.filter(pk=exam.pk).update(closes_at=past)
    institution_session.refresh_from_db()


def decide(chair: User, enrolment: Enrolment, refused: set[str]) -> None:
    """The jury's decision on every competency, each V citing the submitted
    items that name it (R12)."""
    submission = Submission.objects.get(enrolment=enrolment, status=SubmissionStatus.SUBMITTED)
    framework = enrolment.session.framework
    for competency in competencies_of(framework):
        cited = list(
            SubmittedEvidence.objects.filter(submission=submission, competencies=competency).values_list(
                "pk", flat=True
            )
        )
        assert cited, competency.code
        value = DecisionValue.NOT_VALIDATED if competency.code in refused else DecisionValue.VALIDATED
        deliberation.record_decision(enrolment, competency.code, value, chair, evidence_ids=cited)


@pytest.mark.parametrize("code", FRAMEWORKS)
def test_a_framework_from_enrolment_to_verified_document(
    demo: Any, isolated: Any, code: str, django_capture_on_commit_callbacks: Any
) -> None:
    framework = Framework.objects.get(code=code)
    institution_session = open_session(demo, framework)

    # Two candidates enrol by their own act (R6) and build their portfolios (R7, R9).
    pairs = []
    for n in (1, 2):
        candidate = new_candidate(
            first_names=f"Prénom{n}",
            last_name=f"Bout{framework.code}",
            email=f"bout-{framework.code.lower()}-{n}@example.fr",
            status=CandidateStatus.STUDENT,
            birth_date=dt.date(2001, 1, 1) + dt.timedelta(days=n),
        )
        user = candidate.user
        enrolment = enrolment_services.enrol(candidate, institution_session, user)
        build_and_submit(user, candidate, framework, enrolment)
        pairs.append((user, enrolment))

    exam = sit_the_test(demo, institution_session, pairs) if framework.test_required else None
    past_deadlines(institution_session, exam)

    # The jury: a chair seated by the correspondent decides every competency.
    chair_member = deliberation.add_jury_member(
        institution_session, "president-bout@example.fr", True, demo.user("correspondant-a")
    )
    chair = chair_member.user
    competencies = competencies_of(framework)
    first = competencies[0]
    (_, certified), (_, partial) = pairs
    decide(chair, certified, set())
    decide(chair, partial, {first.code})

    assert deliberation.close_blockers(institution_session) == []
    deliberation.close_deliberation(institution_session, chair)
    with (
        override_settings(TASKS=IMMEDIATE),
        django_capture_on_commit_callbacks(execute=True),
    ):
        deliberation.publish_deliberation(institution_session, chair)

    outcomes = {o.enrolment_id: o for o in CandidateOutcome.objects.filter(institution_session=institution_session)}
    domains = sorted({c.domain.code for c in competencies})
    assert outcomes[certified.pk].status == OutcomeStatus.CERTIFIED
    assert sorted(outcomes[certified.pk].validated_domains) == domains
    if framework.policy["kind"] == "threshold":
        # C2i2e: one competency not validated out of 28 is within the threshold.
        assert outcomes[partial.pk].status == OutcomeStatus.CERTIFIED
    else:
        # R11: the first domain is lost, the others are validated and kept (R14).
        assert outcomes[partial.pk].status == OutcomeStatus.NOT_CERTIFIED
        assert sorted(outcomes[partial.pk].validated_domains) == [d for d in domains if d != first.domain.code]

    # R15: the documents, each verifiable by an employer with its code.
    for enrolment in (certified, partial):
        document = IssuedDocument.objects.get(enrolment=enrolment)
        expected = (
            DocumentKind.CERTIFICATE
            if outcomes[enrolment.pk].status == OutcomeStatus.CERTIFIED
            else DocumentKind.ATTESTATION
        )
        assert document.kind == expected
        assert document.framework_code == code
        found = credentials.lookup(document.code)
        assert found.status == credentials.VALID, found.message
        public = credentials.public_fields(found)
        assert public["framework"] == code
        assert public["holder_name"] == document.holder_name
        assert document.pdf.size > 1000
