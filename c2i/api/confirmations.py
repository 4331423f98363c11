"""What a correspondent is asked to confirm before revoking an API token."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from c2i.api.models import ApiToken
from c2i.lib.confirm import Confirmation


def revoke(token: ApiToken, error: str = "") -> Confirmation:
    names = {"name": token.name, "institution": token.institution.name}
    return Confirmation(
        title=_("Revoke the API token « %(name)s »?") % names,
        lead=_("%(institution)s — scopes: %(scopes)s") % {**names, "scopes": ", ".join(token.scopes)},
        consequences=[
            _("Every call made with this token is refused from now on (401)."),
            _("The software using it must receive a new token to keep working."),
            _("The revocation is written into the audit trail."),
        ],
        error=error,
        blocked=_("This token is already revoked.") if token.revoked_at else "",
        confirm_label=_("Confirm the revocation"),
        cancel_url=reverse("api_tokens:list"),
        danger=True,
    )
