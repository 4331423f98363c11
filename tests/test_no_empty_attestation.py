"""No empty attestation (issue 11, point 3; RULES.md R15 as read in
docs/rules.md): a candidate who holds no validated domain, neither validated
in this session nor carried over, gets their result and no verifiable
document; the batch counts them as « résultat sans document », never as a
failure; what publishing would issue is counted beforehand
(`issuance_counts`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from c2i.credentials import services
from c2i.credentials.models import DocumentBatch, DocumentStatus, IssuedDocument
from c2i.deliberation.models import OutcomeStatus
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession
from tests.credentials_support import ALL, carry_over, enrolment_of, isolated, publish, set_outcome

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def _others(enrolment: Enrolment, n: int) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(institution_session=enrolment.institution_session, status=EnrolmentStatus.ACTIVE)
        .exclude(pk=enrolment.pk)
        .order_by("pk")[:n]
    )


class TestNoEmptyAttestation:
    def test_it_issues_nothing_to_a_candidate_without_any_validated_domain(self, demo: Any, isolated: Any) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, [])
        publish(a2.institution_session)
        assert services.document_data(a2) is None
        action, document = services.produce_document(a2, None)
        assert (action, document) == (services.WITHOUT_DOCUMENT, None)
        assert not IssuedDocument.objects.filter(enrolment=a2).exists()
        assert mail.outbox == []

    def test_a_carried_over_domain_alone_still_gets_its_attestation(self, demo: Any, isolated: Any) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        carry_over(a2, "D2")
        set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, ["D2"], carried=["D2"])
        publish(a2.institution_session)
        action, document = services.produce_document(a2, None)
        assert action == services.ISSUED and document is not None and document.kind == "attestation"
        assert [d["code"] for d in document.validated_domains] == ["D2"]

    def test_a_certified_candidate_always_gets_the_certificate(self, demo: Any, isolated: Any) -> None:
        # C2i2e (R13): certified with 23 of 28 competencies may leave no domain whole
        a1 = enrolment_of(demo, "candidat-a1")
        set_outcome(a1, OutcomeStatus.CERTIFIED, [])
        publish(a1.institution_session)
        action, document = services.produce_document(a1, None)
        assert action == services.ISSUED and document is not None and document.kind == "certificate"

    def test_a_rectification_that_leaves_no_domain_revokes_the_attestation(self, demo: Any, isolated: Any) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, ["D1"])
        publish(a2.institution_session)
        _action, attestation = services.produce_document(a2, None)
        assert attestation is not None
        set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, [])
        assert services.reissue_document(a2, None, "D1.2 non validée après vérification") is None
        attestation.refresh_from_db()
        assert attestation.status == DocumentStatus.REVOKED
        assert attestation.revoked_reason == "D1.2 non validée après vérification"
        assert services.lookup(attestation.code).status == services.REVOKED
        assert not IssuedDocument.objects.filter(enrolment=a2, status=DocumentStatus.VALID).exists()


class TestBatchAndCounts:
    def _session(self, demo: Any) -> tuple[InstitutionSession, list[Enrolment]]:
        a1, a2 = enrolment_of(demo, "candidat-a1"), enrolment_of(demo, "candidat-a2")
        c, d, e = _others(a1, 5)[2:5]
        set_outcome(a1, OutcomeStatus.CERTIFIED, ALL)
        set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, ["D1", "D3"])
        set_outcome(c, OutcomeStatus.NOT_CERTIFIED, [])
        set_outcome(d, OutcomeStatus.NOT_CERTIFIED, [])
        set_outcome(e, OutcomeStatus.INCOMPLETE, [], deferred=True)
        return a1.institution_session, [a1, a2, c, d, e]

    def test_issuance_counts_say_what_publishing_would_issue(self, demo: Any, isolated: Any) -> None:
        institution_session, _enrolments = self._session(demo)
        assert services.issuance_counts(institution_session) == {
            "certificates": 1,
            "attestations": 1,
            "without_document": 2,
            "deferred": 1,
        }

    @override_settings(TASKS=IMMEDIATE)
    def test_the_batch_counts_results_without_document_not_failures(
        self, demo: Any, isolated: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        institution_session, (a1, a2, _c, _d, _e) = self._session(demo)
        publish(institution_session)
        with django_capture_on_commit_callbacks(execute=True):
            services.enqueue_session_documents(institution_session, None)
        batch = DocumentBatch.objects.get(institution_session=institution_session)
        progress = services.batch_progress(batch)
        assert progress.state == "done"
        assert (progress.expected, progress.ready, progress.done, progress.failed) == (2, 2, 2, 0)
        assert progress.without_document == 2
        assert set(IssuedDocument.objects.values_list("enrolment_id", flat=True)) == {a1.pk, a2.pk}
        response = demo.client("correspondant-a").get(f"/gestion/sessions/{institution_session.pk}/documents/")
        text = response.content.decode()
        assert "Résultats sans document (aucun domaine validé) : 2." in text
        assert "échecs : 0" in text
