"""While the database cannot be reached, a JSON client (the exam's script
posting an answer, the API) is told to come back (503 with Retry-After)
rather than given an HTML error page: exam.js sends the answer again until
it is stored, so nothing is lost.

Wherever the database fails (the answer fast path, a middleware reading the
session or the user, the view), Django turns the exception into a 500 page
at that layer and announces it (`got_request_exception`, while the
exception is being handled). `JsonWhenDatabaseDown`, near the top of the
middleware, notes that announcement and answers 503 in JSON instead. Pages
keep Django's error page.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _

# A server that stopped, refused or dropped the connection, a file locked
# past the timeout. Not IntegrityError or ProgrammingError: those are bugs
# or refusals, and a retry would not help.
UNREACHABLE = (OperationalError, InterfaceError)
RETRY_AFTER_S = 5
_NOTED = "_c2i_database_unreachable"

logger = logging.getLogger(__name__)


def come_back_later() -> JsonResponse:
    response = JsonResponse(
        {"status": "unavailable", "detail": _("The service is briefly unavailable: try again in a few seconds.")},
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _note(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None and isinstance(sys.exc_info()[1], UNREACHABLE):
        setattr(request, _NOTED, True)


def wants_json(request: HttpRequest) -> bool:
    return (
        request.content_type == "application/json"
        or request.path.startswith("/api/")
        or "application/json" in request.headers.get("Accept", "")
    )


class JsonWhenDatabaseDown:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_note, dispatch_uid="c2i.lib.database")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if getattr(request, _NOTED, False) and wants_json(request):
            logger.warning("database unreachable: %s %s answered 503", request.method, request.path)
            return come_back_later()
        return response
