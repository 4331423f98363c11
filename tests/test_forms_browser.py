"""Radio buttons and checkboxes as a person sees them (issue 11, point 5 and
« Forms as DSFR draws them »), in Chromium, on every form of the journeys that
has some:

- the evidence form (kind, competencies: 23 controls), candidat-a1;
- the tutor's « Proposer un positionnement » (level), tuteur-a;
- the exam definition (domains) and the question form (right options), the
  correspondent and the administrator;
- the jury's candidate page (evidence cited), jury-a;
- the registration (status), the question bank's import and export (partial,
  check only), the jury's composition (chair), the candidates' import (only
  valid lines), the bank's filter (waiting for my opinion).

For each radio and checkbox: it is drawn (DSFR draws it on the label that
directly follows the input: the label's ::before box, painted, or the
label's own radial gradient for a radio), its focus is visible when it is
reached with the keyboard (an outline on that ::before), clicking its label
changes its checked state and what is drawn, and after a refused submission
what was ticked is still ticked and drawn ticked. axe-core does not see any of
this: a box DSFR does not draw is no WCAG violation for it.

The jury grid after a refused cell (point 7): every changed cell keeps its
value, the refused cell is marked and explained, an alert lists it with a link.
Screenshots: test-artifacts/forms-evidence-refused.png, forms-grid-refused.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import Site, login, open_link, screenshot

pytestmark = pytest.mark.browser

CONTROLS = "input[type=radio], input[type=checkbox]"

# candidat-a1's enrolment in A's C2i1 session, on the browser's server
A1_ENROLMENT = (
    "from c2i.enrolment.models import Enrolment; print(Enrolment.objects.get("
    "candidate__user__username='candidat-a1', status='active', session__framework__code='C2i1').pk)"
)

# How DSFR draws a control, read from the computed styles of its label.
DRAWN = """(input) => {
  const label = input.nextElementSibling;
  if (!label || label.tagName !== 'LABEL' || label.htmlFor !== input.id) return {label: false};
  const before = getComputedStyle(label, '::before');
  const own = getComputedStyle(label);
  const painted = (s) => (s.backgroundImage && s.backgroundImage !== 'none')
    || (s.borderTopStyle !== 'none' && parseFloat(s.borderTopWidth) > 0)
    || (s.maskImage && s.maskImage !== 'none')
    || (s.webkitMaskImage && s.webkitMaskImage !== 'none');
  const box = before.content !== 'none' && parseFloat(before.width) > 0 && parseFloat(before.height) > 0;
  const radio = input.type === 'radio';
  return {
    label: true,
    box: box,
    painted: radio ? own.backgroundImage.includes('radial-gradient') : painted(before),
    ticked: radio
      ? (own.backgroundImage.match(/radial-gradient/g) || []).length >= 2
      : before.backgroundColor !== 'rgba(0, 0, 0, 0)' && before.backgroundColor !== 'transparent',
    outline: before.outlineStyle !== 'none' && parseFloat(before.outlineWidth) > 0,
    checked: input.checked,
    visible: label.getBoundingClientRect().width > 0,
  };
}"""

ACTIVE = "() => { const e = document.activeElement; return e ? [e.id, e.type || '', e.name || ''] : ['', '', ''] }"


def state(control: Locator) -> dict[str, Any]:
    return control.evaluate(DRAWN)


def controls(scope: Locator) -> list[Locator]:
    found = scope.locator(CONTROLS)
    expect(found.first).to_be_attached()  # the page is there: count what it has
    return [found.nth(i) for i in range(found.count())]


def check_drawn(scope: Locator) -> list[str]:
    """Every control of `scope` is drawn as DSFR draws it; its ids."""
    ids = []
    for control in controls(scope):
        name = control.get_attribute("id") or ""
        drawn = state(control)
        assert drawn["label"], f"{name}: no label right after the input, DSFR draws nothing"
        assert drawn["visible"], f"{name}: label not visible"
        assert drawn["box"], f"{name}: the label's ::before has no box"
        assert drawn["painted"], f"{name}: nothing painted where the box should be"
        assert drawn["ticked"] == drawn["checked"], f"{name}: what is drawn is not what is ticked"
        ids.append(name)
    assert ids, "no radio or checkbox found"
    return ids


def check_keyboard(page: Page, scope: Locator, start: Locator) -> None:
    """Tab from `start` through the form (arrows inside a radio group, as a
    keyboard user moves there): every control is reached and shows its focus."""
    expected = {c.get_attribute("id") for c in controls(scope)}
    reached: set[str] = set()
    start.click()
    for _step in range(250):
        page.keyboard.press("Tab")
        ident, kind, name = page.evaluate(ACTIVE)
        if ident in expected and ident not in reached:
            reached.add(ident)
            assert state(page.locator(f"[id='{ident}']"))["outline"], f"{ident}: no visible focus"
            if kind == "radio":
                group = page.locator(f"input[type=radio][name='{name}']")
                for _other in range(group.count() - 1):
                    page.keyboard.press("ArrowDown")
                    ident = page.evaluate(ACTIVE)[0]
                    reached.add(ident)
                    assert state(page.locator(f"[id='{ident}']"))["outline"], f"{ident}: no visible focus"
        if reached >= expected:
            break
    assert reached >= expected, f"never reached with Tab: {sorted(expected - reached)}"


def check_clicks(page: Page, scope: Locator) -> None:
    """Clicking each label changes the control's state and what is drawn."""
    for control in controls(scope):
        name = control.get_attribute("id")
        label = page.locator(f"label[for='{name}']")
        group = control.locator("xpath=..")
        before_state, before_image = state(control), group.screenshot()
        if control.get_attribute("type") == "radio" and before_state["checked"]:
            continue  # a checked radio stays checked: its group's other radios show the change
        label.click()
        after = state(control)
        assert after["checked"] != before_state["checked"], f"{name}: clicking its label changed nothing"
        assert after["ticked"] == after["checked"], f"{name}: the tick is not drawn"
        page.mouse.move(0, 0)
        assert group.screenshot() != before_image, f"{name}: the page looks the same after the click"


def set_checked(page: Page, ids: list[str], on: bool = True) -> None:
    for ident in ids:
        page.locator(f"[id='{ident}']").set_checked(on, force=True)


def check_kept(page: Page, ticked: list[str], scope: Locator) -> None:
    """After a refused submission: exactly what was ticked is ticked, and drawn so."""
    for control in controls(scope):
        name = control.get_attribute("id")
        drawn = state(control)
        assert drawn["checked"] == (name in ticked), f"{name}: not as it was submitted"
        assert drawn["ticked"] == drawn["checked"], f"{name}: ticked but not drawn ticked"


def label_id(page: Page, text: str) -> str:
    """The id of the control whose label starts with `text`."""
    label = page.locator("label.fr-label", has_text=re.compile("^\\s*" + re.escape(text))).first
    return str(label.get_attribute("for"))


def full_check(page: Page, form: Locator) -> None:
    check_drawn(form)
    check_keyboard(page, form, page.locator("h1"))
    check_clicks(page, form)


def refused_when_emptied(page: Page, field: str) -> None:
    """The page's first form, checked, then sent with `field` emptied: it
    comes back refused, with what was ticked still ticked and drawn so."""
    form = page.locator("main form").first
    full_check(page, form)
    ticked = [str(c.get_attribute("id")) for c in controls(form) if c.is_checked()]
    form.locator(field).fill("")
    form.locator("button[type=submit]").click()
    form = page.locator("main form").first
    expect(form.locator(".fr-input-group--error").first).to_be_visible()
    check_kept(page, ticked, form)


class TestFormsAsDsfrDrawsThem:
    def test_the_evidence_form(self, page: Page) -> None:
        login(page, "candidat-a1")
        page.goto("/mon-espace/dossier/C2i1/elements/ajouter/")
        form = page.locator("main form").first
        assert len(check_drawn(form)) == 23
        check_keyboard(page, form, page.locator("h1"))
        check_clicks(page, form)
        page.goto("/mon-espace/dossier/C2i1/elements/ajouter/")
        form = page.locator("main form").first
        ticked = [label_id(page, "(c)"), label_id(page, "D1.1"), label_id(page, "D2.3"), label_id(page, "D5.1")]
        set_checked(page, ticked)
        form.locator("button[type=submit]").click()  # no title: refused
        expect(page.locator(".fr-input-group--error, .fr-fieldset--error").first).to_be_visible()
        form = page.locator("main form").first
        check_kept(page, ticked, form)
        check_drawn(form)
        page.locator(f"[id='{ticked[1]}']").scroll_into_view_if_needed()
        screenshot(page, "forms-evidence-refused")

    def test_the_tutors_positioning(self, page: Page) -> None:
        login(page, "tuteur-a")
        page.goto("/gestion/dossiers/")
        open_link(page, page.locator("main a[href^='/gestion/dossiers/']").first)
        form = page.locator("form[action$='/positionnements/']")
        full_check(page, form)
        level = controls(form)[1].get_attribute("id") or ""
        set_checked(page, [level])
        form.locator("button[type=submit]").click()  # no competency chosen: refused
        form = page.locator("form[action$='/positionnements/']")
        expect(form.locator(".fr-select-group--error, .fr-input-group--error, .fr-error-text").first).to_be_visible()
        check_kept(page, [level], form)

    def test_the_exam_definition_and_the_question_form(self, page: Page) -> None:
        login(page, "correspondant-a")
        page.goto("/correspondant/epreuves/")
        open_link(page, page.locator("main a[href^='/correspondant/epreuves/']").filter(has_text=re.compile(".")).first)
        page.goto(page.url.split("#")[0].rstrip("/") + "/modifier/")
        refused_when_emptied(page, "input[name=title]")  # no title

        page.context.clear_cookies()
        login(page, "admin")
        page.goto("/banque/questions/nouvelle/")
        refused_when_emptied(page, "textarea[name=stem]")  # no question

    def test_the_registration(self, page: Page) -> None:
        page.goto("/inscription/")
        form = page.locator("main form").first
        full_check(page, form)
        status = controls(form)[-1].get_attribute("id") or ""
        set_checked(page, [status])
        form.locator("button[type=submit]").click()  # nothing else filled in: refused
        form = page.locator("main form").first
        expect(form.locator(".fr-input-group--error").first).to_be_visible()
        check_kept(page, [status], form)

    def test_the_correspondents_forms(self, page: Page) -> None:
        """The candidates' import (only the valid lines) and the jury's composition (chair)."""
        login(page, "correspondant-a")
        page.goto("/gestion/sessions/")
        open_link(page, page.locator("main table a").first)
        forms = [f for f in page.locator("main form").all() if f.locator(CONTROLS).count()]
        assert forms, "the import form has its checkbox"
        for form in forms:
            full_check(page, form)
        open_link(page, page.locator("main a[href$='/jury/']").first)
        form = page.locator("main form").last
        full_check(page, form)
        chair = [str(c.get_attribute("id")) for c in controls(form)]
        set_checked(page, chair)
        form.locator("input[type=email]").fill("jury-a@c2i-demo.fr")
        form.locator("button[type=submit]").click()  # already in the jury: refused
        form = page.locator("main form").last
        expect(page.locator(".fr-alert--error, .fr-input-group--error, .fr-error-text").first).to_be_visible()
        check_kept(page, chair, form)

    @pytest.mark.parametrize(
        ("user", "path"), [("admin", "/banque/questions/import-export/"), ("relecteur", "/banque/questions/")]
    )
    def test_the_question_banks_forms(self, page: Page, user: str, path: str) -> None:
        """Import (partial, check only) and the bank's filter (waiting for my opinion)."""
        login(page, user)
        page.goto(path)
        forms = [f for f in page.locator("main form").all() if f.locator(CONTROLS).count()]
        assert forms
        for form in forms:
            full_check(page, form)

    def test_the_reviewers_opinion(self, page: Page) -> None:
        """The reviewer's verdict on a question waiting for it."""
        login(page, "relecteur")
        page.goto("/banque/questions/?to_review=on")
        open_link(page, page.locator("main table a[href^='/banque/questions/']").first)
        form = page.locator("main form[action$='/avis/']")
        full_check(page, form)
        verdict = str(controls(form)[-1].get_attribute("id"))  # refuse
        set_checked(page, [verdict])
        form.locator("textarea").fill("")
        form.locator("button[type=submit]").click()
        form = page.locator("main form[action$='/avis/']")  # refusing needs a remark: refused
        expect(form.locator(".fr-input-group--error, .fr-fieldset--error").first).to_be_visible()
        check_kept(page, [verdict], form)

    def test_the_jury_grid_after_a_refused_cell(self, page: Page, live_site: Site) -> None:
        # candidat-a1 submits their portfolio: the jury cites its items
        a1 = live_site.manage("shell", "-c", A1_ENROLMENT).split()[-1]
        login(page, "candidat-a1")
        page.goto("/mon-espace/dossier/C2i1/")
        page.locator("main form[action$='/depot/'] button[type=submit]").click()
        expect(page.locator("main")).to_contain_text("jury voit cette version")
        page.context.clear_cookies()
        login(page, "jury-a")
        page.goto("/jury/")
        open_link(page, page.locator("main a[href^='/jury/sessions/']").first)
        session = page.url
        open_link(page, page.locator(f"main a[href$='/candidats/{a1}/']").first)
        forms = [f for f in page.locator("main form").all() if f.locator(CONTROLS).count()]
        assert forms, "the evidence a juror cites"
        for form in forms[:2]:
            full_check(page, form)
        page.goto(session)
        open_link(page, page.locator("main a[href$='/grille/']").first)
        cells = page.locator("select.c2i-cell")
        names = [cells.nth(i).get_attribute("name") or "" for i in range(6)]
        # a V without any submitted evidence (R10), beside three NV that are fine
        page.locator(f"select[name='{names[0]}']").select_option("NV")
        page.locator(f"select[name='{names[2]}']").select_option("V")
        page.locator(f"select[name='{names[3]}']").select_option("NV")
        page.locator(f"select[name='{names[5]}']").select_option("NV")
        page.locator("main form button[type=submit]").click()
        alert = page.locator("#grid-refusal")
        expect(alert).to_contain_text("Rien n'a été enregistré")
        for name, value in ((names[0], "NV"), (names[2], "V"), (names[3], "NV"), (names[5], "NV"), (names[1], "")):
            expect(page.locator(f"select[name='{name}']")).to_have_value(value)
        refused = page.locator("td.c2i-cell--refused")
        expect(refused).to_have_count(1)
        expect(refused.locator(".fr-error-text")).to_contain_text("R10")
        link = alert.locator("a").first
        target = link.get_attribute("href") or ""
        assert target == "#" + (refused.locator("select").get_attribute("id") or "")
        link.click()
        expect(page.locator(f"[id='{target[1:]}']")).to_be_in_viewport()
        page.evaluate("() => window.scrollTo(0, 0)")
        screenshot(page, "forms-grid-refused")
