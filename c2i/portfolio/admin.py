"""Read-only, metadata only: what a portfolio holds is for the candidate, the
tutors and the jury (R9), not for the national administration; every change
goes through the services and their audit trail."""

from django.contrib import admin

from c2i.lib.admin import ReadOnlyAdmin
from c2i.portfolio.models import Portfolio, Submission


@admin.register(Portfolio)
class PortfolioAdmin(ReadOnlyAdmin):
    list_display = ["candidate", "framework", "created_at", "updated_at"]
    list_filter = ["framework"]
    search_fields = ["candidate__last_name", "candidate__email"]
    fields = ["candidate", "framework", "created_at", "updated_at"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["portfolio", "institution_session", "status", "submitted_at", "ended_at"]
    list_filter = ["status", "institution_session__session"]
    fields = ["portfolio", "enrolment", "institution_session", "status", "submitted_at", "ended_at"]
