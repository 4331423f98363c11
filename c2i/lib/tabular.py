"""The one writer of every table the platform hands out (CSV and XLSX).

Every export goes through `csv_response` or `xlsx_response`, so that a cell a
person typed (a name, a birth place, an imported value) can never become a live
formula in a spreadsheet (CSV injection): a text starting with `=`, `+`, `-`,
`@`, a tab or a carriage return is written with a leading apostrophe in CSV,
and as a text cell marked with Excel's quote prefix (never a formula) in XLSX. Plain numbers (`-12,5`) are left
as they are. A test checks that no other module writes CSV or XLSX.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def neutralise(value: Any) -> Any:
    """A CSV cell as it is safe to write: a text that a spreadsheet would read
    as a formula gets a leading apostrophe; numbers and other texts unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # private, no-store: c2i/lib/security.py, for every attachment


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")  # Excel opens UTF-8 correctly with a BOM
    writer = csv.writer(response, delimiter=";")
    writer.writerow([neutralise(v) for v in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return _attachment(response, f"{filename}.csv")


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31]
    _append(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        _append(sheet, row)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _attachment(HttpResponse(buffer.getvalue(), content_type=XLSX_MIME), f"{filename}.xlsx")


def _append(sheet: Any, values: Sequence[Any]) -> None:
    sheet.append(["" if v is None else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and is_formula_like(cell.value):
            # openpyxl stores a text starting with "=" as a formula: the cell
            # holds text instead, with Excel's own "typed with an apostrophe"
            # mark, so that the person sees the value as it was typed and an
            # edit of the cell keeps it text.
            cell.data_type = "s"
            cell.quotePrefix = True
