"""Confirmation before what cannot be undone.

An irreversible action's URL answers GET with a confirmation page (what will
happen, with counts, a « Confirm … » button that POSTs back to the same URL
with its CSRF token, and « Cancel » back to where the person came from); its
POST does the action. Works without JavaScript. Views build a `Confirmation`
and render it with `confirmation_page`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse

from c2i.lib.pages import page

# The methods of a view that confirms on GET and acts on POST.
CONFIRM_METHODS = ["GET", "HEAD", "POST"]


@dataclass(frozen=True)
class Reason:
    """A text the person gives with the action (field `reason`)."""

    label: str
    hint: str = ""
    required: bool = True
    value: str = ""
    error: str = ""


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says: its title (a question), what will
    happen, the warnings to read first, the button and where « Cancel » goes."""

    title: str
    consequences: Sequence[str]
    confirm_label: str
    cancel_url: str
    lead: str = ""
    warnings_title: str = ""
    warnings: Sequence[str] = ()
    error: str = ""  # the refusal of a POST, shown above the form kept as typed
    reason: Reason | None = None
    hidden: Mapping[str, str] = field(default_factory=dict)
    irreversible: bool = True
    danger: bool = False  # a deletion: the button says so by its icon
    action: str = ""  # defaults to the page's own URL
    blocked: str = ""  # why the action cannot be done now: said instead of the form, « Back » only


def confirmation_page(
    request: HttpRequest,
    confirmation: Confirmation,
    crumbs: Sequence[tuple[str, str]] = (),
    status: int = 200,
) -> HttpResponse:
    return page(
        request,
        "confirm.html",
        confirmation.title,
        crumbs,
        status=status,
        confirm=confirmation,
        confirm_action=confirmation.action or request.path,
    )
