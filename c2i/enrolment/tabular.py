"""Reading and writing the tables correspondents exchange (CSV and XLSX)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from c2i.lib.errors import DomainError

MAX_IMPORT_BYTES = 5 * 1024 * 1024


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every non-empty row, the header being line 1."""
    if len(data) > MAX_IMPORT_BYTES:
        raise DomainError("file_too_large", _("The file is larger than 5 MB."))
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        yield from _read_xlsx(data)
    else:
        yield from _read_csv(data)


def _read_csv(data: bytes) -> Iterator[tuple[int, list[str]]]:
    # UTF-16 only with its byte-order mark (a spreadsheet's « Unicode text »).
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # five bytes cp1252 leaves undefined (0x81, 0x8D …), or broken UTF-16
        raise DomainError("bad_encoding", _("The file is neither UTF-8 nor Windows-1252 text."))
    # The header decides the separator: it holds one between each column name,
    # whatever the lines below hold (guessing from them, a short or odd line
    # made a right header look wrong).
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=header.count)
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error as error:
        raise DomainError(
            "bad_csv", _("Line %(line)s: unreadable CSV (%(error)s).") % {"line": reader.line_num, "error": error}
        ) from error


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a broken file
        raise DomainError("bad_xlsx", _("The file is not a readable XLSX workbook.")) from error
    sheet = workbook.worksheets[0]
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v) for v in row]
        if any(cells):
            yield number, cells
    workbook.close()


def _cell_text(value: Any) -> str:
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
