"""R14: the validated domains enter the ledger at closing and count at a
later enrolment in the same framework (engine, jury view, candidate's space);
R13's interpretation for C2i2e."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from c2i.deliberation import services
from c2i.deliberation.models import DomainCredit, JuryMember
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession, Session
from c2i.frameworks.models import Framework
from tests.deliberation_support import codes, publish_session_tests, publish_test_results, submit_all

pytestmark = pytest.mark.django_db


def later_session(demo, framework_code: str, institution_key: str = "a"):
    """A later national session of the framework, opened at the institution."""
    framework = Framework.objects.get(code=framework_code)
    start = timezone.localdate() + dt.timedelta(days=400)
    session = Session.objects.create(
        framework=framework,
        name=f"{framework_code} — plus tard",
        start=start,
        end=start + dt.timedelta(days=100),
        enrolment_opens=start,
        enrolment_closes=start + dt.timedelta(days=30),
    )
    return InstitutionSession.objects.create(
        session=session,
        institution=demo.institution(institution_key),
        portfolio_deadline=timezone.now() + dt.timedelta(days=420),
        jury_date=start + dt.timedelta(days=60),
    )


def close_with(demo, institution_session, decisions: dict[int, dict[str, str]]):
    """Decide the given enrolments, defer the others, close."""
    chair = JuryMember.objects.get(institution_session=institution_session, is_chair=True).user
    cells = [services.Cell(pk, code, value, code) for pk, mine in decisions.items() for code, value in mine.items()]
    services.record_cells(institution_session, cells, chair, "test")
    for enrolment in services.active_enrolments(institution_session).exclude(pk__in=list(decisions)):
        services.set_deferred(enrolment, True, chair)
    services.close_deliberation(institution_session, chair, reason="Jury avancé (test)")


class TestCarryOver:
    def test_a_domain_validated_at_closing_counts_at_the_next_enrolment(self, demo) -> None:
        a_c2i1 = demo.institution_session("a")
        publish_session_tests(a_c2i1)
        candidate = demo.candidate("candidat-a1")
        first = candidate.enrolments.get(status=EnrolmentStatus.ACTIVE)
        submit_all(first)
        # D1 and D2 validated, D3 not: not certified
        decided = {c: ("NV" if c.startswith("D3") else "V") for c in codes("C2i1")}
        close_with(demo, a_c2i1, {first.pk: decided})
        credits = DomainCredit.objects.filter(enrolment=first).order_by("domain_code")
        assert [c.domain_code for c in credits] == ["D1", "D2", "D4", "D5"]
        assert {c.identity_key for c in credits} == {candidate.identity_key}
        assert credits[0].institution_session == a_c2i1
        # later: a new national session of C2i1, the candidate enrols again
        later = later_session(demo, "C2i1")
        JuryMember.objects.create(institution_session=later, user=demo.user("jury-a"), is_chair=True)
        second = Enrolment.objects.create(candidate=candidate, institution_session=later, status=EnrolmentStatus.ACTIVE)
        publish_test_results([second])
        computed = services.compute_outcomes(later, [second.pk])[second.pk]
        assert dict(computed.carried_over) == dict.fromkeys(["D1", "D2", "D4", "D5"], a_c2i1.session.name)
        assert computed.outcome.certified is None  # D3 still to decide
        assert computed.outcome.validated_domains == ("D1", "D2", "D4", "D5")
        # deciding D3 only certifies (R12 with carried-over domains, R14)
        submit_all(second)
        services.record_cells(
            later,
            [services.Cell(second.pk, c, "V", c) for c in codes("C2i1") if c.startswith("D3")],
            demo.user("jury-a"),
            "t",
        )
        second_outcome = second.jury_outcome
        second_outcome.refresh_from_db()
        assert second_outcome.status == "certified"
        assert second_outcome.carried_over == ["D1", "D2", "D4", "D5"]
        # shown in the jury view and the candidate's space
        page = demo.client("jury-a").get(f"/jury/sessions/{later.pk}/candidats/{second.pk}/").content.decode()
        assert "D1 (" in page and a_c2i1.session.name in page
        space = demo.client("candidat-a1").get("/mon-espace/").content.decode()
        assert "D2" in space and a_c2i1.session.name in space

    def test_a_closed_session_recomputed_ignores_domains_validated_later(self, demo) -> None:
        """A rectification of an earlier session recomputes it with what was
        kept when its jury closed: a domain the candidate validated at a later
        session does not make the earlier one a success."""
        a_c2i1 = demo.institution_session("a")
        publish_session_tests(a_c2i1)
        candidate = demo.candidate("candidat-a1")
        first = candidate.enrolments.get(status=EnrolmentStatus.ACTIVE)
        submit_all(first)
        close_with(demo, a_c2i1, {first.pk: {c: ("NV" if c.startswith("D3") else "V") for c in codes("C2i1")}})
        later = later_session(demo, "C2i1")
        JuryMember.objects.create(institution_session=later, user=demo.user("jury-a"), is_chair=True)
        second = Enrolment.objects.create(candidate=candidate, institution_session=later, status=EnrolmentStatus.ACTIVE)
        publish_test_results([second])
        submit_all(second)
        close_with(demo, later, {second.pk: {c: "V" for c in codes("C2i1") if c.startswith("D3")}})
        assert second.jury_outcome.status == "certified"
        assert DomainCredit.objects.filter(enrolment=second, domain_code="D3").exists()
        again = services.compute_outcomes(a_c2i1, [first.pk])[first.pk]
        assert dict(again.carried_over) == {}
        assert "D3" not in again.outcome.validated_domains
        assert not again.outcome.certified
        # the later session still sees the earlier one's domains
        assert set(services.compute_outcomes(later, [second.pk])[second.pk].carried_over) == {"D1", "D2", "D4", "D5"}

    def test_the_demo_shows_one_carried_over_domain_in_a_jury(self, demo) -> None:
        credit = DomainCredit.objects.get()
        a_c2i1 = demo.institution_session("a")
        current = Enrolment.objects.get(
            candidate__identity_key=credit.identity_key, institution_session=a_c2i1, status=EnrolmentStatus.ACTIVE
        )
        page = demo.client("jury-a").get(f"/jury/sessions/{a_c2i1.pk}/").content.decode()
        assert f"{credit.domain_code} ({credit.institution_session.session.name})" in page
        assert current.pk != credit.enrolment_id

    def test_c2i2e_credits_only_fully_validated_domains(self, demo) -> None:
        institution_session = demo.institution_session("b", "C2i2e")
        JuryMember.objects.create(institution_session=institution_session, user=demo.user("jury-a"), is_chair=True)
        candidate = demo.candidate("candidat-b1")
        enrolment = Enrolment.objects.create(
            candidate=candidate, institution_session=institution_session, status=EnrolmentStatus.ACTIVE
        )
        submit_all(enrolment)
        all_codes = codes("C2i2e")
        assert len(all_codes) == 28
        # one NV in A1 and one in B2: certified (R13), but A1 and B2 are not credited
        decided = {c: ("NV" if c in ("A1.2", "B2.1") else "V") for c in all_codes}
        close_with(demo, institution_session, {enrolment.pk: decided})
        assert enrolment.jury_outcome.status == "certified"
        credited = set(DomainCredit.objects.filter(enrolment=enrolment).values_list("domain_code", flat=True))
        assert credited == {"A2", "A3", "B1", "B3", "B4"}
