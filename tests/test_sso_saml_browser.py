"""Browser journey, in Debian's Chromium: a student chooses their university
on the platform, signs in on its SAML 2 IdP (a real pysaml2 IdP, its own
process, tests/sso_saml_idp.py), lands in their candidate space with their
INE, and signs out of both (single logout reaches the IdP)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.conftest import Site, _free_port, _serve, open_link, screenshot
from tests.sso_saml_idp import USERS, RunningIdP, start_idp

pytestmark = pytest.mark.browser

UAI = "0692437Z"  # Université Claude Bernard Lyon 1, in the demo data
INE = USERS["etudiant"]["attributes"]["supannCodeINE"][0]
METADATA_PATH = "/connexion/etablissement/saml/metadonnees/"


@pytest.fixture(scope="module")
def live_site() -> Iterator[Site]:
    """The demo site on a port known before it starts: its SAML metadata and
    endpoints name its own address (C2I_SITE_URL)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with _serve(f"saml-{port}", {"C2I_SITE_URL": url}, port=port) as site:
        yield site


@pytest.fixture(scope="module")
def idp(live_site: Site) -> Iterator[RunningIdP]:
    with start_idp(live_site.url + METADATA_PATH) as running:
        setup = (
            "from c2i.institutions.models import Institution; from c2i.sso.models import IdentityProvider; "
            f"IdentityProvider.objects.update_or_create(institution=Institution.objects.get(uai={UAI!r}), "
            f"defaults={{'protocol': 'saml', 'enabled': True, 'saml_entity_id': {json.dumps(running.entity_id)}, "
            f"'saml_metadata_url': {json.dumps(running.metadata_url)}}})"
        )
        live_site.manage("shell", "-c", setup)
        live_site.manage("refresh_saml_metadata")  # what cron runs daily: the sign-in reads the stored copy
        yield running


def sign_in_on_idp(page, idp: RunningIdP) -> None:
    page.wait_for_url(re.compile(re.escape(idp.base) + r"/sso/redirect\?SAMLRequest="))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Université de test")
    page.get_by_label("Identifiant").fill("etudiant")
    page.get_by_label("Mot de passe").fill(USERS["etudiant"]["password"])
    page.get_by_role("button", name="Se connecter").click()


class TestSamlJourney:
    def test_a_student_signs_in_through_saml_and_signs_out_of_both(self, page, live_site, idp) -> None:
        page.goto("/connexion/")
        open_link(page, page.get_by_role("link", name="Se connecter avec mon établissement"))
        page.fill("input[name=q]", "Lyon 1")
        page.click("main button[type=submit]")
        page.get_by_role("link", name="Université Claude Bernard Lyon 1").click()
        sign_in_on_idp(page, idp)
        # the IdP's signed answer is posted back to the platform; a first
        # sign-in asks once for what the IdP does not release
        page.wait_for_url(re.compile(r"/connexion/etablissement/profil/$"))
        expect(page.locator("main")).to_contain_text(INE)
        page.fill("input[name=birth_date]", "2004-03-21")
        page.fill("input[name=birth_place]", "Lyon")
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/mon-espace/certification/$"))
        main = page.locator("main")
        expect(main).to_contain_text("Léa")
        expect(main).to_contain_text(f"INE {INE}")
        screenshot(page, "sso-saml-my-space")
        # signing out of the platform sends a LogoutRequest to the IdP, whose
        # answer brings the browser back home, signed out
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(live_site.url + "/")
        expect(page.get_by_role("link", name="Se connecter").first).to_be_visible()
        assert {"event": "logout", "user": "etudiant"}.items() <= idp.log()[-1].items()
        # the IdP's session ended too: its password is asked again
        page.goto(f"/connexion/etablissement/saml/?institution={UAI}")
        sign_in_on_idp(page, idp)
        page.wait_for_url(re.compile(r"/mon-espace/certification/$"))
        expect(page.locator("main")).to_contain_text(f"INE {INE}")
