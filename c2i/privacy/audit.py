"""The audit trail for the national administrator: its pages, its export and
the check of its hash chain (`c2i.lib.audit_chain`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditChainHead, AuditEntry
from c2i.lib import audit_chain

_LINK_FIELDS = (
    "id",
    "at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "details",
    "details_digest",
    "details_pruned_at",
    "prev_hash",
    "entry_hash",
)


def _links() -> Iterator[audit_chain.Link]:
    rows = AuditEntry.objects.order_by("id").values_list(*_LINK_FIELDS).iterator(chunk_size=5000)
    for pk, at, actor_id, action, object_type, object_id, details, digest, pruned_at, prev, own in rows:
        yield audit_chain.Link(
            pk, at, actor_id, action, object_type, object_id, details, digest, pruned_at is not None, prev, own
        )


def verify() -> audit_chain.Report:
    """Walk the whole trail in id order (one read of each row)."""
    head = AuditChainHead.objects.filter(pk=1).values_list("last_id", "last_hash").first()
    return audit_chain.check(_links(), head)


def describe(found: audit_chain.Break) -> str:
    """The first broken entry, in words: which one, when, what differs."""
    values = {
        "id": found.entry_id,
        "at": date_format(timezone.localtime(found.at), "DATETIME_FORMAT") if found.at else "",
        "previous": found.previous_id if found.previous_id is not None else "—",
        "expected": found.expected[:16],
        "found": found.found[:16],
    }
    messages = {
        audit_chain.NOT_CHAINED: _(
            "Entry #%(id)s (%(at)s) has no hash: it was written without going through the chain."
        ),
        audit_chain.ALTERED: _(
            "Entry #%(id)s (%(at)s) was altered: its date, author, action or object no longer match its hash "
            "(hash stored %(expected)s…, recomputed %(found)s…)."
        ),
        audit_chain.DETAILS_ALTERED: _(
            "Entry #%(id)s (%(at)s) was altered: its details no longer match their digest "
            "(digest stored %(expected)s…, recomputed %(found)s…)."
        ),
        audit_chain.UNLINKED: _(
            "Entry #%(id)s (%(at)s) is not chained to the entry before it (#%(previous)s): an entry between them "
            "was removed or inserted, or the one before it was rewritten with a new hash "
            "(previous hash expected %(expected)s…, found %(found)s…)."
        ),
        audit_chain.TRUNCATED: _(
            "The trail ends at entry #%(id)s but its head names entry #%(previous)s: the last entries were removed."
        ),
    }
    return messages[found.problem] % values


# --- the trail's pages ------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    actor: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def entries(filters: Filters) -> QuerySet[AuditEntry]:
    """The entries matching the filters, newest first. The action matches by
    its start (« enrolment. » gives all enrolment actions); the actor by user
    name, e-mail or name."""
    qs = AuditEntry.objects.select_related("actor").order_by("-id")
    if filters.action:
        qs = qs.filter(action__startswith=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.actor:
        text = filters.actor
        qs = qs.filter(
            Q(actor__username__icontains=text)
            | Q(actor__email__icontains=text)
            | Q(actor__last_name__icontains=text)
            | Q(actor__first_name__icontains=text)
        )
    if filters.since:
        qs = qs.filter(at__gte=_start_of(filters.since))
    if filters.until:
        qs = qs.filter(at__lt=_start_of(filters.until + dt.timedelta(days=1)))
    return qs


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


EXPORT_HEADER = (
    "id",
    "date",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "details",
    "details_digest",
    "details_pruned_at",
    "prev_hash",
    "entry_hash",
)


def export_rows(qs: QuerySet[AuditEntry]) -> Iterator[tuple[object, ...]]:
    """One row per entry, with everything needed to check its hash again
    outside the platform (`c2i.lib.audit_chain.entry_hash`)."""
    for entry in qs.iterator(chunk_size=2000):
        yield (
            entry.pk,
            entry.at.astimezone(dt.UTC).isoformat(),
            entry.actor_id or "",
            entry.actor.username if entry.actor else "",
            entry.action,
            entry.object_type,
            entry.object_id,
            audit_chain.canonical_json(entry.details),
            entry.details_digest,
            entry.details_pruned_at.astimezone(dt.UTC).isoformat() if entry.details_pruned_at else "",
            entry.prev_hash,
            entry.entry_hash,
        )


def check_anchor(expected: str) -> str:
    """'' when entry ID still has HASH (an "ID:HASH" recorded earlier outside
    the database: a rewrite of the whole chain from before it shows there);
    otherwise what is wrong."""
    pk, _sep, digest = expected.partition(":")
    if not pk.isdigit() or len(digest) != 64:
        return _("« %(value)s » is not of the form ID:HASH (an entry number, a colon, 64 hexadecimal digits).") % {
            "value": expected
        }
    stored = AuditEntry.objects.filter(pk=int(pk)).values_list("entry_hash", flat=True).first()
    if stored is None:
        return _("Entry #%(id)s recorded earlier is missing from the trail.") % {"id": pk}
    if stored != digest.lower():
        return _("Entry #%(id)s does not have the hash recorded earlier: the chain was rewritten up to it.") % {
            "id": pk
        }
    return ""
