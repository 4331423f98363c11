"""Pagination of every list of `/api/v1/`: `limit` (1–500, 50 by default) and
`offset` (from 0), the answer saying the total `count`:

    {"count": 132, "limit": 50, "offset": 50, "results": [...]}"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from django.db.models import QuerySet
from ninja import Query

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Éléments par page (1 à 500).")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Éléments sautés avant le premier rendu.")]


def page(items: QuerySet[Any] | Sequence[Any], limit: int, offset: int) -> dict[str, Any]:
    count = items.count() if isinstance(items, QuerySet) else len(items)
    return {"count": count, "limit": limit, "offset": offset, "results": list(items[offset : offset + limit])}
