"""The JSON API (django-ninja). It calls the same services and access helpers as the pages."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import NinjaAPI, Schema, Swagger

from c2i.api.text import Line
from c2i.frameworks.models import Framework
from c2i.institutions.directory import resolve_place, search
from c2i.lib.database import UNREACHABLE, come_back_later


class LocalSwagger(Swagger):
    """Swagger UI from ninja's static files ("ninja" in INSTALLED_APPS), never a
    CDN, in our page (templates/api/docs.html: French, AA contrast); no call to
    the online validator of swagger.io; no deep links, whose anchors Swagger UI
    nests inside each operation's button."""

    template = "api/docs.html"


api = NinjaAPI(
    title="C2i",
    version="1",
    urls_namespace="api",
    description="API publique de la plateforme C2i.",
    docs=LocalSwagger(settings={"validatorUrl": None, "deepLinking": False}),
)
for unreachable in UNREACHABLE:  # the database is down: come back later (JSON 503, Retry-After)
    api.add_exception_handler(unreachable, lambda request, error: come_back_later())
api.add_router("/verifier", "c2i.credentials.api.router")
api.add_router("/epreuves", "c2i.assessment.api.router")


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


@api.get("/referentiels", response=list[FrameworkOut], tags=["référentiels"])
def list_frameworks(request: HttpRequest) -> list[Framework]:
    return list(Framework.objects.all())


@api.get("/referentiels/{code}", response=FrameworkDetailOut, tags=["référentiels"])
def get_framework(request: HttpRequest, code: str) -> dict:
    framework = get_object_or_404(Framework, code=code)
    return {
        **{k: getattr(framework, k) for k in FrameworkOut.model_fields},
        "domains": [
            {
                "code": d.code,
                "title": d.title,
                "competencies": [{"code": c.code, "title": c.title} for c in d.competencies.filter(retired=False)],
            }
            for d in framework.domains.all()
        ],
    }


@api.get("/etablissements", response=list[InstitutionOut], tags=["annuaire"])
def find_institutions(
    request: HttpRequest, referentiel: Annotated[str, Line(30)] = "", lieu: Annotated[str, Line(80)] = ""
) -> list[dict]:
    """Accredited institutions, nearest to a town or postcode first."""
    framework = get_object_or_404(Framework, code=referentiel) if referentiel else None
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
        for m in search(framework, place, timezone.localdate())
    ]
