"""Browser journeys of the API (issue 14): the correspondent makes a token,
copies it from the page that shows it once, the software calls the API with
it, the correspondent revokes it after confirming; and the documentation
page, offline, lists the v1 operations from the site's own schema."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import login, open_link, screenshot

pytestmark = pytest.mark.browser


class TestApiTokens:
    def test_the_correspondent_creates_uses_and_revokes_a_token(self, page, live_site) -> None:
        login(page, "correspondant-a")
        page.goto("/mon-espace/")
        open_link(page, page.locator("main a", has_text="Jetons d’API"))
        open_link(page, page.locator("main a", has_text="Créer un jeton d’API"))
        page.fill("input[name=name]", "Apogée")
        page.check("input[name=scopes][value=read]", force=True)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        secret = page.locator("[data-testid=api-token]").input_value()
        assert secret.startswith("c2i_")
        screenshot(page, "api-token-created")
        answer = page.request.get(
            f"{live_site.url}/api/v1/etablissement", headers={"Authorization": f"Bearer {secret}"}
        )
        assert answer.status == 200 and answer.json()["token"] == "Apogée"
        page.goto("/gestion/api/jetons/")
        assert secret not in page.content()
        open_link(page, page.locator("main a", has_text="Révoquer"))
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text("révoqué le")
        refused = page.request.get(
            f"{live_site.url}/api/v1/etablissement", headers={"Authorization": f"Bearer {secret}"}
        )
        assert refused.status == 401 and refused.json()["code"] == "unauthenticated"


class TestApiDocsOffline:
    def test_the_documentation_lists_the_v1_operations_without_network(self, page, live_site) -> None:
        elsewhere: list[str] = []

        def offline(route: Any) -> None:
            elsewhere.append(route.request.url)
            route.abort()

        page.context.route(lambda url: not url.startswith(live_site.url), offline)
        page.goto("/api/docs")
        expect(page.locator(".opblock-summary").first).to_be_visible()
        text = page.locator("#swagger-ui").inner_text()
        for path in ("/api/v1/etablissement/inscriptions", "/api/v1/etablissement/sessions/{session_id}/invitations"):
            assert path in text
        assert elsewhere == []
