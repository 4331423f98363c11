"""The rows of the invigilator's live list, written as HTML here rather than
by a template: the list is fetched every 5 seconds by every room's page
while the candidates answer, and Django's template engine spent most of a
refresh's CPU on 40 rows (each value localised, each label translated, each
form's token rendered row by row). Every label is translated once per
refresh, every text escaped, one CSRF token serves every form. The figures:
docs/performance.md, « Invigilation »."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from c2i.assessment.services import invigilation as inv


def rows_html(request: HttpRequest, rows: Sequence[dict[str, Any]], seats_url: str, incident_url: str) -> SafeString:
    """The table body's rows (`_rows_context` gives `rows`). Every text from
    the database or a translation goes through `escape` (quotes included)."""
    if not rows:
        return mark_safe(f'<tr><td colspan="6">{escape(_("No candidate is placed in this room."))}</td></tr>')
    labels = {
        "let_in": escape(_("Let in")),
        "coming": escape(_("I am coming")),
        "resume": escape(_("Resume")),
        "end": escape(_("End")),
        "incident": escape(_("Incident")),
        "extra": _("%(n)s minutes of extra time"),
    }
    token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'
    urls = (escape(seats_url), escape(incident_url))
    return mark_safe("".join(_row(x, labels, token, *urls) for x in rows))  # every part escaped in _row


def _button_form(action: str, token: str, element_id: str, label: str, name: str) -> str:
    return (
        f'<form method="post" action="{action}">{token}<button class="fr-btn fr-btn--sm" id="{element_id}" '
        f'type="submit">{label}<span class="fr-sr-only"> {name}</span></button></form>'
    )


def _link(href: str, css: str, element_id: str, label: str, name: str) -> str:
    return (
        f'<a class="fr-btn fr-btn--sm {css}" id="{element_id}" href="{href}">{label}'
        f'<span class="fr-sr-only"> {name}</span></a>'
    )


def _extra_badge(r: inv.Row, labels: dict[str, str]) -> str:
    badge = "fr-badge fr-badge--sm fr-badge--purple-glycine fr-badge--no-icon"
    if r.extra_percent:
        title = escape(labels["extra"] % {"n": r.extra_minutes})
        return f' <span class="{badge}" title="{title}">+{int(r.extra_percent)} %</span>'
    if r.extra_minutes:
        return f' <span class="{badge}">+{int(r.extra_minutes)} min</span>'
    return ""


def _row(x: dict[str, Any], labels: dict[str, str], token: str, seats_url: str, incident_url: str) -> str:
    r: inv.Row = x["r"]
    name = escape(x["name"])
    n = int(r.seat_id)
    seat = f"{seats_url}{n}/"
    actions: list[str] = []
    if r.state == inv.State.WAITING:
        actions.append(_button_form(f"{seat}admettre/", token, f"admit-{n}", labels["let_in"], name))
    if r.help:
        actions.append(_button_form(f"{seat}aide/", token, f"help-{n}", labels["coming"], name))
    if r.resumable:
        actions.append(_link(f"{seat}reprendre/", "fr-btn--secondary", f"resume-{n}", labels["resume"], name))
    if x["running"]:
        actions.append(_link(f"{seat}terminer/", "fr-btn--tertiary", f"end-{n}", labels["end"], name))
    actions.append(
        _link(f"{incident_url}?seat={n}", "fr-btn--tertiary-no-outline", f"incident-{n}", labels["incident"], name)
    )
    badge_label, badge_css = x["badge"]
    signals = " ".join(
        f'<p class="fr-badge fr-badge--sm {escape(css)}">{escape(label)}</p>' for label, css in x["signals"]
    )
    answered = f"{int(r.answered)}/{int(r.total)}" if r.attempt_id else "—"
    attention = ' class="c2i-attention"' if r.needs_attention else ""
    return (
        f'<tr id="seat-{n}"{attention}><th scope="row">{name}</th>'
        f'<td><p class="fr-badge fr-badge--sm {escape(badge_css)}">{escape(badge_label)}</p></td>'
        f'<td class="c2i-num">{answered}</td>'
        f"<td>{escape(x['end'])}{_extra_badge(r, labels)}</td>"
        f"<td>{signals}</td>"
        f'<td class="c2i-actions">{"".join(actions)}</td></tr>'
    )
