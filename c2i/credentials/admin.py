from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from c2i.credentials.models import DocumentBatch, IssuedDocument
from c2i.credentials.services import CredentialError, revoke_document
from c2i.lib.admin import ReadOnlyAdmin


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    """Read-only: documents are append-only; the one change is a revocation."""

    list_display = ["code", "kind", "holder_name", "framework_code", "institution_name", "status", "issued_at"]
    list_filter = ["kind", "status", "framework_code"]
    search_fields = ["code", "holder_name"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected documents (asks for confirmation and the reason)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[IssuedDocument]) -> TemplateResponse | None:
        """First a confirmation page (which documents, what follows, the
        reason); the revocation only once it is confirmed with a reason."""
        reason = request.POST.get("reason", "").strip()
        confirmed = request.POST.get("post") == "yes"
        if not (confirmed and reason):
            documents = list(queryset)
            return TemplateResponse(
                request,
                "admin/credentials/revoke_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Revoke documents?"),
                    "opts": self.model._meta,
                    "documents": documents,
                    "valid": [d for d in documents if d.is_valid],
                    "others": [d for d in documents if not d.is_valid],
                    "reason": reason,
                    "error": _("A revocation needs its reason.") if confirmed else "",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        revoked = 0
        for document in queryset:
            try:
                revoke_document(document, request.user, reason)  # type: ignore[arg-type]
            except CredentialError as error:
                self.message_user(request, f"{document.code}: {error.message}", messages.WARNING)
            else:
                revoked += 1
        self.message_user(request, _("Documents revoked: %(n)s.") % {"n": revoked}, messages.SUCCESS)
        return None


@admin.register(DocumentBatch)
class DocumentBatchAdmin(admin.ModelAdmin):
    list_display = ["institution_session", "state", "total", "done", "skipped", "failed", "created_at", "finished_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
