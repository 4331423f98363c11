"""Browser journey of the documents (RULES.md R15) on a real server.

The jury's decisions are stood in for on the server's database: certifying a
C2i1 candidate needs published knowledge-test results (R11, R16) and
submitted portfolios (R10) that the demo data does not hold, and closing
needs every candidate of the session decided. So candidat-a1 is given a
certified outcome and candidat-a2 a not-certified one with D1 and D3
validated, the deliberation closed by its chair; from there everything goes
through the product: the chair publishes on the jury page, the background
worker (`manage.py db_worker`, as in production) produces the documents, the
correspondent follows the batch, both candidates download their PDF, and a
visitor checks both codes on /verifier/.
"""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import LIVE_ENV, ROOT, login, screenshot

pytestmark = pytest.mark.browser

SEED = """
from django.utils import timezone
from c2i.accounts.models import User
from c2i.deliberation.models import CandidateOutcome, Deliberation
from c2i.enrolment.models import Enrolment

def outcome(username, status, domains):
    e = Enrolment.objects.get(candidate__user__username=username, status="active", session__framework__code="C2i1")
    CandidateOutcome.objects.update_or_create(enrolment=e, defaults=dict(
        institution_session=e.institution_session, status=status, validated_domains=domains))
    return e

a1 = outcome("candidat-a1", "certified", ["D1", "D2", "D3", "D4", "D5"])
outcome("candidat-a2", "not_certified", ["D1", "D3"])
Deliberation.objects.update_or_create(institution_session=a1.institution_session, defaults=dict(
    status="closed", closed_at=timezone.now(), closed_by=User.objects.get(username="jury-a")))
print(a1.institution_session_id)
"""


RESET = """
from c2i.credentials.models import DocumentBatch, IssuedDocument
from c2i.deliberation.models import CandidateOutcome, Deliberation
from c2i.enrolment.models import Enrolment

enrolments = Enrolment.objects.filter(
    candidate__user__username__in=["candidat-a1", "candidat-a2"], status="active", session__framework__code="C2i1"
)
session = enrolments.first().institution_session
IssuedDocument.objects.filter(replaced_by__isnull=False, enrolment__in=enrolments).update(replaced_by=None)
IssuedDocument.objects.filter(enrolment__in=enrolments).delete()
DocumentBatch.objects.filter(institution_session=session).delete()
CandidateOutcome.objects.filter(enrolment__in=enrolments).delete()
Deliberation.objects.filter(institution_session=session).update(
    status="open", closed_at=None, closed_by=None, published_at=None, published_by=None
)
"""


@pytest.fixture
def restored(live_site: str) -> Any:
    """Give the shared server back the demo's state (a1 and a2 undecided, deliberation open) for later journeys."""
    yield
    manage("shell", "-c", RESET)


def manage(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=LIVE_ENV, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def logout(page: Any) -> None:
    page.context.clear_cookies()


def download_pdf(page: Any) -> str:
    page.goto("/mon-espace/documents/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger le PDF").or_(
            page.get_by_role("link", name="Download the PDF")
        ).first.click()
    path = info.value.path()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(open(path, "rb").read())).pages)  # noqa: SIM115
    return text


def test_documents_journey(page: Any, live_site: str, restored: None) -> None:
    session_pk = int(manage("shell", "-c", SEED).strip().splitlines()[-1])

    # The chair publishes; the worker produces the documents.
    login(page, "jury-a")
    page.goto(f"/jury/sessions/{session_pk}/")
    page.locator(f"form[action='/jury/sessions/{session_pk}/publication/'] button").click()
    page.wait_for_load_state()
    screenshot(page, "documents-01-published")
    manage("db_worker", "--batch", "--no-reload", "--no-startup-delay")
    logout(page)

    login(page, "correspondant-a")
    page.goto(f"/gestion/sessions/{session_pk}/documents/")
    assert page.locator("progress").get_attribute("value") == "100"
    screenshot(page, "documents-02-correspondent")
    logout(page)

    codes: dict[str, str] = {}
    for username in ("candidat-a1", "candidat-a2"):
        login(page, username)
        page.goto("/mon-espace/documents/")
        code = page.locator(".c2i-code").first.inner_text().strip()
        codes[username] = code
        screenshot(page, f"documents-03-{username}")
        text = download_pdf(page)
        assert code in text
        if username == "candidat-a2":
            assert "2 domaines validés sur 5" in text
        logout(page)

    # A visitor checks both codes.
    for username, code in codes.items():
        page.goto("/verifier/")
        page.fill("input[name=code]", code.lower().replace("-", " "))
        page.locator("form[action='/verifier/'][method=get] button").click()
        page.wait_for_load_state()
        assert page.locator("[data-status=valid]").count() == 1
        screenshot(page, f"documents-04-verify-{username}")
    assert page.locator("dl.c2i-facts").inner_text().count("D") >= 2
