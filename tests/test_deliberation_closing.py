"""Closing: blocked by undecided candidates unless deferred; the minutes;
decisions immutable afterwards; the chair's audited rectification, which
re-issues the document; publication issues the documents."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from c2i.accounts.models import AuditEntry
from c2i.credentials import services as credentials
from c2i.deliberation import services, sources
from c2i.deliberation.models import CandidateOutcome, CompetencyDecision, DeliberationStatus, JuryMember
from c2i.enrolment.models import EnrolmentStatus
from tests.deliberation_support import codes, publish_session_tests, submit_all

pytestmark = pytest.mark.django_db

EARLY = "Jury avancé (test)"  # the demo session's calendar is not over: closing now needs a reason


def session_url(demo, suffix: str = "") -> str:
    return f"/jury/sessions/{demo.institution_session('a').pk}/{suffix}"


def decide_everyone(demo, nv: tuple[str, ...] = ()):
    """Every active candidate of A's C2i1 session, their knowledge test published at 75 %: all V except
    `nv` for candidat-a2."""
    institution_session = demo.institution_session("a")
    publish_session_tests(institution_session)
    jury = demo.user("jury-a")
    cells = []
    for enrolment in services.active_enrolments(institution_session).select_related("candidate"):
        submit_all(enrolment)
        is_a2 = enrolment.candidate.user_id == demo.user("candidat-a2").pk
        for code in codes("C2i1"):
            value = "NV" if is_a2 and code in nv else "V"
            cells.append(services.Cell(enrolment.pk, code, value, code))
    services.record_cells(institution_session, cells, jury, "test")
    return institution_session


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


class TestClosing:
    def test_undecided_candidates_block_the_closing_until_deferred(self, demo) -> None:
        publish_session_tests(demo.institution_session("a"))
        client = demo.client("jury-a")
        response = client.post(session_url(demo, "cloture/"), follow=True)
        assert "ont encore des compétences sans décision" in response.content.decode()
        institution_session = demo.institution_session("a")
        assert services.get_deliberation(institution_session).status == DeliberationStatus.OPEN
        for enrolment in services.active_enrolments(institution_session):
            assert (
                client.post(session_url(demo, f"candidats/{enrolment.pk}/ajournement/"), {"deferred": "1"}).status_code
                == 302
            )
        assert demo.client("tuteur-a").post(session_url(demo, "cloture/")).status_code == 403  # members do not close
        client.post(session_url(demo, "cloture/"), {"reason": "Jury avancé (test)"})  # the calendar is not over
        deliberation = services.get_deliberation(institution_session)
        assert deliberation.status == DeliberationStatus.CLOSED and deliberation.closed_at is not None
        assert AuditEntry.objects.filter(action="deliberation.close", object_id=str(deliberation.pk)).exists()

    def test_the_minutes_list_members_candidates_outcomes_and_closing_time(self, demo) -> None:
        institution_session = decide_everyone(demo, nv=("D4.2",))
        services.close_deliberation(institution_session, demo.user("jury-a"), reason=EARLY)
        response = demo.client("jury-a").get(session_url(demo, "proces-verbal.pdf"))
        assert response["Content-Type"] == "application/pdf"
        text = pdf_text(response.content)
        assert "Procès-verbal de délibération du jury" in text
        members = JuryMember.objects.filter(institution_session=institution_session).select_related("user")
        assert {m.is_chair for m in members} == {True, False}
        for member in members:
            assert f"{member.user.get_full_name()} — {'président(e)' if member.is_chair else 'membre'}" in text
        for enrolment in services.active_enrolments(institution_session):
            assert enrolment.candidate.full_name in text
        assert "non certifié" in text and "certifié" in text
        assert "Délibération close le" in text
        closed = services.get_deliberation(institution_session).closed_at
        from django.utils import timezone

        assert timezone.localtime(closed).strftime("%d/%m/%Y à %H:%M") in text


class TestAfterClosing:
    def test_decisions_are_immutable(self, demo) -> None:
        institution_session = decide_everyone(demo)
        services.close_deliberation(institution_session, demo.user("jury-a"), reason=EARLY)
        a1 = demo.candidate("candidat-a1").enrolments.get(status=EnrolmentStatus.ACTIVE)
        before = CompetencyDecision.objects.filter(enrolment=a1).count()
        response = demo.client("jury-a").post(
            session_url(demo, f"candidats/{a1.pk}/"), {"competency": "D1.1", "value": "NV"}
        )
        assert response.status_code == 400
        with pytest.raises(services.DeliberationError):
            services.record_cells(
                institution_session, [services.Cell(a1.pk, "D1.1", "NV", "x")], demo.user("jury-a"), "t"
            )
        row = CompetencyDecision.objects.filter(enrolment=a1).first()
        row.value = "NV"
        with pytest.raises(ValueError, match="never changed"):
            row.save()
        with pytest.raises(ValueError, match="never deleted"):
            row.delete()
        assert CompetencyDecision.objects.filter(enrolment=a1).count() == before

    def test_the_chair_rectifies_with_a_reason_and_the_document_is_reissued(
        self, demo, monkeypatch, django_capture_on_commit_callbacks
    ) -> None:
        issued: list[tuple[str, object]] = []

        for name in ("enqueue_session_documents", "reissue_document"):
            monkeypatch.setattr(credentials, name, lambda *args, name=name: issued.append((name, args)))
        institution_session = decide_everyone(demo, nv=("D4.2",))
        chair = demo.user("jury-a")
        services.close_deliberation(institution_session, chair, reason=EARLY)
        with django_capture_on_commit_callbacks(execute=True):
            assert demo.client("jury-a").post(session_url(demo, "publication/")).status_code == 302
        assert issued == [("enqueue_session_documents", (institution_session, chair))]
        a2 = demo.candidate("candidat-a2").enrolments.get(status=EnrolmentStatus.ACTIVE)
        assert CandidateOutcome.objects.get(enrolment=a2).status == "not_certified"
        url = session_url(demo, f"candidats/{a2.pk}/rectification/")
        # a member may not; the chair needs a reason
        assert demo.client("tuteur-a").post(url, {"competency": "D4.2", "value": "V", "reason": "x"}).status_code == 403
        demo.client("jury-a").post(url, {"competency": "D4.2", "value": "V", "reason": ""})
        assert CandidateOutcome.objects.get(enrolment=a2).status == "not_certified"
        # R10 applies to a rectification too: it cites its evidence
        demo.client("jury-a").post(url, {"competency": "D4.2", "value": "V", "reason": "Erreur de saisie"})
        assert CompetencyDecision.objects.filter(enrolment=a2, competency_code="D4.2").count() == 1
        cited = [i for i, _kind, _title in sources.submitted_evidence(a2)["D4.2"]]
        with django_capture_on_commit_callbacks(execute=True):
            response = demo.client("jury-a").post(
                url, {"competency": "D4.2", "value": "V", "reason": "Erreur de saisie", "evidence": cited}
            )
        assert response.status_code == 302
        rows = list(CompetencyDecision.objects.filter(enrolment=a2, competency_code="D4.2").order_by("id"))
        assert [(r.value, r.rectification_reason) for r in rows] == [("NV", ""), ("V", "Erreur de saisie")]
        assert rows[1].supersedes_id == rows[0].pk
        assert CandidateOutcome.objects.get(enrolment=a2).status == "certified"
        entry = AuditEntry.objects.get(action="deliberation.rectify")
        assert entry.details["reason"] == "Erreur de saisie" and entry.details["supersedes"] == rows[0].pk
        assert issued[-1][0] == "reissue_document" and issued[-1][1][0] == a2

    def test_a_publication_whose_documents_cannot_be_handed_over_fails_loudly(
        self, demo, monkeypatch, django_capture_on_commit_callbacks
    ) -> None:
        institution_session = decide_everyone(demo)
        chair = demo.user("jury-a")
        services.close_deliberation(institution_session, chair, reason=EARLY)
        monkeypatch.delattr(credentials, "enqueue_session_documents")  # the credentials service is not there
        with (
            pytest.raises(AttributeError, match="enqueue_session_documents"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.publish_deliberation(institution_session, chair)

    def test_a_rectification_whose_document_cannot_be_reissued_fails_loudly(
        self, demo, monkeypatch, django_capture_on_commit_callbacks
    ) -> None:
        monkeypatch.setattr(credentials, "enqueue_session_documents", lambda *args: None)
        institution_session = decide_everyone(demo, nv=("D4.2",))
        chair = demo.user("jury-a")
        services.close_deliberation(institution_session, chair, reason=EARLY)
        services.publish_deliberation(institution_session, chair)
        a2 = demo.candidate("candidat-a2").enrolments.get(status=EnrolmentStatus.ACTIVE)
        cited = [i for i, _kind, _title in sources.submitted_evidence(a2)["D4.2"]]

        def broken(*args):
            raise RuntimeError("the document's PDF could not be written")

        monkeypatch.setattr(credentials, "reissue_document", broken)
        with (
            pytest.raises(RuntimeError, match="could not be written"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.rectify(a2, "D4.2", "V", "Erreur de saisie", chair, cited)
