"""The candidate's own copy of the portfolio: a ZIP with every file and an
HTML summary (`index.html`) that links to them."""

from __future__ import annotations

import tempfile
import zipfile
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import timezone

from c2i.portfolio import filetypes
from c2i.portfolio.models import Portfolio
from c2i.portfolio.progress import portfolio_overview
from c2i.portfolio.services import zip_stored


def portfolio_zip(portfolio: Portfolio) -> IO[bytes]:
    """A temporary file holding the ZIP, positioned at its start."""
    items = list(portfolio.items.prefetch_related("competencies", "files__blob", "comments__author"))
    entries: list[dict[str, Any]] = []
    members: list[tuple[str, str]] = []  # (path in the archive, storage name)
    for number, item in enumerate(items, start=1):
        files = []
        for index, item_file in enumerate(item.files.all(), start=1):
            path = f"fichiers/{number:02d}-{index:02d}-{filetypes.sanitise_name(item_file.original_name)}"
            files.append({"name": item_file.original_name, "path": path, "size": item_file.blob.size})
            members.append((path, item_file.blob.storage_name))
        entries.append({"number": number, "item": item, "files": files})
    summary = render_to_string(
        "portfolio/export_summary.html",
        {
            "portfolio": portfolio,
            "overview": portfolio_overview(portfolio),
            "entries": entries,
            "generated_at": timezone.now(),
        },
    )
    archive = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.html", summary)
        zip_stored(zf, members)
    archive.seek(0)
    return archive
