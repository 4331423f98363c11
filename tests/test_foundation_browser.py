"""Browser journeys of the foundation, in Debian's Chromium: a visitor finds an
institution, a newcomer registers (with the code e-mailed to them) and enrols,
a correspondent imports and exports, the R5 refusal is shown. Screenshots go
to test-artifacts/."""

import re
from pathlib import Path

import pytest

from tests.conftest import Site, login, open_link, screenshot

pytestmark = pytest.mark.browser


def the_code_sent(site: Site) -> str:
    """The six digits of the last e-mail the site sent (its e-mails are files)."""
    sent = sorted(Path(site.env["C2I_EMAIL_FILE_PATH"]).iterdir(), key=lambda p: p.stat().st_mtime)
    found = re.search(r"^ +(\d{6})$", sent[-1].read_text(), re.M)
    assert found is not None
    return found[1]


class TestFoundationJourneys:
    def test_a_visitor_finds_a_certifying_institution_near_a_town(self, page) -> None:
        page.goto("/etablissements/")
        page.fill("input[name=place]", "Grenoble")
        page.select_option("select[name=framework]", "C2i2mi")
        page.click("main button[type=submit]")
        results = page.locator("main").inner_text()
        assert results.index("Université Grenoble Alpes") < results.index("Université Claude Bernard Lyon 1")
        screenshot(page, "foundation-directory")

    def test_a_newcomer_registers_and_enrols(self, page, live_site) -> None:
        page.goto("/inscription/")
        page.fill("input[name=email]", "clara.navigateur@example.fr")
        page.fill("input[name=password1]", "Un-mot-de-passe-long")
        page.fill("input[name=password2]", "Un-mot-de-passe-long")
        page.fill("input[name=last_name]", "Navigateur")
        page.fill("input[name=first_names]", "Clara")
        page.fill("input[name=birth_date]", "2003-04-05")
        page.fill("input[name=birth_place]", "Tours")
        page.fill("input[name=ine]", "0DDG5R00015")
        page.locator("label[for=id_status_0]").click()  # DSFR draws the radio on its label
        screenshot(page, "foundation-register")
        page.click("main button[type=submit]")
        page.fill("input[name=code]", the_code_sent(live_site))  # the address is confirmed before the account exists
        screenshot(page, "foundation-register-code")
        page.click("main button[type=submit]")
        page.get_by_role("link", name=re.compile(r"^C2i1 — ")).first.click()
        screenshot(page, "foundation-session")
        page.get_by_role("button", name="S'inscrire ici : Sorbonne Université").click()
        assert "Votre inscription à" in page.get_by_role("status").first.inner_text()
        assert "Sorbonne Université" in page.locator("main").inner_text()
        screenshot(page, "foundation-my-space")
        # R5: a second institution for the same session is refused, naming the first
        open_link(page, page.get_by_role("link", name=re.compile(r"^C2i1 — ")).first)
        assert page.get_by_role("button", name="S'inscrire ici : Université Claude Bernard Lyon 1").count() == 0

    def test_the_r5_refusal_names_the_other_institution(self, page) -> None:
        login(page, "candidat-a1")
        page.goto("/sessions/")
        page.get_by_role("link", name=re.compile(r"^C2i1 — ")).first.click()
        assert (
            "Votre inscription à cette session est confirmée (établissement : Université Claude Bernard Lyon 1)"
            in page.locator("main").inner_text()
        )

    def test_a_correspondent_imports_and_sees_each_wrong_line(self, page, tmp_path) -> None:
        login(page, "correspondant-a")
        page.goto("/correspondant/")
        screenshot(page, "foundation-correspondent")
        page.get_by_role("link", name=re.compile(r"^C2i1 — ")).first.click()
        bad = tmp_path / "liste.csv"
        bad.write_text(
            "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut\n"
            "Vidal;Rose;12/03/2003;Albi;rose.vidal@example.fr;;etudiant\n"
            "Blanc;;31/02/2003;Albi;pas-un-courriel;;etudiant\n",
            encoding="utf-8",
        )
        page.set_input_files("input[name=file]", str(bad))
        page.get_by_role("button", name="Importer").click()
        text = page.locator("main").inner_text()
        assert "Aucune donnée n'a été importée" in text and "pas-un-courriel" in text
        assert "1 ligne est erronée" in text  # one line, three errors
        screenshot(page, "foundation-import-errors")
