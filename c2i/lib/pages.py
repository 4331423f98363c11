"""Rendering helpers shared by the views: every page has a title and a breadcrumb."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def page(
    request: HttpRequest,
    template: str,
    title: str,
    crumbs: Sequence[tuple[str, str]] = (),
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    """Render `template` with its title and a breadcrumb of (url, label) pairs
    leading to the current page."""
    return render(request, template, {**context, **page_context(title, crumbs)}, status=status)


def page_context(title: str, crumbs: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The title and the breadcrumb of a page (also for class-based views)."""
    return {
        "title": title,
        "breadcrumb_data": {"links": [{"url": url, "title": label} for url, label in crumbs], "current": title},
    }


def paginate(request: HttpRequest, items: Any, per_page: int) -> tuple[Page, str]:
    """The page of `items` the request asks for (`?page=`, the last one when
    past it) and the request's other parameters, encoded, for the links of
    `templates/includes/pagination.html` (filters stay when the page changes)."""
    current = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return current, query.urlencode()
