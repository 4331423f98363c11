"""Question texts as safe HTML: stems in any of the four formats, option
texts and feedback (sanitised HTML fragments, sanitised again on display)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from c2i.assessment.formats.model import external_images, plain_text, sanitize_html
from c2i.lib import markdown


def render_stem(text: str, text_format: str) -> SafeString:
    if text_format in ("html", "moodle"):
        return mark_safe(sanitize_html(text))
    if text_format == "markdown":
        return markdown.render(text, sanitize_html)
    return mark_safe(linebreaks(html.escape(text)))


def render_fragment(fragment: str) -> SafeString:
    return mark_safe(sanitize_html(fragment))


def fragment_to_plain(fragment: str) -> str:
    """An option or feedback fragment as the plain text an author edits."""
    return plain_text(fragment)


def plain_to_fragment(text: str) -> str:
    return sanitize_html(html.escape(text.strip(), quote=False))


def foreign_image(
    stem: str, stem_format: str, options: Sequence[tuple[str, str]] = (), feedback: str = ""
) -> tuple[str, str] | None:
    """The first image of a question that another site would serve, as
    (where in the question, its address), or None. Its text is rendered
    first: a Markdown stem's images count. `options`: (text, feedback) pairs."""
    parts = [(_("the text of the question"), render_stem(stem, stem_format))]
    for n, (text, option_feedback) in enumerate(options, start=1):
        parts.append((_("option %(n)s") % {"n": n}, render_fragment(text)))
        parts.append((_("the feedback of option %(n)s") % {"n": n}, render_fragment(option_feedback)))
    parts.append((_("the general feedback"), render_fragment(feedback)))
    for where, fragment in parts:
        found = external_images(fragment)
        if found:
            return where, found[0]
    return None
