"""Accessibility (issue 11, RGAA 4.1 / WCAG 2.1 AA): axe-core runs on every page
a browser test loads (tests/a11y_support.py, through the `page` fixture).
These journeys visit, as the right demo user, the pages of the journeys that
no other browser test reaches, so that each is checked; and one test shows
that the check does catch a violation."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from c2i.demo.enrolment import INSTITUTIONS
from tests.a11y_support import watching
from tests.conftest import login, screenshot

pytestmark = pytest.mark.browser

UAI_A = next(i.uai for i in INSTITUTIONS if i.key == "a")


def visit(page: Any, path: str) -> str:
    """Open `path`, which must answer 200 with a heading; its path as shown."""
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    expect(page.locator("h1").first).to_be_visible()
    return str(re.sub(r"^https?://[^/]+", "", page.url).split("?")[0])


def follow(page: Any, href_prefix: str, within: str = "main") -> str:
    """Open the first link of `within` whose address starts with `href_prefix`."""
    link = page.locator(f"{within} a[href^='{href_prefix}']").first
    return visit(page, str(link.get_attribute("href")))


def checked(axe: Any) -> set[str]:
    """The pages axe has checked so far in this test (checks run before each
    Playwright call: one more call lets the last page's check run)."""
    axe.check_loaded()
    return {p["url"].split("?")[0] for p in axe.pages}


class TestEveryJourneyPageIsChecked:
    def test_public_pages(self, page: Any, axe: Any) -> None:
        paths = [
            visit(page, path)
            for path in (
                "/",
                "/referentiels/",
                "/referentiels/C2i1/",
                "/etablissements/",
                f"/etablissements/{UAI_A}/",
                "/sessions/",
                "/verifier/",
                "/connexion/",
                "/inscription/",
                "/mot-de-passe/oublie/",
                "/accessibilite/",
            )
        ]
        screenshot(page, "accessibility-statement")  # the last page visited
        assert set(paths) <= checked(axe)
        assert axe.blocking() == []

    def test_candidate_pages(self, page: Any, axe: Any) -> None:
        login(page, "candidat-a2")
        paths = [
            visit(page, path)
            for path in (
                "/mon-espace/",
                "/mon-espace/certification/",
                "/mon-espace/dossier/C2i1/",
                "/mon-espace/dossier/C2i1/elements/ajouter/",
                "/mon-espace/epreuves/",
                "/mon-espace/documents/",
                "/mon-espace/donnees/",
                "/mon-espace/mot-de-passe/",
                "/mon-espace/double-authentification/",
            )
        ]
        visit(page, "/mon-espace/certification/")
        paths.append(follow(page, "/mon-espace/resultats/"))  # the candidate's result page
        assert set(paths) <= checked(axe)
        assert axe.blocking() == []

    def test_tutor_correspondent_and_jury_pages(self, page: Any, axe: Any) -> None:
        login(page, "tuteur-a")
        paths = [visit(page, "/gestion/dossiers/"), follow(page, "/gestion/dossiers/")]
        page.context.clear_cookies()
        login(page, "correspondant-a")
        paths += [visit(page, "/correspondant/"), visit(page, "/gestion/sessions/")]
        paths.append(follow(page, "/gestion/sessions/"))
        screenshot(page, "correspondent-session")  # its lines paged, searched (issue 16)
        paths.append(visit(page, "/correspondant/epreuves/"))
        paths += [follow(page, "/correspondant/epreuves/", within="main table")]
        page.context.clear_cookies()
        login(page, "jury-a")
        paths += [visit(page, "/jury/"), follow(page, "/jury/sessions/")]
        screenshot(page, "jury-session")  # its candidates paged, searched by name and state (issue 16)
        paths += [follow(page, "/jury/sessions/", within="main table"), visit(page, "/jury/aide/")]
        assert set(paths) <= checked(axe)
        assert axe.blocking() == []

    def test_reviewer_and_administrator_pages(self, page: Any, axe: Any) -> None:
        login(page, "relecteur")
        paths = [visit(page, "/banque/questions/")]
        screenshot(page, "bank-list")  # filters by framework, domain, state, label (issue 16)
        paths += [
            follow(page, "/banque/questions/", within="main table"),
            visit(page, "/banque/questions/import-export/"),
        ]
        page.context.clear_cookies()
        login(page, "admin")
        paths += [visit(page, "/mon-espace/"), visit(page, "/admin/"), visit(page, "/administration/journal/")]
        paths += [visit(page, "/administration/effacements/")]
        assert set(paths) <= checked(axe)
        assert axe.blocking() == []


def test_the_check_names_each_serious_violation(browser: Any, tmp_path: Any) -> None:
    """A page with an image without text and a field without a label: the
    check fails naming the page, the rule, its impact and the element, passes
    a clean page, and writes every result down. The pages are served by the
    test itself on an origin of their own (not the site's: the check of this
    test's own run leaves them alone)."""
    page_of = {
        "/casse/": '<img src="/none.png"><input id="x" type="text">',
        "/propre/": '<p><label for="y">Nom</label> <input id="y" type="text"></p>',
    }

    def serve(route: Any) -> None:
        body = page_of.get(re.sub(r"^https?://[^/]+", "", route.request.url))
        if body is None:  # the image
            route.fulfill(status=404)
            return
        html = f'<!doctype html><html lang="fr"><head><title>Essai</title></head><body><main><h1>Essai</h1>{body}'
        route.fulfill(body=html + "</main></body></html>", content_type="text/html")

    with watching(browser, "the-check-itself", "http://essai.invalid", folder=tmp_path) as watch:
        context = browser.new_context(base_url="http://essai.invalid")
        context.route("http://essai.invalid/**", serve)
        page = context.new_page()
        page.goto("/casse/")
        page.goto("/propre/")  # this call first checks the page loaded before
        context.close()  # and this one the last page
    failure = watch.failure()
    assert failure is not None
    assert "/casse/: image-alt [critical]" in failure
    assert re.search(r"/casse/: label \[critical\] .*: #x", failure)
    assert "/propre/" not in failure
    report = json.loads((tmp_path / "the-check-itself.json").read_text(encoding="utf-8"))
    assert [p["url"] for p in report["pages"]] == ["/casse/", "/propre/"]
    assert "document-title" in report["pages"][0]["passes"] and report["pages"][1]["violations"] == []
