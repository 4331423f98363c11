from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from c2i.frameworks.models import Competency, Domain, Framework


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["code", "title", "position"]
    show_change_link = True


class CompetencyInline(admin.TabularInline):
    model = Competency
    extra = 1
    fields = ["code", "title", "position", "retired"]


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ["code", "level", "title", "status"]
    list_filter = ["status", "level"]
    readonly_fields = ["status", "missing"]
    inlines = [DomainInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _refresh(request, form.instance)


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["framework", "code", "title"]
    list_filter = ["framework"]
    inlines = [CompetencyInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _refresh(request, form.instance.framework)


def _refresh(request: HttpRequest, framework: Framework) -> None:
    """R3: completing the last title makes the framework complete."""
    was = framework.status
    framework.refresh_completeness()
    if was != framework.status:
        messages.success(request, f"{framework.code} est désormais complet : des sessions peuvent s'ouvrir.")
    elif (problems := framework.completeness_problems()) and framework.status == "incomplete":
        messages.warning(request, f"{framework.code} reste incomplet : " + " ; ".join(problems))
