"""The JSON API (django-ninja). It calls the same services and access helpers as the pages.

`/api/v1/` is the versioned API for institutions (`c2i.api.v1`: tokens,
scopes, pagination); the unversioned public endpoints below stay for their
clients. Every refusal has one format (`c2i.api.errors`)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import NinjaAPI, Swagger

from c2i.api import errors, public
from c2i.api.public import FrameworkDetailOut, FrameworkOut, InstitutionOut
from c2i.api.text import Line
from c2i.frameworks.models import Framework


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
    description=(
        "API de la plateforme C2i : données publiques (référentiels, annuaire, sessions, vérification) "
        "et, sous `/api/v1/etablissement/`, celles d'un établissement, avec un jeton d'API "
        "(`Authorization: Bearer c2i_…`). Voir docs/api.md."
    ),
    docs=LocalSwagger(settings={"validatorUrl": None, "deepLinking": False}),
)
errors.install(api)  # one error format; the database down: JSON 503 with Retry-After
api.add_router("/verifier", "c2i.credentials.api.router")
api.add_router("/epreuves", "c2i.assessment.api.router")


@api.get("/referentiels", response={200: list[FrameworkOut], **errors.PUBLIC_ERRORS}, tags=["référentiels"])
def list_frameworks(request: HttpRequest) -> list[Framework]:
    return public.frameworks()


@api.get(
    "/referentiels/{code}", response={200: FrameworkDetailOut, **errors.responses(404, 422)}, tags=["référentiels"]
)
def get_framework(request: HttpRequest, code: str) -> dict:
    return public.framework(code)


@api.get("/etablissements", response={200: list[InstitutionOut], **errors.responses(404, 422)}, tags=["annuaire"])
def find_institutions(
    request: HttpRequest, referentiel: Annotated[str, Line(30)] = "", lieu: Annotated[str, Line(80)] = ""
) -> list[dict]:
    """Accredited institutions, nearest to a town or postcode first."""
    return public.institutions(referentiel, lieu)


api.add_router("/v1", "c2i.api.v1.router")
