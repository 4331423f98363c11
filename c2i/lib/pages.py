"""Rendering helpers shared by the views: every page has a title and a breadcrumb."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    context["title"] = title
    context["breadcrumb_data"] = {
        "links": [{"url": url, "title": label} for url, label in crumbs],
        "current": title,
    }
    return render(request, template, context, status=status)
