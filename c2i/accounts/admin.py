from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

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


def login_through_the_site(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The admin has no login form of its own: /connexion/, throttled and with
    the second factor, is the one way in (issue 10, finding 7)."""
    target = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return redirect(target)
        raise PermissionDenied  # signed in, not an administrator: no loop through the login page
    return redirect_to_login(target)


admin.site.login = login_through_the_site  # type: ignore[method-assign,assignment]
