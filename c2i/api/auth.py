"""Who calls: `Authorization: Bearer <token>` (an institution's API token).

No token, an unknown or a revoked one: 401. A token lacking the operation's
scope: 403. An object of another institution: 404, as on the pages (nothing
leaks about other institutions)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from c2i.api import tokens
from c2i.api.errors import ApiError
from c2i.api.models import ApiToken, Scope


class TokenAuth(HttpBearer):
    openapi_description = "Jeton d'API d'un établissement : « Authorization: Bearer c2i_… »."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate(token)
        if found is not None:
            request.api_token = found  # type: ignore[attr-defined]
        return found


token_auth = TokenAuth()


def token_of(request: HttpRequest, scope: str | None = None) -> ApiToken:
    """The request's token, refused with a 403 when it lacks `scope`."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if scope is not None and scope not in token.scopes:
        raise ApiError(
            403,
            "scope_missing",
            _("This token lacks the scope « %(scope)s » (%(label)s).") % {"scope": scope, "label": Scope(scope).label},
        )
    return token
