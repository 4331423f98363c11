"""Confirmation before what cannot be undone, as a person sees it (issue 11,
point 6), on a real server in Chromium: the candidate's « Supprimer
l'élément » leads to a page saying what goes, « Annuler » keeps the item,
« Confirmer la suppression » deletes it; the chair's « Clore » and « Publier »
say how many candidates are decided, deferred, and which documents will be
issued, and closing before the calendar is over asks the chair's reason."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import Site, login, open_link, screenshot
from tests.test_credentials_browser import SEED

pytestmark = pytest.mark.browser

ITEM = "Rapport de stage structuré avec styles et table des matières"  # candidat-a1's first demo item


def test_a_candidate_deletes_an_evidence_item_after_confirming(page: Any, live_site: Site) -> None:
    login(page, "candidat-a1")
    page.goto("/mon-espace/dossier/C2i1/")
    open_link(page, page.get_by_role("link", name=ITEM).first)
    item_url = page.url
    page.get_by_role("link", name="Supprimer l'élément").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"Supprimer l'élément « {ITEM} » ?")
    consequences = page.locator("#confirm-consequences")
    expect(consequences).to_contain_text("Ce qui va se passer")
    expect(consequences).to_contain_text(re.compile(r"avec \d+ fichiers? et \d+ commentaires? de tuteur"))
    expect(page.locator("main")).to_contain_text("Cette action est définitive.")
    screenshot(page, "confirm-01-delete-item")

    page.get_by_role("link", name="Annuler").click()  # nothing happens
    assert page.url == item_url
    expect(page.get_by_role("heading", level=1)).to_have_text(ITEM)

    page.get_by_role("link", name="Supprimer l'élément").click()
    page.get_by_role("button", name="Confirmer la suppression").click()
    expect(page.locator(".fr-alert--success")).to_contain_text(f"L'élément « {ITEM} » est supprimé")
    screenshot(page, "confirm-02-item-deleted")
    expect(page.get_by_role("link", name=ITEM)).to_have_count(0)
    assert page.goto(item_url).status == 404


def test_the_chair_closes_and_publishes_with_the_counts_shown(page: Any, live_site: Site) -> None:
    session_pk, a1, a2 = (int(n) for n in live_site.manage("shell", "-c", SEED).strip().splitlines()[-1].split())
    # a1 everything validated, a2 D1 and D3 only: decided through the services, the session's others deferred
    live_site.manage(
        "shell",
        "-c",
        f"""
from c2i.accounts.models import User
from c2i.deliberation import services
from c2i.enrolment.models import InstitutionSession
from tests.deliberation_support import codes
session = InstitutionSession.objects.get(pk={session_pk})
cells = [services.Cell({a1}, c, "V", c) for c in codes("C2i1")]
cells += [services.Cell({a2}, c, "V" if c.startswith(("D1.", "D3.")) else "NV", c) for c in codes("C2i1")]
services.record_cells(session, cells, User.objects.get(username="jury-a"), "test")
print(services.active_enrolments(session).count())
""",
    )
    login(page, "jury-a")
    page.goto(f"/jury/sessions/{session_pk}/")
    page.get_by_role("link", name="Clore la délibération").click()

    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Clore la délibération de la session")
    expect(main).to_contain_text(re.compile(r"2 candidats décidés, \d+ ajournés?\."))
    outcomes = "Résultats : 1 certifié, 1 avec des domaines validés seulement, 0 sans domaine validé."
    expect(main).to_contain_text(outcomes)
    # the demo calendar is not over: what is not, and the reason is required
    expect(page.locator("#confirm-warnings")).to_contain_text("n'est pas passée")
    screenshot(page, "confirm-03-close")
    page.get_by_role("button", name="Confirmer la clôture").click()
    expect(page.locator("#id_reason-error")).to_contain_text("La délibération ne peut pas encore être close")
    screenshot(page, "confirm-04-close-refused")
    page.get_by_label(re.compile("Motif de la clôture anticipée")).fill("Jury avancé : calendrier de l'établissement.")
    page.get_by_role("button", name="Confirmer la clôture").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("La délibération est close")

    page.get_by_role("link", name="Publier les résultats et délivrer les documents").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Publier les résultats de la session")
    expect(main).to_contain_text(re.compile(r"2 candidats décidés, \d+ ajournés?\."))
    expect(main).to_contain_text("1 certificat et 1 attestation seront délivrés.")
    expect(main).to_contain_text(re.compile(r"\d+ candidats? ajournés? : ni résultat ni document dans cette session\."))
    screenshot(page, "confirm-05-publish")
    page.get_by_role("link", name="Annuler").click()
    expect(main).to_contain_text("Publier les résultats et délivrer les documents")  # still closed, unpublished
    page.get_by_role("link", name="Publier les résultats et délivrer les documents").click()
    page.get_by_role("button", name="Confirmer la publication").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Les résultats sont publiés")
    screenshot(page, "confirm-06-published")
