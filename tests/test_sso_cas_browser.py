"""Browser journey, in Debian's Chromium: a student signs in through their
university's CAS server (a real django-cas-server, its own process), lands
in their candidate space with their INE, and signs out of both."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import open_link, screenshot
from tests.sso_cas_server import USERS, start_cas_server

pytestmark = pytest.mark.browser

UAI = "0692437Z"  # Université Claude Bernard Lyon 1, in the demo data
INE = str(USERS["etudiant"]["attributes"]["supannCodeINE"])


@pytest.fixture(scope="module")
def cas_server(live_site):
    with start_cas_server("^" + re.escape(live_site.url + "/")) as server:
        setup = (
            "from c2i.institutions.models import Institution; from c2i.sso.models import IdentityProvider; "
            f"IdentityProvider.objects.update_or_create(institution=Institution.objects.get(uai={UAI!r}), "
            f"defaults={{'protocol': 'cas', 'enabled': True, 'cas_server_url': {json.dumps(server.url)}}})"
        )
        live_site.manage("shell", "-c", setup)
        yield server


def sign_in_on_cas(page, cas_server) -> None:
    page.wait_for_url(re.compile(re.escape(cas_server.url) + "login"))
    page.fill("input[name=username]", "etudiant")
    page.fill("input[name=password]", str(USERS["etudiant"]["password"]))
    page.locator("form button[type=submit], form input[type=submit]").first.click()


class TestCasJourney:
    def test_a_student_signs_in_through_cas_and_signs_out_of_both(self, page, live_site, cas_server) -> None:
        page.goto("/connexion/")
        screenshot(page, "sso-cas-login")
        open_link(page, page.get_by_role("link", name="Se connecter avec mon établissement"))
        page.fill("input[name=q]", "Lyon 1")
        page.click("main button[type=submit]")
        screenshot(page, "sso-cas-choose")
        page.get_by_role("link", name="Université Claude Bernard Lyon 1").click()
        sign_in_on_cas(page, cas_server)
        # first sign-in: the account is made; the birth date and place are asked once
        page.wait_for_url(re.compile(r"/connexion/etablissement/profil/$"))
        expect(page.locator("main")).to_contain_text(INE)
        screenshot(page, "sso-cas-profile")
        page.fill("input[name=birth_date]", "2004-09-12")
        page.fill("input[name=birth_place]", "Villeurbanne")
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/mon-espace/certification/$"))
        main = page.locator("main")
        expect(main).to_contain_text("Camille DURAND")
        expect(main).to_contain_text(f"INE {INE}")
        screenshot(page, "sso-cas-my-space")
        # signing out of the platform signs out of CAS too, and comes back home
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(live_site.url + "/")
        expect(page.get_by_role("link", name="Se connecter").first).to_be_visible()
        # signing in again asks for the CAS password again (no CAS session left),
        # and goes straight to the candidate space this time
        page.goto(f"/connexion/etablissement/?institution={UAI}")
        sign_in_on_cas(page, cas_server)
        page.wait_for_url(re.compile(r"/mon-espace/certification/$"))
        expect(page.locator("main")).to_contain_text(f"INE {INE}")
        # the CAS server's own logout ends the platform's session (back-channel single logout)
        page.goto(cas_server.url + "logout")
        page.goto("/mon-espace/certification/")
        page.wait_for_url(re.compile(r"/connexion/\?next="))
