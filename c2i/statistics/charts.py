"""Charts drawn on the server as SVG, in the colours of the Système de Design
de l'État (DSFR), with no script and no style attribute (CSP). Each chart is
an image (`role="img"`) named by its caption and described by a sentence; the
page puts its data table beside it (templates/statistics/_block.html).

Two shapes: horizontal bars (`bars`, one bar per category and series: rates,
institutions) and columns (`columns`, categories along time: years,
sessions). Values are written at the end of each bar, so that the chart reads
without the axis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

# DSFR colours (« couleurs illustratives », main tones, and the blue France),
# each at least 3:1 against white (RGAA 3.2 / WCAG 1.4.11 for graphics).
BLUE_FRANCE = "#000091"
PALETTE = (BLUE_FRANCE, "#009081", "#A558A0", "#CE614A", "#465F9D", "#18753C", "#666666")
TEXT = "#161616"
MUTED = "#3A3A3A"
GRID = "#DDDDDD"
FONT = "Marianne, arial, sans-serif"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str = BLUE_FRANCE


def _fmt_default(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def percent_label(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + "\u00a0%"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 4, 6, 8, 10):  # a quarter of each is a round tick
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def _text(
    x: float, y: float, body: str, *, anchor: str = "start", size: int = 12, fill: str = TEXT, bold: bool = False
) -> str:
    weight = ' font-weight="700"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"{weight}>'
        f"{escape(body)}</text>"
    )


def _legend(series: Sequence[Series], x: float, y: float) -> tuple[list[str], float]:
    parts = []
    for s in series:
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{s.colour}"/>')
        parts.append(_text(x + 17, y, s.name))
        x += 17 + 7.2 * len(s.name) + 24
    return parts, y + 14


def _open(width: float, height: float, labelled_by: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="c2i-chart__svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="100%" role="img" aria-labelledby="{escape(labelled_by)}" font-family="{FONT}">'
    )


def bars(
    labelled_by: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    maximum: float | None = None,
    label: Callable[[float], str] = _fmt_default,
    width: int = 760,
) -> SafeString:
    """Horizontal bars: a group per category, a bar per series; None is drawn
    as « — » (no value)."""
    label_width = min(320, max(60, 7 * max((len(c) for c in categories), default=4) + 12))
    fits = int((label_width - 12) / 6.6)
    categories = [c if len(c) <= fits else c[: fits - 1] + "…" for c in categories]
    top = 8.0
    parts: list[str] = []
    if len(series) > 1:
        legend, top = _legend(series, label_width, 18)
        parts += legend
        top += 6
    bar = 16
    gap = 12
    group = bar * len(series) + gap
    plot_left, plot_right = label_width, width - 70
    values = [v for s in series for v in s.values if v is not None]
    top_value = maximum if maximum is not None else _nice_max(max(values, default=0))
    height = top + group * len(categories) + 28
    scale = (plot_right - plot_left) / top_value
    # grid and axis ticks
    for n in range(5):
        tick = top_value * n / 4
        x = plot_left + tick * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{height - 22:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(x, height - 8, label(tick), anchor="middle", size=11, fill=MUTED))
    for i, category in enumerate(categories):
        y0 = top + i * group
        parts.append(_text(plot_left - 8, y0 + group / 2 - gap / 2 + 4, category, anchor="end"))
        for j, s in enumerate(series):
            value = s.values[i]
            y = y0 + j * bar
            if value is None:
                parts.append(_text(plot_left + 4, y + bar - 4, "—", size=11, fill=MUTED))
                continue
            w = max(value * scale, 0)
            parts.append(
                f'<rect x="{plot_left:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar - 3}" fill="{s.colour}"/>'
            )
            parts.append(_text(plot_left + w + 4, y + bar - 5, label(value), size=11))
    parts.append(
        f'<line x1="{plot_left}" y1="{top}" x2="{plot_left}" y2="{height - 22}" stroke="{MUTED}" stroke-width="1"/>'
    )
    return mark_safe(_open(width, height, labelled_by) + "".join(parts) + "</svg>")  # every text escaped


def columns(
    labelled_by: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    maximum: float | None = None,
    label: Callable[[float], str] = _fmt_default,
    width: int = 760,
) -> SafeString:
    """Vertical columns: categories along the horizontal axis (years,
    sessions), a column per series."""
    height = 300
    parts: list[str] = []
    legend_y = 18.0
    if len(series) > 1:
        legend, legend_y = _legend(series, 60, 18)
        parts += legend
    top = legend_y + 10
    plot_left, plot_right, bottom = 60, width - 10, height - 40
    values = [v for s in series for v in s.values if v is not None]
    top_value = maximum if maximum is not None else _nice_max(max(values, default=0))
    scale = (bottom - top) / top_value
    for n in range(5):
        tick = top_value * n / 4
        y = bottom - tick * scale
        parts.append(
            f'<line x1="{plot_left}" y1="{y:.1f}" x2="{plot_right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(plot_left - 6, y + 4, label(tick), anchor="end", size=11, fill=MUTED))
    slot = (plot_right - plot_left) / max(len(categories), 1)
    column = min(40.0, (slot - 12) / max(len(series), 1))
    for i, category in enumerate(categories):
        x0 = plot_left + i * slot + (slot - column * len(series)) / 2
        parts.append(_text(plot_left + i * slot + slot / 2, bottom + 18, category, anchor="middle", size=11))
        for j, s in enumerate(series):
            value = s.values[i]
            x = x0 + j * column
            if value is None:
                parts.append(_text(x + column / 2, bottom - 4, "—", anchor="middle", size=11, fill=MUTED))
                continue
            h = max(value * scale, 0)
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{bottom - h:.1f}" width="{column - 2:.1f}" '
                f'height="{h:.1f}" fill="{s.colour}"/>'
            )
            if len(categories) * len(series) <= 24:
                parts.append(_text(x + column / 2, bottom - h - 4, label(value), anchor="middle", size=10))
    parts.append(
        f'<line x1="{plot_left}" y1="{bottom}" x2="{plot_right}" y2="{bottom}" stroke="{MUTED}" stroke-width="1"/>'
    )
    return mark_safe(_open(width, height, labelled_by) + "".join(parts) + "</svg>")  # every text escaped
