"""Counting a page's queries (issue 16: a page's number of queries does not
grow with the size of its list; each page is counted at two sizes)."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def queries(client: Client, url: str, expected: int = 200) -> int:
    """How many queries one GET of `url` makes, after a first GET (so that
    nothing cached once per process is counted); the page answers `expected`."""
    assert client.get(url).status_code == expected, url
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == expected, url
    return len(ctx.captured_queries)
