"""Neutralisation and the jury: while it deliberates, the new percentages
change the computed outcome; once it has closed, the audited rectification
(DELIBERATION_TEST_RECTIFY with the old and new outcome) recomputes the
outcome and the R14 ledger and, the deliberation being published, re-issues
the document; lifting after the closing is refused; a domain left without a
question is reported on the jury's pages and the candidate's result page,
and counted as a missing result (R11)."""

from __future__ import annotations

import pytest

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.assessment import services as assessment
from c2i.assessment.models import Neutralisation
from c2i.assessment.services import neutralisation as neu
from c2i.assessment.services.errors import AssessmentError
from c2i.credentials import services as credentials
from c2i.credentials.models import DocumentStatus, IssuedDocument
from c2i.deliberation import services
from c2i.deliberation.models import CandidateOutcome, DomainCredit
from c2i.enrolment.models import EnrolmentStatus
from tests.credentials_support import isolated
from tests.deliberation_support import codes, publish_test_results, submit_all
from tests.test_neutralisation import d1_questions, result, sit

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db

EARLY = "Jury avancé (test)"  # the demo session's calendar is not over: closing needs a reason
VOID = "D1 : aucune question restante après neutralisation — résultat non disponible"


def deliberated(demo):
    """candidat-a1 sits the demo test for real (D1: 5 right of 12, 41,67 %;
    every other domain right); everybody else's results are published at
    75 %; every competency of everybody is validated by the jury. candidat-a1
    is not certified: D1's test is below 50 %."""
    institution_session = demo.institution_session("a")
    attempt = sit(demo)
    others = services.active_enrolments(institution_session).exclude(pk=attempt.enrolment_id)
    publish_test_results(others.select_related("candidate__user", "institution_session"))
    assessment.publish_results(attempt.exam, demo.user("correspondant-a"))
    cells = []
    for enrolment in services.active_enrolments(institution_session):
        submit_all(enrolment)
        cells += [services.Cell(enrolment.pk, code, "V", code) for code in codes("C2i1")]
    services.record_cells(institution_session, cells, demo.user("jury-a"), "test")
    outcome = CandidateOutcome.objects.get(enrolment=attempt.enrolment)
    assert outcome.status == "not_certified" and "D1" not in outcome.validated_domains
    return institution_session, attempt


def neutralise_wrong(demo, attempt, count: int, reason: str = "Deux réponses justes") -> list:
    """Neutralise `count` more D1 questions the candidate got wrong."""
    taken = set(
        Neutralisation.objects.filter(exam=attempt.exam, lifted_at__isnull=True).values_list("question_id", flat=True)
    )
    wrong = [q for q in d1_questions(attempt, right=False) if q.pk not in taken]
    return [neu.neutralise(attempt.exam, q, reason, demo.user("correspondant-a")) for q in wrong[:count]]


class TestOpenDeliberation:
    def test_the_jury_sees_the_new_percentage_and_the_outcome_changes(self, demo) -> None:
        institution_session, attempt = deliberated(demo)
        neutralise_wrong(demo, attempt, 1)  # 45,45 %: still below
        assert CandidateOutcome.objects.get(enrolment=attempt.enrolment).status == "not_certified"
        neutralise_wrong(demo, attempt, 1)  # the next wrong one: 50 %
        assert result(attempt, "D1").percent == 50.0
        outcome = CandidateOutcome.objects.get(enrolment=attempt.enrolment)
        assert outcome.status == "certified" and "D1" in outcome.validated_domains
        page = demo.client("jury-a").get(f"/jury/sessions/{institution_session.pk}/").content.decode()
        assert "D1 : 50,00 %" in page or "D1 : 50.00 %" in page
        assert not AuditEntry.objects.filter(action=AuditAction.DELIBERATION_TEST_RECTIFY).exists()

    def test_a_domain_without_question_is_reported_and_not_passed(self, demo) -> None:
        institution_session, attempt = deliberated(demo)
        questions = d1_questions(attempt, right=False) + d1_questions(attempt, right=True)
        for question in questions:
            neu.neutralise(attempt.exam, question, "Domaine défectueux", demo.user("admin"))
        d1 = result(attempt, "D1")
        assert (d1.questions, d1.neutralised, d1.positive) == (0, 12, False)
        outcome = CandidateOutcome.objects.get(enrolment=attempt.enrolment)
        assert outcome.status == "not_certified" and "D1" not in outcome.validated_domains  # R11: missing
        jury = demo.client("jury-a")
        assert VOID in jury.get(f"/jury/sessions/{institution_session.pk}/").content.decode()
        candidate_page = jury.get(f"/jury/sessions/{institution_session.pk}/candidats/{attempt.enrolment_id}/")
        assert VOID in candidate_page.content.decode()

    def test_lifting_while_open_brings_the_outcome_back(self, demo) -> None:
        _session, attempt = deliberated(demo)
        done = neutralise_wrong(demo, attempt, 2)
        assert CandidateOutcome.objects.get(enrolment=attempt.enrolment).status == "certified"
        neu.restore(done[0], "Finalement correcte", demo.user("correspondant-a"))
        assert CandidateOutcome.objects.get(enrolment=attempt.enrolment).status == "not_certified"


class TestClosedDeliberation:
    @pytest.mark.usefixtures("isolated")
    def test_after_closing_and_publication_the_rectification_is_audited_and_the_document_reissued(
        self, demo, monkeypatch, django_capture_on_commit_callbacks
    ) -> None:
        monkeypatch.setattr(credentials, "enqueue_session_documents", lambda *args: None)
        institution_session, attempt = deliberated(demo)
        chair = demo.user("jury-a")
        services.close_deliberation(institution_session, chair, reason=EARLY)
        services.publish_deliberation(institution_session, chair)
        enrolment = attempt.enrolment
        _action, before = credentials.produce_document(enrolment, chair)
        assert before is not None and not before.is_certificate
        assert not DomainCredit.objects.filter(enrolment=enrolment, domain_code="D1").exists()
        with django_capture_on_commit_callbacks(execute=True):
            neutralise_wrong(demo, attempt, 2, reason="Question à deux bonnes réponses")
        outcome = CandidateOutcome.objects.get(enrolment=enrolment)
        assert outcome.status == "certified"
        first, entry = AuditEntry.objects.filter(
            action=AuditAction.DELIBERATION_TEST_RECTIFY, object_id=str(enrolment.pk)
        ).order_by("id")  # one rectification per neutralisation: 45,45 % (no change), then 50 %
        assert (first.details["old_outcome"], first.details["outcome"]) == ("not_certified", "not_certified")
        assert first.details["tests"]["D1"] == pytest.approx(500 / 11)
        assert entry.details["old_outcome"] == "not_certified" and entry.details["outcome"] == "certified"
        assert entry.details["reason"] == "Question à deux bonnes réponses"
        assert entry.details["tests"]["D1"] == 50.0
        assert DomainCredit.objects.filter(enrolment=enrolment, domain_code="D1", revoked_at__isnull=True).exists()
        before.refresh_from_db()
        assert before.status == DocumentStatus.REPLACED
        now = IssuedDocument.objects.get(enrolment=enrolment, status=DocumentStatus.VALID)
        assert now.is_certificate

    def test_lifting_after_the_closing_is_refused(self, demo) -> None:
        institution_session, attempt = deliberated(demo)
        done = neutralise_wrong(demo, attempt, 2)
        services.close_deliberation(institution_session, demo.user("jury-a"), reason=EARLY)
        with pytest.raises(AssessmentError) as refused:
            neu.restore(done[0], "Erreur", demo.user("correspondant-a"))
        assert refused.value.code == "deliberated"
        done[0].refresh_from_db()
        assert done[0].lifted_at is None
        page = demo.client("correspondant-a").get(f"/correspondant/epreuves/{attempt.exam_id}/").content.decode()
        assert "ne peut plus être levée" in page and "Lever la neutralisation" not in page

    def test_the_confirmation_says_what_follows_before_and_after_the_closing(self, demo) -> None:
        institution_session, attempt = deliberated(demo)
        question = d1_questions(attempt, right=False)[0]
        url = f"/correspondant/epreuves/{attempt.exam_id}/neutraliser/?question={question.pk}"
        client = demo.client("correspondant-a")
        before = client.get(url).content.decode()
        assert "Confirmer la neutralisation" in before and "Motif de la neutralisation" in before
        assert "peut être levée jusqu&#x27;à sa clôture" in before and "ne pourra plus être levée" not in before
        services.close_deliberation(institution_session, demo.user("jury-a"), reason=EARLY)
        after = client.get(url).content.decode()
        assert "réémis" in after and "ne pourra plus être levée" in after
        # an empty reason: the page again, the field says why, nothing neutralised
        refused = client.post(url.split("?")[0], {"question": question.pk, "reason": " "})
        assert refused.status_code == 400 and "Motif de la neutralisation" in refused.content.decode()
        assert not Neutralisation.objects.exists()

    def test_the_candidate_result_page_reports_a_void_domain(self, demo) -> None:
        institution_session, attempt = deliberated(demo)
        for question in d1_questions(attempt, right=False) + d1_questions(attempt, right=True):
            neu.neutralise(attempt.exam, question, "Domaine défectueux", demo.user("admin"))
        chair = demo.user("jury-a")
        services.close_deliberation(institution_session, chair, reason=EARLY)
        services.publish_deliberation(institution_session, chair)
        enrolment = attempt.enrolment
        assert enrolment.status == EnrolmentStatus.ACTIVE
        page = demo.client("candidat-a1").get(f"/mon-espace/resultats/{enrolment.pk}/").content.decode()
        assert VOID in page
