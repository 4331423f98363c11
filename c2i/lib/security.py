"""Headers every response gets (issue 10, findings 8 and 10).

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

Django 5.2 has no CSP of its own (6.0 has): this middleware stands in,
placed first so that every answer gets it, the exam's fast path included.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

CSP_HEADER = "Content-Security-Policy"


def _signed_in(request: HttpRequest, response: HttpResponseBase) -> bool:
    cookie = settings.SESSION_COOKIE_NAME
    return cookie in request.COOKIES or cookie in response.cookies


class SecurityHeaders:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = settings.C2I_CSP

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.policy and CSP_HEADER not in response:
            response[CSP_HEADER] = self.policy
        if _signed_in(request, response) or response.has_header("Content-Disposition"):
            patch_cache_control(response, private=True, no_store=True)
        return response
