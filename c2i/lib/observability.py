"""What an operator of several nodes reads (issue 16, docs/operations.md):
a request id on every request and every log line, logs as JSON lines, and
the Prometheus metrics of requests and their latency.

The middleware comes first: it measures the whole request, the exam's answer
fast path included, and costs a clock read and two counter updates."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from c2i.lib import metrics

REQUEST_ID_HEADER = "X-Request-ID"
# A request id given by a load balancer or a proxy is kept when it is a plain token.
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestContext:
    """Sets the request id (the one the proxy gave, or a new one), answers
    with it in `X-Request-ID`, and counts the request and its duration by
    the route's name (never by path: no candidate's id in a metric label)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
        # Kept until the request ends (`request_finished`), not only through
        # the middleware: Django logs a 4xx/5xx answer after the chain returns.
        request_id.set(rid)
        request.request_id = rid  # type: ignore[attr-defined]
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = rid
        match = getattr(request, "resolver_match", None)
        route = getattr(request, "metrics_route", None) or (match.view_name if match else "") or "unresolved"
        metrics.observe_request(route, request.method or "", response.status_code, time.perf_counter() - started)
        return response


def _forget_request_id(**kwargs: object) -> None:
    request_id.set("-")


request_finished.connect(_forget_request_id, dispatch_uid="c2i.observability.request_id")


class RequestIdFilter(logging.Filter):
    """Gives each log record the current request's id (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger,
    message, request id, and the exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
