"""Issue 11, point 1, in a browser: after the jury of A's C2i1 session has
closed and published, candidat-a2 is offered neither « Déposer à nouveau »,
« Retirer le dépôt » nor « Se retirer »; he reads why; a forged POST is
refused with the French message; he stays on the jury's session page.

The jury's work is done on the server's database first (every candidate
deferred, closed early with the chair's reason, published): what is checked
here is what the candidate sees afterwards."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import Site, login, screenshot

pytestmark = pytest.mark.browser

SEED = """
from c2i.accounts.models import User
from c2i.deliberation import services
from c2i.enrolment.models import Enrolment

chair = User.objects.get(username="jury-a")
a2 = Enrolment.objects.get(candidate__user__username="candidat-a2", status="active", session__framework__code="C2i1")
session = a2.institution_session
for enrolment in services.active_enrolments(session):
    services.set_deferred(enrolment, True, chair)
services.close_deliberation(session, chair, reason="Jury avancé : départ en stage des candidats.")
services.publish_deliberation(session, chair)
print(session.pk, a2.pk)
print(a2.candidate.full_name)
"""

FROZEN = "Le jury a délibéré : votre dossier et votre inscription à cette session ne peuvent plus être modifiés."


def forged_post(page: Any, url: str, **fields: str) -> str:
    """A POST the page no longer offers, sent with the session's own CSRF
    token (as a hand-made form would): the text of the page it lands on."""
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = page.request.post(url, form={"csrfmiddlewaretoken": token, **fields})
    return str(response.text())


def test_after_the_jury_published_candidat_a2_can_no_longer_change_anything(page: Any, live_site: Site) -> None:
    *_, ids, a2_name = live_site.manage("shell", "-c", SEED).strip().splitlines()
    session_pk, a2 = (int(n) for n in ids.split())
    page.set_default_timeout(60000)  # a shared machine can be slow
    expect.set_options(timeout=30000)

    login(page, "candidat-a2")
    page.goto("/mon-espace/dossier/C2i1/")
    deposit = page.locator("#deposit ~ .fr-callout").first
    expect(deposit).to_contain_text(FROZEN)
    expect(page.get_by_role("button", name="Déposer à nouveau (remplace la version déposée)")).to_have_count(0)
    expect(page.get_by_role("button", name="Retirer le dépôt")).to_have_count(0)
    expect(page.get_by_role("link", name="Retirer le dépôt")).to_have_count(0)
    screenshot(page, "lifecycle-01-portfolio-after-jury")

    refused = forged_post(page, "/mon-espace/dossier/C2i1/depot/", enrolment=str(a2))
    assert "le dossier qui lui a été déposé ne peut plus être modifié" in refused

    page.goto("/mon-espace/certification/")
    row = page.locator("main table tbody tr").filter(has_text="C2i1")
    expect(row).to_contain_text(FROZEN)
    expect(row.get_by_role("button", name="Se retirer")).to_have_count(0)
    expect(row.get_by_role("link", name="Se retirer")).to_have_count(0)
    screenshot(page, "lifecycle-02-my-certification-after-jury")

    refused = forged_post(page, f"/mon-espace/inscriptions/{a2}/retrait/")
    assert "l'inscription ne peut plus être retirée" in refused.replace("&#x27;", "'")
    page.goto("/mon-espace/certification/")
    expect(page.locator("main table tbody tr").filter(has_text="C2i1")).to_contain_text(
        re.compile("inscrit", re.IGNORECASE)
    )

    page.context.clear_cookies()
    login(page, "jury-a")
    page.goto(f"/jury/sessions/{session_pk}/")
    expect(page.locator("main")).to_contain_text(a2_name)
