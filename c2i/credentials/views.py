from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from c2i.accounts.access import AuthenticatedRequest, role_required
from c2i.credentials import confirmations, keys, services
from c2i.credentials.access import get_document_for_holder, get_document_for_user
from c2i.credentials.forms import CredentialForm, VerifyForm
from c2i.credentials.models import IssuedDocument
from c2i.enrolment import access
from c2i.lib import ratelimit
from c2i.lib.confirm import CONFIRM_METHODS, confirmation_page
from c2i.lib.pages import page

# --- the holder --------------------------------------------------------------


@role_required("is_candidate")
def my_documents(request: AuthenticatedRequest) -> HttpResponse:
    candidate = access.get_candidate(request.user)
    documents = IssuedDocument.objects.filter(enrolment__candidate=candidate).select_related("replaced_by")
    return page(
        request,
        "credentials/my_documents.html",
        _("My documents"),
        [(reverse("enrolment:my_space"), _("My certification"))],
        documents=documents,
    )


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required("is_candidate", "is_correspondent", "is_admin")
def document_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    document = get_document_for_user(request.user, pk)
    with document.pdf.open("rb") as f:  # one page, tens of kilobytes
        response = HttpResponse(f.read(), content_type="application/pdf")
    return _attachment(response, f"c2i-{document.kind}-{document.code}.pdf")


@role_required("is_candidate")
def document_badge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    document = get_document_for_holder(request.user, pk)
    if not document.is_valid:
        raise Http404
    response = HttpResponse(services.credential_bytes(document), content_type="application/ld+json; charset=utf-8")
    return _attachment(response, f"c2i-open-badge-{document.code}.json")


# --- the correspondent -------------------------------------------------------


@role_required("is_correspondent", "is_admin")
@require_http_methods(["GET", "POST"])
def session_documents(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution_session = access.get_institution_session_for_staff(request.user, pk, manage=True)
    if request.method == "POST":
        try:
            services.enqueue_session_documents(institution_session, request.user)
        except services.CredentialError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The documents are being produced in the background."))
        return redirect("credentials:session_documents", pk=pk)
    batch = institution_session.document_batches.first()
    documents = IssuedDocument.objects.filter(enrolment__institution_session=institution_session).order_by(
        "holder_name", "-issued_at"
    )
    return page(
        request,
        "credentials/session_documents.html",
        _("Documents of the session"),
        [(institution_session.get_absolute_url(), str(institution_session))],
        institution_session=institution_session,
        batch=batch,
        progress=services.batch_progress(batch) if batch else None,
        lease_seconds=round(settings.C2I_TASK_LEASE_SECONDS),
        published=services.is_published(institution_session),
        documents=documents,
    )


@require_http_methods(CONFIRM_METHODS)
@role_required("is_admin")
def revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The national administrator revokes a document: GET says what follows
    and asks the reason; POST revokes. A refusal shows the page again, the
    reason as typed."""
    document = get_object_or_404(
        IssuedDocument.objects.select_related(
            "enrolment__institution_session__session", "enrolment__institution_session__institution"
        ),
        pk=pk,
    )
    institution_session = document.enrolment.institution_session
    crumbs = [
        (institution_session.get_absolute_url(), str(institution_session)),
        (reverse("credentials:session_documents", args=[institution_session.pk]), _("Documents of the session")),
    ]
    reason = request.POST.get("reason", "")
    if request.method != "POST":
        return confirmation_page(request, confirmations.revoke(document), crumbs)
    try:
        services.revoke_document(document, request.user, reason)
    except services.CredentialError as error:
        on_reason = error.code == "reason"
        confirmation = confirmations.revoke(
            document,
            reason,
            error="" if on_reason else error.message,
            reason_error=error.message if on_reason else "",
        )
        return confirmation_page(request, confirmation, crumbs, status=400)
    messages.success(request, _("The document %(code)s is revoked.") % {"code": document.code})
    return redirect("credentials:session_documents", pk=institution_session.pk)


# --- public verification -----------------------------------------------------


def _too_many(request: HttpRequest) -> HttpResponse:
    return page(
        request,
        "credentials/verify.html",
        _("Verify a document"),
        status=429,
        form=VerifyForm(),
        credential_form=CredentialForm(),
        limited=_("Too many verifications from your connection: please try again in a few minutes."),
    )


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.GET or None)
    credential_form = CredentialForm()
    check = None
    if request.method == "POST":
        credential_form = CredentialForm(request.POST, request.FILES)
        if credential_form.is_valid():
            if not ratelimit.allow(request, "verify"):
                return _too_many(request)
            try:
                credential: Any = json.loads(credential_form.cleaned_data["credential"].read().decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                credential = None
            check = services.verify_credential(credential)
    elif form.is_valid():
        return redirect("credentials:verify_code", code=form.cleaned_data["code"].strip())
    return page(
        request,
        "credentials/verify.html",
        _("Verify a document"),
        form=form if request.GET else VerifyForm(),
        credential_form=credential_form,
        check=check,
        answer=services.public_fields(check.lookup) if check and check.lookup else None,
        document=check.lookup.document if check and check.lookup else None,
    )


def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    if not ratelimit.allow(request, "verify"):
        return _too_many(request)
    result = services.lookup(code)
    return page(
        request,
        "credentials/verify.html",
        _("Verification result"),
        [(reverse("credentials:verify"), _("Verify a document"))],
        form=VerifyForm(initial={"code": code}),
        credential_form=CredentialForm(),
        result=result,
        answer=services.public_fields(result),
        document=result.document,
    )


# --- the issuer and its keys (public, JSON-LD) -------------------------------


def _public_json(body: dict[str, Any] | bytes, max_age: int) -> HttpResponse:
    content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
    response = HttpResponse(content, content_type="application/ld+json; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"  # verifiers running in a browser fetch it too
    return response


def issuer(request: HttpRequest) -> HttpResponse:
    """The issuer's profile and the keys' controller document (JSON-LD)."""
    return _public_json(services.issuer_profile(), settings.C2I_PUBLIC_JSON_MAX_AGE)


def key_document(request: HttpRequest, key_id: str) -> HttpResponse:
    """The controller document of one key, for credentials signed before the issuer controlled the keys."""
    store = services.key_store()
    public_key = store.public_keys().get(key_id)
    if public_key is None:
        raise Http404
    revoked = store.withdrawn().get(key_id)
    return _public_json(
        keys.key_document(settings.SITE_URL, key_id, public_key, revoked), settings.C2I_PUBLIC_JSON_MAX_AGE
    )


def status_list(request: HttpRequest, number: int) -> HttpResponse:
    """A W3C Bitstring Status List credential, signed; cacheable a short while."""
    body = services.status_list_bytes(number)
    if body is None:
        raise Http404
    return _public_json(body, settings.C2I_STATUS_LIST_MAX_AGE)
