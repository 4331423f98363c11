from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from c2i.accounts.models import AuditEntry, Membership, Session, User
from c2i.lib.admin import ReadOnlyAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fk_name = "user"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*BaseUserAdmin.fieldsets, ("C2i", {"fields": ["phone"]}))  # type: ignore[misc]
    search_fields = ["username", "email", "first_name", "last_name"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    """Who is signed in, until when; deleting a row signs that login out.
    The session's content is never shown."""

    list_display = ["user", "expire_date"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "user__last_name"]
    fields = ["user", "expire_date"]
    readonly_fields = ["user", "expire_date"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
