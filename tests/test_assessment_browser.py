"""The knowledge test in Debian's Chromium: candidat-a1 sits the demo C2i1
test, answers a few questions (each click saved at once by exam.js),
reloads the page midway (the answers are still there), answers the rest and
hands in; correspondant-a publishes the results; candidat-a1 sees them per
domain. Screenshots go to test-artifacts/exam-*.png."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import login, open_link, screenshot

pytestmark = pytest.mark.browser


def answer(page, position: int) -> None:
    """Tick the first option shown and wait until the server has it."""
    page.click(f"label[for=q-{position}-o-0]")
    try:
        page.wait_for_selector(f"#nav-{position}.c2i-answered")
    except Exception:
        screenshot(page, f"exam-failed-at-{position}")
        raise AssertionError(
            (position, page.is_checked(f"#q-{position}-o-0"), page.inner_text(f"#q-{position} .c2i-state"))
        ) from None


class TestExamJourney:
    def test_a_candidate_sits_the_test_and_sees_the_published_results(self, page) -> None:
        login(page, "candidat-a1")
        page.goto("/mon-espace/epreuves/")
        open_link(page, page.locator("main table a").first)
        screenshot(page, "exam-before-start")
        page.click("#start")
        page.wait_for_selector("#c2i-timer")
        assert re.search(r"/mon-espace/epreuves/passages/\d+/$", page.url)
        total = page.locator("form.c2i-answer").count()
        assert total == 60
        # the clock counts down
        first_time = page.inner_text("#c2i-timer")
        page.wait_for_timeout(1500)
        assert page.inner_text("#c2i-timer") != first_time
        for position in range(1, 6):
            answer(page, position)
        page.click("label[for=q-2-o-1]")  # a second option on question 2
        # a locator, not wait_for_function: the page's CSP forbids the eval the latter needs
        expect(page.locator("#q-2 .c2i-state")).to_contain_text(":")
        page.wait_for_load_state("networkidle")
        screenshot(page, "exam-answering")

        page.reload()  # midway: everything given so far is still there
        page.wait_for_selector("#c2i-timer")
        for position in range(1, 6):
            assert page.is_checked(f"#q-{position}-o-0"), position
        assert page.is_checked("#q-2-o-1")
        assert not page.is_checked("#q-6-o-0")
        assert page.inner_text("#c2i-answered") == "5"
        screenshot(page, "exam-after-reload")

        for position in range(6, total + 1):
            answer(page, position)
        assert page.inner_text("#c2i-answered") == str(total)
        page.click("#c2i-finish-link")  # « Remettre votre copie ? », a page of its own
        expect(page.locator("#c2i-unanswered")).to_contain_text(f"Vous avez répondu aux {total} questions.")
        page.click("#c2i-hand-in")
        page.wait_for_load_state()
        assert "/mon-espace/epreuves/" in page.url and page.locator("tr.c2i-result").count() == 0
        screenshot(page, "exam-handed-in")

        page.context.clear_cookies()
        login(page, "correspondant-a")
        page.goto("/correspondant/epreuves/")
        page.locator("main table a").first.click()
        page.click("#publish")  # its confirmation page says how many candidates see their results
        page.get_by_role("button", name="Confirmer la publication").click()
        page.wait_for_load_state()
        assert page.locator("main table tbody tr").count() >= 1
        screenshot(page, "exam-correspondent-results")

        page.context.clear_cookies()
        login(page, "candidat-a1")
        page.goto("/mon-espace/epreuves/")
        open_link(page, page.locator("main table a").first)
        rows = page.locator("tr.c2i-result")
        assert rows.count() == 5
        text = page.locator("main").inner_text()
        for domain in ("D1", "D2", "D3", "D4", "D5"):
            assert domain in text
        assert re.search(r"\d+(,\d+)? %", text)
        screenshot(page, "exam-results")
