"""The national administration's view of the knowledge test. Questions are
written, reviewed and imported on the site (the review workflow and its
audit trail live there); here they can be searched and read, and a
question is never changed once validated. Sittings are read-only: answers
are changed by nobody."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from c2i.assessment.models import (
    Attempt,
    AttemptQuestion,
    DomainResult,
    Exam,
    ExamRoom,
    ExtraTime,
    Incident,
    Neutralisation,
    Option,
    Question,
    Review,
)
from c2i.lib.admin import ReadOnlyAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OptionInline(ReadOnlyInline):
    model = Option
    fields = ["position", "text", "fraction", "feedback"]


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ["round", "reviewer", "verdict", "remark", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["id", "framework", "competency", "name", "kind", "option_count", "status", "author"]
    list_filter = ["framework", "status", "kind"]
    search_fields = ["name", "stem", "competency__code", "idnumber"]
    inlines = [OptionInline, ReviewInline]
    readonly_fields = ["option_count", "review_round", "author", "created_at", "updated_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written on the site, where R18 is checked and the review starts


class ExtraTimeInline(admin.TabularInline):
    model = ExtraTime
    extra = 0
    raw_id_fields = ["enrolment"]


class ExamRoomInline(admin.TabularInline):
    model = ExamRoom
    extra = 0
    fields = ["name", "code", "capacity", "separate", "admission_required", "password_set_at"]
    readonly_fields = ["code", "password_set_at"]  # the password: on the exam's rooms page only


class NeutralisationInline(ReadOnlyInline):
    model = Neutralisation
    fields = ["question", "reason", "by", "at", "lifted_at", "lift_reason"]
    readonly_fields = ["question", "reason", "by", "at", "lifted_at", "lift_reason"]


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = ["title", "institution_session", "opens_at", "closes_at", "per_domain", "results_published_at"]
    list_filter = ["institution_session__session__framework"]
    search_fields = ["title", "institution_session__institution__name"]
    readonly_fields = ["results_published_at", "created_by", "created_at"]
    inlines = [ExtraTimeInline, ExamRoomInline, NeutralisationInline]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["exam", "room", "enrolment", "kind", "occurred_at", "reported_by"]
    list_filter = ["kind"]
    search_fields = ["text", "enrolment__candidate__last_name"]


class AttemptQuestionInline(ReadOnlyInline):
    model = AttemptQuestion
    fields = ["position", "question", "domain", "option_order", "ticked", "answered_at", "score"]
    readonly_fields = ["position", "question", "domain", "option_order", "ticked", "answered_at", "score"]


class DomainResultInline(ReadOnlyInline):
    model = DomainResult
    fields = ["domain", "questions", "percent", "positive", "evidence"]
    readonly_fields = ["domain", "questions", "percent", "positive", "evidence"]


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["enrolment", "exam", "started_at", "deadline", "submitted_at", "closed_at", "score", "reopen_count"]
    list_filter = ["exam"]
    search_fields = ["enrolment__candidate__last_name", "enrolment__candidate__ine"]
    inlines = [DomainResultInline, AttemptQuestionInline]
