"""The rows of the invigilator's live list, written as HTML here rather than
by a template: the list is fetched every 5 seconds by every room's page
while the candidates answer, and Django's template engine spent most of a
refresh's CPU on 40 rows (each value localised, each label translated, each
form's token rendered row by row). Every label is translated once per
refresh, every text escaped, one CSRF token serves every form.

Both ways a list is served use `render`: the room's page and its regular
view (`views.invigilation.room_list`), and the lean path that serves most
refreshes (`middleware.InvigilationListFastPath`). `render` also gives the
list's tag (an ETag): a hash of exactly what the rows show, the CSRF token
left out (it is masked afresh each time) but the CSRF cookie's secret in, so
that rows kept by the page always carry a token the server accepts. The
page's script sends the tag back; an unchanged list is answered 304 without
its body. The figures: docs/performance.md, « Invigilation »."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Sequence
from html import escape
from typing import Any

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from c2i.assessment.services import invigilation as inv

_TOKEN = "\x00csrf\x00"  # noqa: S105 - where the masked CSRF token goes, once the tag is taken

# The rows written lately, by everything they show: most rows of a room show the
# same thing from one refresh to the next. The key holds every field of a row
# (its end as shown), the language, the time zone and the room's addresses.
_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(inv.Row) if f.name != "end")
_ROWS: dict[tuple[Any, ...], str] = {}
_ROWS_KEPT = 20_000


def state_badges() -> dict[str, tuple[str, str]]:
    return {
        inv.State.WAITING: (_("to let in"), "fr-badge--new"),
        inv.State.NOT_STARTED: (_("not started"), ""),
        inv.State.RUNNING: (_("in progress"), "fr-badge--info"),
        inv.State.PAUSED: (_("paused"), "fr-badge--warning"),
        inv.State.FINISHED: (_("finished"), "fr-badge--success"),
        inv.State.ENDED: (_("ended early"), "fr-badge--error"),
    }


def signal_labels() -> dict[str, tuple[str, str]]:
    """The signals' labels and styles, translated once per list."""
    return {
        "help": (_("asks for help"), "fr-badge--error"),
        "lost": (_("connection lost (%(n)s min)"), "fr-badge--warning"),
        "paused": (_("waiting for a resume"), "fr-badge--warning"),
        "near_end": (_("time nearly up"), "fr-badge--info"),
    }


def signals(row: inv.Row, labels: dict[str, tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    labels = labels or signal_labels()
    found = []
    if row.help:
        found.append(labels["help"])
    if row.lost:
        label, css = labels["lost"]
        found.append((label % {"n": row.lost_minutes}, css))
    if row.paused:
        found.append(labels["paused"])
    if row.near_end:
        found.append(labels["near_end"])
    return found


@functools.lru_cache(maxsize=512)
def _urls(prefix: str, room_pk: int) -> tuple[str, str]:
    """The rows' addresses (escaped), once per room and script prefix."""
    seats_url = reverse("assessment:invigilation_room", args=[room_pk]) + "places/"
    return escape(seats_url), escape(reverse("assessment:invigilation_incident", args=[room_pk]))


def render(rows: Sequence[inv.Row], room_pk: int, csrf_secret: str) -> tuple[str, str]:
    """The table body's rows, with `_TOKEN` where the CSRF token goes, and
    their tag. Every text from the database or a translation goes through
    `escape` (quotes included)."""
    if not rows:
        html = f'<tr><td colspan="6">{escape(_("No candidate is placed in this room."))}</td></tr>'
    else:
        labels = {
            "let_in": escape(_("Let in")),
            "coming": escape(_("I am coming")),
            "resume": escape(_("Resume")),
            "end": escape(_("End")),
            "incident": escape(_("Incident")),
            "extra": _("%(n)s minutes of extra time"),
        }
        badges = {state: (escape(label), escape(css)) for state, (label, css) in state_badges().items()}
        shown = {key: (label, escape(css)) for key, (label, css) in signal_labels().items()}
        token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{_TOKEN}">'
        seats_url, incident_url = _urls(get_script_prefix(), room_pk)
        zone = timezone.get_current_timezone()
        context = (get_language(), str(zone), seats_url, incident_url)
        parts = []
        for r in rows:
            end = r.end.astimezone(zone).strftime("%H:%M")
            key = (context, end, *(getattr(r, name) for name in _ROW_FIELDS))
            part = _ROWS.get(key)
            if part is None:
                if len(_ROWS) >= _ROWS_KEPT:
                    _ROWS.clear()
                part = _ROWS[key] = _row(r, end, badges, shown, labels, token, seats_url, incident_url)
            parts.append(part)
        html = "".join(parts)
    digest = hashlib.blake2b(digest_size=12)
    for part in (str(room_pk), get_language() or "", csrf_secret, html):
        digest.update(part.encode())
        digest.update(b"\x00")
    return html, f'"{digest.hexdigest()}"'


def with_token(html: str, token: str) -> str:
    """`render`'s rows with the masked CSRF token in every form."""
    return html.replace(_TOKEN, escape(token))


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


def _row(
    r: inv.Row,
    end: str,
    badges: dict[str, tuple[str, str]],
    signal_labels: dict[str, tuple[str, str]],
    labels: dict[str, str],
    token: str,
    seats_url: str,
    incident_url: str,
) -> str:
    name = escape(f"{r.last_name} {r.first_names}")
    n = int(r.seat_id)
    seat = f"{seats_url}{n}/"
    running = r.state in (inv.State.RUNNING, inv.State.PAUSED)
    actions: list[str] = []
    if r.state == inv.State.WAITING:
        actions.append(_button_form(f"{seat}admettre/", token, f"admit-{n}", labels["let_in"], name))
    if r.help:
        actions.append(_button_form(f"{seat}aide/", token, f"help-{n}", labels["coming"], name))
    if r.resumable:
        actions.append(_link(f"{seat}reprendre/", "fr-btn--secondary", f"resume-{n}", labels["resume"], name))
    if running:
        actions.append(_link(f"{seat}terminer/", "fr-btn--tertiary", f"end-{n}", labels["end"], name))
    actions.append(
        _link(f"{incident_url}?seat={n}", "fr-btn--tertiary-no-outline", f"incident-{n}", labels["incident"], name)
    )
    badge_label, badge_css = badges[r.state]  # escaped already
    shown = " ".join(
        f'<p class="fr-badge fr-badge--sm {css}">{escape(label)}</p>' for label, css in signals(r, signal_labels)
    )  # the styles escaped already
    answered = f"{int(r.answered)}/{int(r.total)}" if r.attempt_id else "—"
    attention = ' class="c2i-attention"' if r.needs_attention else ""
    end = escape(end)
    return (
        f'<tr id="seat-{n}"{attention}><th scope="row">{name}</th>'
        f'<td><p class="fr-badge fr-badge--sm {badge_css}">{badge_label}</p></td>'
        f'<td class="c2i-num">{answered}</td>'
        f"<td>{end}{_extra_badge(r, labels)}</td>"
        f"<td>{shown}</td>"
        f'<td class="c2i-actions">{"".join(actions)}</td></tr>'
    )


def etag_matches(header: str, tag: str) -> bool:
    """If-None-Match as the page's script sends it: the tag it last received
    (a list of tags, or *, as HTTP allows)."""
    return any(part.strip() in (tag, "*") for part in header.split(",")) if header else False


def conditional_headers(response: Any, tag: str) -> Any:
    """What every answer of the list carries: never stored by a cache (the
    page's script asks with the tag itself), its tag, varying with the cookie."""
    response["Cache-Control"] = "no-store"
    response["ETag"] = tag
    response["Vary"] = "Cookie"
    return response


def secret_of(request: Any) -> str:
    """The CSRF cookie's secret as the CSRF middleware read it ('' before)."""
    return str(request.META.get("CSRF_COOKIE", ""))
