from django.contrib import admin

from c2i.lib.admin import ReadOnlyAdmin
from c2i.notifications.models import SentNotification


@admin.register(SentNotification)
class SentNotificationAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "kind", "step", "object_id", "recipient"]
    list_filter = ["kind"]
    search_fields = ["recipient"]
    readonly_fields = [f.name for f in SentNotification._meta.fields]
