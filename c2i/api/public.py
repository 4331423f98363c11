"""What anyone may read through the API: frameworks, the directory of
accredited institutions, national sessions. The unversioned endpoints
(`/api/referentiels` …) and `/api/v1/` answer the same."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Schema

from c2i.enrolment.models import InstitutionSession, Session
from c2i.frameworks.models import Framework
from c2i.institutions.directory import resolve_place, search


class CompetencyOut(Schema):
    code: str
    title: str


class DomainOut(Schema):
    code: str
    title: str
    competencies: list[CompetencyOut]


class FrameworkOut(Schema):
    code: str
    level: int
    specialty: str
    title: str
    status: str
    policy: dict
    legal_basis: str


class FrameworkDetailOut(FrameworkOut):
    domains: list[DomainOut]


class ContactOut(Schema):
    name: str
    email: str
    phone: str


class InstitutionOut(Schema):
    name: str
    uai: str
    town: str
    postcode: str
    distance_km: float | None
    frameworks: list[str]
    contacts: list[ContactOut]


class InstitutionSessionOut(Schema):
    id: int
    institution: str
    uai: str
    town: str
    jury_date: dt.date
    place: str


class SessionOut(Schema):
    id: int
    name: str
    framework: str
    start: dt.date
    end: dt.date
    enrolment_opens: dt.date
    enrolment_closes: dt.date
    enrolment_open: bool
    institutions: list[InstitutionSessionOut]


def frameworks() -> list[Framework]:
    return list(Framework.objects.all())


def framework(code: str) -> dict:
    found = get_object_or_404(Framework, code=code)
    return {
        **{k: getattr(found, k) for k in FrameworkOut.model_fields},
        "domains": [
            {
                "code": d.code,
                "title": d.title,
                "competencies": [{"code": c.code, "title": c.title} for c in d.competencies.filter(retired=False)],
            }
            for d in found.domains.all()
        ],
    }


def institutions(referentiel: str, lieu: str) -> list[dict]:
    """Accredited institutions, nearest to a town or postcode first."""
    chosen = get_object_or_404(Framework, code=referentiel) if referentiel else None
    place, _ = resolve_place(lieu)
    return [
        {
            "name": m.institution.name,
            "uai": m.institution.uai,
            "town": m.institution.town,
            "postcode": m.institution.postcode,
            "distance_km": round(m.distance_km, 1) if m.distance_km is not None else None,
            "frameworks": sorted({a.framework.code for a in m.accreditations}),
            "contacts": [
                {"name": c.user.get_full_name(), "email": c.user.email, "phone": c.user.phone}
                for c in m.institution.contacts  # type: ignore[attr-defined]
            ],
        }
        for m in search(chosen, place, timezone.localdate())
    ]


def sessions(referentiel: str = "", open_only: bool = False) -> list[dict]:
    """National sessions, newest first, each with the institutions organising it."""
    today = timezone.localdate()
    qs = Session.objects.select_related("framework").order_by("-start", "framework__code", "pk")
    if referentiel:
        qs = qs.filter(framework__code=referentiel)
    if open_only:
        qs = qs.filter(enrolment_opens__lte=today, enrolment_closes__gte=today)
    by_session: dict[int, list[dict]] = {}
    organised = InstitutionSession.objects.filter(session__in=qs).select_related("institution")
    for i in organised.order_by("institution__name", "pk"):
        by_session.setdefault(i.session_id, []).append(
            {
                "id": i.pk,
                "institution": i.institution.name,
                "uai": i.institution.uai,
                "town": i.institution.town,
                "jury_date": i.jury_date,
                "place": i.place,
            }
        )
    return [
        {
            "id": s.pk,
            "name": s.name,
            "framework": s.framework.code,
            "start": s.start,
            "end": s.end,
            "enrolment_opens": s.enrolment_opens,
            "enrolment_closes": s.enrolment_closes,
            "enrolment_open": s.enrolment_open_on(today),
            "institutions": by_session.get(s.pk, []),
        }
        for s in qs
    ]
