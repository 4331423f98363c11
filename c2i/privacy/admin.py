from django.contrib import admin

from c2i.lib.admin import ReadOnlyAdmin
from c2i.privacy.models import ErasureRequest


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    """Handled on the site (/administration/effacements/), where the erasure runs."""

    list_display = ["requested_at", "user", "status", "handled_at", "handled_by"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ErasureRequest._meta.fields]
