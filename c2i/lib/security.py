"""What every response gets, before and after the view (issue 10, findings 8
and 10, and the methods the access matrix found answered as a GET).

- A strict Content-Security-Policy (`settings.C2I_CSP`): scripts, styles,
  fonts and connections from the site only, images from the site or
  `data:` (QR codes), no inline script or style, no plugin, never framed,
  forms posted to the site only. A question text showing an image from
  another site is refused when written (`assessment.text.foreign_image`);
  the policy also keeps any such image, already stored, from loading.
- `Cache-Control: private, no-store` on every response to a signed-in
  person (a request with a session cookie, or the answer that sets one) and
  on every file sent (`Content-Disposition`): neither a shared proxy nor the
  browser's disk keeps personal pages, exports or PDFs. Visitors' public
  pages stay cacheable.
- Pages answer GET, HEAD, POST and OPTIONS only: a PUT, PATCH or DELETE
  on a page (most function views carry no method decorator) gets 405 rather
  than the page's GET answer. The API's operations (under `/api/`,
  django-ninja) declare their own methods and answer 405 themselves; its root,
  schema and documentation are pages.

Django 5.2 has no CSP of its own (6.0 has): this middleware stands in,
placed first so that every answer gets it, the exam's fast path included.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed
from django.urls import reverse
from django.utils.cache import patch_cache_control

CSP_HEADER = "Content-Security-Policy"
PAGE_METHODS = ("GET", "HEAD", "POST", "OPTIONS")


def _signed_in(request: HttpRequest, response: HttpResponseBase) -> bool:
    cookie = settings.SESSION_COOKIE_NAME
    return cookie in request.COOKIES or cookie in response.cookies


@functools.cache
def _api_pages() -> frozenset[str]:
    return frozenset(reverse(name) for name in ("api:api-root", "api:openapi-json", "api:openapi-view"))


def _api_operation(path: str) -> bool:
    return path.startswith("/api/") and path not in _api_pages()


class SecurityHeaders:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = settings.C2I_CSP

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase
        if request.method not in PAGE_METHODS and not _api_operation(request.path):
            response = HttpResponseNotAllowed(PAGE_METHODS)
        else:
            response = self.get_response(request)
        if self.policy and CSP_HEADER not in response:
            response[CSP_HEADER] = self.policy
        if _signed_in(request, response) or response.has_header("Content-Disposition"):
            patch_cache_control(response, private=True, no_store=True)
        return response
