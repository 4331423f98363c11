"""Personas: candidates that exist only in the test that makes them, so that
no assertion hangs on a name the demo data happens to use (renaming a demo
person cannot break a test). The demo accounts stay the product's demo:
journeys may still log in as them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from c2i.accounts.models import User
from c2i.enrolment.models import Candidate, CandidateStatus, Enrolment, EnrolmentStatus, InstitutionSession, Invitation
from c2i.frameworks.models import Competency
from c2i.portfolio import services as portfolio_services
from c2i.portfolio.models import EvidenceKind, Submission
from tests.portfolio_support import pdf_bytes

PASSWORD = "un-mot-de-passe-de-test"


def new_candidate(
    institution_session: InstitutionSession | None = None,
    *,
    first_names: str = "Agathe",
    last_name: str = "Delorme",
    email: str = "",
    username: str = "",
    status: str = CandidateStatus.CONTINUING,
    birth_date: dt.date = dt.date(2000, 1, 1),
    ine: str = "",
) -> Candidate:
    """A candidate with an account (username: the e-mail address unless
    given, password PASSWORD), actively enrolled in `institution_session` when one is given
    (as a confirmed enrolment is: the capacity and the dates are not
    checked, so that a test can seat as many as it needs)."""
    email = email or f"{first_names}.{last_name}@example.fr".lower()
    user = User.objects.create_user(username or email, email, PASSWORD, first_name=first_names, last_name=last_name)
    candidate = Candidate.objects.create(
        user=user,
        email=email,
        last_name=last_name,
        first_names=first_names,
        birth_date=birth_date,
        birth_place="Lyon",
        status=status,
        ine=ine,
    )
    if institution_session is not None:
        enrol(candidate, institution_session)
    return candidate


def enrol(candidate: Candidate, institution_session: InstitutionSession) -> Enrolment:
    return Enrolment.objects.create(
        candidate=candidate,
        institution_session=institution_session,
        status=EnrolmentStatus.ACTIVE,
        confirmed_at=timezone.now(),
    )


def invite(institution_session: InstitutionSession, candidate: Candidate) -> Invitation:
    """An import's line naming this candidate at their address, not yet answered."""
    return Invitation.objects.create(
        institution_session=institution_session,
        email=candidate.email,
        last_name=candidate.last_name,
        first_names=candidate.first_names,
        birth_date=candidate.birth_date,
        birth_place=candidate.birth_place,
        status=candidate.status,
    )


def submitted_portfolio(enrolment: Enrolment) -> Submission:
    """The candidate's portfolio, one item (a) with a PDF citing every
    competency of the framework, submitted to the jury through the services."""
    candidate, user = enrolment.candidate, enrolment.candidate.user
    framework = enrolment.session.framework
    portfolio = portfolio_services.open_portfolio(candidate, framework, user)
    draft = portfolio_services.EvidenceDraft(
        kind=EvidenceKind.CURRICULUM,
        title="Projet tutoré : site web du club de théâtre",
        competencies=list(Competency.objects.filter(domain__framework=framework, retired=False)),
        context="L2 Informatique — projet tutoré",
        reflection="Ce projet a mobilisé l'ensemble des compétences du référentiel.",
    )
    portfolio_services.create_evidence(
        portfolio, user, draft, [portfolio_services.Upload.from_bytes("rapport.pdf", pdf_bytes())]
    )
    return portfolio_services.submit_portfolio(portfolio, enrolment, user)
