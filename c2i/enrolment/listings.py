"""The correspondent's lists of institution sessions, at a nation's scale:
counts by aggregate subqueries (never one query per row), and the national
sessions an institution can still open in three queries whatever their number
(docs/performance.md, « Pages on a nation's data »)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession, Invitation, InvitationStatus, Session
from c2i.institutions.models import Accreditation, Institution


def _count(queryset: QuerySet[Enrolment] | QuerySet[Invitation]) -> Coalesce:
    """How many rows of `queryset` (filtered on OuterRef("pk")) each session has, 0 for none."""
    counted = queryset.order_by().values("institution_session").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(sessions: QuerySet[InstitutionSession], *, invited: bool = False) -> QuerySet[InstitutionSession]:
    """`sessions`, each with `active` (its active enrolments) and, if asked,
    `invited` (its pending invitations): one subquery a count, on the
    (institution_session, status) index, computed for the rows fetched only."""
    counts = {
        "active": _count(Enrolment.objects.filter(institution_session=OuterRef("pk"), status=EnrolmentStatus.ACTIVE))
    }
    if invited:
        counts["invited"] = _count(
            Invitation.objects.filter(institution_session=OuterRef("pk"), state=InvitationStatus.PENDING)
        )
    return sessions.annotate(**counts)


def openable(
    institutions: list[Institution], today: dt.date
) -> list[tuple[Institution, Session, Accreditation | None]]:
    """The national sessions not over yet that each institution has not
    opened, with the accreditation covering their dates (R4) or None: what
    `Institution.accreditation_for` answers, for all of them at once."""
    sessions = list(Session.objects.filter(end__gte=today).select_related("framework"))
    if not institutions or not sessions:
        return []
    done = set(
        InstitutionSession.objects.filter(institution__in=institutions, session__in=sessions).values_list(
            "institution_id", "session_id"
        )
    )
    accreditations = list(
        Accreditation.objects.filter(
            institution__in=institutions, framework_id__in={s.framework_id for s in sessions}
        ).order_by("institution", "framework", "-start")
    )
    result = []
    for institution in institutions:
        for session in sessions:
            if (institution.pk, session.pk) in done:
                continue
            covering = next(
                (
                    a
                    for a in accreditations
                    if a.institution_id == institution.pk
                    and a.framework_id == session.framework_id
                    and a.start <= session.start
                    and (a.end is None or a.end >= session.end)
                ),
                None,
            )
            result.append((institution, session, covering))
    return result
