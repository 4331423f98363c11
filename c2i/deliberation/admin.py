from django.contrib import admin

from c2i.deliberation.models import CandidateOutcome, CompetencyDecision, Deliberation, DomainCredit, JuryMember
from c2i.lib.admin import ReadOnlyAdmin


@admin.register(JuryMember)
class JuryMemberAdmin(admin.ModelAdmin):
    list_display = ["institution_session", "user", "is_chair"]
    list_filter = ["institution_session__session"]


# What the jury decided changes only through the jury's pages (the chair's
# audited rectification): the admin shows it.


@admin.register(Deliberation)
class DeliberationAdmin(ReadOnlyAdmin):
    list_display = ["institution_session", "status", "closed_at", "published_at"]
    list_filter = ["status", "institution_session__session"]
    list_select_related = ["institution_session__session", "institution_session__institution"]


@admin.register(CompetencyDecision)
class CompetencyDecisionAdmin(ReadOnlyAdmin):
    list_display = ["enrolment", "competency_code", "value", "decided_by", "decided_at", "supersedes"]
    list_filter = ["value", "institution_session__session"]
    search_fields = ["enrolment__candidate__last_name", "enrolment__candidate__email", "competency_code"]
    list_select_related = ["enrolment__candidate", "decided_by"]
    raw_id_fields = ["enrolment", "supersedes"]


@admin.register(CandidateOutcome)
class CandidateOutcomeAdmin(ReadOnlyAdmin):
    list_display = ["enrolment", "status", "validated_domains", "carried_over", "deferred", "computed_at"]
    list_filter = ["status", "deferred", "institution_session__session"]
    search_fields = ["enrolment__candidate__last_name", "enrolment__candidate__email"]
    list_select_related = ["enrolment__candidate"]


@admin.register(DomainCredit)
class DomainCreditAdmin(ReadOnlyAdmin):
    list_display = ["identity_key", "framework", "domain_code", "institution_session", "created_at", "revoked_at"]
    list_filter = ["framework", "domain_code"]
    search_fields = ["identity_key", "enrolment__candidate__last_name"]
    list_select_related = ["framework", "institution_session__session"]
