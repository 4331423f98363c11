"""The knowledge test with the keyboard alone, in Debian's Chromium (issue 11):
candidat-a1 signs in, opens the demo C2i1 test, starts it, answers, moves
between questions and hands in with Tab, Shift+Tab, Space and Enter only (no
mouse click, no `.check()`), then sees that the test is handed in and, once
published, the results. On the way: every answer checkbox is drawn (its
label's ::before has a size) and shows a focus ring when tabbed to, never
hidden under the sticky clock; answered and unanswered bubbles differ by
fill, border and icon, in AA contrast; « Remettre votre copie ? » counts the
unanswered questions. Screenshots go to test-artifacts/exam-keyboard-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, screenshot

pytestmark = pytest.mark.browser

FOCUSED = "e => e === document.activeElement"


ALL_DRAWN = """() => {
    const labels = [...document.querySelectorAll('form.c2i-answer .fr-checkbox-group > label')];
    const undrawn = labels.filter(l => {
        const s = getComputedStyle(l, '::before');
        return !(parseFloat(s.width) > 0 && parseFloat(s.height) > 0);
    }).map(l => l.htmlFor);
    const nested = document.querySelectorAll(
        '.fr-checkbox-group .fr-checkbox-group, .fr-radio-group .fr-radio-group, .fr-checkbox-group .fr-radio-group'
    ).length;
    return {options: labels.length, undrawn: undrawn, nested: nested};
}"""


def tab_to(page: Any, selector: str, *, back: bool = False, limit: int = 600) -> int:
    """Press Tab (Shift+Tab) until the element is focused; the number of presses."""
    target = page.locator(selector)
    for presses in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if target.count() and target.evaluate(FOCUSED):
            return presses
    raise AssertionError(f"{selector} is never reached with the keyboard")


def in_view(page: Any, name: str) -> None:
    """A screenshot of what the candidate sees (the window, not the 60 questions)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def focused_id(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def box_style(page: Any, option_id: str) -> dict[str, Any]:
    """The drawn box of a checkbox (its label's ::before) and where the label is."""
    return page.locator(f"label[for={option_id}]").evaluate(
        """label => {
            const s = getComputedStyle(label, '::before');
            const r = label.getBoundingClientRect();
            const bar = document.querySelector('.c2i-exam-bar').getBoundingClientRect();
            return {width: parseFloat(s.width) || 0, height: parseFloat(s.height) || 0,
                    outline: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor,
                    outlineWidth: parseFloat(s.outlineWidth) || 0, outlineStyle: s.outlineStyle,
                    shadow: s.boxShadow, top: r.top, bottom: r.bottom, barBottom: bar.bottom,
                    viewport: window.innerHeight};
        }"""
    )


def assert_drawn_and_focused(page: Any, option_id: str) -> None:
    assert focused_id(page) == option_id
    style = box_style(page, option_id)
    assert style["width"] > 0 and style["height"] > 0, style  # DSFR draws the box
    ring = style["outlineStyle"] != "none" and style["outlineWidth"] > 0
    assert ring or style["shadow"] != "none", style  # the focus is visible
    # and not hidden under the sticky clock, nor below the window
    assert style["top"] >= style["barBottom"] - 1 and style["bottom"] <= style["viewport"], style


def luminance(rgb: str) -> float:
    values = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def bubble(page: Any, position: int) -> dict[str, Any]:
    return page.locator(f"#nav-{position}").evaluate(
        """a => {
            const s = getComputedStyle(a);
            const icon = getComputedStyle(a.querySelector('.c2i-bubble__icon'));
            return {background: s.backgroundColor, color: s.color, border: s.borderTopStyle,
                    borderColor: s.borderTopColor, icon: icon.display, text: a.textContent};
        }"""
    )


def press_and_go(page: Any, key: str) -> None:
    """Press a key that leads to another page, and wait for it."""
    with page.expect_navigation(timeout=60000):
        page.keyboard.press(key)


def keyboard_login(page: Any, username: str) -> None:
    page.goto("/connexion/")
    tab_to(page, "input[name=username]")
    page.keyboard.type(username)
    tab_to(page, "input[name=password]")
    page.keyboard.type("demo")
    press_and_go(page, "Enter")
    assert "/connexion/" not in page.url


class TestExamWithTheKeyboardAlone:
    def test_a_candidate_takes_and_hands_in_the_test_with_the_keyboard(self, page) -> None:
        keyboard_login(page, "candidat-a1")
        page.goto("/mon-espace/epreuves/")
        tab_to(page, "main table a")
        press_and_go(page, "Enter")
        tab_to(page, "#start")
        press_and_go(page, "Enter")
        page.wait_for_selector("#c2i-timer")
        assert re.search(r"/mon-espace/epreuves/passages/\d+/$", page.url)
        total = page.locator("form.c2i-answer").count()
        # every answer checkbox is drawn by DSFR (one group per option, none nested in another)
        drawn = page.evaluate(ALL_DRAWN)
        assert drawn["options"] >= total * 4 and drawn["undrawn"] == [] and drawn["nested"] == 0, drawn

        # the first Tab reaches the skip link, which leads into the page's content
        page.keyboard.press("Tab")
        assert page.locator("a[href='#content']").evaluate(FOCUSED)
        page.keyboard.press("Enter")
        # the question bubbles come first: one of them takes the candidate to its question
        tab_to(page, "#nav-1", limit=20)
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert_drawn_and_focused(page, "q-1-o-0")
        in_view(page, "exam-keyboard-focus")  # the focus ring on the first option
        page.keyboard.press("Space")
        expect(page.locator("#nav-1")).to_have_class(re.compile("c2i-answered"))
        assert page.locator("#q-1-o-0").is_checked()
        # Tab to the next option, Shift+Tab back; Space unticks and ticks again
        page.keyboard.press("Tab")
        assert_drawn_and_focused(page, "q-1-o-1")
        page.keyboard.press("Shift+Tab")
        assert_drawn_and_focused(page, "q-1-o-0")
        page.keyboard.press("Space")
        expect(page.locator("#nav-1")).not_to_have_class(re.compile("c2i-answered"))  # nothing ticked: unanswered
        page.keyboard.press("Space")
        expect(page.locator("#nav-1")).to_have_class(re.compile("c2i-answered"))

        # on to the next questions with Tab alone, a tick on each
        for position in (2, 3, 4):
            tab_to(page, f"#q-{position}-o-0", limit=10)
            assert_drawn_and_focused(page, f"q-{position}-o-0")
            page.keyboard.press("Space")
            expect(page.locator(f"#nav-{position}")).to_have_class(re.compile("c2i-answered"))
        # a second option on question 4, reached by Tab
        page.keyboard.press("Tab")
        assert_drawn_and_focused(page, "q-4-o-1")
        page.keyboard.press("Space")
        expect(page.locator("#q-4 .c2i-state")).to_contain_text(":")

        # back up to the bubbles with Shift+Tab, then straight to question 10
        tab_to(page, "#nav-10", back=True, limit=120)
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert_drawn_and_focused(page, "q-10-o-0")
        page.keyboard.press("ArrowDown")  # arrows scroll the page; they tick nothing
        assert not page.locator("#q-10-o-0").is_checked()
        page.keyboard.press("Space")
        expect(page.locator("#nav-10")).to_have_class(re.compile("c2i-answered"))
        expect(page.locator("#c2i-answered")).to_have_text("5")
        page.wait_for_load_state("networkidle")

        # answered and unanswered bubbles differ by more than bold type
        done, todo = bubble(page, 1), bubble(page, 5)
        assert done["background"] != todo["background"] and done["border"] != todo["border"], (done, todo)
        assert done["icon"] != "none" and todo["icon"] == "none"
        assert "répondue" in done["text"] and "sans réponse" in todo["text"]
        assert contrast(done["color"], done["background"]) >= 4.5, done
        assert contrast(todo["color"], todo["background"]) >= 4.5, todo
        assert contrast(todo["borderColor"], todo["background"]) >= 3, todo  # the outline shows the shape
        page.locator(".c2i-progress").scroll_into_view_if_needed()
        in_view(page, "exam-keyboard-bubbles")

        # hand in: a link, then the confirmation page, all by keyboard
        tab_to(page, "#c2i-finish-link", limit=total * 6 + 20)
        press_and_go(page, "Enter")
        assert page.locator("h1").inner_text() == "Remettre votre copie ?"
        text = page.locator("main").inner_text()
        assert f"{total - 5} questions sans réponse sur {total}" in text
        screenshot(page, "exam-keyboard-confirm")
        # « Reprendre mon épreuve » is there too; the candidate hands in
        page.keyboard.press("Tab")
        tab_to(page, "#c2i-hand-in", limit=15)
        press_and_go(page, "Enter")
        assert re.search(r"/mon-espace/epreuves/\d+/$", page.url)
        expect(page.locator("main")).to_contain_text("Vous avez passé cette épreuve")
        screenshot(page, "exam-keyboard-handed-in")

        # the correspondent publishes; the candidate reads the results, still by keyboard
        page.context.clear_cookies()
        keyboard_login(page, "correspondant-a")
        page.goto("/correspondant/epreuves/")
        tab_to(page, "main table a")
        press_and_go(page, "Enter")
        tab_to(page, "#publish")
        press_and_go(page, "Enter")
        if page.locator("#confirm-button").count():  # a confirmation page before publishing
            tab_to(page, "#confirm-button")
            press_and_go(page, "Enter")
        page.context.clear_cookies()
        keyboard_login(page, "candidat-a1")
        page.goto("/mon-espace/epreuves/")
        tab_to(page, "main table a")
        press_and_go(page, "Enter")
        assert page.locator("tr.c2i-result").count() == 5
        screenshot(page, "exam-keyboard-results")
