"""Documents carry the real date of the jury's closing (issue 11, point 2):
the PDF, the verification page and the signed Open Badge say « Date du jury »
= the local date the deliberation was closed (not the planned jury date), and
« Fait le » = the day the document was issued."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from c2i.credentials import services
from c2i.credentials.models import IssuedDocument
from c2i.deliberation.models import Deliberation, DeliberationStatus, OutcomeStatus
from c2i.enrolment.models import InstitutionSession
from tests.credentials_support import ALL, enrolment_of, isolated, set_outcome

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db

# 23:30 UTC on 1 December is 00:30 on 2 December in Paris: the local date counts.
CLOSED_AT = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
PLANNED = dt.date(2027, 1, 30)


def pdf_text(document: IssuedDocument) -> str:
    with document.pdf.open("rb") as f:
        data = f.read()
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\n", " ")


@pytest.fixture
def issued(demo: Any, isolated: Any) -> IssuedDocument:
    a1 = enrolment_of(demo, "candidat-a1")
    InstitutionSession.objects.filter(pk=a1.institution_session_id).update(jury_date=PLANNED)
    set_outcome(a1, OutcomeStatus.CERTIFIED, ALL)
    Deliberation.objects.update_or_create(
        institution_session_id=a1.institution_session_id,
        defaults={
            "status": DeliberationStatus.PUBLISHED,
            "closed_at": CLOSED_AT,
            "published_at": CLOSED_AT + dt.timedelta(days=3),
        },
    )
    _action, document = services.produce_document(enrolment_of(demo, "candidat-a1"), None)
    assert document is not None
    return document


class TestJuryDate:
    def test_the_pdf_says_the_closing_date_and_the_issue_date(self, issued: IssuedDocument) -> None:
        text = pdf_text(issued)
        assert "Date du jury : 2 décembre 2026" in text
        assert "30 janvier 2027" not in text
        today = timezone.localdate()
        from c2i.lib.dates import french_date

        assert f"le {french_date(today)}." in text  # « Fait à …, le » the issue date

    def test_the_verification_page_says_the_closing_date(self, issued: IssuedDocument, client: Any) -> None:
        text = client.get(f"/verifier/{issued.code}").content.decode()
        assert "2 décembre 2026" in text
        assert "30 janvier 2027" not in text
        assert services.public_fields(services.lookup(issued.code))["jury_date"] == "2026-12-02"

    def test_the_signed_credential_says_the_closing_date(self, issued: IssuedDocument) -> None:
        credential = services.signed_credential(issued)
        assert credential["credentialSubject"]["activityEndDate"] == "2026-12-02"
        assert "Jury du 2 décembre 2026" in credential["description"]
        assert "30 janvier 2027" not in str(credential)
