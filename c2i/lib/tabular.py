"""The one reader and the one writer of the tables people exchange (CSV, XLSX).

Reading: every upload of a table (the candidates' import, the jury grid) goes
through `read_rows`: bytes in, (line number, cells) out, whatever the encoding
(UTF-8 with or without its byte-order mark, Windows-1252, UTF-16 with its
mark), the separator (`;`, `,` or a tab, decided by the header) or the format
(XLSX, known by its content or its name). Each refusal is a `DomainError`
saying in French what is wrong, with the line when there is one; each caller
says what an empty table means to it. A test checks that no other module
reads CSV or XLSX.

Writing: every export goes through `csv_response` or `xlsx_response`, so that a cell a
person typed (a name, a birth place, an imported value) can never become a live
formula in a spreadsheet (CSV injection): a text starting with `=`, `+`, `-`,
`@`, a tab or a carriage return is written with a leading apostrophe in CSV,
and as a text cell marked with Excel's quote prefix (never a formula) in XLSX. Plain numbers (`-12,5`) are left
as they are. A test checks that no other module writes CSV or XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from c2i.lib.errors import DomainError

MAX_IMPORT_BYTES = 5 * 1024 * 1024
# A workbook is a ZIP archive: 5 MB of it may unpack to gigabytes (a « zip
# bomb »). What its members say they hold, unpacked, is bounded before any is
# read; zipfile refuses to read past a member's declared size.
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024
Row = tuple[int, list[str]]  # (line number, the header being line 1; cells, trimmed)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


# --- Reading ------------------------------------------------------------------------------------


def read_rows(data: bytes, filename: str) -> Iterator[Row]:
    """(line number, cells) for every row holding something, the header being
    line 1; cells are text, trimmed."""
    if len(data) > MAX_IMPORT_BYTES:
        raise DomainError("file_too_large", _("The file is larger than 5 MB."))
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        yield from _read_xlsx(data)
    else:
        yield from _read_csv(_decode(data))


def _decode(data: bytes) -> str:
    # UTF-16 only with its byte-order mark (a spreadsheet's « Unicode text »).
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    # Five bytes cp1252 leaves undefined (0x81, 0x8D …), or broken UTF-16.
    raise DomainError("bad_encoding", _("The file is neither UTF-8 nor Windows-1252 text."))


def _separator(text: str) -> str:
    # The header decides: it holds one between each column name, whatever the
    # lines below hold (guessing from them, a short or odd line made a right
    # header look wrong). On a tie, « ; », the French spreadsheets' own.
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max(";,\t", key=header.count)


def _read_csv(text: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_separator(text))
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error as error:
        raise DomainError(
            "bad_csv",
            _("Line %(line)s: unreadable CSV (%(error)s).") % {"line": reader.line_num, "error": _csv_reason(error)},
        ) from error


def _csv_reason(error: csv.Error) -> str:
    # The csv module says why in English. Text read with newline="" leaves it
    # one reason to refuse: a cell over its size limit (128 KiB by default).
    if str(error).startswith("field larger than field limit"):
        return _("a cell is longer than %(limit)s characters") % {"limit": csv.field_size_limit()}
    return str(error)


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _unreadable_xlsx() from error
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise DomainError(
            "xlsx_too_large",
            _("The workbook unpacks to more than %(size)s MB: save it again, or as CSV.")
            % {"size": MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)},
        )


def _read_xlsx(data: bytes) -> Iterator[Row]:
    from openpyxl import load_workbook

    _check_unpacked_size(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # The sheet's declared dimension (« A1:XFD1048576 ») would pad every
        # row to its width: read the cells the file holds, not what it claims.
        sheet.reset_dimensions()
        sheet_rows = sheet.iter_rows(values_only=True)
    except Exception as error:  # openpyxl raises many kinds on a broken file
        raise _unreadable_xlsx() from error
    width = 0  # rows come as long as their last cell: each is padded to the widest so far (the header)
    try:
        for number, values in enumerate(_unless_broken(sheet_rows), start=1):
            cells = [_cell_text(v) for v in values]
            if any(cells):
                width = max(width, len(cells))
                yield number, cells + [""] * (width - len(cells))
    finally:
        workbook.close()


def _unless_broken(sheet_rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    # A read-only sheet is parsed as it is read: a broken sheet (its XML cut or
    # mangled) fails here, after the workbook opened.
    while True:
        try:
            values = next(sheet_rows)
        except StopIteration:
            return
        except Exception as error:  # the XML parser's, zipfile's, openpyxl's own
            raise _unreadable_xlsx() from error
        yield values


def _unreadable_xlsx() -> DomainError:
    return DomainError("bad_xlsx", _("The file is not a readable XLSX workbook."))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- Writing ------------------------------------------------------------------------------------


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
