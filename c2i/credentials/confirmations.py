"""What the national administrator is asked to confirm before revoking a
document: the code that stops verifying, and what does not change."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from c2i.credentials.models import IssuedDocument
from c2i.lib.confirm import Confirmation, Reason


def revoke(document: IssuedDocument, reason: str = "", error: str = "", reason_error: str = "") -> Confirmation:
    names = {"kind": document.get_kind_display(), "code": document.code, "holder": document.holder_name}
    warnings = []
    if not document.is_valid:
        warnings.append(
            _("This document is no longer valid (%(status)s): only a valid document can be revoked.")
            % {"status": document.get_status_display()}
        )
    return Confirmation(
        title=_("Revoke the %(kind)s %(code)s of %(holder)s?") % names,
        lead=_("%(framework)s — %(session)s — %(institution)s")
        % {
            "framework": document.framework_code,
            "session": document.session_name,
            "institution": document.institution_name,
        },
        consequences=[
            _("Anyone verifying the code %(code)s is told that the document was revoked and is no longer valid.")
            % names,
            _("The holder can no longer download its Open Badge; the PDF they hold no longer proves anything."),
            _("The jury's decisions and the validated domains do not change: a correction goes through the chair."),
            _("The revocation and its reason are written into the audit trail."),
        ],
        warnings=warnings,
        error=error,
        reason=Reason(label=_("Reason for the revocation"), value=reason, error=reason_error),
        confirm_label=_("Confirm the revocation"),
        cancel_url=reverse("credentials:session_documents", args=[document.enrolment.institution_session_id]),
    )
