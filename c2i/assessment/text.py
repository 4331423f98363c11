"""Question texts as safe HTML: stems in any of the four formats, option
texts and feedback (sanitised HTML fragments, sanitised again on display)."""

from __future__ import annotations

import html

import markdown
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

from c2i.assessment.formats.model import plain_text, sanitize_html


def render_stem(text: str, text_format: str) -> SafeString:
    if text_format in ("html", "moodle"):
        return mark_safe(sanitize_html(text))
    if text_format == "markdown":
        md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        return mark_safe(sanitize_html(md.convert(text)))
    return mark_safe(linebreaks(html.escape(text)))


def render_fragment(fragment: str) -> SafeString:
    return mark_safe(sanitize_html(fragment))


def fragment_to_plain(fragment: str) -> str:
    """An option or feedback fragment as the plain text an author edits."""
    return plain_text(fragment)


def plain_to_fragment(text: str) -> str:
    return sanitize_html(html.escape(text.strip(), quote=False))
