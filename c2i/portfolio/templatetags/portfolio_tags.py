from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from c2i.portfolio.text import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Sanitised Markdown of a reflection or a comment."""
    return render_markdown(text)
