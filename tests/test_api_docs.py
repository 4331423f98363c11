"""The API documentation page works offline (issue 11, list 10): Swagger UI
comes from this site's static files, never a CDN, under the site's strict
Content-Security-Policy (no inline script), in a page that says its language.
The browser check (operations listed, nothing asked of another site) is in
tests/test_assessment_pages_browser.py."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs() -> tuple[int, str, dict[str, str]]:
    response = Client().get("/api/docs")
    return response.status_code, response.content.decode(), dict(response.headers)


class TestApiDocs:
    def test_it_names_no_other_site(self, docs) -> None:
        status, html, _ = docs
        assert status == 200
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html), re.findall(r"\S*//\S*", html)
        assert "cdn" not in html.lower()

    def test_its_scripts_and_styles_are_served_by_the_site(self, docs) -> None:
        _, html, _ = docs
        sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
        sheets = re.findall(
            r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"|<link[^>]*href="([^"]+)"[^>]*rel="stylesheet"', html
        )
        files = sources + [a or b for a, b in sheets]
        assert "/static/ninja/swagger-ui-bundle.js" in sources and "/static/ninja/swagger-ui-init.js" in sources
        for url in files:
            assert url.startswith("/static/"), url
            assert finders.find(url.removeprefix("/static/")), url  # the file is in the site's static files

    def test_no_inline_script_under_the_strict_policy(self, docs) -> None:
        _, html, headers = docs
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        for tag, body in re.findall(r"(<script[^>]*>)(.*?)</script>", html, re.S):
            # a script either comes from a file or is data (the settings, read by the init script)
            assert ("src=" in tag and not body.strip()) or 'type="application/json"' in tag, tag

    def test_the_page_says_its_language_and_title(self, docs) -> None:
        _, html, _ = docs
        assert '<html lang="fr">' in html
        assert "<title>Documentation de l'API — C2i</title>" in html
