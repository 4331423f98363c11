"""Markdown as the platform renders it, for question stems (assessment) and
for reflections and comments (portfolio): one converter, parameterised by what
differs between them.

- Lists follow `sane_lists` (a list does not change kind midway).
- Raw HTML is never passed through: what an author types between < and >
  stays text (the `html_block` and inline `html` processors are removed).
- `line_breaks` (the `nl2br` extension): a single line break in the source is
  a line break on the page (portfolio texts, typed as messages); otherwise
  Markdown's own rule, a paragraph's lines are joined (question stems).

The HTML the converter writes is not yet safe to show: `render` always passes
it through the caller's `sanitize` (its allow-list of tags, attributes and
link schemes) before marking it safe.
"""

from __future__ import annotations

from collections.abc import Callable

import markdown
from django.utils.safestring import SafeString, mark_safe


def to_html(text: str, *, line_breaks: bool = False) -> str:
    """Markdown to HTML, raw HTML shown as text; not sanitised."""
    extensions = ["sane_lists", "nl2br"] if line_breaks else ["sane_lists"]
    md = markdown.Markdown(extensions=extensions, output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md.convert(text or "")


def render(text: str, sanitize: Callable[[str], str], *, line_breaks: bool = False) -> SafeString:
    """Markdown to HTML cleaned by `sanitize`, safe to put in a page."""
    return mark_safe(sanitize(to_html(text, line_breaks=line_breaks)))
