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
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise DomainError("bad_encoding", _("The file is neither UTF-8 nor Windows-1252 text."))
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
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
