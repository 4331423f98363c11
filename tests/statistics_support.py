"""Figures for the browser journey: three years (2027–2029) of C2i1 and C2i2e
sessions at every demo institution, with candidates, submissions, published
test results and published outcomes (the last year's C2i2e not yet
published), written in bulk; then the figures are computed. Run against a
live site's database: `site.manage("shell", "-c", "from tests.statistics_support import populate; populate()")`."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from c2i.accounts.models import User
from c2i.assessment.models import Attempt, DomainResult, Exam
from c2i.deliberation.models import CandidateOutcome, Deliberation, DeliberationStatus, OutcomeStatus
from c2i.enrolment.models import Candidate, Enrolment, InstitutionSession, Session
from c2i.frameworks.models import Domain, Framework
from c2i.institutions.models import Institution
from c2i.lib.identifiers import identity_key
from c2i.portfolio.models import Portfolio, Submission
from c2i.statistics import services

YEARS = (2027, 2028, 2029)


def populate(seed: int = 15) -> None:
    rng = random.Random(seed)
    now = timezone.now()
    institutions = list(Institution.objects.order_by("pk"))
    serial = 0
    for code in ("C2i1", "C2i2e"):
        framework = Framework.objects.get(code=code)
        domains = list(Domain.objects.filter(framework=framework).order_by("position", "code"))
        codes = [d.code for d in domains]
        for year in YEARS:
            start = dt.date(year, 2, 1)
            session = Session.objects.create(
                framework=framework,
                name=f"{code} — session {year}",
                start=start,
                end=start + dt.timedelta(days=120),
                enrolment_opens=start,
                enrolment_closes=start + dt.timedelta(days=30),
            )
            published = not (code == "C2i2e" and year == YEARS[-1])
            for institution in institutions:
                ins = InstitutionSession.objects.create(
                    session=session, institution=institution, portfolio_deadline=now, jury_date=session.end
                )
                size = rng.randint(6, 45)
                users = User.objects.bulk_create(
                    [User(username=f"fig-{serial + n}", email=f"fig-{serial + n}@example.fr") for n in range(size)]
                )
                candidates = Candidate.objects.bulk_create(
                    [
                        Candidate(
                            user=u,
                            email=u.email,
                            last_name=f"Fig{serial + n}",
                            first_names="Test",
                            birth_date=dt.date(2001, 1, 1),
                            birth_place="Lyon",
                            status="continuing" if rng.random() < 0.2 else "student",
                            identity_key=identity_key(None, f"Fig{serial + n}", "Test", dt.date(2001, 1, 1)),
                        )
                        for n, u in enumerate(users)
                    ]
                )
                serial += size
                enrolments = Enrolment.objects.bulk_create(
                    [
                        Enrolment(
                            candidate=c,
                            institution_session=ins,
                            session=session,
                            identity_key=c.identity_key,
                            status="active",
                        )
                        for c in candidates
                    ]
                )
                portfolios = Portfolio.objects.bulk_create(
                    [Portfolio(candidate=c, framework=framework) for c in candidates]
                )
                submitted = [(p, e) for p, e in zip(portfolios, enrolments, strict=True) if rng.random() < 0.85]
                Submission.objects.bulk_create(
                    [
                        Submission(portfolio=p, enrolment=e, institution_session=ins, status="submitted")
                        for p, e in submitted
                    ]
                )
                skill = rng.uniform(0.45, 0.9)  # institutions differ
                if code == "C2i1":
                    exam = Exam.objects.create(
                        institution_session=ins,
                        title="QCM",
                        opens_at=now - dt.timedelta(days=3),
                        closes_at=now - dt.timedelta(days=2),
                        results_published_at=now,
                    )
                    exam.domains.set(domains)
                    attempts = Attempt.objects.bulk_create(
                        [
                            Attempt(exam=exam, enrolment=e, user=u, seed=1, started_at=now, deadline=now, closed_at=now)
                            for e, u in zip(enrolments, users, strict=True)
                            if rng.random() < 0.9
                        ]
                    )
                    results = []
                    for a in attempts:
                        for d in domains:
                            percent = max(0.0, min(100.0, rng.gauss(100 * skill - 5 * d.position, 18)))
                            results.append(
                                DomainResult(attempt=a, domain=d, questions=12, percent=percent, positive=percent >= 50)
                            )
                    DomainResult.objects.bulk_create(results)
                if not published:
                    continue
                outcomes = []
                for e in enrolments:
                    validated = [c for n, c in enumerate(codes) if rng.random() < skill + 0.08 - 0.03 * n]
                    carried = [c for c in validated[:1] if rng.random() < 0.1]
                    deferred = rng.random() < 0.03
                    status = OutcomeStatus.CERTIFIED if len(validated) == len(codes) else OutcomeStatus.NOT_CERTIFIED
                    outcomes.append(
                        CandidateOutcome(
                            enrolment=e,
                            institution_session=ins,
                            status=OutcomeStatus.INCOMPLETE if deferred else status,
                            validated_domains=validated,
                            carried_over=carried,
                            deferred=deferred,
                        )
                    )
                CandidateOutcome.objects.bulk_create(outcomes)
                Deliberation.objects.create(
                    institution_session=ins, status=DeliberationStatus.PUBLISHED, closed_at=now, published_at=now
                )
    services.refresh_all()
