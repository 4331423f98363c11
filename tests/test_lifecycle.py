"""The certification's lifecycle as docs/lifecycle.md states it: closing a
deliberation before the session's calendar is over needs the chair's reason
(written into the minutes and the audit trail); once the jury has closed, the
session's enrolments, submitted portfolios and knowledge test are frozen;
each dated state is a database constraint."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from pypdf import PdfReader

from c2i.accounts.models import AuditEntry
from c2i.assessment import services as assessment
from c2i.assessment.models import Exam
from c2i.deliberation import services
from c2i.deliberation.minutes import render_minutes
from c2i.deliberation.models import Deliberation, DeliberationStatus, JuryMember
from c2i.enrolment import importing
from c2i.enrolment import services as enrolment_services
from c2i.enrolment.models import (
    Candidate,
    CandidateStatus,
    Enrolment,
    EnrolmentStatus,
    InstitutionSession,
    Invitation,
    InvitationStatus,
)
from c2i.lib.errors import DomainError
from c2i.portfolio import services as portfolio_services
from c2i.portfolio.models import Portfolio, Submission, SubmissionStatus
from tests.assessment_support import start
from tests.persona_support import invite, new_candidate

pytestmark = pytest.mark.django_db

REASON = "Jury avancé : les candidats partent en stage le 2 décembre."


def session_a(demo):
    return demo.institution_session("a")


def enrolment_of(demo, username: str) -> Enrolment:
    return Enrolment.objects.get(candidate=demo.candidate(username), status=EnrolmentStatus.ACTIVE)


def close(demo, *, publish: bool = False, reason: str = REASON) -> Deliberation:
    """The chair of A's C2i1 session defers every candidate and closes (early: with a reason)."""
    institution_session, chair = session_a(demo), demo.user("jury-a")
    for enrolment in services.active_enrolments(institution_session):
        services.set_deferred(enrolment, True, chair)
    deliberation = services.close_deliberation(institution_session, chair, reason=reason)
    if publish:
        deliberation = services.publish_deliberation(institution_session, chair)
    return deliberation


def calendar_over(institution_session: InstitutionSession) -> None:
    """Move the session's portfolio deadline, test window and jury date to the past."""
    now = timezone.now()
    InstitutionSession.objects.filter(pk=institution_session.pk).update(
        portfolio_deadline=now - dt.timedelta(days=3),
        test_opens=now - dt.timedelta(days=10),
        test_closes=now - dt.timedelta(days=2),
        jury_date=timezone.localdate() - dt.timedelta(days=1),
    )
    Exam.objects.filter(institution_session=institution_session).update(
        opens_at=now - dt.timedelta(days=10), closes_at=now - dt.timedelta(days=2)
    )
    institution_session.refresh_from_db()


def fr(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def nina() -> Candidate:
    """A newcomer with an account and no enrolment."""
    return new_candidate(
        first_names="Nina",
        last_name="Nouvelle",
        email="nouvelle@example.fr",
        status=CandidateStatus.STUDENT,
        birth_date=dt.date(2001, 5, 4),
    )


class TestClosingNeedsTheCalendarOverOrAReason:
    def test_close_blockers_name_what_is_not_over_in_french(self, demo) -> None:
        institution_session = session_a(demo)
        exam = Exam.objects.get(institution_session=institution_session)
        blockers = services.close_blockers(institution_session)
        assert blockers == [
            f"La date limite de dépôt des dossiers ({fr(institution_session.portfolio_deadline)}) n'est pas passée.",
            f"La fenêtre du test de connaissances se ferme le {fr(exam.closes_at)}.",
            f"La date du jury ({institution_session.jury_date:%d/%m/%Y}) n'est pas encore arrivée.",
        ]

    def test_a_running_sitting_blocks_too(self, demo) -> None:
        start(demo)
        blockers = services.close_blockers(session_a(demo))
        assert "1 passation(s) du test de connaissances sont encore en cours." in blockers

    def test_nothing_blocks_once_the_calendar_is_over(self, demo) -> None:
        institution_session = session_a(demo)
        calendar_over(institution_session)
        assert services.close_blockers(institution_session) == []
        deliberation = close(demo, reason="")
        assert deliberation.status == DeliberationStatus.CLOSED and deliberation.close_reason == ""

    def test_closing_early_without_a_reason_is_refused_and_says_why(self, demo) -> None:
        with pytest.raises(services.DeliberationError) as refused:
            close(demo, reason="   ")
        assert refused.value.code == "too_early"
        message = refused.value.message
        assert message.startswith("La délibération ne peut pas encore être close : La date limite de dépôt")
        assert "indiquez-en le motif ; il sera écrit dans le procès-verbal" in message
        assert services.get_deliberation(session_a(demo)).status == DeliberationStatus.OPEN

    def test_closing_early_with_a_reason_keeps_it_in_the_minutes_and_the_audit_trail(self, demo) -> None:
        deliberation = close(demo)
        assert deliberation.status == DeliberationStatus.CLOSED and deliberation.close_reason == REASON
        entry = AuditEntry.objects.get(action="deliberation.close", object_id=str(deliberation.pk))
        assert entry.details["reason"] == REASON
        assert any("date limite de dépôt" in b for b in entry.details["early"])
        text = " ".join(pdf_text(render_minutes(session_a(demo), deliberation)).split())
        assert "Clôture anticipée" in text and "motif donné par le président du jury" in text
        assert "les candidats partent en stage le 2 décembre" in text

    def test_a_sitting_still_running_ends_when_the_jury_closes(self, demo) -> None:
        attempt = start(demo)
        deliberation = close(demo)
        attempt.refresh_from_db()
        assert attempt.submitted_at == deliberation.closed_at and attempt.closed_at is not None
        item = attempt.items.order_by("position").first()
        saved = assessment.save_answer(attempt.pk, attempt.user_id, item.position, [0])
        assert saved.status == assessment.OVER

    def test_a_closed_deliberation_neither_closes_again_nor_publishes_twice(self, demo) -> None:
        institution_session, chair = session_a(demo), demo.user("jury-a")
        with pytest.raises(services.DeliberationError) as refused:
            services.publish_deliberation(institution_session, chair)
        assert refused.value.code == "not_closed"  # open → published is not a transition
        close(demo, publish=True)
        with pytest.raises(services.DeliberationError) as refused:
            services.close_deliberation(institution_session, chair, reason=REASON)
        assert refused.value.code == "closed"
        with pytest.raises(services.DeliberationError) as refused:
            services.publish_deliberation(institution_session, chair)
        assert refused.value.code == "not_closed"


class TestTheMinutesSpeakAsTheJurysPage:
    def test_deferred_candidates_are_counted_as_ajournes_never_sans_decision(self, demo) -> None:
        deliberation = close(demo)
        deferred = services.active_enrolments(session_a(demo)).count()
        text = " ".join(pdf_text(render_minutes(session_a(demo), deliberation)).split())
        assert f"— ajournés : {deferred}" in text
        assert "sans décision" not in text

    def test_the_draft_names_the_candidates_still_undecided(self, demo) -> None:
        institution_session = session_a(demo)
        services.set_deferred(enrolment_of(demo, "candidat-a1"), True, demo.user("jury-a"))
        text = " ".join(
            pdf_text(render_minutes(institution_session, services.get_deliberation(institution_session))).split()
        )
        undecided = services.active_enrolments(institution_session).count() - 1
        assert "— ajournés : 1 — sans décision : " + str(undecided) in text


@pytest.fixture(params=[DeliberationStatus.CLOSED, DeliberationStatus.PUBLISHED])
def deliberated(request, demo):
    """A's C2i1 session once its jury closed, and once it published."""
    return close(demo, publish=request.param == DeliberationStatus.PUBLISHED)


def assert_frozen(refused: pytest.ExceptionInfo[DomainError], deliberation: Deliberation) -> None:
    assert refused.value.code == "deliberated"
    day = timezone.localtime(deliberation.closed_at).strftime("%d/%m/%Y")
    assert f"Le jury de cette session a délibéré le {day}" in refused.value.message


class TestFrozenOnceTheJuryHasDeliberated:
    def test_the_portfolio_is_neither_submitted_again_nor_withdrawn(self, demo, deliberated) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        portfolio = Portfolio.objects.get(candidate=a2.candidate, framework__code="C2i1")
        current = Submission.objects.get(enrolment=a2, status=SubmissionStatus.SUBMITTED)
        with pytest.raises(portfolio_services.PortfolioError) as refused:
            portfolio_services.submit_portfolio(portfolio, a2, demo.user("candidat-a2"))
        assert_frozen(refused, deliberated)
        assert "Une correction passe uniquement par une rectification du président du jury." in refused.value.message
        with pytest.raises(portfolio_services.PortfolioError) as refused:
            portfolio_services.withdraw_submission(current, demo.user("candidat-a2"))
        assert_frozen(refused, deliberated)
        current.refresh_from_db()
        assert current.status == SubmissionStatus.SUBMITTED

    def test_the_enrolment_is_not_withdrawn(self, demo, deliberated) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        with pytest.raises(enrolment_services.EnrolmentError) as refused:
            enrolment_services.withdraw(a2, demo.user("candidat-a2"))
        assert_frozen(refused, deliberated)
        assert "l'inscription ne peut plus être retirée" in refused.value.message
        a2.refresh_from_db()
        assert a2.status == EnrolmentStatus.ACTIVE and a2.withdrawn_at is None

    def test_no_one_enrols_is_invited_or_confirms_an_invitation(self, demo, deliberated) -> None:
        institution_session = session_a(demo)
        candidate = nina()
        user = candidate.user
        with pytest.raises(enrolment_services.EnrolmentError) as refused:
            enrolment_services.enrol(candidate, institution_session, user)
        assert_frozen(refused, deliberated)
        invitation = invite(institution_session, candidate)
        with pytest.raises(enrolment_services.EnrolmentError) as refused:
            enrolment_services.confirm_invitation(invitation, user)
        assert_frozen(refused, deliberated)
        invitation.refresh_from_db()
        assert invitation.state == InvitationStatus.PENDING
        assert enrolment_services.decline_invitation(invitation, user).state == InvitationStatus.DECLINED
        line = (
            "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier\n"
            "Martin;Paul;01/02/2003;Lyon;paul.martin@example.fr;;etudiant;non\n"
        )
        with pytest.raises(DomainError) as refused:
            importing.import_candidates(institution_session, line.encode(), "liste.csv", demo.user("correspondant-a"))
        assert_frozen(refused, deliberated)
        assert not Enrolment.objects.filter(candidate=candidate).exists()

    def test_the_knowledge_test_is_neither_taken_nor_changed(self, demo, deliberated) -> None:
        exam = Exam.objects.get(institution_session=session_a(demo))
        a1 = enrolment_of(demo, "candidat-a1")
        correspondent = demo.user("correspondant-a")
        with pytest.raises(assessment.AssessmentError) as refused:
            assessment.start_attempt(exam, a1, demo.user("candidat-a1"))
        assert_frozen(refused, deliberated)
        assert "son test de connaissances ne peut plus être passé" in refused.value.message
        with pytest.raises(assessment.AssessmentError) as refused:
            assessment.set_extra_time(exam, a1, 20, "tiers-temps", correspondent)
        assert_frozen(refused, deliberated)
        fields = {name: getattr(exam, name) for name in assessment.EXAM_FIELDS}
        with pytest.raises(assessment.AssessmentError) as refused:
            assessment.update_exam(exam, correspondent, exam.ordered_domains(), **fields)
        assert_frozen(refused, deliberated)
        assert not exam.attempts.exists()

    def test_a_sitting_ended_by_the_closing_is_not_reopened(self, demo) -> None:
        attempt = start(demo)
        deliberation = close(demo)
        with pytest.raises(assessment.AssessmentError) as refused:
            assessment.reopen_attempt(attempt, demo.user("correspondant-a"), "incident de salle", 30)
        assert_frozen(refused, deliberation)

    def test_the_jury_that_deliberated_keeps_its_members(self, demo, deliberated) -> None:
        institution_session = session_a(demo)
        correspondent = demo.user("correspondant-a")
        with pytest.raises(services.DeliberationError) as refused:
            services.add_jury_member(institution_session, "nouveau-jure@example.fr", False, correspondent)
        assert refused.value.code == "closed"
        assert "sa composition ne peut plus changer" in refused.value.message
        member = JuryMember.objects.filter(institution_session=institution_session, is_chair=False).first()
        with pytest.raises(services.DeliberationError) as refused:
            services.remove_jury_member(member, correspondent)
        assert "sa composition ne peut plus changer" in refused.value.message
        assert JuryMember.objects.filter(pk=member.pk).exists()

    def test_other_sessions_are_not_frozen(self, demo, deliberated) -> None:
        b1 = enrolment_of(demo, "candidat-b1")
        assert not b1.institution_session.deliberated
        assert session_a(demo).deliberated


class TestCandidatePagesAfterTheJury:
    def test_no_redeposit_withdraw_nor_leave_and_a_forged_post_is_refused(self, demo, deliberated) -> None:
        client = demo.client("candidat-a2")
        sentence = (
            "Le jury a délibéré : votre dossier et votre inscription à cette session ne peuvent plus être modifiés."
        )
        portfolio_page = client.get("/mon-espace/dossier/C2i1/").content.decode()
        assert sentence in portfolio_page
        assert "Déposer à nouveau" not in portfolio_page and "Retirer le dépôt" not in portfolio_page
        space = client.get("/mon-espace/certification/").content.decode()
        assert sentence in space and "Se retirer" not in space
        a2 = enrolment_of(demo, "candidat-a2")
        assert f"/mon-espace/inscriptions/{a2.pk}/retrait/" not in space
        # the confirmation page says it before anyone confirms, and offers no confirmation
        page = client.get(f"/mon-espace/inscriptions/{a2.pk}/retrait/").content.decode()
        assert "l&#x27;inscription ne peut plus être retirée" in page
        assert "Confirmer mon retrait" not in page
        response = client.post(f"/mon-espace/inscriptions/{a2.pk}/retrait/", follow=True)
        assert "l&#x27;inscription ne peut plus être retirée" in response.content.decode()
        response = client.post("/mon-espace/dossier/C2i1/depot/", {"enrolment": a2.pk}, follow=True)
        assert "le dossier qui lui a été déposé ne peut plus être modifié" in response.content.decode()
        a2.refresh_from_db()
        assert a2.status == EnrolmentStatus.ACTIVE


class TestWithdrawalBeforeTheJury:
    def test_withdrawing_the_enrolment_ends_its_submission(self, demo) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        submission = Submission.objects.get(enrolment=a2, status=SubmissionStatus.SUBMITTED)
        enrolment_services.withdraw(a2, demo.user("candidat-a2"))
        submission.refresh_from_db()
        assert submission.status == SubmissionStatus.WITHDRAWN and submission.ended_at == a2.withdrawn_at


class TestDatedStatesAreDatabaseConstraints:
    @pytest.mark.parametrize(
        ("model", "changes"),
        [
            ("enrolment", {"status": EnrolmentStatus.WITHDRAWN, "withdrawn_at": None}),
            ("enrolment", {"status": "invited"}),
            ("submission", {"status": SubmissionStatus.REPLACED, "ended_at": None}),
            ("invitation", {"state": InvitationStatus.DECLINED, "answered_at": None}),
            (
                "invitation",
                {"state": InvitationStatus.CONFIRMED, "answered_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
            ),
            ("deliberation", {"status": DeliberationStatus.CLOSED, "closed_at": None}),
            ("deliberation", {"status": DeliberationStatus.PUBLISHED, "published_at": None}),
            ("deliberation", {"status": "reopened"}),
        ],
    )
    def test_an_undated_or_unknown_state_is_refused(self, demo, model: str, changes: dict) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        rows = {
            "enrolment": Enrolment.objects.filter(pk=a2.pk),
            "submission": Submission.objects.filter(enrolment=a2, status=SubmissionStatus.SUBMITTED),
            "invitation": Invitation.objects.filter(pk=Invitation.objects.filter(state="pending").first().pk),
            "deliberation": Deliberation.objects.filter(pk=services.get_deliberation(session_a(demo)).pk),
        }[model]
        if model == "deliberation" and changes.get("status") == DeliberationStatus.PUBLISHED:
            rows.update(closed_at=timezone.now())
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**changes)


class TestForbiddenTransitions:
    """The refusals docs/lifecycle.md lists that no other test file shows."""

    def test_a_withdrawn_enrolment_is_not_withdrawn_again(self, demo) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        enrolment_services.withdraw(a2, demo.user("candidat-a2"))
        with pytest.raises(enrolment_services.EnrolmentError) as refused:
            enrolment_services.withdraw(a2, demo.user("candidat-a2"))
        assert refused.value.code == "not_active" and refused.value.message == "Cette inscription n'est pas active."

    def test_an_answered_invitation_is_not_answered_again(self, demo) -> None:
        candidate = nina()
        user = candidate.user
        invitation = invite(session_a(demo), candidate)
        enrolment_services.decline_invitation(invitation, user)
        for answer in (enrolment_services.confirm_invitation, enrolment_services.decline_invitation):
            with pytest.raises(enrolment_services.EnrolmentError) as refused:
                answer(invitation, user)
            assert refused.value.code == "not_invited"

    def test_a_replaced_submission_is_not_withdrawn(self, demo) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        before = Submission.objects.get(enrolment=a2, status=SubmissionStatus.SUBMITTED)
        portfolio_services.submit_portfolio(before.portfolio, a2, demo.user("candidat-a2"))
        with pytest.raises(portfolio_services.PortfolioError) as refused:
            portfolio_services.withdraw_submission(before, demo.user("candidat-a2"))
        assert refused.value.code == "not_submitted"
        assert refused.value.message == "Cette version n'est plus la version déposée."

    def test_an_open_deliberation_is_not_rectified(self, demo) -> None:
        with pytest.raises(services.DeliberationError) as refused:
            services.rectify(enrolment_of(demo, "candidat-a2"), "D1.1", "V", "erreur", demo.user("jury-a"))
        assert refused.value.code == "open"

    def test_a_document_is_revoked_once_and_with_a_reason(self, demo, settings, tmp_path, media) -> None:
        from c2i.credentials import services as credentials
        from c2i.credentials.models import DocumentStatus
        from tests.credentials_support import certified_and_not

        settings.C2I_KEYS_DIR = tmp_path / "keys"
        a1, _a2 = certified_and_not(demo)
        _action, document = credentials.produce_document(a1, None, notify=False)
        with pytest.raises(credentials.CredentialError) as refused:
            credentials.revoke_document(document, demo.user("admin"), "  ")
        assert refused.value.code == "reason"
        assert credentials.revoke_document(document, demo.user("admin"), "fraude").status == DocumentStatus.REVOKED
        with pytest.raises(credentials.CredentialError) as refused:
            credentials.revoke_document(document, demo.user("admin"), "fraude")
        assert refused.value.code == "not_valid"


class TestTheExamPageAfterTheJury:
    def test_it_offers_no_start_once_the_jury_has_closed(self, demo) -> None:
        exam = Exam.objects.get(institution_session=session_a(demo))
        client = demo.client("candidat-a1")
        assert 'id="start"' in client.get(f"/mon-espace/epreuves/{exam.pk}/").content.decode()
        close(demo)
        page = client.get(f"/mon-espace/epreuves/{exam.pk}/").content.decode()
        assert 'id="start"' not in page and "L'épreuve est fermée." in page
        response = client.post(f"/mon-espace/epreuves/{exam.pk}/commencer/", follow=True)
        assert "son test de connaissances ne peut plus être passé" in response.content.decode()
