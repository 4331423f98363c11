"""National figures in Chromium, on the demo site with three years of
figures added (tests/statistics_support.py): the national administrator
opens the dashboard from their space, filters a framework and a year, sees
the charts and downloads a table; correspondant-a sees Lyon 1 beside the
nation; a signed-out visitor opens « Chiffres clés » from the home page and
downloads the open-data CSV. Screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import Site, login, open_link, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def figures(live_site: Site) -> None:
    live_site.manage("shell", "-c", "from tests.statistics_support import populate; populate()")


def _downloaded(page: Any, name: str) -> str:
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    return Path(info.value.path()).read_text(encoding="utf-8-sig")


def test_the_national_administrator_filters_and_downloads(page: Any) -> None:
    login(page, "admin")
    open_link(page, page.get_by_role("link", name="Chiffres nationaux").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("Chiffres nationaux")
    expect(page.locator("svg[role=img]")).to_have_count(8)  # every block but the competencies (no framework chosen)
    screenshot(page, "statistics-01-national")

    page.locator("#id_referentiel").select_option(label="C2i1")
    page.locator("#id_annee").select_option("2028")
    page.get_by_role("button", name="Afficher ces chiffres").click()
    page.wait_for_url("**annee=2028**")
    expect(page.locator("#chart-domaines")).to_contain_text("Taux de validation par domaine")
    assert page.locator("svg[role=img]").count() >= 6
    page.get_by_role("button", name="Les données du graphique (tableau) — Taux de validation par domaine").click()
    expect(page.locator("#domaines-data table")).to_be_visible()
    screenshot(page, "statistics-02-national-c2i1-2028")

    text = _downloaded(page, "Télécharger (CSV) — Taux de validation par domaine")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Référentiel;Domaine;Résultats définitifs;Validés;Taux de validation")
    assert all(line.startswith("C2i1;") for line in lines[1:]) and len(lines) > 2


def test_a_correspondent_sees_their_institution_beside_the_nation(page: Any) -> None:
    login(page, "correspondant-a")
    page.get_by_role("link", name="Les chiffres de mon établissement").click()  # on to their institution's page
    page.wait_for_url("**/pilotage/etablissements/*/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Chiffres — Université Claude Bernard Lyon 1")
    table = page.locator("#chiffres-data table")
    expect(table.locator("thead")).to_contain_text("Votre établissement")
    expect(table.locator("thead")).to_contain_text("National")
    main = page.locator("main")
    expect(main).not_to_contain_text("Sorbonne Université")
    expect(page.locator("#chart-chiffres")).to_contain_text("national :")
    screenshot(page, "statistics-03-institution")


def test_a_visitor_opens_the_key_figures_and_downloads_the_open_data(page: Any) -> None:
    page.goto("/")
    open_link(page, page.get_by_role("link", name="Chiffres clés"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Chiffres clés")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Licence Ouverte")
    screenshot(page, "statistics-04-public")
    text = _downloaded(page, "Chiffres clés par année et référentiel (CSV)")
    header, *rows = text.strip().splitlines()
    assert header.startswith("annee;referentiel;inscrits;")
    assert any(row.startswith("2028;C2i1;") for row in rows)
    open_link(page, page.get_by_role("link", name="Dictionnaire des données"))
    expect(page.locator("main")).to_contain_text("taux_reussite_pct")
