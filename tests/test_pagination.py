"""One pagination for every list (c2i.lib.pages.paginate and
templates/includes/pagination.html): filters kept from page to page."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import RequestFactory

from c2i.lib.pages import paginate


def test_it_keeps_the_filters_and_drops_the_page() -> None:
    request = RequestFactory().get("/liste/", {"action": "portfolio.", "actor": "admin", "page": "2"})
    current, querystring = paginate(request, list(range(120)), 50)
    assert list(current) == list(range(50, 100))
    assert querystring == "action=portfolio.&actor=admin"


def test_a_page_past_the_end_is_the_last_one_and_nonsense_the_first() -> None:
    past, _ = paginate(RequestFactory().get("/liste/", {"page": "9"}), list(range(120)), 50)
    assert past.number == 3 and list(past) == list(range(100, 120))
    nonsense, _ = paginate(RequestFactory().get("/liste/", {"page": "abc"}), list(range(120)), 50)
    assert nonsense.number == 1


def test_the_links_carry_the_filters() -> None:
    current, querystring = paginate(RequestFactory().get("/liste/", {"q": "é t", "page": "2"}), list(range(120)), 50)
    html = render_to_string("includes/pagination.html", {"page_obj": current, "querystring": querystring})
    assert 'href="?q=%C3%A9+t&amp;page=1"' in html and 'href="?q=%C3%A9+t&amp;page=3"' in html
    assert "2 / 3" in html
    alone, none = paginate(RequestFactory().get("/liste/"), list(range(10)), 50)
    assert render_to_string("includes/pagination.html", {"page_obj": alone, "querystring": none}).strip() == ""
