"""Reflections and comments are Markdown written by one user and read by
others: rendered (`c2i.lib.markdown`, a line break kept as typed) to a small
allow-list of HTML, never raw HTML."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString

from c2i.lib import markdown

TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a", "h3", "h4", "hr"}
ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
_CLEANER = nh3.Cleaner(
    tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow ugc"
)


def render_markdown(text: str) -> SafeString:
    """Markdown to safe HTML. Raw HTML the author typed is shown as text; the
    allow-list then drops any other tag, attribute or link scheme
    (`javascript:` links lose their target, images are not shown)."""
    return markdown.render(text, _CLEANER.clean, line_breaks=True)
