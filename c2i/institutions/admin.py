from django.contrib import admin

from c2i.accounts.models import Membership
from c2i.institutions.models import Accreditation, Institution


class AccreditationInline(admin.TabularInline):
    model = Accreditation
    extra = 1


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    fields = ["user", "role", "is_public_contact"]
    autocomplete_fields = ["user"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "uai", "town"]
    search_fields = ["name", "uai", "town"]
    inlines = [AccreditationInline, MembershipInline]
