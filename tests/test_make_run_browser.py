"""What a person sees of the site `make run` serves (issue 11, point 8 and
list 10), in Debian's Chromium: the server runs in the very environment the
Makefile gives manage.py (`make run-env`, with its port), debug off, static
files collected and served by whitenoise. An unknown address shows the French
DSFR 404 page (screenshot test-artifacts/error-404.png), the demo accounts log
in over plain http with their password, an e-mailed link points at the port
served, and export buttons show their label."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import Site, _free_port, _serve, login, screenshot
from tests.test_make_run import ROOT, run_env, shell_environment

pytestmark = pytest.mark.browser

BLUE_FRANCE = "rgb(0, 0, 145)"  # a DSFR primary button: the DSFR's styles are applied


def make_run_settings(port: int) -> dict[str, str]:
    """The C2I_* variables `PORT=<port> make run` sets, as its shell sets them."""
    env = shell_environment(PORT=str(port))
    line = run_env(env)
    printed = subprocess.run(["sh", "-c", f"{line} env"], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    names = set(re.findall(r"(C2I_\w+)=", line))
    values = dict(entry.split("=", 1) for entry in printed.stdout.splitlines() if "=" in entry)
    return {name: values[name] for name in names}


@pytest.fixture(scope="module")
def live_site() -> Iterator[Site]:
    port = _free_port()
    settings = make_run_settings(port)
    assert settings["C2I_DEBUG"] == "0" and settings["C2I_SITE_URL"] == f"http://127.0.0.1:{port}"
    name = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-run-{uuid.uuid4().hex[:8]}"
    with _serve(name, settings=settings, port=port) as site:
        yield site


def test_an_unknown_address_shows_the_french_404_page(page: Any) -> None:
    response = page.goto("/nulle-part/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Page non trouvée")
    expect(page.locator("main")).to_contain_text("Erreur 404")
    home = page.locator("main a.fr-btn", has_text="Page d'accueil")
    expect(home).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('main a.fr-btn')).backgroundColor") == BLUE_FRANCE
    assert "URLconf" not in page.content()  # not Django's debug page
    assert home.get_attribute("href") == "/"
    screenshot(page, "error-404")


def test_a_demo_account_logs_in_with_its_password_over_http(page: Any) -> None:
    login(page, "admin")  # two-factor authentication is required of the administrator only where C2I_REQUIRE_2FA
    expect(page).to_have_url(re.compile(r"/mon-espace/$"))
    expect(page.locator("header")).to_contain_text("Se déconnecter")


def test_an_emailed_link_points_at_the_port_served(page: Any, live_site: Site) -> None:
    page.goto("/mot-de-passe/oublie/")
    page.fill("input[name=email]", "candidat-a1@c2i-demo.fr")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_be_visible()
    mails = sorted(Path(live_site.env["C2I_EMAIL_FILE_PATH"]).iterdir(), key=lambda p: p.stat().st_mtime)
    text = mails[-1].read_text()
    assert f"{live_site.url}/mot-de-passe/nouveau/" in text
    assert ":8000" not in text


def test_export_buttons_show_their_label(page: Any) -> None:
    """The DSFR draws every icon button of a `fr-btns-group` as a bare icon
    unless the group says where the icon goes (issue 11, list 10)."""
    login(page, "correspondant-a")
    page.goto("/correspondant/")
    page.locator("main table a").first.click()  # the first session open at A
    exports = page.locator("main a.fr-btn", has_text=re.compile("^Exporter"))
    expect(exports.first).to_be_visible()
    assert exports.count() == 2
    for button in exports.all():
        box = button.bounding_box()
        assert box is not None and box["width"] > 80, button.inner_text()  # the label shows, not a 2rem icon
    screenshot(page, "export-buttons")
