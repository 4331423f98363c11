"""Demonstration data of the jury: the jury of A's C2i1 session is set by
`demo/enrolment.py` (jury-a chairs it); here a closed older C2i1 session at
Lille gives one candidate, now enrolled at A, a carried-over domain
(R14) so that carry-over shows in the jury view and the candidate's space.
candidat-a1 and candidat-a2 are left undecided for the browser journey."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from c2i.accounts.models import User
from c2i.deliberation.models import (
    CandidateOutcome,
    CompetencyDecision,
    Deliberation,
    DeliberationStatus,
    DomainCredit,
    JuryMember,
    OutcomeExplanation,
    OutcomeStatus,
)
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession, Session
from c2i.institutions.models import Institution


@transaction.atomic
def load_deliberation_demo() -> None:
    if DomainCredit.objects.exists():
        return
    a_c2i1 = InstitutionSession.objects.filter(
        institution__uai="0692437Z", session__framework__code="C2i1"
    ).select_related("session__framework")
    current = a_c2i1.first()
    if current is None:
        return
    Deliberation.objects.get_or_create(institution_session=current)
    # The first active, non-named candidate of A's C2i1 session tried C2i1 before.
    enrolment = (
        Enrolment.objects.filter(
            institution_session=current, status=EnrolmentStatus.ACTIVE, candidate__user__isnull=True
        )
        .select_related("candidate")
        .order_by("pk")
        .first()
    )
    if enrolment is None:
        return
    framework = current.session.framework
    start = current.session.start - dt.timedelta(days=365)
    older = Session.objects.create(
        framework=framework,
        name=f"{framework.code} — session antérieure {start.year}",
        start=start,
        end=start + dt.timedelta(days=150),
        enrolment_opens=start,
        enrolment_closes=start + dt.timedelta(days=60),
    )
    closed_at = timezone.make_aware(dt.datetime.combine(start + dt.timedelta(days=120), dt.time(17, 0)))
    old_session = InstitutionSession.objects.create(
        session=older,
        institution=Institution.objects.get(uai="0597239Y"),  # Lille: no current C2i1 session
        portfolio_deadline=closed_at - dt.timedelta(days=20),
        jury_date=(closed_at - dt.timedelta(days=1)).date(),
        place="Campus central",
    )
    chair = User.objects.get(username="jury-a")
    JuryMember.objects.create(institution_session=old_session, user=User.objects.get(username="admin"), is_chair=True)
    old = Enrolment.objects.create(
        candidate=enrolment.candidate,
        institution_session=old_session,
        status=EnrolmentStatus.ACTIVE,
        confirmed_at=closed_at - dt.timedelta(days=90),
    )
    domain = framework.domains.order_by("position", "code").first()
    assert domain is not None
    decisions = []
    for d in framework.domains.order_by("position", "code"):
        for c in d.competencies.order_by("position", "code"):
            decisions.append(
                CompetencyDecision(
                    enrolment=old,
                    institution_session=old_session,
                    competency_code=c.code,
                    value="V" if d.pk == domain.pk else "NV",
                    decided_by=chair,
                    decided_at=closed_at,
                )
            )
    CompetencyDecision.objects.bulk_create(decisions)
    CandidateOutcome.objects.create(
        enrolment=old,
        institution_session=old_session,
        status=OutcomeStatus.NOT_CERTIFIED,
        validated_domains=[domain.code],
        explanation=OutcomeExplanation.objects.get_or_create(
            digest=f"demo-{old.pk}", defaults={"reasons": [f"R11 : {domain.code} validé"]}
        )[0],
        computed_at=closed_at,
    )
    Deliberation.objects.create(
        institution_session=old_session,
        status=DeliberationStatus.PUBLISHED,
        closed_at=closed_at,
        closed_by=chair,
        published_at=closed_at,
        published_by=chair,
    )
    DomainCredit.objects.create(
        identity_key=old.identity_key,
        framework=framework,
        domain_code=domain.code,
        institution_session=old_session,
        enrolment=old,
    )
