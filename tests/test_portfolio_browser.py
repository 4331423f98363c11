"""The portfolio journey in Debian's Chromium: a candidate of A's C2i1
session made for the test (Romane Vidal) adds three items with files for two
domains, sees the progress picture and submits; tuteur-a comments and
positions; jury-a opens the submitted version; candidat-b1 and
correspondant-b are refused. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from c2i.demo.portfolio import odt_file, pdf_file, png_tree
from tests.conftest import login, screenshot
from tests.persona_support import PASSWORD

pytestmark = pytest.mark.browser


def add_item(
    page, title: str, kind: str, competencies: list[str], files: list[Path], reflection: str = "", shot: str = ""
) -> None:
    page.get_by_role("link", name="Ajouter un élément de preuve").first.click()
    page.locator(f"input[name=kind][value={kind}]").check(force=True)
    page.fill("input[name=title]", title)
    page.fill("input[name=context]", "UE Outils numériques — TD")
    page.fill("input[name=activity_date]", "2026-03-10")
    for code in competencies:
        page.get_by_label(re.compile(rf"^{re.escape(code)} — ")).check(force=True)
    if reflection:
        page.fill("textarea[name=reflection]", reflection)
    page.set_input_files("input[name=files]", [str(f) for f in files])
    if shot:
        screenshot(page, shot)
    page.get_by_role("button", name="Ajouter l'élément").click()
    assert f"L'élément « {title} » est ajouté." in alerts(page)


def alerts(page) -> str:
    """The messages shown after an action."""
    return " ".join(page.locator(".fr-alert").all_inner_texts())


# A candidate of A's C2i1 session that exists only in this test's site.
NEW_PERSONA = """
from c2i.demo.enrolment import INSTITUTIONS
from c2i.enrolment.models import InstitutionSession
from tests.persona_support import new_candidate

uai = next(i.uai for i in INSTITUTIONS if i.key == "a")
seat = InstitutionSession.objects.get(institution__uai=uai, session__framework__code="C2i1")
print(new_candidate(seat, first_names="Romane", last_name="Vidal", status="student").user.username)
"""


def new_page(browser, live_site, username: str):
    context = browser.new_context(base_url=live_site.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, username)
    return page


class TestPortfolioJourney:
    def test_a_candidate_builds_submits_and_the_tutor_and_jury_follow(
        self, page, browser, live_site, tmp_path: Path
    ) -> None:
        backup = tmp_path / "sauvegarde.pdf"
        backup.write_bytes(pdf_file("Plan de sauvegarde", "Romane Vidal", ["Sauvegarde hebdomadaire chiffrée."]))
        tree = tmp_path / "arborescence.png"
        tree.write_bytes(png_tree("Mes dossiers", ["Cours", " Biologie", " Numérique"]))
        watch = tmp_path / "veille.odt"
        watch.write_bytes(odt_file("Veille", ["Alertes et flux RSS sur l'IA en santé."]))

        # the candidate: three items for D1 and D4
        username = live_site.manage("shell", "-v", "0", "-c", NEW_PERSONA).strip()
        login(page, username, PASSWORD)
        page.goto("/mon-espace/certification/")
        page.get_by_role("link", name="Mon dossier de compétences").first.click()
        assert "Mon dossier numérique de compétences — C2i1" in page.locator("h1").inner_text()
        add_item(page, "Plan de sauvegarde de mes données", "a", ["D1.4"], [backup])
        page.goto("/mon-espace/dossier/C2i1/")
        add_item(page, "Organisation de mes dossiers de cours", "a", ["D1.1"], [tree])
        page.goto("/mon-espace/dossier/C2i1/")
        add_item(
            page,
            "Veille sur l'IA en santé",
            "c",
            ["D4.1", "D4.4"],
            [watch, backup],
            reflection="J'ai mis en place des **alertes** et un agrégateur de flux.",
            shot="portfolio-evidence-form",
        )
        screenshot(page, "portfolio-evidence")
        page.goto("/mon-espace/dossier/C2i1/")
        # the picture of each domain is an image whose accessible name says what it shows
        assert page.get_by_role("img", name=re.compile("^D1 : 2 compétences sur 4 avec un élément de preuve")).count()
        assert page.get_by_role("img", name=re.compile("^D4 : 2 compétences sur 4")).count()
        screenshot(page, "portfolio-candidate-overview")

        # submission
        page.get_by_role("button", name=re.compile("Déposer")).first.click()
        assert "Votre dossier est déposé auprès du jury" in alerts(page)
        screenshot(page, "portfolio-submitted")

        # the tutor comments and positions
        tutor = new_page(browser, live_site, "tuteur-a")
        tutor.goto("/gestion/dossiers/")
        screenshot(tutor, "portfolio-tutor-list")
        tutor.get_by_role("link", name="Romane VIDAL").click()
        item = tutor.locator("section", has_text="Veille sur l'IA en santé")
        item.locator("textarea[name=body]").fill("Bonne démarche ; ajoutez la liste de vos flux.")
        item.get_by_role("button", name=re.compile("Commenter")).click()
        assert "Votre commentaire est ajouté" in alerts(tutor)
        option = tutor.locator("select[name=competency] option", has_text="D4.1 —").get_attribute("value")
        tutor.select_option("select[name=competency]", value=option)
        tutor.locator("input[name=level][value=acquired]").check(force=True)
        tutor.fill("textarea[name=comment]", "Démarche de recherche maîtrisée.")
        tutor.get_by_role("button", name="Enregistrer le positionnement").click()
        assert "Positionnement enregistré pour D4.1" in alerts(tutor)
        screenshot(tutor, "portfolio-tutor-detail")

        # the candidate sees both
        page.goto("/mon-espace/dossier/C2i1/")
        row = page.locator("#competency-D4\\.1")
        assert "acquise" in row.inner_text().lower() and "Démarche de recherche maîtrisée." in row.inner_text()
        page.get_by_role("link", name="Veille sur l'IA en santé").first.click()
        assert "Bonne démarche ; ajoutez la liste de vos flux." in page.locator("main").inner_text()

        # the jury opens the submitted version
        jury = new_page(browser, live_site, "jury-a")
        jury.goto("/jury/dossiers/")
        jury.get_by_role("link", name="Romane VIDAL").click()
        text = jury.locator("main").inner_text()
        assert "Veille sur l'IA en santé" in text and "Plan de sauvegarde de mes données" in text
        assert "c'est ce que voit le jury" in text
        with jury.expect_download() as download:
            jury.get_by_role("link", name=re.compile("veille.odt")).first.click()
        assert download.value.suggested_filename == "veille.odt"
        snapshot_url = jury.url
        screenshot(jury, "portfolio-jury-snapshot")

        # outsiders are refused
        portfolio_url = tutor.url.split("#")[0]
        for username in ("candidat-b1", "correspondant-b"):
            other = new_page(browser, live_site, username)
            for url in (snapshot_url, portfolio_url):
                response = other.goto(url)
                assert response is not None and response.status in (403, 404), (username, url)
            other.context.close()
        for p in (tutor, jury):
            p.context.close()
