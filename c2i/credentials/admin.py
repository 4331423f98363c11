from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
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

    @admin.action(description=_("Revoke the selected documents (reason: decided by the national administrator)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[IssuedDocument]) -> None:
        for document in queryset:
            try:
                revoke_document(document, request.user, str(_("Revoked by the national administrator.")))  # type: ignore[arg-type]
            except CredentialError as error:
                self.message_user(request, f"{document.code}: {error.message}", messages.WARNING)


@admin.register(DocumentBatch)
class DocumentBatchAdmin(admin.ModelAdmin):
    list_display = ["institution_session", "state", "total", "done", "skipped", "failed", "created_at", "finished_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
