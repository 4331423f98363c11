"""Browser journey of the jury and the documents (RULES.md R10–R15) on a real server.

What a jury decides on is prepared on the server's database first: candidat-a1
and candidat-a2 have submitted portfolios whose evidence (kind a) covers every
C2i1 competency (R10) and published knowledge-test results (R11, R16) — a1
positive everywhere, a2 positive in D1 and D3 only — and the session's other
candidates are deferred by the chair, so that closing is not blocked. From
there everything goes through the product: jury-a decides on the grid page
(a1 all validated: certified; a2 with D1 and D3 validated: not certified),
the chair closes and publishes, the background worker (`manage.py db_worker`,
as in production) produces the documents, the correspondent follows the
batch, both candidates download their PDF, and a visitor checks both codes on
/verifier/.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import Site, login, open_link, screenshot
from tests.credentials_support import PREPARE_CANDIDATES

pytestmark = pytest.mark.browser

SEED = (
    PREPARE_CANDIDATES
    + """
from c2i.deliberation.services import active_enrolments, set_deferred

a1 = prepare("candidat-a1", {})
a2 = prepare("candidat-a2", {"D2": 41.7, "D4": 33.3, "D5": 45.0})
for other in active_enrolments(a1.institution_session).exclude(pk__in=[a1.pk, a2.pk]):
    set_deferred(other, True, chair)
print(a1.institution_session_id, a1.pk, a2.pk)
"""
)


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


def test_documents_journey(page: Any, live_site: Site) -> None:
    session_pk, a1, a2 = (int(n) for n in live_site.manage("shell", "-c", SEED).strip().splitlines()[-1].split())

    # The jury decides on the grid: a1 everything validated, a2 only D1 and D3.
    login(page, "jury-a")
    page.goto(f"/jury/sessions/{session_pk}/grille/")
    for select in page.locator(f"select[name^='c-{a1}-']").all():
        select.select_option("V")
    for select in page.locator(f"select[name^='c-{a2}-']").all():
        code = select.get_attribute("name").rsplit("-", 1)[1]
        select.select_option("V" if code.startswith(("D1.", "D3.")) else "NV")
    screenshot(page, "documents-00-grid")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    screenshot(page, "documents-00-grid-saved")
    assert page.locator(f"select[name='c-{a2}-D2.1']").input_value() == "NV"
    page.goto(f"/jury/sessions/{session_pk}/")
    text = page.locator("main").inner_text().lower()
    assert "non certifié" in text and "certifié" in text.replace("non certifié", "")
    # The chair closes, then publishes; the worker produces the documents.
    # each asks for confirmation first (its own page); closing before the calendar is over, the reason
    open_link(page, page.get_by_role("link", name="Clore la délibération"))
    if page.locator("#id_reason").count():
        page.fill("#id_reason", "Jury avancé : calendrier de l'établissement.")
    page.get_by_role("button", name="Confirmer la clôture").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Publier les résultats et délivrer les documents").click()
    page.get_by_role("button", name="Confirmer la publication").click()
    page.wait_for_load_state()
    screenshot(page, "documents-01-published")
    live_site.manage("db_worker", "--batch", "--no-reload", "--no-startup-delay")
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
