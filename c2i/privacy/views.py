from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from c2i.accounts.access import AuthenticatedRequest, role_required
from c2i.accounts.models import AuditChainHead
from c2i.lib.confirm import Confirmation, confirmation_page
from c2i.lib.pages import page, paginate
from c2i.lib.tabular import csv_response
from c2i.privacy import audit, export, services
from c2i.privacy.forms import AuditFilterForm, RefusalForm
from c2i.privacy.models import ErasureRequest

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
    current, querystring = paginate(request, audit.entries(form.filters()), AUDIT_PAGE)
    return page(
        request,
        "privacy/audit_trail.html",
        _("Audit trail"),
        form=form,
        entries=current,
        querystring=querystring,
        head=AuditChainHead.objects.filter(pk=1).first(),
    )


@role_required("is_admin")
@require_GET
def audit_export(request: AuthenticatedRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    rows = audit.export_rows(audit.entries(form.filters()).order_by("id"))
    return csv_response(f"journal-c2i-{timezone.localdate():%Y%m%d}", audit.EXPORT_HEADER, rows)


# --- personal data (the candidate) --------------------------------------------------


def _my_data_crumbs() -> list[tuple[str, str]]:
    return [(reverse("enrolment:my_space"), _("My certification"))]


@role_required("is_candidate")
@require_http_methods(["GET", "POST"])
def my_data(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":  # the erasure request
        try:
            services.request_erasure(request.user)
        except services.PrivacyError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your request is recorded: the national administrator handles it and you will see the answer here."),
            )
        return redirect("privacy:my_data")
    return page(
        request,
        "privacy/my_data.html",
        _("My personal data"),
        _my_data_crumbs(),
        requests=ErasureRequest.objects.filter(user=request.user),
        blockers=services.blockers(request.user),
        retention=retention_periods(),
    )


@role_required("is_candidate")
@require_GET
def my_data_archive(request: AuthenticatedRequest) -> HttpResponse:
    response = FileResponse(export.archive(request.user), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="mes-donnees-c2i-{timezone.localdate():%Y%m%d}.zip"'
    return cast(HttpResponse, response)


def retention_periods() -> dict[str, int]:
    return {
        "invitation": settings.C2I_RETENTION_INVITATION_DAYS,
        "draft": settings.C2I_RETENTION_DRAFT_DAYS,
        "withdrawn": settings.C2I_RETENTION_WITHDRAWN_DAYS,
        "audit_details": settings.C2I_RETENTION_AUDIT_DETAILS_DAYS,
        "appeal": settings.C2I_RETENTION_APPEAL_DAYS,
    }


# --- erasure requests (national administrator) ------------------------------------------


def _requests_crumbs() -> list[tuple[str, str]]:
    return [(reverse("privacy:erasure_requests"), _("Erasure requests"))]


@role_required("is_admin")
@require_GET
def erasure_requests(request: AuthenticatedRequest) -> HttpResponse:
    current, querystring = paginate(request, ErasureRequest.objects.select_related("user", "handled_by"), 50)
    return page(
        request, "privacy/erasure_requests.html", _("Erasure requests"), requests=current, querystring=querystring
    )


def _erasure_confirmation(request: AuthenticatedRequest, erasure: ErasureRequest) -> Confirmation:
    """« Erase the data » asks first: whose data, what goes and what stays."""
    user = erasure.user
    blockers = services.blockers(user) if erasure.is_pending else []
    return Confirmation(
        title=_("Erase the data of %(name)s?") % {"name": user.get_full_name() or user.username},
        lead=user.username,
        consequences=[
            _(
                "The account is closed; the identity, the portfolio and the submitted portfolios are erased; "
                "enrolments, exam answers, jury decisions and issued documents stay, without the identity except "
                "on the documents."
            )
        ],
        warnings=[str(b) for b in blockers],
        warnings_title=_("The data cannot be erased yet:"),
        blocked=_("The data cannot be erased yet:").rstrip(" :") + "." if blockers else "",
        hidden={"action": "erase", "confirmed": "1"},
        confirm_label=_("Confirm the erasure"),
        cancel_url=request.path,
        danger=True,
    )


@role_required("is_admin")
@require_http_methods(["GET", "POST"])
def erasure_request(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    erasure = get_object_or_404(ErasureRequest.objects.select_related("user"), pk=pk)
    form = RefusalForm(request.POST if request.POST.get("action") == "refuse" else None)
    if request.method == "POST" and request.POST.get("action") == "erase" and request.POST.get("confirmed") != "1":
        return confirmation_page(request, _erasure_confirmation(request, erasure), _requests_crumbs())
    if request.method == "POST":
        try:
            if request.POST.get("action") == "erase":
                services.carry_out(erasure, request.user)
                messages.success(request, _("The data of this account is erased."))
                return redirect("privacy:erasure_requests")
            if form.is_valid():
                services.refuse_erasure(erasure, request.user, form.cleaned_data["reason"])
                messages.success(request, _("The request is refused; the candidate reads the reason in their space."))
                return redirect("privacy:erasure_requests")
        except services.PrivacyError as error:
            messages.error(request, error.message)
    return page(
        request,
        "privacy/erasure_request.html",
        _("Erasure request"),
        _requests_crumbs(),
        erasure=erasure,
        blockers=services.blockers(erasure.user) if erasure.is_pending else [],
        form=form,
    )
