"""Pages of the question bank and of the API as a person sees them, in
Debian's Chromium (issue 11, list 10): the reviewer reads a question's stem
above its options; the import page, reloaded after an import, shows the same
report again (not a blank 405), in one message, with each id once; the API
documentation lists its operations with nothing fetched from another site.
Screenshots go to test-artifacts/bank-*.png and api-docs.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import login, screenshot
from tests.test_assessment_import import MIXED_GIFT

pytestmark = pytest.mark.browser

DUPLICATE_IDS = """() => {
    const seen = {};
    document.querySelectorAll('[id]').forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
    return Object.keys(seen).filter(id => seen[id] > 1);
}"""


def top(page: Any, selector: str) -> float:
    return float(page.locator(selector).first.bounding_box()["y"])


class TestBankPages:
    def test_the_reviewer_reads_the_stem_above_the_options(self, page) -> None:
        login(page, "relecteur")
        page.goto("/banque/questions/?to_review=on")
        page.locator("main table a").first.click()
        page.wait_for_selector("#question-stem")
        stem, first_option = top(page, "#question-stem"), top(page, "#question-options li")
        assert stem < first_option, (stem, first_option)
        screenshot(page, "bank-question-review")

    def test_reloading_the_import_page_shows_the_report_again(self, page, tmp_path) -> None:
        login(page, "relecteur")
        page.goto("/banque/questions/import-export/")
        assert page.evaluate(DUPLICATE_IDS) == []
        gift = tmp_path / "mixte.gift"
        gift.write_text(MIXED_GIFT, encoding="utf-8")
        page.select_option("#id_framework", "C2i1")
        page.set_input_files("#id_file", str(gift))
        page.select_option("#id_status", "in_review")
        page.click("label[for=id_partial]")
        page.click("main form[enctype] button[type=submit]")
        page.wait_for_load_state()
        expect(page.locator("#import-report")).to_contain_text("3 questions importées, 5 refusées.")
        response = page.reload()
        assert response is not None and response.status == 200
        report = page.locator("#import-report")
        expect(report).to_contain_text("3 questions importées, 5 refusées.")
        # one message, not a success and a warning
        assert page.locator("main .fr-alert").count() == 1
        expect(page.locator("main table caption")).to_have_text("Lignes refusées")
        assert page.locator("main table tbody tr").count() == 5
        assert page.evaluate(DUPLICATE_IDS) == []
        screenshot(page, "bank-import-report")


class TestApiDocs:
    def test_the_documentation_lists_the_operations_offline(self, page, live_site) -> None:
        elsewhere: list[str] = []

        def offline(route: Any) -> None:  # another site is out of reach, as offline
            elsewhere.append(route.request.url)
            route.abort()

        page.context.route(lambda url: not url.startswith(live_site.url), offline)
        page.goto("/api/docs")
        operations = page.locator(".opblock-summary")
        expect(operations.first).to_be_visible()
        assert operations.count() >= 5
        text = page.locator("#swagger-ui").inner_text()
        for path in ("/api/referentiels", "/api/etablissements", "/api/verifier/{code}"):
            assert path in text
        assert elsewhere == []
        screenshot(page, "api-docs")
