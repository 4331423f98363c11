"""The platform's e-mails: one message, sent as plain text with an HTML
alternative (DSFR-like, simple, no remote image), in the recipient's
language (French by default).

A message is data (`Message`): its subject, paragraphs, the details it lists
and the one link it leads to (an absolute URL built from C2I_SITE_URL, so
that it works from a mail client). `templates/notifications/email/message.txt`
and `message.html` draw every kind of message the same way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

DEFAULT_LANGUAGE = "fr"


@dataclass(frozen=True)
class Message:
    subject: str
    greeting: str
    paragraphs: Sequence[str]
    details: Sequence[str] = ()  # listed after the paragraphs (domains, dates)
    action_label: str = ""  # the link's words
    action_url: str = ""  # absolute
    after: Sequence[str] = field(default=())  # paragraphs after the link


def absolute(path: str) -> str:
    """The address of a page of the site, as a mail client opens it."""
    return f"{settings.SITE_URL}{path}"


def render(message: Message, language: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """The plain-text and the HTML bodies."""
    context = {"message": message, "site_url": settings.SITE_URL}
    with translation.override(language):
        text = render_to_string("notifications/email/message.txt", context)
        html = render_to_string("notifications/email/message.html", context)
    return text, html


def send(message: Message, to: str, *, language: str = DEFAULT_LANGUAGE, connection: Any = None) -> None:
    """Send through Django's mail API (C2I_EMAIL_BACKEND, from C2I_FROM_EMAIL)."""
    text, html = render(message, language)
    email = EmailMultiAlternatives(message.subject, text, to=[to], connection=connection)
    email.attach_alternative(html, "text/html")
    email.send()
