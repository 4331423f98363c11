"""Public verification API: the same answers as the /verifier/ pages."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from c2i.credentials import services
from c2i.lib import ratelimit

router = Router(tags=["vérification"])


class DomainOut(Schema):
    code: str
    title: str


class VerificationOut(Schema):
    status: str
    message: str
    code: str | None = None
    kind: str | None = None
    holder_name: str | None = None
    framework: str | None = None
    framework_title: str | None = None
    institution: str | None = None
    session: str | None = None
    jury_date: str | None = None
    issued_on: str | None = None
    validated_domains: list[DomainOut] | None = None
    replaced_by: str | None = None


class CredentialOut(Schema):
    signature: str
    signature_valid: bool
    signature_message: str
    document: VerificationOut | None = None


class LimitedOut(Schema):
    """The API's one error format (`c2i.api.errors`)."""

    code: str = "rate_limited"
    message: str
    field: str | None = None


STATUS_CODES = {services.UNKNOWN: 404, services.MISTYPED: 400, services.MALFORMED: 400}


def _limited() -> Status:
    from django.utils.translation import gettext as _

    return Status(
        429, {"message": _("Too many verifications from your connection: please try again in a few minutes.")}
    )


CREDENTIAL_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "description": "OpenBadgeCredential"}}},
    }
}


@router.post("/credential", response={200: CredentialOut, 429: LimitedOut}, openapi_extra=CREDENTIAL_BODY)
def verify_credential(request: HttpRequest) -> Status:
    """Check an Open Badges 3.0 credential issued by the platform: its signature
    (eddsa-rdfc-2022, any key the platform ever used) and its document's status."""
    if not ratelimit.allow(request, "verify"):
        return _limited()
    try:
        credential: Any = json.loads(request.body)
    except ValueError:  # not JSON: badges.verify answers "malformed"
        credential = None
    check = services.verify_credential(credential)
    return Status(
        200,
        {
            "signature": check.signature.code,
            "signature_valid": check.signature.ok,
            "signature_message": check.signature.reason,
            "document": services.public_fields(check.lookup) if check.lookup else None,
        },
    )


@router.get("/{code}", response={200: VerificationOut, 400: VerificationOut, 404: VerificationOut, 429: LimitedOut})
def verify_code(request: HttpRequest, code: str) -> Status:
    """The public facts of the document with this verification code, and its status
    (valid, revoked, replaced — then the replacing code)."""
    if not ratelimit.allow(request, "verify"):
        return _limited()
    result = services.lookup(code)
    return Status(STATUS_CODES.get(result.status, 200), services.public_fields(result))
