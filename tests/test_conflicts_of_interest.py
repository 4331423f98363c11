"""Conflicts of interest (issue 10, finding 4): no one who holds an enrolment
in a session sits on its jury; a seat held by someone who enrolled after
being seated gives neither decisions nor the session's portfolios; no one
decides on their own enrolment; no assessor comments on or positions their
own portfolio. Through the pages (as the probe did) and the services."""

from __future__ import annotations

import pytest
from django.utils import timezone

from c2i.accounts.models import Membership, Role, User
from c2i.deliberation import services
from c2i.deliberation.models import CompetencyDecision, JuryMember
from c2i.enrolment.models import Candidate, CandidateStatus, Enrolment, EnrolmentStatus, Invitation, InvitationStatus
from c2i.portfolio import services as portfolio_services
from c2i.portfolio.models import EvidenceComment, Portfolio, Positioning, Submission, SubmissionStatus
from tests.deliberation_support import submit
from tests.persona_support import new_candidate, submitted_portfolio

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def enrolment_of(demo, username: str) -> Enrolment:
    return demo.candidate(username).enrolments.get(status=EnrolmentStatus.ACTIVE)


def seat_directly(demo, username: str) -> JuryMember:
    """A seat taken before the person enrolled (or before this check existed):
    the row is there, the services must still refuse."""
    return JuryMember.objects.create(institution_session=demo.institution_session("a"), user=demo.user(username))


def fellow(demo) -> Enrolment:
    """Another candidate of A's C2i1 session, with a submitted portfolio: what
    the seated candidate must not reach."""
    person = new_candidate(demo.institution_session("a"), first_names="Bruno", last_name="Saunier")
    enrolment = person.enrolments.get(status=EnrolmentStatus.ACTIVE)
    submitted_portfolio(enrolment)
    return enrolment


def decision_url(enrolment: Enrolment) -> str:
    return f"/jury/sessions/{enrolment.institution_session_id}/candidats/{enrolment.pk}/"


class TestSeatingACandidate:
    def test_it_refuses_to_seat_a_candidate_of_the_session_on_its_jury(self, demo) -> None:
        session = demo.institution_session("a")
        response = demo.client("correspondant-a").post(
            f"/gestion/sessions/{session.pk}/jury/", {"email": "candidat-a1@c2i-demo.fr"}
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "est candidat" in page and "ne peut pas siéger dans le jury qui le juge" in page
        assert not JuryMember.objects.filter(institution_session=session, user=demo.user("candidat-a1")).exists()

    def test_it_refuses_the_chair_to_a_candidate_too(self, demo) -> None:
        session = demo.institution_session("a")
        with pytest.raises(services.DeliberationError) as refused:
            services.add_jury_member(session, "candidat-a2@c2i-demo.fr", True, demo.user("correspondant-a"))
        assert refused.value.code == "juror_is_candidate"
        assert JuryMember.objects.get(institution_session=session, is_chair=True).user == demo.user("jury-a")

    def test_an_invitation_to_the_address_is_an_enrolment_too(self, demo) -> None:
        """Someone invited (not yet confirmed, no account) is a candidate of the
        session: seating that address is refused and no account is created."""
        session = demo.institution_session("a")
        invited = Invitation.objects.filter(institution_session=session, state=InvitationStatus.PENDING).first()
        assert invited is not None
        with pytest.raises(services.DeliberationError) as refused:
            services.add_jury_member(session, invited.email.upper(), False, demo.user("correspondant-a"))
        assert refused.value.code == "juror_is_candidate"
        assert "invité" in refused.value.message
        assert not User.objects.filter(email__iexact=invited.email).exists()

    def test_a_candidate_of_another_session_may_sit(self, demo) -> None:
        session = demo.institution_session("a")
        member = services.add_jury_member(session, "candidat-b1@c2i-demo.fr", False, demo.user("correspondant-a"))
        assert member.user == demo.user("candidat-b1")

    def test_a_withdrawn_enrolment_is_no_obstacle(self, demo) -> None:
        session = demo.institution_session("a")
        Enrolment.objects.filter(pk=enrolment_of(demo, "candidat-a2").pk).update(
            status=EnrolmentStatus.WITHDRAWN, withdrawn_at=timezone.now()
        )
        member = services.add_jury_member(session, "candidat-a2@c2i-demo.fr", False, demo.user("correspondant-a"))
        assert member.user == demo.user("candidat-a2")

    def test_the_jury_page_marks_a_member_who_became_a_candidate(self, demo) -> None:
        seat_directly(demo, "candidat-a1")
        session = demo.institution_session("a")
        page = demo.client("correspondant-a").get(f"/gestion/sessions/{session.pk}/jury/").content.decode()
        assert "de cette session : ne peut pas siéger" in page


class TestASeatedCandidate:
    """candidat-a1 sits on A's C2i1 jury (seated before enrolling, or before
    the check): the probe's path must be closed at every step."""

    def test_the_session_and_its_candidates_are_out_of_reach(self, demo) -> None:
        seat_directly(demo, "candidat-a1")
        a2 = fellow(demo)
        client = demo.client("candidat-a1")
        for path in (
            f"/jury/sessions/{a2.institution_session_id}/",
            f"/jury/sessions/{a2.institution_session_id}/grille/",
            f"/jury/sessions/{a2.institution_session_id}/grille.csv",
            decision_url(a2),
        ):
            response = client.get(path)
            assert response.status_code in (403, 404), path
            assert "saunier" not in response.content.decode().casefold(), path

    def test_the_jury_home_says_why_the_seat_is_void(self, demo) -> None:
        seat_directly(demo, "candidat-a1")
        page = demo.client("candidat-a1").get("/jury/").content.decode()
        assert "vous y êtes candidat" in page

    def test_the_other_candidates_submitted_portfolios_are_out_of_reach(self, demo) -> None:
        seat_directly(demo, "candidat-a1")
        a2 = fellow(demo)
        snapshot = Submission.objects.get(enrolment=a2, status=SubmissionStatus.SUBMITTED)
        client = demo.client("candidat-a1")
        assert client.get(f"/jury/dossiers/{snapshot.pk}/").status_code == 404
        file_ids = list(snapshot.items.values_list("files__pk", flat=True).exclude(files__pk__isnull=True))
        for file_id in file_ids[:2]:
            assert client.get(f"/jury/dossiers/{snapshot.pk}/fichiers/{file_id}/").status_code == 404
        listing = client.get("/jury/dossiers/")
        assert "saunier" not in listing.content.decode().casefold()

    def test_decisions_through_the_pages_are_refused(self, demo) -> None:
        seat_directly(demo, "candidat-a1")
        client = demo.client("candidat-a1")
        for username in ("candidat-a2", "candidat-a1"):
            enrolment = enrolment_of(demo, username)
            ids = submit(enrolment, {"D1.1": "a"})
            response = client.post(
                decision_url(enrolment), {"competency": "D1.1", "value": "V", "evidence": ids["D1.1"]}
            )
            assert response.status_code in (403, 404)
            grid = client.post(
                f"/jury/sessions/{enrolment.institution_session_id}/grille/", {f"c-{enrolment.pk}-D1.1": "NV"}
            )
            assert grid.status_code in (403, 404)
        assert not CompetencyDecision.objects.filter(decided_by=demo.user("candidat-a1")).exists()

    def test_decisions_through_the_services_are_refused(self, demo) -> None:
        seat_directly(demo, "candidat-a1")
        a1 = demo.user("candidat-a1")
        a2 = enrolment_of(demo, "candidat-a2")
        ids = submit(a2, {"D1.1": "a"})
        with pytest.raises(services.DeliberationError) as refused:
            services.record_decision(a2, "D1.1", "V", a1, ids["D1.1"])
        assert refused.value.code == "juror_is_candidate"
        assert "candidat" in refused.value.message
        with pytest.raises(services.DeliberationError) as refused:
            services.record_cells(a2.institution_session, [services.Cell(a2.pk, "D1.1", "NV", "x")], a1, "grid page")
        assert refused.value.code == "juror_is_candidate"
        assert not CompetencyDecision.objects.filter(enrolment=a2).exists()

    def test_no_one_decides_on_their_own_enrolment(self, demo) -> None:
        seat_directly(demo, "candidat-a1")
        own = enrolment_of(demo, "candidat-a1")
        ids = submit(own, {"D1.1": "a"})
        with pytest.raises(services.DeliberationError) as refused:
            services.record_decision(own, "D1.1", "V", demo.user("candidat-a1"), ids["D1.1"])
        assert refused.value.code == "own_enrolment"
        assert "votre propre inscription" in refused.value.message
        assert not CompetencyDecision.objects.filter(enrolment=own).exists()

    def test_a_candidate_chair_neither_defers_nor_closes(self, demo) -> None:
        session = demo.institution_session("a")
        JuryMember.objects.filter(institution_session=session, is_chair=True).update(is_chair=False)
        JuryMember.objects.create(institution_session=session, user=demo.user("candidat-a1"), is_chair=True)
        a1 = demo.user("candidat-a1")
        with pytest.raises(services.DeliberationError) as refused:
            services.set_deferred(enrolment_of(demo, "candidat-a2"), True, a1)
        assert refused.value.code == "juror_is_candidate"
        with pytest.raises(services.DeliberationError) as refused:
            services.close_deliberation(session, a1)
        assert refused.value.code == "juror_is_candidate"

    def test_the_other_jurors_still_decide(self, demo) -> None:
        seat_directly(demo, "candidat-a1")
        a2 = enrolment_of(demo, "candidat-a2")
        ids = submit(a2, {"D1.1": "a"})
        response = demo.client("jury-a-membre").post(
            decision_url(a2), {"competency": "D1.1", "value": "V", "evidence": ids["D1.1"]}
        )
        assert response.status_code == 302
        assert CompetencyDecision.objects.get(enrolment=a2).decided_by == demo.user("jury-a-membre")

    def test_a_seat_comes_back_when_the_enrolment_is_withdrawn(self, demo) -> None:
        seat_directly(demo, "candidat-a1")
        Enrolment.objects.filter(pk=enrolment_of(demo, "candidat-a1").pk).update(
            status=EnrolmentStatus.WITHDRAWN, withdrawn_at=timezone.now()
        )
        a2 = enrolment_of(demo, "candidat-a2")
        assert demo.client("candidat-a1").get(decision_url(a2)).status_code == 200


class TestAssessorsOwnPortfolio:
    """An assessor of A who is also a candidate at A (staff taking the C2i)."""

    @pytest.fixture
    def assessor_candidate(self, demo):
        user = demo.user("candidat-a1")
        Membership.objects.create(user=user, role=Role.ASSESSOR, institution=demo.institution("a"))
        return user

    def test_a_comment_on_ones_own_item_is_refused(self, demo, assessor_candidate) -> None:
        portfolio = Portfolio.objects.get(candidate=demo.candidate("candidat-a1"), framework__code="C2i1")
        item = portfolio.items.first()
        response = demo.client("candidat-a1").post(
            f"/gestion/dossiers/{portfolio.pk}/elements/{item.pk}/commentaires/", {"body": "Excellent travail."}
        )
        assert response.status_code == 400
        assert "votre propre dossier" in response.content.decode()
        assert not EvidenceComment.objects.filter(evidence=item, author=assessor_candidate).exists()
        with pytest.raises(portfolio_services.PortfolioError) as refused:
            portfolio_services.add_comment(item, assessor_candidate, "Excellent travail.")
        assert refused.value.code == "own_portfolio"

    def test_a_positioning_of_ones_own_portfolio_is_refused(self, demo, assessor_candidate) -> None:
        portfolio = Portfolio.objects.get(candidate=demo.candidate("candidat-a1"), framework__code="C2i1")
        competency = portfolio.framework.domains.first().competencies.first()
        response = demo.client("candidat-a1").post(
            f"/gestion/dossiers/{portfolio.pk}/positionnements/",
            {"competency": competency.pk, "level": "acquired", "comment": ""},
        )
        assert response.status_code == 400
        assert "votre propre dossier" in response.content.decode()
        assert not Positioning.objects.filter(portfolio=portfolio, author=assessor_candidate).exists()
        with pytest.raises(portfolio_services.PortfolioError) as refused:
            portfolio_services.position(portfolio, competency, "acquired", "", assessor_candidate)
        assert refused.value.code == "own_portfolio"

    def test_a_record_under_the_assessors_address_is_their_own_too(self, demo, assessor_candidate) -> None:
        """A candidate record an institution created with the assessor's e-mail
        address (not yet linked to the account) stands for the same person."""
        own = demo.candidate("candidat-a1")
        twin = Candidate.objects.create(
            email=assessor_candidate.email.upper(),
            last_name="Autre",
            first_names="Nom",
            birth_date=own.birth_date,
            birth_place=own.birth_place,
            status=CandidateStatus.STUDENT,
        )
        portfolio = Portfolio.objects.create(candidate=twin, framework=own.portfolios.first().framework)
        competency = portfolio.framework.domains.first().competencies.first()
        with pytest.raises(portfolio_services.PortfolioError) as refused:
            portfolio_services.position(portfolio, competency, "acquired", "", assessor_candidate)
        assert refused.value.code == "own_portfolio"

    def test_the_assessor_still_comments_other_portfolios(self, demo, assessor_candidate) -> None:
        portfolio = Portfolio.objects.get(candidate=demo.candidate("candidat-a2"), framework__code="C2i1")
        item = portfolio.items.first()
        comment = portfolio_services.add_comment(item, assessor_candidate, "Bien.")
        assert comment.author == assessor_candidate

    def test_the_staff_page_of_ones_own_portfolio_offers_no_assessment(self, demo, assessor_candidate) -> None:
        portfolio = Portfolio.objects.get(candidate=demo.candidate("candidat-a1"), framework__code="C2i1")
        page = demo.client("candidat-a1").get(f"/gestion/dossiers/{portfolio.pk}/").content.decode()
        assert "/positionnements/" not in page
