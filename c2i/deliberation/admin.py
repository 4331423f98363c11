from django.contrib import admin

from c2i.deliberation.models import JuryMember


@admin.register(JuryMember)
class JuryMemberAdmin(admin.ModelAdmin):
    list_display = ["institution_session", "user", "is_chair"]
    list_filter = ["institution_session__session"]
