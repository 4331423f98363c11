"""Issuing documents (RULES.md R15): the PDF and its row, the session's batch
through the background task (directly and through the task backend), its
idempotence, rectification (append-only replacement), revocation, the
e-mail notice, the audit trail, and who may download a document."""

from __future__ import annotations

import io
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core import mail
from django.test import override_settings
from pypdf import PdfReader

from c2i.accounts.models import AuditEntry
from c2i.credentials import services
from c2i.credentials.models import BatchState, DocumentBatch, DocumentKind, DocumentStatus, IssuedDocument
from c2i.credentials.tasks import produce_documents_task
from c2i.deliberation.models import DeliberationStatus, OutcomeStatus
from c2i.lib import codes
from tests.credentials_support import SITE, carry_over, certified_and_not, enrolment_of, isolated, publish, set_outcome

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def pdf_text(document: IssuedDocument) -> str:
    with document.pdf.open("rb") as f:
        data = f.read()
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


class TestDocumentData:
    def test_it_is_none_without_a_final_outcome(self, demo: Any, isolated: Any) -> None:
        a1 = enrolment_of(demo, "candidat-a1")
        assert services.document_data(a1) is None  # no outcome
        set_outcome(a1, OutcomeStatus.CERTIFIED, ["D1", "D2", "D3", "D4", "D5"])
        publish(a1.institution_session, DeliberationStatus.OPEN)
        assert services.document_data(a1) is None  # deliberation still open
        publish(a1.institution_session)
        assert services.document_data(a1) is not None
        set_outcome(a1, OutcomeStatus.INCOMPLETE, [])
        assert services.document_data(a1) is None
        set_outcome(a1, OutcomeStatus.NOT_CERTIFIED, ["D1"], deferred=True)
        assert services.document_data(a1) is None

    def test_it_lists_the_validated_domains_with_their_competencies(self, demo: Any, isolated: Any) -> None:
        _a1, a2 = certified_and_not(demo)
        data = services.document_data(a2)
        assert data is not None and data.kind == "attestation"
        assert [d.code for d in data.validated_domains] == ["D1", "D3"]
        assert data.all_domains_count == 5
        assert all(d.competencies for d in data.validated_domains)
        assert data.holder_name == a2.candidate.full_name


class TestIssue:
    def test_it_writes_a_pdf_with_the_code_the_domains_and_a_qr_code(self, demo: Any, isolated: Any) -> None:
        a1, a2 = certified_and_not(demo)
        action, certificate = services.produce_document(a1, None)
        assert action == services.ISSUED and certificate is not None
        _action, attestation = services.produce_document(a2, None)
        assert attestation is not None
        assert certificate.kind == DocumentKind.CERTIFICATE and attestation.kind == DocumentKind.ATTESTATION
        assert codes.check(certificate.code).ok
        assert certificate.pdf.name.startswith("documents/") and len(certificate.pdf.name) > 40  # random name
        text = pdf_text(attestation)
        assert attestation.code in text
        assert "D1" in text and "D3" in text and "D2 " not in text
        assert "2 domaines validés sur 5" in text
        assert certificate.code in pdf_text(certificate)
        with certificate.pdf.open("rb") as f:
            image = pdfium.PdfDocument(f.read())[0].render(scale=150 / 72).to_pil()
        found = [b.text for b in zxingcpp.read_barcodes(image)]
        assert found == [f"{SITE}/verifier/{certificate.code}"]
        assert attestation.validated_domains[0]["code"] == "D1"

    def test_it_notifies_the_holder_by_email_with_the_verification_link(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = certified_and_not(demo)
        _action, document = services.produce_document(a1, None)
        assert document is not None
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [a1.candidate.email]
        assert f"{SITE}/verifier/{document.code}" in str(message.body)
        assert not message.attachments

    def test_it_audits_issue_replace_and_revoke(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = certified_and_not(demo)
        _action, first = services.produce_document(a1, None)
        set_outcome(a1, OutcomeStatus.NOT_CERTIFIED, ["D1"])
        second = services.reissue_document(a1, demo.user("jury-a"), "Erreur de saisie")
        assert first is not None and second is not None
        services.revoke_document(second, demo.user("admin"), "Fraude")
        actions = list(
            AuditEntry.objects.filter(object_type="credentials.issueddocument")
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions == ["documents.issue", "documents.replace", "documents.issue", "documents.revoke"]

    def test_a_carried_over_domain_is_listed_with_its_session(self, demo: Any, isolated: Any) -> None:
        _a1, a2 = certified_and_not(demo)
        older = carry_over(a2, "D2")
        set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, ["D1", "D2", "D3"], carried=["D2"])
        _action, document = services.produce_document(a2, None)
        assert document is not None
        d2 = next(d for d in document.validated_domains if d["code"] == "D2")
        assert d2["carried_over_from"] == older.session.name
        assert older.session.name in pdf_text(document).replace("\n", " ")

    def test_a_racing_second_issue_loses_and_leaves_no_file(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = certified_and_not(demo)
        data = services.document_data(a1)
        assert data is not None
        first = services._issue(a1, data, None)
        assert first is not None
        assert services._issue(a1, data, None) is None  # the constraint: one valid document per enrolment
        assert IssuedDocument.objects.filter(enrolment=a1).count() == 1
        assert len(list((isolated / "media" / "documents").iterdir())) == 1


class TestRectification:
    def test_it_replaces_the_document_and_keeps_the_old_one(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = certified_and_not(demo)
        _action, first = services.produce_document(a1, None)
        assert first is not None
        set_outcome(a1, OutcomeStatus.NOT_CERTIFIED, ["D1", "D2", "D4"])
        second = services.reissue_document(a1, demo.user("jury-a"), "D5 : erreur de saisie")
        assert second is not None and second.pk != first.pk
        first.refresh_from_db()
        assert first.status == DocumentStatus.REPLACED and first.replaced_by == second
        assert second.status == DocumentStatus.VALID and second.kind == DocumentKind.ATTESTATION
        assert second.reason == "D5 : erreur de saisie"
        assert f"annule et remplace le document de code de vérification {first.code}" in pdf_text(second).replace(
            "\n", " "
        )
        assert first.pdf.storage.exists(first.pdf.name)  # written once, never removed

    def test_an_unchanged_outcome_issues_nothing_new(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = certified_and_not(demo)
        _action, first = services.produce_document(a1, None)
        assert services.reissue_document(a1, None, "sans effet") == first
        assert IssuedDocument.objects.filter(enrolment=a1).count() == 1

    def test_a_revoked_document_is_not_replaced_but_a_new_one_is_issued(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = certified_and_not(demo)
        _action, first = services.produce_document(a1, None)
        assert first is not None
        services.revoke_document(first, None, "Erreur d'identité")
        action, second = services.produce_document(a1, None)
        assert action == services.ISSUED and second is not None
        first.refresh_from_db()
        assert first.status == DocumentStatus.REVOKED and first.replaced_by is None
        with pytest.raises(services.CredentialError):
            services.revoke_document(first, None, "encore")


class TestBatch:
    def test_the_task_issues_one_document_per_final_outcome(self, demo: Any, isolated: Any) -> None:
        a1, a2 = certified_and_not(demo)
        batch = DocumentBatch.objects.create(institution_session=a1.institution_session, total=2, parts=2)
        assert produce_documents_task.call(batch.pk, 0) + produce_documents_task.call(batch.pk, 1) == 2
        batch.refresh_from_db()
        assert (batch.state, batch.done, batch.skipped, batch.failed, batch.parts_done) == (BatchState.DONE, 2, 0, 0, 2)
        assert batch.started_at and batch.finished_at
        assert {d.enrolment_id for d in IssuedDocument.objects.all()} == {a1.pk, a2.pk}

    @override_settings(TASKS=IMMEDIATE)
    def test_enqueue_runs_through_the_task_backend_and_is_idempotent(
        self, demo: Any, isolated: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        a1, a2 = certified_and_not(demo)
        with django_capture_on_commit_callbacks(execute=True):
            batch = services.enqueue_session_documents(a1.institution_session, demo.user("jury-a"))
        batch.refresh_from_db()
        assert (batch.state, batch.total, batch.done, batch.skipped) == (BatchState.DONE, 2, 2, 0)
        codes_before = set(IssuedDocument.objects.values_list("code", flat=True))
        assert len(mail.outbox) == 0  # a batch's first issue is announced by the outcome e-mail (notifications)

        # Again: nothing new. Then a changed outcome goes through a replacement.
        with django_capture_on_commit_callbacks(execute=True):
            again = services.enqueue_session_documents(a1.institution_session, None)
        again.refresh_from_db()
        assert (again.state, again.done, again.skipped) == (BatchState.DONE, 0, 2)
        assert set(IssuedDocument.objects.values_list("code", flat=True)) == codes_before

        set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, ["D1", "D2", "D3"])
        with django_capture_on_commit_callbacks(execute=True):
            third = services.enqueue_session_documents(a1.institution_session, None)
        third.refresh_from_db()
        assert (third.done, third.skipped) == (1, 1)
        assert IssuedDocument.objects.filter(enrolment=a2, status=DocumentStatus.REPLACED).count() == 1
        assert IssuedDocument.objects.filter(status=DocumentStatus.VALID).count() == 2

    @override_settings(TASKS=IMMEDIATE)
    def test_publication_by_the_deliberation_hands_over_the_documents(
        self, demo: Any, isolated: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        from c2i.deliberation import services as deliberation

        a1, _a2 = certified_and_not(demo)
        publish(a1.institution_session, DeliberationStatus.CLOSED)
        with django_capture_on_commit_callbacks(execute=True):
            deliberation.publish_deliberation(a1.institution_session, demo.user("jury-a"))
        batch = DocumentBatch.objects.get(institution_session=a1.institution_session)
        assert batch.requested_by == demo.user("jury-a")
        assert IssuedDocument.objects.filter(enrolment=a1, status=DocumentStatus.VALID).exists()


class TestDownload:
    def test_holder_correspondent_and_admin_download_others_do_not(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = certified_and_not(demo)
        _action, document = services.produce_document(a1, None)
        assert document is not None
        url = f"/documents/{document.pk}/pdf/"
        for username in ("candidat-a1", "correspondant-a", "admin"):
            response = demo.client(username).get(url)
            assert response.status_code == 200, username
            assert response["Content-Type"] == "application/pdf"
            assert response["Content-Disposition"].startswith("attachment;")
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response.content.startswith(b"%PDF")
        for username in ("candidat-a2", "candidat-b1", "correspondant-b", "tuteur-a", "jury-a", "relecteur"):
            assert demo.client(username).get(url).status_code in (403, 404), username
        assert demo.client(None).get(url).status_code == 302

    def test_my_documents_lists_the_holders_documents_only(self, demo: Any, isolated: Any) -> None:
        a1, a2 = certified_and_not(demo)
        _x, d1 = services.produce_document(a1, None)
        _y, d2 = services.produce_document(a2, None)
        assert d1 is not None and d2 is not None
        page = demo.client("candidat-a1").get("/mon-espace/documents/").content.decode()
        assert d1.code in page and d2.code not in page

    def test_the_correspondent_sees_the_batch_progress(self, demo: Any, isolated: Any) -> None:
        a1, _a2 = certified_and_not(demo)
        DocumentBatch.objects.create(institution_session=a1.institution_session, total=2, parts=1, state="running")
        response = demo.client("correspondant-a").get(f"/gestion/sessions/{a1.institution_session.pk}/documents/")
        assert response.status_code == 200
        assert b'http-equiv="refresh"' in response.content
