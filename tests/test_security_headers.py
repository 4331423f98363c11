"""Findings 8 and 10 of issue 10: every response carries a strict
Content-Security-Policy (scripts, styles and images from the site only, no
inline script, no plugin, no framing); nothing the site serves loads a file
from another site, the API documentation included; every response to a
signed-in person and every file sent is `Cache-Control: private, no-store`."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.assessment_support import demo_exam, start

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
# Documents read outside the site, where our CSP does not apply: a file of the
# portfolio's ZIP export, opened offline (it carries its own policy, no network
# at all, in a <meta> tag), and the HTML part of e-mails (mail clients honour
# only inline styles; it holds no script and loads nothing).
OFFLINE_TEMPLATES = {"portfolio/export_summary.html", "notifications/email/message.html"}


def policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        if part.strip():
            name, *values = part.split()
            directives[name] = values
    return directives


def assert_strict(response: Any) -> None:
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src"):  # none may allow inline code or another site
        assert csp.get(directive, ["'self'"]) == ["'self'"], csp
    assert set(csp["img-src"]) <= {"'self'", "data:"}
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]


class InlineCode(HTMLParser):
    """What a strict policy would block in a page: inline scripts, event
    handlers, style attributes and <style> elements; and what would load
    from another site."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style":
                self.found.append(f"<{tag} style=…>")
            loads = name in ("src", "href", "action", "srcset", "poster", "data") and tag != "a"
            if loads and value and re.match(r"^\s*(https?:)?//", value):
                self.found.append(f"<{tag} {name}={value}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            data_block = (values.get("type") or "").lower() in ("application/json", "application/ld+json")
            self._script_without_src = "src" not in values and not data_block

    def handle_data(self, data: str) -> None:
        if self._script_without_src and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}…")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_without_src = False


def assert_not_stored(response: Any) -> None:
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives, response["Cache-Control"]


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


class TestContentSecurityPolicy:
    @pytest.mark.parametrize(
        ("username", "url"),
        [
            (None, "/"),
            (None, "/connexion/"),
            (None, "/etablissements/"),
            ("candidat-a1", "/mon-espace/"),
            ("correspondant-a", "/banque/questions/"),
            ("admin", "/admin/"),
        ],
    )
    def test_it_is_strict_on_every_page(self, demo, username: str | None, url: str) -> None:
        response = demo.client(username).get(url)
        assert response.status_code == 200
        assert_strict(response)
        assert inline_code(response.content.decode()) == []

    def test_the_exam_page_has_no_inline_code(self, demo) -> None:
        attempt = start(demo)
        response = demo.client("candidat-a1").get(attempt.get_absolute_url())
        assert response.status_code == 200 and b"exam.js" in response.content
        assert_strict(response)
        assert inline_code(response.content.decode()) == []

    def test_answers_and_errors_carry_it_too(self, demo) -> None:
        assert_strict(Client().get("/no-such-page/"))
        assert_strict(Client().get("/api/referentiels"))
        assert demo_exam(demo) is not None

    def test_the_api_documentation_loads_nothing_from_another_site(self) -> None:
        response = Client().get("/api/docs")
        assert response.status_code == 200
        assert_strict(response)
        html = response.content.decode()
        assert inline_code(html) == []
        scripts = re.findall(r'<script[^>]* src="([^"]+)"', html)
        styles = re.findall(r'<link[^>]* href="([^"]+)"', html)
        assert any("swagger-ui-bundle" in s for s in scripts), scripts
        for url in scripts + styles:
            assert url.startswith("/static/"), url
            assert finders.find(url.removeprefix("/static/")), f"{url} is not among the static files"

    def test_no_template_has_inline_code_or_loads_from_another_site(self) -> None:
        found = {}
        for path in sorted((ROOT / "templates").rglob("*.html")):
            name = str(path.relative_to(ROOT / "templates"))
            if name in OFFLINE_TEMPLATES:
                continue
            problems = inline_code(path.read_text())
            if problems:
                found[name] = problems
        assert found == {}


class TestPrivateResponses:
    def test_a_signed_in_persons_pages_are_not_stored(self, demo) -> None:
        response = demo.client("candidat-a1").get("/mon-espace/")
        assert response.status_code == 200
        assert_not_stored(response)

    def test_the_enrolment_export_is_not_stored(self, demo) -> None:
        institution_session = demo.institution_session("a")
        client = demo.client("correspondant-a")
        for export in ("csv", "xlsx"):
            response = client.get(f"/gestion/sessions/{institution_session.pk}/?export={export}")
            assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
            assert_not_stored(response)

    def test_the_personal_data_pages_and_archive_are_not_stored(self, demo) -> None:
        client = demo.client("candidat-a1")
        for url in ("/mon-espace/donnees/", "/mon-espace/donnees/archive.zip"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert_not_stored(response)
        response = demo.client("admin").get("/administration/journal/export/")
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        assert_not_stored(response)

    def test_the_minutes_pdf_is_not_stored(self, demo) -> None:
        institution_session = demo.institution_session("a")
        response = demo.client("admin").get(f"/jury/sessions/{institution_session.pk}/proces-verbal.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert_not_stored(response)

    def test_the_login_answer_is_not_stored(self, demo) -> None:
        response = Client().post("/connexion/", {"username": "candidat-a1", "password": "demo"})
        assert response.status_code == 302 and "sessionid" in response.cookies
        assert_not_stored(response)

    def test_public_pages_stay_cacheable_for_visitors(self) -> None:
        response = Client().get("/")
        assert "no-store" not in response.get("Cache-Control", "")
