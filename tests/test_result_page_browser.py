"""The candidate's result page in a browser (issue 11, point 4), as a student
reads it: candidat-a1 certified, candidat-a2 with two domains not validated
(a competency refused with the jury's comment, a knowledge test below 50 %).

The jury's work is done on the server's database through the services (the
jury's own journey is tests/test_credentials_browser.py); the candidates then
open their space, follow the « Mon résultat » link and read the page, which
is screenshotted (test-artifacts/result-page-*.png)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import Site, login, screenshot
from tests.credentials_support import PREPARE_CANDIDATES

pytestmark = pytest.mark.browser

COMMENT = "Le dossier ne montre pas le respect du droit d'auteur : les images du site ne sont pas créditées."

SEED = (
    PREPARE_CANDIDATES
    + f"""
from c2i.credentials.services import produce_document
from c2i.deliberation import services

a1 = prepare("candidat-a1", {{}})
a2 = prepare("candidat-a2", {{"D4": 33.3}})
session = a1.institution_session
for other in services.active_enrolments(session).exclude(pk__in=[a1.pk, a2.pk]):
    services.set_deferred(other, True, chair)
codes = list(Competency.objects.filter(domain__framework=a1.session.framework, retired=False)
             .values_list("code", flat=True))
cells = [services.Cell(e.pk, c, "NV" if e == a2 and c == "D2.3" else "V", c) for e in (a1, a2) for c in codes]
services.record_cells(session, cells, chair, "test")
services.record_decision(a2, "D2.3", "NV", chair, comment={COMMENT!r})
services.close_deliberation(session, chair, "Jury avancé (démonstration)")
services.publish_deliberation(session, chair)
for e in (a1, a2):
    produce_document(e, chair, notify=False)
print(a1.pk, a2.pk)
"""
)


@pytest.fixture(scope="module")
def enrolments(live_site: Site) -> tuple[int, int]:
    a1, a2 = (int(n) for n in live_site.manage("shell", "-c", SEED).strip().splitlines()[-1].split())
    return a1, a2


def open_result(page: Any, username: str) -> str:
    login(page, username)
    page.goto("/mon-espace/certification/")
    page.get_by_role("link", name=re.compile(r"^Mon résultat")).first.click()
    expect(page.locator("h1")).to_contain_text("Mon résultat")
    return str(page.locator("main").inner_text())


def test_the_certified_candidate_reads_the_result(page: Any, enrolments: tuple[int, int]) -> None:
    text = open_result(page, "candidat-a1")
    screenshot(page, "result-page-certified")
    assert "C2i1 obtenu" in text
    assert "Le jury vous délivre le C2i1." in text
    assert "Ce domaine est validé : le jury a validé toutes ses compétences" in text
    assert "75 %" in text
    expect(page.get_by_role("link", name="Mon certificat")).to_be_visible()
    assert not re.search(r"\bR\d{1,2}\b", text)


def test_a_candidate_with_failed_domains_reads_why(page: Any, enrolments: tuple[int, int]) -> None:
    text = open_result(page, "candidat-a2")
    screenshot(page, "result-page-failed-domains")
    assert "C2i1 non obtenu à cette session" in text
    assert (
        "Ce domaine n'est pas validé car la compétence D2.3 n'a pas été validée ; "
        "il n'y a pas de compensation entre compétences." in text
    )
    assert (
        "Ce domaine n'est pas validé car votre résultat au contrôle de connaissances (33,3 %) "
        "est inférieur au seuil de 50 %." in text
    )
    assert COMMENT in text
    assert "Ces domaines restent acquis" in text
    expect(page.get_by_role("link", name="Mon attestation de domaines validés")).to_be_visible()
    expect(page.get_by_role("link", name="Voir les sessions")).to_be_visible()
    assert not re.search(r"\bR\d{1,2}\b", text)
    # the summary table's links lead to each domain's section
    page.get_by_role("link", name="D2", exact=True).click()
    expect(page.locator("#domain-D2")).to_be_in_viewport()
