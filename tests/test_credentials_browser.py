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
import subprocess
import sys
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import ROOT, Site, login, screenshot

pytestmark = pytest.mark.browser

SEED = """
import datetime as dt
from django.utils import timezone
from c2i.accounts.models import User
from c2i.assessment.models import Attempt, DomainResult, Exam
from c2i.deliberation.services import active_enrolments, set_deferred
from c2i.enrolment.models import Enrolment
from c2i.frameworks.models import Competency, Domain
from c2i.portfolio import services as portfolio

now = timezone.now()
chair = User.objects.get(username="jury-a")

def prepare(username, percents):
    e = Enrolment.objects.get(candidate__user__username=username, status="active", session__framework__code="C2i1")
    user, framework = e.candidate.user, e.session.framework
    mine = portfolio.open_portfolio(e.candidate, framework, user)
    portfolio.create_evidence(
        mine, user, kind="a", title="Projet tutoré : site web du club de théâtre",
        competencies=list(Competency.objects.filter(domain__framework=framework, retired=False)),
        context="L2 Informatique — projet tutoré", link="https://example.fr/projet-theatre",
        reflection="Ce projet a mobilisé l'ensemble des compétences du référentiel.",
    )
    portfolio.submit_portfolio(mine, e, user)
    exam = Exam.objects.get(institution_session=e.institution_session)
    attempt = Attempt.objects.filter(exam=exam, enrolment=e).first() or Attempt.objects.create(
        exam=exam, enrolment=e, user=user, seed=1, started_at=now - dt.timedelta(hours=2),
        deadline=now - dt.timedelta(hours=1))
    Attempt.objects.filter(pk=attempt.pk).update(submitted_at=now - dt.timedelta(hours=1),
                                                 closed_at=now - dt.timedelta(hours=1))
    for domain in Domain.objects.filter(framework=framework):
        percent = percents.get(domain.code, 75.0)
        DomainResult.objects.update_or_create(attempt=attempt, domain=domain, defaults=dict(
            questions=12, percent=percent, positive=percent >= 50))
    Exam.objects.filter(pk=exam.pk).update(results_published_at=now)
    return e

a1 = prepare("candidat-a1", {})
a2 = prepare("candidat-a2", {"D2": 41.7, "D4": 33.3, "D5": 45.0})
for other in active_enrolments(a1.institution_session).exclude(pk__in=[a1.pk, a2.pk]):
    set_deferred(other, True, chair)
print(a1.institution_session_id, a1.pk, a2.pk)
"""


def manage(site: Site, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=site.env, cwd=ROOT, capture_output=True, text=True
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


def test_documents_journey(page: Any, live_site: Site) -> None:
    session_pk, a1, a2 = (int(n) for n in manage(live_site, "shell", "-c", SEED).strip().splitlines()[-1].split())

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
    page.get_by_role("link", name="Clore la délibération").click()
    if page.locator("#id_reason").count():
        page.fill("#id_reason", "Jury avancé : calendrier de l'établissement.")
    page.get_by_role("button", name="Confirmer la clôture").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Publier les résultats et délivrer les documents").click()
    page.get_by_role("button", name="Confirmer la publication").click()
    page.wait_for_load_state()
    screenshot(page, "documents-01-published")
    manage(live_site, "db_worker", "--batch", "--no-reload", "--no-startup-delay")
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
