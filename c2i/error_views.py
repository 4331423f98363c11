"""The pages a person gets when something goes wrong (issue 11, point 8):
400, 403 (a CSRF failure included), 404 and 500, in French and in the DSFR's
error-page layout, each with a way back (the home page, the previous page
when it was on this site, the directory of C2i correspondents to contact).

400, 403 and 404 are pages of the site (`errors/page.html` extends
`base.html`: header, menu, the signed-in person's name). The 500 page is
rendered from `errors/500.html` alone, with no context processor and no
database query: it must show when the database or a request's middleware is
what failed. A client that asked for JSON (the API, the exam's script) gets
JSON with the same status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from c2i.lib.database import wants_json
from c2i.lib.pages import page_context


def _back_url(request: HttpRequest) -> str:
    """The page the person came from, when it is a page of this site other than this one."""
    referer = request.headers.get("Referer", "")
    try:
        host = request.get_host()
    except Exception:  # a disallowed Host header is what the 400 may be about
        return ""
    if not referer or not url_has_allowed_host_and_scheme(referer, {host}, request.is_secure()):
        return ""
    return "" if referer == request.build_absolute_uri() else referer


def _answer(request: HttpRequest, status: int, title: str, lead: str, advice: str, **extra: Any) -> HttpResponseBase:
    if wants_json(request):
        return JsonResponse({"detail": lead}, status=status)
    context = {
        **page_context(title),
        "code": status,
        "lead": lead,
        "advice": advice,
        "back_url": _back_url(request),
        **extra,
    }
    return HttpResponse(loader.render_to_string("errors/page.html", context, request), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponseBase:
    return _answer(
        request,
        400,
        _("Request not understood"),
        _("The service could not understand what your browser sent."),
        _("Check the address if you typed it. If you were sending a form, go back to it, reload it and send it again."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponseBase:
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    return _answer(
        request,
        403,
        _("Access denied"),
        _("Your account does not give access to this page.")
        if signed_in
        else _("This page is only open to signed-in people who have the right role."),
        _(
            "If you think you should have access, ask the C2i correspondent of your institution: they give the "
            "roles of their institution (correspondent, assessor, jury)."
        )
        if signed_in
        else _("Log in with your account, then come back to this page."),
        login_url="" if signed_in else f"{reverse('accounts:login')}?{urlencode({'next': request.path})}",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseBase:
    """CSRF_FAILURE_VIEW: a form sent from an expired page, or by a browser
    that refuses the site's cookies."""
    return _answer(
        request,
        403,
        _("Form expired"),
        _(
            "The form you sent could not be accepted: the page it came from had expired, or your browser blocks "
            "this site's cookies."
        ),
        _(
            "Go back to the previous page, reload it (your last changes may need to be entered again) and send "
            "the form again. If it happens again, allow this site's cookies in your browser."
        ),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponseBase:
    return _answer(
        request,
        404,
        _("Page not found"),
        _("The page you are looking for cannot be found. Sorry for the inconvenience."),
        _(
            "If you typed the address in your browser, check that it is correct: the page may no longer exist, "
            "or it may be reserved to other people. You can go on from the home page."
        ),
    )


class MethodNotAllowedPage:
    """A 405 answered to a page (a POST-only address reloaded, opened from the
    history or a bookmark) gets the French error page in its body instead of
    nothing; its status, Allow and other headers stay. First in MIDDLEWARE,
    so that it also sees the 405 that `c2i.lib.security` answers itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and isinstance(response, HttpResponse)
            and not response.content
            and not wants_json(request)
        ):
            page = _answer(
                request,
                405,
                _("Page not available this way"),
                _("This address answers a form: it does not open as a page."),
                _(
                    "You may have reloaded the page after sending a form, or opened it from your history. "
                    "Go back to the previous page, or go on from the home page."
                ),
            )
            response.content = page.content  # type: ignore[attr-defined]
            response["Content-Type"] = "text/html; charset=utf-8"
        return response


def server_error(request: HttpRequest) -> HttpResponseBase:
    """No context processor, no database, no request attribute a middleware
    sets: whatever failed, this page shows."""
    if wants_json(request):
        return JsonResponse({"detail": _("Unexpected error: try again in a few minutes.")}, status=500)
    try:
        path, contact = request.path, reverse("institutions:directory")
    except Exception:  # nothing about the request or the URLs is trusted here
        path, contact = "/", "/etablissements/"
    html = loader.get_template("errors/500.html").render({"retry_url": path, "contact_url": contact})
    return HttpResponse(html, status=500)
