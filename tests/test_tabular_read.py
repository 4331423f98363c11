"""The one reader of the tables people upload (`c2i.lib.tabular.read_rows`):
the candidates' import and the jury grid both go through it. Bytes in,
(line number, cells) out; every refusal says in French what is wrong, and
where when it is a line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook

from c2i.lib.errors import DomainError
from c2i.lib.tabular import read_rows

ROOT = Path(__file__).resolve().parent.parent


def rows(data: bytes, filename: str = "liste.csv") -> list[tuple[int, list[str]]]:
    return list(read_rows(data, filename))


def refusal(data: bytes, filename: str = "liste.csv") -> DomainError:
    with translation.override("fr"), pytest.raises(DomainError) as caught:
        rows(data, filename)
    return caught.value


def xlsx(*lines: tuple[object, ...], start: int = 1) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for offset, line in enumerate(lines):
        for column, value in enumerate(line, start=1):
            sheet.cell(row=start + offset, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def csv_default_limit() -> Iterator[None]:
    """A cell longer than the csv module's limit is what it cannot read;
    loading the communes raises that process-wide limit, so it is set back to
    its default for the test."""
    before = csv.field_size_limit(131_072)
    yield
    csv.field_size_limit(before)


class TestCsv:
    def test_it_reads_a_semicolon_file_with_line_numbers_and_trimmed_cells(self) -> None:
        data = b"nom;prenoms\n Lambert ; Oc\xc3\xa9ane\n;\n\nRoche;Pascale\n"
        assert rows(data) == [(1, ["nom", "prenoms"]), (2, ["Lambert", "Océane"]), (5, ["Roche", "Pascale"])]

    def test_it_drops_the_utf8_byte_order_mark(self) -> None:
        data = "\ufeffcandidate;C1\r\nA;V\r\n".encode()
        assert rows(data) == [(1, ["candidate", "C1"]), (2, ["A", "V"])]

    @pytest.mark.parametrize("separator", [",", "\t", ";"])
    def test_the_header_decides_the_separator(self, separator: str) -> None:
        # The line below holds more commas than the header: the header wins.
        data = f'nom{separator}lieu\n"Dupont, Jean"{separator}"Saint-Denis, La Réunion"\n'.encode()
        assert rows(data)[0] == (1, ["nom", "lieu"])
        assert rows(data)[1][1] == ["Dupont, Jean", "Saint-Denis, La Réunion"]

    def test_a_blank_first_line_does_not_decide_the_separator(self) -> None:
        assert rows(b"\n\nnom,prenoms\nRoche,Pascale\n") == [(3, ["nom", "prenoms"]), (4, ["Roche", "Pascale"])]

    def test_it_reads_windows_1252_and_utf16_text(self) -> None:
        assert rows("nom;lieu\nLefèvre;Besançon\n".encode("cp1252"))[1] == (2, ["Lefèvre", "Besançon"])
        assert rows("nom;lieu\nLefèvre;Besançon\n".encode("utf-16"))[1] == (2, ["Lefèvre", "Besançon"])

    def test_it_refuses_text_in_no_encoding_it_knows(self) -> None:
        error = refusal(b"nom;prenoms\nA\x81;B\n")
        assert (error.code, error.message) == (
            "bad_encoding",
            "Le fichier n'est ni un texte UTF-8 ni un texte Windows-1252.",
        )

    def test_it_says_which_line_is_unreadable(self, csv_default_limit: None) -> None:
        data = b'nom;prenoms\nA;B\nC;"' + b"x" * 200_000 + b'"\n'
        error = refusal(data)
        assert (error.code, error.message) == (
            "bad_csv",
            "Ligne 3 : CSV illisible (une cellule dépasse 131072 caractères).",
        )

    def test_it_refuses_a_file_larger_than_5_mb(self) -> None:
        error = refusal(b"a;b\n" * (5 * 1024 * 1024 // 4 + 1))
        assert (error.code, error.message) == ("file_too_large", "Le fichier dépasse 5 Mo.")

    @pytest.mark.parametrize("data", [b"", b"\n\r\n", b" ; ;\n\t\n", "\ufeff".encode()])
    def test_an_empty_file_has_no_rows(self, data: bytes) -> None:
        # Each caller says what is empty (« Le fichier est vide. », « La grille est vide. »).
        assert rows(data) == []


class TestXlsx:
    def test_it_reads_the_first_sheet_as_text_with_its_own_line_numbers(self) -> None:
        data = xlsx(
            ("nom", "date_naissance", "ine", "note"),
            (" Lambert ", dt.datetime(2003, 3, 12), 1234567890.0, 12.5),
            (),
            ("Roche", dt.date(1978, 7, 5), None, None),
            start=2,
        )
        assert rows(data, "liste.xlsx") == [
            (2, ["nom", "date_naissance", "ine", "note"]),
            (3, ["Lambert", "2003-03-12", "1234567890", "12.5"]),
            (5, ["Roche", "1978-07-05", "", ""]),
        ]

    def test_a_workbook_is_known_by_its_content_whatever_its_name(self) -> None:
        assert rows(xlsx(("candidate", "C1")), "grille.csv") == [(1, ["candidate", "C1"])]

    def test_it_refuses_a_file_named_xlsx_that_is_no_workbook(self) -> None:
        error = refusal(b"candidate;C1\nA;V\n", "grille.xlsx")
        assert (error.code, error.message) == ("bad_xlsx", "Le fichier n'est pas un classeur XLSX lisible.")

    def test_it_refuses_a_truncated_workbook(self) -> None:
        data = xlsx(("candidate", "C1"), ("A", "V"))
        error = refusal(data[: len(data) // 2], "grille.xlsx")
        assert (error.code, error.message) == ("bad_xlsx", "Le fichier n'est pas un classeur XLSX lisible.")

    def test_it_refuses_a_workbook_whose_sheet_is_broken(self) -> None:
        # The archive and its index open; the sheet itself is cut in the middle.
        original = zipfile.ZipFile(io.BytesIO(xlsx(("candidate", "C1"), ("A", "V"))))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as broken:
            for member in original.infolist():
                content = original.read(member.filename)
                if member.filename.endswith("sheet1.xml"):
                    content = content[: len(content) // 2]
                broken.writestr(member, content)
        error = refusal(buffer.getvalue(), "grille.xlsx")
        assert (error.code, error.message) == ("bad_xlsx", "Le fichier n'est pas un classeur XLSX lisible.")

    def test_it_refuses_a_workbook_that_unpacks_to_more_than_50_mb(self) -> None:
        # A few hundred kilobytes that would unpack to 60 MB: refused before any is read.
        original = zipfile.ZipFile(io.BytesIO(xlsx(("candidate", "C1"), ("A", "V"))))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
            for member in original.infolist():
                bomb.writestr(member.filename, original.read(member.filename))
            bomb.writestr("xl/padding.xml", b" " * (60 * 1024 * 1024))
        assert len(buffer.getvalue()) < 1024 * 1024
        error = refusal(buffer.getvalue(), "grille.xlsx")
        assert error.code == "xlsx_too_large"
        assert error.message == "Le classeur dépasse 50 Mo une fois décompressé : enregistrez-le à nouveau, ou en CSV."

    def test_a_sheet_claiming_the_largest_dimension_is_read_as_it_is(self) -> None:
        # A sheet may declare « A1:XFD1048576 »: its rows are not padded to 16,384 cells.
        original = zipfile.ZipFile(io.BytesIO(xlsx(("candidate", "C1"), ("A", "V"))))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as claimed:
            for member in original.infolist():
                content = original.read(member.filename)
                if member.filename.endswith("sheet1.xml"):
                    content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', content)
                    assert b"XFD1048576" in content
                claimed.writestr(member, content)
        assert rows(buffer.getvalue(), "grille.xlsx") == [(1, ["candidate", "C1"]), (2, ["A", "V"])]

    def test_an_empty_workbook_has_no_rows(self) -> None:
        assert rows(xlsx(), "liste.xlsx") == []


def test_no_other_module_reads_csv_or_xlsx() -> None:
    """One reader: a second one would drift (separators, encodings, messages).
    The communes' reference files are the platform's own data, not uploads."""
    readers = re.compile(r"csv\.reader|csv\.DictReader|load_workbook|csv\.Sniffer")
    allowed = {ROOT / "c2i" / "lib" / "tabular.py", ROOT / "c2i" / "institutions" / "communes.py"}
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "c2i").rglob("*.py")
        if path not in allowed and readers.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
