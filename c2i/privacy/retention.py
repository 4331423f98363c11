"""Retention periods (settings C2I_RETENTION_*, in days), applied daily by
`manage.py apply_retention` (docs/privacy.md):

- invitations never answered, or declined, after C2I_RETENTION_INVITATION_DAYS:
  deleted (what the institution typed about a person who did not come);
- portfolios never submitted and untouched for C2I_RETENTION_DRAFT_DAYS:
  deleted with their files;
- candidates whose every enrolment was withdrawn more than
  C2I_RETENTION_WITHDRAWN_DAYS ago, with no document issued: erased as on
  request (`services.erase_candidate`);
- details of audit entries older than C2I_RETENTION_AUDIT_DETAILS_DAYS:
  emptied (the entries and their chain stay).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from c2i.accounts.models import AuditEntry
from c2i.privacy import services


def _cutoff(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=days)


def expired_invitations(now: dt.datetime, dry_run: bool) -> int:
    from c2i.enrolment.models import Invitation, InvitationStatus

    cutoff = _cutoff(now, settings.C2I_RETENTION_INVITATION_DAYS)
    expired = Invitation.objects.filter(
        Q(state=InvitationStatus.PENDING, created_at__lt=cutoff)
        | Q(state=InvitationStatus.DECLINED, answered_at__lt=cutoff)
    )
    if dry_run:
        return expired.count()
    with transaction.atomic():
        ids = [str(pk) for pk in expired.values_list("pk", flat=True)]
        _prune(AuditEntry.objects.filter(object_type="enrolment.invitation", object_id__in=ids), now)
        return expired.filter(pk__in=ids).delete()[0]


def draft_portfolios(now: dt.datetime, dry_run: bool) -> int:
    from c2i.portfolio.models import Portfolio, Submission

    cutoff = _cutoff(now, settings.C2I_RETENTION_DRAFT_DAYS)
    drafts = (
        Portfolio.objects.filter(~Exists(Submission.objects.filter(portfolio=OuterRef("pk"))))
        .annotate(
            last_activity=Greatest(
                "updated_at",
                Coalesce(Max("items__updated_at"), "updated_at"),
                Coalesce(Max("items__files__uploaded_at"), "updated_at"),
            )
        )
        .filter(last_activity__lt=cutoff)
    )
    if dry_run:
        return drafts.count()
    count = 0
    for portfolio in drafts:
        with transaction.atomic():
            _delete_portfolio(portfolio, now)
        count += 1
    return count


def _delete_portfolio(portfolio, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    from c2i.portfolio.models import StoredFile

    blobs = list(StoredFile.objects.filter(evidence_files__evidence__portfolio=portfolio).distinct())
    ids = {
        "portfolio.portfolio": [portfolio.pk],
        "portfolio.evidence": list(portfolio.items.values_list("pk", flat=True)),
    }
    for object_type, pks in ids.items():
        _prune(AuditEntry.objects.filter(object_type=object_type, object_id__in=[str(pk) for pk in pks]), now)
    portfolio.items.all().delete()
    portfolio.positionings.all().delete()
    portfolio.delete()
    names = []
    for blob in blobs:
        if not blob.is_referenced():
            names.append(blob.storage_name)
            blob.delete()
    transaction.on_commit(lambda: services.delete_files(names))


def withdrawn_candidates(now: dt.datetime, dry_run: bool) -> int:
    from c2i.credentials.models import IssuedDocument
    from c2i.enrolment.models import Candidate, Enrolment, EnrolmentStatus

    cutoff = _cutoff(now, settings.C2I_RETENTION_WITHDRAWN_DAYS)
    candidates = (
        Candidate.objects.filter(enrolments__isnull=False)
        .exclude(Exists(Enrolment.objects.filter(candidate=OuterRef("pk")).exclude(status=EnrolmentStatus.WITHDRAWN)))
        .exclude(Exists(IssuedDocument.objects.filter(enrolment__candidate=OuterRef("pk"))))
        .exclude(**services.ERASED_CANDIDATE)
        .annotate(last_withdrawal=Max("enrolments__withdrawn_at"))
        .filter(last_withdrawal__lt=cutoff)
        .distinct()
    )
    count = 0
    for candidate in candidates:
        if candidate.user is not None and services.blockers(candidate.user, now):
            continue  # an account that also holds staff roles stays
        if not dry_run:
            services.erase_candidate(candidate, None)
        count += 1
    return count


def audit_details(now: dt.datetime, dry_run: bool) -> int:
    old = AuditEntry.objects.filter(at__lt=_cutoff(now, settings.C2I_RETENTION_AUDIT_DETAILS_DAYS))
    if dry_run:
        return old.filter(details_pruned_at__isnull=True).exclude(details={}).count()
    return _prune(old, now)


def _prune(entries, now: dt.datetime) -> int:  # type: ignore[no-untyped-def]
    return int(
        entries.filter(details_pruned_at__isnull=True).exclude(details={}).update(details={}, details_pruned_at=now)
    )


RULES: dict[str, Callable[[dt.datetime, bool], int]] = {
    "invitations": expired_invitations,
    "draft_portfolios": draft_portfolios,
    "withdrawn_candidates": withdrawn_candidates,
    "audit_details": audit_details,
}


def apply(now: dt.datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Each rule's count of what it removed (or would remove, `dry_run`)."""
    now = now or timezone.now()
    return {name: rule(now, dry_run) for name, rule in RULES.items()}
