"""National figures: every figure on a small hand-built data set (year 2031,
out of the demo's years) equals the count made by hand; the public figures'
small-count suppression, including by difference between totals; who sees
what; the exports' content."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from c2i.accounts.models import Membership, Role, User
from c2i.assessment.models import Attempt, DomainResult, Exam
from c2i.deliberation.models import (
    CandidateOutcome,
    CompetencyDecision,
    Deliberation,
    DeliberationStatus,
    OutcomeStatus,
)
from c2i.deliberation.signals import outcomes_published
from c2i.enrolment.models import Candidate, Enrolment, InstitutionSession, Session
from c2i.frameworks.models import Domain, Framework
from c2i.institutions.models import Institution
from c2i.portfolio.models import Portfolio, Submission
from c2i.statistics import figures, opendata, secrecy, services, tables
from c2i.statistics.figures import Filters
from c2i.statistics.models import SessionFigures

pytestmark = pytest.mark.django_db

YEAR = 2031


def _session(framework: Framework, name: str, month: int) -> Session:
    start = dt.date(YEAR, month, 1)
    return Session.objects.create(
        framework=framework,
        name=name,
        start=start,
        end=start + dt.timedelta(days=90),
        enrolment_opens=start,
        enrolment_closes=start + dt.timedelta(days=30),
    )


def _opened(session: Session, institution: Institution) -> InstitutionSession:
    return InstitutionSession.objects.create(
        session=session, institution=institution, portfolio_deadline=timezone.now(), jury_date=session.end
    )


def _enrol(ins: InstitutionSession, name: str, status: str = "student", active: bool = True) -> Enrolment:
    user = User.objects.create_user(username=f"stat-{name}", email=f"{name}@example.fr")
    candidate = Candidate.objects.create(
        user=user,
        email=f"{name}@example.fr",
        last_name=name,
        first_names="Test",
        birth_date=dt.date(2000, 1, 1),
        birth_place="Lyon",
        status=status,
    )
    return Enrolment.objects.create(
        candidate=candidate,
        institution_session=ins,
        status="active" if active else "withdrawn",
        withdrawn_at=None if active else timezone.now(),
    )


def _outcome(e: Enrolment, status: str, validated: list[str], carried: list[str] = (), deferred: bool = False) -> None:  # type: ignore[assignment]
    CandidateOutcome.objects.create(
        enrolment=e,
        institution_session=e.institution_session,
        status=status,
        validated_domains=list(validated),
        carried_over=list(carried),
        deferred=deferred,
    )


def _submit(e: Enrolment) -> None:
    portfolio, _ = Portfolio.objects.get_or_create(candidate=e.candidate, framework=e.session.framework)
    Submission.objects.create(portfolio=portfolio, enrolment=e, status="submitted")


def _decide(e: Enrolment, code: str, value: str, by: User) -> CompetencyDecision:
    return CompetencyDecision.objects.create(enrolment=e, competency_code=code, value=value, decided_by=by)


@pytest.fixture
def world(demo) -> dict[str, Any]:
    """Two new institutions X and Y in a C2i1 session of 2031, a C2i2e session at X.

    X (published): e1 student certified (all domains), submitted, sat (D1 60 %, D2 40 %);
    e2 student attestation (D1, carried over), submitted; e3 continuing, not certified, no domain;
    e4 continuing deferred; e6 student, no outcome; e5 student withdrawn (never counted).
    Y (closed, not published): f1 certified (not yet public), f2 enrolled.
    X's C2i2e session (published): three students certified."""
    c2i1 = Framework.objects.get(code="C2i1")
    c2i2e = Framework.objects.get(code="C2i2e")
    domains = list(Domain.objects.filter(framework=c2i1).order_by("position", "code"))
    all_codes = [d.code for d in domains]
    x = Institution.objects.create(name="Université X des chiffres", uai="0751717J", town="Paris")
    y = Institution.objects.create(name="Université Y des chiffres", uai="0331766R", town="Bordeaux")
    session = _session(c2i1, "C2i1 — printemps 2031", 3)
    ix, iy = _opened(session, x), _opened(session, y)
    chair = User.objects.create_user(username="stat-chair", email="chair@example.fr")
    e1, e2, e3, e4 = (
        _enrol(ix, "e1"),
        _enrol(ix, "e2"),
        _enrol(ix, "e3", "continuing"),
        _enrol(ix, "e4", "continuing"),
    )
    _enrol(ix, "e5", active=False)
    _enrol(ix, "e6")
    f1, _f2 = _enrol(iy, "f1"), _enrol(iy, "f2")
    _submit(e1)
    _submit(e2)
    _outcome(e1, OutcomeStatus.CERTIFIED, all_codes)
    _outcome(e2, OutcomeStatus.NOT_CERTIFIED, [all_codes[0]], [all_codes[0]])
    _outcome(e3, OutcomeStatus.NOT_CERTIFIED, [])
    _outcome(e4, OutcomeStatus.INCOMPLETE, [], deferred=True)
    _outcome(f1, OutcomeStatus.CERTIFIED, all_codes)
    now = timezone.now()
    Deliberation.objects.create(
        institution_session=ix, status=DeliberationStatus.PUBLISHED, closed_at=now, published_at=now
    )
    Deliberation.objects.create(institution_session=iy, status=DeliberationStatus.CLOSED, closed_at=now)
    exam = Exam.objects.create(
        institution_session=ix,
        title="QCM",
        opens_at=now - dt.timedelta(days=2),
        closes_at=now - dt.timedelta(days=1),
        results_published_at=now,
    )
    exam.domains.set(domains[:2])
    sitter = User.objects.get(username="stat-e1")
    attempt = Attempt.objects.create(
        exam=exam, enrolment=e1, user=sitter, seed=1, started_at=now, deadline=now, closed_at=now, score=50
    )
    DomainResult.objects.create(attempt=attempt, domain=domains[0], questions=12, percent=60, positive=True)
    DomainResult.objects.create(attempt=attempt, domain=domains[1], questions=12, percent=40, positive=False)
    competency = domains[0].competencies.order_by("position").values_list("code", flat=True)
    d11, d12 = list(competency)[:2]
    _decide(e1, d11, "V", chair)
    first = _decide(e2, d11, "NV", chair)
    CompetencyDecision.objects.create(enrolment=e2, competency_code=d11, value="V", decided_by=chair, supersedes=first)
    _decide(e3, d12, "NV", chair)
    s2e = _session(c2i2e, "C2i2e — printemps 2031", 4)
    x2e = _opened(s2e, x)
    for n in range(3):
        _outcome(_enrol(x2e, f"g{n}"), OutcomeStatus.CERTIFIED, ["A1"])
    Deliberation.objects.create(
        institution_session=x2e, status=DeliberationStatus.PUBLISHED, closed_at=now, published_at=now
    )
    services.refresh_all()
    return {"x": x, "y": y, "ix": ix, "iy": iy, "c2i1": c2i1, "domains": all_codes, "d11": d11, "d12": d12}


def c2i1_2031(world: dict[str, Any], **more: Any) -> Filters:
    return Filters(year=YEAR, framework=world["c2i1"].pk, **more)


# --- every figure, counted by hand -------------------------------------------------------

HAND = {
    # name: (students, continuing, total) in C2i1 2031 (X and Y)
    "enrolled": (5, 2, 7),
    "submitted": (2, 0, 2),
    "sat": (1, 0, 1),
    "certified": (1, 0, 1),
    "attested": (1, 0, 1),
    "not_certified": (0, 1, 1),
    "deferred": (0, 1, 1),
    "undecided": (3, 0, 3),  # e6 at X; f1 and f2 at Y (not published)
    "returning": (1, 0, 1),
    "returning_certified": (0, 0, 0),
    "domains_kept": (1, 0, 1),
}


@pytest.mark.parametrize(("name", "expected"), HAND.items())
def test_each_key_figure_equals_the_hand_count(world, name: str, expected: tuple[int, int, int]) -> None:
    found = figures.overview(c2i1_2031(world))
    assert (
        getattr(found.by_status["student"], name),
        getattr(found.by_status["continuing"], name),
        getattr(found.total, name),
    ) == expected


def test_the_success_rate_is_certified_among_final_outcomes(world) -> None:
    assert figures.overview(c2i1_2031(world)).total.success_rate == pytest.approx(100 / 3)


@pytest.mark.parametrize(("institution", "enrolled", "certified", "undecided"), [("x", 5, 1, 1), ("y", 2, 0, 2)])
def test_the_institution_filter_counts_one_institution(world, institution, enrolled, certified, undecided) -> None:
    total = figures.overview(c2i1_2031(world, institution=world[institution].pk)).total
    assert (total.enrolled, total.certified, total.undecided) == (enrolled, certified, undecided)


def test_the_domain_figures_equal_the_hand_count(world) -> None:
    rows = {r.code: r for r in figures.domains(c2i1_2031(world))}
    first, second = world["domains"][:2]
    # final outcomes of X (Y unpublished): e1, e2, e3; D1 validated by e1 and e2, carried over by e2
    assert (rows[first].decided, rows[first].validated, rows[first].carried_over) == (3, 2, 1)
    assert (rows[second].decided, rows[second].validated, rows[second].carried_over) == (3, 1, 0)
    assert rows[first].validation_rate == pytest.approx(200 / 3)
    # the knowledge test: one published result per domain, D1 positive at 60 %, D2 not at 40 %
    assert (rows[first].tested, rows[first].positive, rows[first].mean_percent) == (1, 1, 60)
    assert (rows[second].tested, rows[second].positive, rows[second].mean_percent) == (1, 0, 40)


def test_the_competency_figures_count_the_current_decisions(world) -> None:
    rows = {r.code: r for r in figures.competencies(c2i1_2031(world))}
    # e2's NV on D1.1 was superseded by a V: two V; D1.2: e3's NV
    assert (rows[world["d11"]].validated, rows[world["d11"]].not_validated) == (2, 0)
    assert (rows[world["d12"]].validated, rows[world["d12"]].not_validated) == (0, 1)


def test_the_institutions_are_ranked(world) -> None:
    ranked = figures.institutions(Filters(year=YEAR), "enrolled")
    assert [(r.label, r.counts.enrolled) for r in ranked] == [
        ("Université X des chiffres", 8),
        ("Université Y des chiffres", 2),
    ]
    by_success = figures.institutions(Filters(year=YEAR), "success")
    assert by_success[0].label == "Université X des chiffres"  # 4 certified of 6 final outcomes, Y none


def test_the_trends_group_years_and_sessions(world) -> None:
    years = {r.key: r.counts.enrolled for r in figures.years(Filters(year=YEAR))}
    assert years[YEAR] == 10  # the year filter is left out of the trend across years
    sessions = [(r.label, r.counts.enrolled, r.counts.certified) for r in figures.sessions(Filters(year=YEAR))]
    assert sessions == [("C2i1 — printemps 2031", 7, 1), ("C2i2e — printemps 2031", 3, 3)]


def test_a_publication_refreshes_its_session(world) -> None:
    ix = world["ix"]
    f = _enrol(ix, "late")
    _outcome(f, OutcomeStatus.CERTIFIED, world["domains"])
    outcomes_published.send(None, institution_session_id=ix.pk)
    assert figures.overview(c2i1_2031(world, institution=world["x"].pk)).total.certified == 2


# --- the public figures: small counts suppressed ----------------------------------------


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_a_small_count_is_shown_under_five_and_not_recoverable_from_the_totals(world) -> None:
    rows = {
        r["referentiel"]: r
        for r in _csv(Client(HTTP_HOST="localhost").get("/chiffres-cles/donnees/c2i-chiffres-cles.csv"))
        if r["annee"] == str(YEAR)
    }
    # C2i2e: 3 candidates, shown « < 5 »; C2i1 has 7 and all frameworks 10: both cannot be published,
    # else 10 − 7 gives the 3 back (difference between two totals)
    assert rows["C2i2e"]["inscrits"] == "< 5"
    assert not (rows["C2i1"]["inscrits"].isdigit() and rows["ENSEMBLE"]["inscrits"].isdigit())
    for row in rows.values():
        for column in opendata.MAIN_HEADER[2:-1]:
            value = row[column]
            assert value in ("< 5", "s") or int(value) >= 5, (row["referentiel"], column, value)


def _determined(equations: list[tuple[dict[str, int], int]], unknown: str) -> bool:
    """Independent check (exact rationals, dense): is `unknown` fixed by the equations?"""
    names = sorted({n for eq, _ in equations for n in eq})
    matrix = [[Fraction(eq.get(n, 0)) for n in names] for eq, _ in equations]
    target = [Fraction(1 if n == unknown else 0) for n in names]

    def rank(rows: list[list[Fraction]]) -> int:
        rows = [r[:] for r in rows]
        r = 0
        for c in range(len(names)):
            pivot = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
            if pivot is None:
                continue
            rows[r], rows[pivot] = rows[pivot], rows[r]
            for i in range(len(rows)):
                if i != r and rows[i][c] != 0:
                    f = rows[i][c] / rows[r][c]
                    rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
            r += 1
        return r

    return rank(matrix) == rank([*matrix, target])


def test_no_suppressed_cell_follows_from_any_combination_of_totals() -> None:
    """Random tables of frameworks × outcome columns with their totals: after
    protection, no cell under 5 is determined by the published cells."""
    rng = random.Random(15)
    for _ in range(60):
        frameworks = [f"F{n}" for n in range(rng.randint(2, 4))]
        parts = ["a", "b", "c"]
        table = secrecy.Table({})
        for f in frameworks:
            values = {p: rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40]) for p in parts}
            for p, v in values.items():
                table.values[(f, p)] = v
            table.values[(f, "T")] = sum(values.values())
            table.add_relation((f, "T"), [(f, p) for p in parts])
        for p in [*parts, "T"]:
            table.values[("ALL", p)] = sum(table.values[(f, p)] for f in frameworks)
            table.add_relation(("ALL", p), [(f, p) for f in frameworks])
        table.add_relation(("ALL", "T"), [("ALL", p) for p in parts])
        status = secrecy.protect(table)
        unknown = {c for c, s in status.items() if s != secrecy.SHOWN}
        equations = []
        for relation in table.relations:
            eq: dict[str, int] = {}
            constant = 0
            for cell, sign in [(relation.total, 1), *[(p, -1) for p in relation.parts]]:
                if cell in unknown:
                    eq[repr(cell)] = eq.get(repr(cell), 0) + sign
                else:
                    constant -= sign * table.values[cell]
            if eq:
                equations.append((eq, constant))
        for cell, value in table.values.items():
            if value < secrecy.THRESHOLD:
                assert status[cell] != secrecy.SHOWN
                assert not _determined(equations, repr(cell)), (table.values, status, cell)


def test_two_small_cells_of_a_total_are_enough() -> None:
    table = secrecy.Table({"T": 20, "a": 3, "b": 10, "c": 7})
    table.add_relation("T", ["a", "b", "c"])
    assert secrecy.protect(table) == {"T": "shown", "a": "primary", "b": "shown", "c": "secondary"}


# --- access ------------------------------------------------------------------------


def _correspondent(institution: Institution, name: str) -> Client:
    user = User.objects.create_user(username=name, email=f"{name}@example.fr")
    Membership.objects.create(user=user, role=Role.CORRESPONDENT, institution=institution)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def test_a_correspondent_sees_their_institution_never_another(world) -> None:
    client = _correspondent(world["x"], "corr-x")
    mine = client.get(f"/pilotage/etablissements/{world['x'].pk}/")
    assert mine.status_code == 200
    assert "Université X des chiffres" in mine.content.decode()
    assert "Université Y des chiffres" not in mine.content.decode()
    assert client.get(f"/pilotage/etablissements/{world['y'].pk}/").status_code == 404
    assert client.get(f"/pilotage/etablissements/{world['y'].pk}/export/chiffres.csv").status_code == 404
    assert client.get("/pilotage/").status_code == 403
    assert client.get("/pilotage/mon-etablissement/")["Location"] == f"/pilotage/etablissements/{world['x'].pk}/"


def test_the_nation_is_hidden_when_too_few_other_institutions_take_part(world) -> None:
    """In C2i1 2031 only Y is beside X: the nation minus X would be Y's figures."""
    client = _correspondent(world["x"], "corr-x2")
    rows = _csv(
        client.get(
            f"/pilotage/etablissements/{world['x'].pk}/export/chiffres.csv?annee={YEAR}&referentiel={world['c2i1'].pk}"
        )
    )
    nation = [r[list(r)[2]] for r in rows]
    assert set(nation) == {""}


def test_anonymous_sees_only_the_public_figures(world) -> None:
    client = Client(HTTP_HOST="localhost")
    assert client.get("/pilotage/").status_code == 302
    assert client.get(f"/pilotage/etablissements/{world['x'].pk}/").status_code == 302
    public = client.get(f"/chiffres-cles/?annee={YEAR}").content.decode()
    assert "Université X" not in public and "e1@example.fr" not in public
    assert "&lt; 5" in public or "< 5" in public
    home = client.get("/").content.decode()
    assert "/chiffres-cles/" in home


# --- exports ------------------------------------------------------------------------


def test_the_national_exports_hold_the_table(world, admin_client_host) -> None:
    query = f"?annee={YEAR}&referentiel={world['c2i1'].pk}"
    rows = _csv(admin_client_host.get(f"/pilotage/export/chiffres.csv{query}"))
    by_label = {r[next(iter(r))]: r for r in rows}
    first_label = tables.MEASURES[0][1]()
    assert list(by_label[first_label].values())[1:] == ["5", "2", "7"]
    response = admin_client_host.get(f"/pilotage/export/etablissements.xlsx{query}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][1] == "Université X des chiffres" and values[1][3] == 5
    assert values[2][1] == "Université Y des chiffres" and values[2][3] == 2


def test_the_dashboard_page_shows_charts_with_their_tables(world, admin_client_host) -> None:
    page = admin_client_host.get(f"/pilotage/?annee={YEAR}&referentiel={world['c2i1'].pk}").content.decode()
    assert page.count('role="img"') >= 4
    assert 'aria-labelledby="chart-domaines"' in page and 'id="chart-domaines"' in page
    assert "<table>" in page


@pytest.fixture
def admin_client_host(demo) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="admin"))
    return client


def test_refresh_is_audited(world, admin_client_host) -> None:
    from c2i.accounts.models import AuditAction, AuditEntry

    response = admin_client_host.post("/pilotage/actualiser/")
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.STATISTICS_REFRESH).exists()
    assert SessionFigures.objects.filter(year=YEAR).exists()
