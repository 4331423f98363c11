"""The API's one error format, in French, whatever went wrong:

    {"code": "not_found", "message": "…", "field": null}

`field` names the parameter or the body's field at fault (`rows[3].email`);
a bulk request adds `errors`, one entry per row (`row`: its index from 0,
`field`, `code`, `message`). A request the schema refuses (422) keeps, under
`detail`, ninja's list of errors for the clients of the unversioned API
(deprecated). `install(api)` turns every refusal of the API into this format:
its own (`ApiError`), ninja's (validation, authentication, `HttpError`),
Django's (`Http404`, `PermissionDenied`) and the services' (`DomainError`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from c2i.lib.database import UNREACHABLE, come_back_later
from c2i.lib.errors import DomainError


class RowErrorOut(Schema):
    row: int | None = None
    field: str | None = None
    code: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    errors: list[RowErrorOut] | None = None


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, errors: list[dict] | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.errors = errors
        super().__init__(message)


def body(code: str, message: str, field: str | None = None, errors: list[dict] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "message": message, "field": field}
    if errors is not None:
        out["errors"] = errors
    return out


# Every refusal an operation can answer: the schema lists them (schemathesis checks it).
def responses(*codes: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(codes, ErrorOut)


PUBLIC_ERRORS = responses(422)
TOKEN_ERRORS = responses(401, 403, 422)
OBJECT_ERRORS = responses(401, 403, 404, 422)


def _status_message(status: int) -> tuple[str, str]:
    if status == 400:
        return "bad_request", _("The request is malformed.")
    if status == 401:
        return "unauthenticated", _(
            "Missing, unknown or revoked token: send « Authorization: Bearer <token> » with a valid token."
        )
    if status == 403:
        return "forbidden", _("This token may not do that.")
    if status == 404:
        return "not_found", _("Not found.")
    if status == 405:
        return "method_not_allowed", _("This method is not allowed here.")
    if status == 429:
        return "rate_limited", _("Too many requests: please try again in a few minutes.")
    return "error", _("The request could not be processed.")


def _field_of(loc: list[Any] | tuple[Any, ...]) -> str | None:
    parts = list(loc)
    if parts and parts[0] in ("query", "path", "body", "header", "cookie", "form", "file"):
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or None


def _row_of(loc: list[Any] | tuple[Any, ...]) -> int | None:
    parts = list(loc)
    for i, part in enumerate(parts[:-1]):
        if part == "rows" and isinstance(parts[i + 1], int):
            return int(parts[i + 1])
    return None


def french(error: dict[str, Any]) -> str:
    """Pydantic's English reason, said in French (the platform's own checks already are)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("value required"),
        "int_parsing": _("a whole number is expected"),
        "int_type": _("a whole number is expected"),
        "int_from_float": _("a whole number is expected"),
        "float_parsing": _("a number is expected"),
        "bool_parsing": _("true or false is expected"),
        "bool_type": _("true or false is expected"),
        "string_type": _("a text is expected"),
        "list_type": _("a list is expected"),
        "dict_type": _("an object is expected"),
        "model_type": _("an object is expected"),
        "model_attributes_type": _("an object is expected"),
        "json_invalid": _("the body is not valid JSON"),
        "extra_forbidden": _("unknown field"),
        "literal_error": _("unexpected value"),
        "enum": _("unexpected value"),
    }
    if kind in messages:
        return messages[kind]
    if kind in ("greater_than_equal", "greater_than"):
        return _("must be at least %(limit)s") % {"limit": ctx.get("ge", ctx.get("gt", ""))}
    if kind in ("less_than_equal", "less_than"):
        return _("must be at most %(limit)s") % {"limit": ctx.get("le", ctx.get("lt", ""))}
    if kind == "too_short":
        n = int(ctx.get("min_length", 0))
        return ngettext("at least %(limit)s item expected", "at least %(limit)s items expected", n) % {"limit": n}
    if kind == "too_long":
        n = int(ctx.get("max_length", 0))
        return ngettext("at most %(limit)s item expected", "at most %(limit)s items expected", n) % {"limit": n}
    if kind == "string_too_long":
        n = int(ctx.get("max_length", 0))
        return ngettext("at most %(limit)s character", "at most %(limit)s characters", n) % {"limit": n}
    if kind.startswith(("int_", "float_", "decimal_")):
        return _("a number is expected")
    if kind.startswith(("date_", "datetime_")):
        return _("a date is expected (AAAA-MM-JJ)")
    if kind.startswith("string_"):
        return _("a text is expected")
    return str(error.get("msg", _("invalid value")))  # our own checks (c2i.api.text) speak French


def _json(api: NinjaAPI, request: HttpRequest, status: int, data: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, data, status=status)


def install(api: NinjaAPI) -> None:
    def on_api_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return _json(api, request, exc.status, body(exc.code, exc.message, exc.field, exc.errors))

    def on_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        rows = [
            {
                "row": _row_of(e.get("loc", ())),
                "field": _field_of(e.get("loc", ())),
                "code": str(e.get("type", "invalid")),
                "message": french(e),
            }
            for e in exc.errors
        ]
        first: dict[str, Any] = rows[0] if rows else {"field": None, "message": _("invalid value")}
        message = (
            _("%(field)s: %(message)s") % {"field": first["field"], "message": first["message"]}
            if first["field"]
            else str(first["message"])
        )
        data = body("invalid", message, first["field"], rows)
        data["detail"] = exc.errors  # ninja's own list: the unversioned API's clients read it
        return _json(api, request, 422, data)

    def on_authentication(request: HttpRequest, exc: Any) -> HttpResponse:
        code, message = _status_message(401)
        response = _json(api, request, 401, body(code, message))
        response["WWW-Authenticate"] = 'Bearer realm="c2i"'
        return response

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        code, message = _status_message(exc.status_code)
        return _json(api, request, exc.status_code, body(code, message))

    def on_404(request: HttpRequest, exc: Any) -> HttpResponse:
        code, message = _status_message(404)
        return _json(api, request, 404, body(code, message))

    def on_403(request: HttpRequest, exc: Any) -> HttpResponse:
        code, message = _status_message(403)
        return _json(api, request, 403, body(code, message))

    def on_domain_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return _json(api, request, 409, body(exc.code, exc.message))

    def on_unreachable(request: HttpRequest, exc: Any) -> HttpResponse:
        response = come_back_later()  # {status, detail}, Retry-After: the exam page reads them
        message = _("The service is briefly unavailable: try again in a few seconds.")
        data = {**body("unavailable", message), "status": "unavailable", "detail": message}
        out = _json(api, request, 503, data)
        out["Retry-After"] = response["Retry-After"]
        return out

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(AuthorizationError, on_403)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(PermissionDenied, on_403)
    api.add_exception_handler(DomainError, on_domain_error)
    for unreachable in UNREACHABLE:
        api.add_exception_handler(unreachable, on_unreachable)
