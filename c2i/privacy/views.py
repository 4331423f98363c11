from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from c2i.accounts.access import AuthenticatedRequest, role_required
from c2i.accounts.models import AuditChainHead
from c2i.lib.pages import page
from c2i.lib.tabular import csv_response
from c2i.privacy import audit
from c2i.privacy.forms import AuditFilterForm

AUDIT_PAGE = 50

# --- the audit trail (national administrator) ------------------------------------


@role_required("is_admin")
@require_http_methods(["GET", "POST"])
def audit_trail(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":  # check the whole chain now
        report = audit.verify()
        if report.first_break is None:
            messages.success(
                request,
                _("Audit trail intact: %(count)s entries; last entry #%(id)s, hash %(hash)s.")
                % {"count": report.checked, "id": report.last_id, "hash": report.last_hash},
            )
        else:
            messages.error(request, audit.describe(report.first_break))
        return redirect("privacy:audit_trail")
    form = AuditFilterForm(request.GET or None)
    current = Paginator(audit.entries(form.filters()), AUDIT_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    response = page(
        request,
        "privacy/audit_trail.html",
        _("Audit trail"),
        form=form,
        entries=current,
        querystring=query.urlencode(),
        head=AuditChainHead.objects.filter(pk=1).first(),
    )
    response["Cache-Control"] = "private, no-store"
    return response


@role_required("is_admin")
def audit_export(request: AuthenticatedRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    rows = audit.export_rows(audit.entries(form.filters()).order_by("id"))
    return csv_response(f"journal-c2i-{timezone.localdate():%Y%m%d}", audit.EXPORT_HEADER, rows)
