from __future__ import annotations

from typing import Any

from django import template

from c2i.statistics.tables import Percent, Secret

register = template.Library()


@register.filter
def cell(value: Any) -> str:
    """A table cell as shown: « 12 345 », « 78,5 % », « < 5 », « — »."""
    if value is None:
        return "—"
    if isinstance(value, Secret):
        return str(value)
    if isinstance(value, Percent):
        return f"{float(value):.1f}".replace(".", ",") + "\u00a0%"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


@register.filter
def export_link(url: str, parts: str) -> str:
    """The export URL of a block: `url` holds KEY and FMT placeholders; `parts` is « key,fmt »."""
    key, fmt = parts.split(",")
    return url.replace("KEY", key).replace("FMT", fmt)
