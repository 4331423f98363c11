"""Every URL of the site, with every demo role and anonymously: the expected
answer. A correspondent of one institution never reaches another's candidates.

Each row: a name (the URL's name; every named URL of the site must have at
least one row, see the last test), a method, a function building the path from
the demo data, and the expected status for each role of ROLES. Rows are
checked one role at a time, each in its own transaction, so that a POST by
one role does not change what the next one sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from c2i.enrolment.models import Enrolment, EnrolmentStatus, Session

pytestmark = pytest.mark.django_db

ROLES = [None, "admin", "correspondant-a", "correspondant-b", "tuteur-a", "jury-a", "relecteur", "candidat-a1",
         "candidat-b1"]
#        anon admin corA corB tutA jurA rev  cA1  cB1


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: Callable  # (demo) -> str
    expected: tuple[int, ...]
    data: dict | None = None

    def __post_init__(self) -> None:
        assert len(self.expected) == len(ROLES), self.name


def a_c2i1(demo) -> int:  # type: ignore[no-untyped-def]
    return demo.institution_session("a").pk


def enrolment_of(username: str, status: str = EnrolmentStatus.ACTIVE) -> Callable:
    def build(demo) -> int:  # type: ignore[no-untyped-def]
        return Enrolment.objects.filter(candidate=demo.candidate(username), status=status).first().pk

    return build


PUBLIC = (200,) * 9
LOGGED_IN = (302, 200, 200, 200, 200, 200, 200, 200, 200)

ROWS = [
    Row("home", "GET", lambda d: "/", PUBLIC),
    Row("accessibility", "GET", lambda d: "/accessibilite/", PUBLIC),
    Row("ping", "GET", lambda d: "/ping/", PUBLIC),
    Row("accounts:login", "GET", lambda d: "/connexion/", (200, 302, 302, 302, 302, 302, 302, 302, 302)),
    Row("accounts:logout", "POST", lambda d: "/deconnexion/", (302,) * 9),
    Row("accounts:register", "GET", lambda d: "/inscription/", (200, 302, 302, 302, 302, 302, 302, 302, 302)),
    Row("accounts:dashboard", "GET", lambda d: "/mon-espace/", LOGGED_IN),
    Row("frameworks:list", "GET", lambda d: "/referentiels/", PUBLIC),
    Row("frameworks:detail", "GET", lambda d: "/referentiels/C2i1/", PUBLIC),
    Row("institutions:directory", "GET", lambda d: "/etablissements/?place=Lyon", PUBLIC),
    Row("institutions:detail", "GET", lambda d: "/etablissements/0692437Z/", PUBLIC),
    Row("enrolment:sessions", "GET", lambda d: "/sessions/", PUBLIC),
    Row("enrolment:session", "GET", lambda d: f"/sessions/{Session.objects.get(framework__code='C2i1').pk}/", PUBLIC),
    # enrol at B: staff get a message (not a candidate), a1 is refused by R5, b1 is already there
    Row("enrolment:enrol", "POST", lambda d: f"/sessions/etablissement/{d.institution_session('b').pk}/inscription/",
        (302,) * 9),
    Row("enrolment:my_space", "GET", lambda d: "/mon-espace/certification/",
        (302, 403, 403, 403, 403, 403, 403, 200, 200)),
    Row("enrolment:withdraw", "POST", lambda d: f"/mon-espace/inscriptions/{enrolment_of('candidat-a1')(d)}/retrait/",
        (302, 403, 403, 403, 403, 403, 403, 302, 404)),
    Row("enrolment:confirm", "POST", lambda d: f"/mon-espace/inscriptions/{enrolment_of('candidat-a1')(d)}/confirmer/",
        (302, 403, 403, 403, 403, 403, 403, 302, 404)),
    Row("enrolment:decline", "POST", lambda d: f"/mon-espace/inscriptions/{enrolment_of('candidat-b1')(d)}/refuser/",
        (302, 403, 403, 403, 403, 403, 403, 404, 302)),
    Row("enrolment:correspondent", "GET", lambda d: "/correspondant/", (302, 200, 200, 200, 403, 403, 403, 403, 403)),
    Row("enrolment:open_session", "GET",
        lambda d: f"/correspondant/etablissements/{d.institution('a').pk}/sessions/"
        f"{Session.objects.get(framework__code='C2i2e').pk}/ouvrir/",
        (302, 200, 200, 404, 403, 403, 403, 403, 403)),
    Row("enrolment:staff_sessions", "GET", lambda d: "/gestion/sessions/",
        (302, 200, 200, 200, 200, 200, 403, 403, 403)),
    Row("enrolment:institution_session", "GET", lambda d: f"/gestion/sessions/{a_c2i1(d)}/",
        (302, 200, 200, 404, 200, 200, 404, 404, 404)),
    Row("enrolment:institution_session", "GET", lambda d: f"/gestion/sessions/{a_c2i1(d)}/?export=csv",
        (302, 200, 200, 404, 403, 403, 404, 404, 404)),
    Row("enrolment:institution_session", "GET", lambda d: f"/gestion/sessions/{d.institution_session('b').pk}/",
        (302, 200, 404, 200, 404, 404, 404, 404, 404)),
    Row("enrolment:import", "POST", lambda d: f"/gestion/sessions/{a_c2i1(d)}/import/",
        (302, 400, 400, 404, 404, 404, 404, 404, 404)),
    Row("api:openapi-json", "GET", lambda d: "/api/openapi.json", PUBLIC),
    Row("api:openapi-view", "GET", lambda d: "/api/docs", PUBLIC),
    Row("api:list_frameworks", "GET", lambda d: "/api/referentiels", PUBLIC),
    Row("api:get_framework", "GET", lambda d: "/api/referentiels/C2i2e", PUBLIC),
    Row("api:find_institutions", "GET", lambda d: "/api/etablissements?referentiel=C2i1&lieu=69007", PUBLIC),
    Row("admin:index", "GET", lambda d: "/admin/", (302, 200, 302, 302, 302, 302, 302, 302, 302)),
]

CASES = [
    pytest.param(row, i, id=f"{row.method} {row.name} #{n} as {role or 'anonymous'}")
    for n, row in enumerate(ROWS)
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("row", "role_index"), CASES)
def test_access(demo, row: Row, role_index: int) -> None:  # type: ignore[no-untyped-def]
    client = demo.client(ROLES[role_index])
    path = row.path(demo)
    response = client.post(path, row.data or {}) if row.method == "POST" else client.get(path)
    assert response.status_code == row.expected[role_index], (path, ROLES[role_index])


def _names(patterns, namespace: str = ""):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _names(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def test_every_named_url_of_the_site_has_a_row() -> None:
    names = {n for n in _names(get_resolver().url_patterns) if not n.startswith("admin:") and n != "api:api-root"}
    assert names - {row.name for row in ROWS} == set()
