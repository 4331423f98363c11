"""Issue 16, « pages on a nation's data »: the jury's pages (its home, a
session's candidates, the grid) make as many queries for a short list as for
a long one: a page of the list at a time, the counts by aggregates, nothing
per row. The session's candidates are paged and searched by name and state,
the filters kept from page to page.

Each count test measures a page, makes its list ten times longer (3 then 30
candidates, each with a submitted portfolio, published test results and
decisions, so that every column has something to read), and measures again:
the two numbers of queries are equal."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from c2i.accounts.models import User
from c2i.deliberation import services
from c2i.deliberation.models import CandidateOutcome, JuryMember
from c2i.deliberation.views import SESSION_PAGE
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession, Session
from c2i.frameworks.models import Framework
from tests.deliberation_support import codes, publish_test_results, submit_all
from tests.persona_support import new_candidate
from tests.query_support import queries

pytestmark = pytest.mark.django_db

_serial = itertools.count()


def add_candidates(institution_session: InstitutionSession, n: int, last_name: str = "Nom") -> list[Enrolment]:
    """`n` candidates more in the session, each with a submitted portfolio,
    published test results and a decision (so an outcome), every third deferred."""
    juror = User.objects.get(username="jury-a")
    enrolments = []
    for _ in range(n):
        k = next(_serial)
        candidate = new_candidate(institution_session, first_names="Prénom", last_name=f"{last_name}{k:04d}")
        enrolment = candidate.enrolments.get(institution_session=institution_session, status=EnrolmentStatus.ACTIVE)
        submit_all(enrolment)
        enrolments.append(enrolment)
    publish_test_results(Enrolment.objects.filter(pk__in=[e.pk for e in enrolments]).select_related("candidate"))
    first = codes(institution_session.session.framework.code)[0]
    cells = [services.Cell(e.pk, first, "NV", str(e.pk), None) for e in enrolments]
    services.record_cells(institution_session, cells, juror, "test")
    for enrolment in enrolments[::3]:
        services.set_deferred(enrolment, True, juror)
    return enrolments


def add_seats(user: User, n: int) -> None:
    """`n` juries more for `user`: a session opened at an institution, its
    jury, with this user as a member."""
    framework = Framework.objects.get(code="C2i1")
    base = InstitutionSession.objects.filter(session__framework=framework).select_related("institution").first()
    assert base is not None
    for _ in range(n):
        k = next(_serial)
        start = timezone.localdate() + dt.timedelta(days=200 + k)
        session = Session.objects.create(
            framework=framework,
            name=f"C2i1 — session de jury {k}",
            start=start,
            end=start + dt.timedelta(days=100),
            enrolment_opens=start - dt.timedelta(days=60),
            enrolment_closes=start,
        )
        other = InstitutionSession.objects.create(
            session=session,
            institution=base.institution,
            portfolio_deadline=timezone.now() + dt.timedelta(days=220 + k),
            jury_date=start + dt.timedelta(days=60),
        )
        JuryMember.objects.create(institution_session=other, user=user, is_chair=bool(k % 2))


def session_url(demo) -> str:
    return f"/jury/sessions/{demo.institution_session('a').pk}/"


class TestQueriesDoNotGrow:
    def test_the_session_page(self, demo) -> None:
        target = demo.institution_session("a")
        client = demo.client("jury-a")
        add_candidates(target, 3)
        small = queries(client, session_url(demo))
        add_candidates(target, 27)
        page = client.get(session_url(demo))
        assert len(page.context["rows"]) >= 30
        assert queries(client, session_url(demo)) == small
        # a search and a filter cost the same
        assert queries(client, session_url(demo) + "?q=Nom&state=deferred") == small

    def test_the_grid(self, demo) -> None:
        target = demo.institution_session("a")
        client = demo.client("jury-a")
        url = f"/jury/sessions/{target.pk}/grille/"
        add_candidates(target, 3)
        small = queries(client, url)
        add_candidates(target, 27)
        assert len(client.get(url).context["rows"]) >= 30
        assert queries(client, url) == small

    def test_the_jury_home(self, demo) -> None:
        juror = User.objects.get(username="jury-a")
        client = demo.client("jury-a")
        add_seats(juror, 3)
        small = queries(client, "/jury/")
        add_seats(juror, 27)
        assert len(client.get("/jury/").context["sessions"]) >= 30
        assert queries(client, "/jury/") == small


class TestTheSessionList:
    def test_it_is_paged_in_the_jurys_order(self, demo) -> None:
        target = demo.institution_session("a")
        add_candidates(target, SESSION_PAGE + 1, last_name="Zz")
        client = demo.client("jury-a")
        total = Enrolment.objects.filter(institution_session=target, status=EnrolmentStatus.ACTIVE).count()
        first = client.get(session_url(demo))
        assert len(first.context["rows"]) == SESSION_PAGE
        assert first.context["page_obj"].paginator.count == total
        last = client.get(session_url(demo) + "?page=2")
        names = [r["enrolment"].candidate.last_name for r in first.context["rows"] + last.context["rows"]]
        assert len(names) == total
        assert names[-1] == f"Zz{next(_serial) - 1:04d}"  # the last one added, last in the order
        assert "page=2" in first.content.decode()

    def test_it_searches_by_name_and_state_and_counts_each_state(self, demo) -> None:
        target = demo.institution_session("a")
        added = add_candidates(target, 6, last_name="Quentinet")
        client = demo.client("jury-a")
        found = client.get(session_url(demo) + "?q=quentinet+prénom")
        assert {r["enrolment"].pk for r in found.context["rows"]} == {e.pk for e in added}
        deferred = client.get(session_url(demo) + "?q=quentinet&state=deferred")
        assert {r["enrolment"].pk for r in deferred.context["rows"]} == {e.pk for e in added[::3]}
        assert all(r["outcome"].deferred for r in deferred.context["rows"])
        counts = deferred.context["counts"]
        outcomes = CandidateOutcome.objects.filter(institution_session=target)
        assert counts["deferred"] == outcomes.filter(deferred=True).count()
        assert counts["not_certified"] == outcomes.filter(status="not_certified").count()
        assert counts["all"] == sum(counts[k] for k in ("certified", "not_certified", "undecided"))
        html = deferred.content.decode()
        assert f"({counts['deferred']})" in html
        assert 'value="quentinet"' in html  # the search stays in its field
        nothing = client.get(session_url(demo) + "?q=personne-de-ce-nom")
        assert nothing.context["rows"] == []
        assert "Aucun candidat ne correspond." in nothing.content.decode() or "No candidate matches." in (
            nothing.content.decode()
        )

    def test_a_deferral_comes_back_to_the_same_page_and_filters(self, demo) -> None:
        target = demo.institution_session("a")
        (enrolment,) = add_candidates(target, 1, last_name="Retourné")
        client = demo.client("jury-a")
        response = client.post(
            f"/jury/sessions/{target.pk}/candidats/{enrolment.pk}/ajournement/?q=Retourn%C3%A9&page=1",
            {"deferred": "0"},
        )
        assert response.status_code == 302
        assert response["Location"] == f"{session_url(demo)}?q=Retourn%C3%A9&page=1"
        assert not CandidateOutcome.objects.get(enrolment=enrolment).deferred
