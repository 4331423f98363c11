from typing import Any

from django import forms
from django.contrib import admin

from c2i.enrolment.models import Candidate, Enrolment, InstitutionSession, Invitation, Session
from c2i.enrolment.services import EnrolmentError, check_accreditation, check_framework_open
from c2i.lib.admin import ReadOnlyAdmin


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["framework", "name", "start", "end", "enrolment_opens", "enrolment_closes"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("framework"):
            try:
                check_framework_open(data["framework"])
            except EnrolmentError as error:
                self.add_error("framework", error.message)
        return data


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    form = SessionForm
    list_display = ["name", "framework", "start", "end", "enrolment_opens", "enrolment_closes"]
    list_filter = ["framework"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class InstitutionSessionForm(forms.ModelForm):
    class Meta:
        model = InstitutionSession
        fields = [
            "session",
            "institution",
            "portfolio_deadline",
            "test_opens",
            "test_closes",
            "jury_date",
            "capacity",
            "place",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("session") and data.get("institution"):
            try:
                check_framework_open(data["session"].framework)
                check_accreditation(data["institution"], data["session"])
            except EnrolmentError as error:
                self.add_error("institution", error.message)
        return data


@admin.register(InstitutionSession)
class InstitutionSessionAdmin(admin.ModelAdmin):
    form = InstitutionSessionForm
    list_display = ["session", "institution", "portfolio_deadline", "jury_date", "capacity"]
    list_filter = ["session__framework", "institution"]


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_names", "birth_date", "ine", "status", "email"]
    search_fields = ["last_name", "first_names", "ine", "email"]
    list_filter = ["status"]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["candidate", "institution_session", "status", "created_at"]
    list_filter = ["status", "session"]
    search_fields = ["candidate__last_name", "candidate__ine"]
    readonly_fields = ["session", "identity_key"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations are written by imports and answered by their addressee only."""

    list_display = ["last_name", "first_names", "email", "institution_session", "state", "created_at"]
    list_filter = ["state", "institution_session__session"]
    search_fields = ["last_name", "email", "ine"]
