"""The grid page after a refused submission (issue 11, point 7): every cell the
juror changed keeps its submitted value, the refused cell is marked in DSFR's
error state with why, and an alert at the top lists the refused cells with
links to them; nothing is stored."""

from __future__ import annotations

import html
import re

import pytest

from c2i.deliberation.models import CompetencyDecision
from tests.deliberation_support import submit
from tests.test_deliberation_grid import enrolment, form, grid_url

pytestmark = pytest.mark.django_db


def cell_html(page: str, enrolment_id: int, code: str) -> str:
    """The `<td>` of one cell."""
    at = page.index(f'name="c-{enrolment_id}-{code}"')
    return page[page.rindex("<td", 0, at) : page.index("</td>", at)]


def selected(page: str, enrolment_id: int, code: str) -> str:
    cell = cell_html(page, enrolment_id, code)
    match = re.search(r'<option value="(\w*)" selected>', cell)
    return match.group(1) if match else ""


class TestRefusedGrid:
    def refused(self, demo):
        a1, a2 = enrolment(demo, "candidat-a1"), enrolment(demo, "candidat-a2")
        submit(a1, {"D1.1": "a"})
        submit(a2, {"D3.2": "b"})  # a test result only: R10 refuses a V
        data = form(demo)
        data[f"c-{a1.pk}-D1.1"] = "V"
        data[f"c-{a1.pk}-D1.2"] = "NV"
        data[f"c-{a2.pk}-D3.2"] = "V"
        data[f"c-{a2.pk}-D2.1"] = "NV"
        response = demo.client("jury-a").post(grid_url(demo), data)
        return a1, a2, response

    def test_it_keeps_every_changed_cell(self, demo) -> None:
        a1, a2, response = self.refused(demo)
        assert response.status_code == 400
        page = response.content.decode()
        assert selected(page, a1.pk, "D1.1") == "V"
        assert selected(page, a1.pk, "D1.2") == "NV"
        assert selected(page, a2.pk, "D2.1") == "NV"
        assert selected(page, a2.pk, "D3.2") == "V"
        assert selected(page, a1.pk, "D1.3") == ""
        assert not CompetencyDecision.objects.filter(enrolment__in=[a1, a2]).exists()

    def test_it_marks_the_refused_cell_and_says_why(self, demo) -> None:
        a1, a2, response = self.refused(demo)
        page = html.unescape(response.content.decode())
        refused = cell_html(page, a2.pk, "D3.2")
        assert "c2i-cell--refused" in refused
        assert "fr-select-group--error" in refused
        assert 'aria-invalid="true"' in refused
        assert f'aria-describedby="cell-{a2.pk}-D3.2-error"' in refused
        error = re.search(r'<p class="fr-error-text[^"]*" id="cell-\d+-D3.2-error">([^<]*)</p>', refused)
        assert error is not None
        # the reason under the select; the select's name says whose and which
        assert error.group(1).startswith("R10 : D3.2 ne peut être validée sur le seul contrôle de connaissances")
        assert f'aria-label="{a2.candidate.full_name} D3.2"' in refused
        for other in ("D1.1", "D1.2"):
            assert "fr-select-group--error" not in cell_html(page, a1.pk, other)
        assert "fr-select-group--error" not in cell_html(page, a2.pk, "D2.1")

    def test_an_alert_at_the_top_links_to_the_refused_cell(self, demo) -> None:
        _a1, a2, response = self.refused(demo)
        page = html.unescape(response.content.decode())
        alert = page[page.index('id="grid-refusal"') : page.index("<form", page.index('id="grid-refusal"'))]
        assert "Rien n'a été enregistré : 1 cellule a refusé vos modifications." in alert
        link = re.search(rf'<a href="#cell-{a2.pk}-D3\.2">([^<]*)</a>', alert)
        assert link is not None
        assert link.group(1).startswith(f"« {a2.candidate.full_name} », D3.2 : ")
        assert "Vos autres modifications sont conservées" in alert
        assert f'id="cell-{a2.pk}-D3.2"' in page  # the link's target is the cell's select

    def test_the_corrected_grid_is_recorded(self, demo) -> None:
        a1, a2, response = self.refused(demo)
        page = response.content.decode()
        data = {}
        for name, value in re.findall(r'<input type="hidden" name="([os]-[^"]+)" value="([^"]*)"', page):
            data[name] = value
        for key in re.findall(r'name="c-([^"]+)"', page):
            data[f"c-{key}"] = selected(page, *key.split("-", 1))
        data[f"c-{a2.pk}-D3.2"] = ""  # the juror empties the refused cell
        again = demo.client("jury-a").post(grid_url(demo), data)
        assert again.status_code == 302
        assert CompetencyDecision.objects.filter(enrolment__in=[a1, a2]).count() == 3
