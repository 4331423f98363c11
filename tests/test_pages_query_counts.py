"""Issue 16, « pages on a nation's data »: the correspondent's pages make as
many queries for a short list as for a long one (a page of the list at a
time, counts by aggregates, nothing per row), and their long lists are paged
with the filters kept. Other pages have their own files (one per helper).

Each test measures a page, makes its list ten times longer, and measures it
again: the two numbers of queries are equal."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.utils import timezone

from c2i.enrolment.models import InstitutionSession, Session
from c2i.enrolment.views import ROSTER_PAGE, SESSIONS_PAGE
from c2i.frameworks.models import Framework
from tests.persona_support import invite, new_candidate
from tests.query_support import queries

pytestmark = pytest.mark.django_db

_serial = itertools.count()


def add_lines(institution_session: InstitutionSession, n: int) -> None:
    """`n` people more in the session: two enrolled for one invited."""
    for _ in range(n):
        k = next(_serial)
        candidate = new_candidate(
            institution_session if k % 3 else None, first_names="Prénom", last_name=f"Nom{k:04d}", ine=""
        )
        if not k % 3:
            invite(institution_session, candidate)


def add_sessions(institution_session: InstitutionSession, n: int, *, opened: bool = True) -> None:
    """`n` national sessions more, opened at the institution of
    `institution_session` (or only national, still to open), each with an enrolment."""
    framework = Framework.objects.get(code="C2i1")
    for _ in range(n):
        k = next(_serial)
        start = timezone.localdate() + dt.timedelta(days=200 + k)
        session = Session.objects.create(
            framework=framework,
            name=f"C2i1 — session de test {k}",
            start=start,
            end=start + dt.timedelta(days=100),
            enrolment_opens=start - dt.timedelta(days=60),
            enrolment_closes=start,
        )
        if opened:
            other = InstitutionSession.objects.create(
                session=session,
                institution=institution_session.institution,
                portfolio_deadline=timezone.now() + dt.timedelta(days=220 + k),
                jury_date=start + dt.timedelta(days=60),
            )
            new_candidate(other, first_names="Prénom", last_name=f"Inscrit{k:04d}")


class TestTheSessionPage:
    def test_its_queries_do_not_grow_with_the_enrolments(self, demo) -> None:
        target = demo.institution_session("a")
        client = demo.client("correspondant-a")
        url = f"/gestion/sessions/{target.pk}/"
        add_lines(target, 3)
        small = (queries(client, url), queries(client, url + "?q=nom"), queries(client, url + "?status=invited"))
        add_lines(target, 30 + ROSTER_PAGE)
        large = (queries(client, url), queries(client, url + "?q=nom"), queries(client, url + "?status=invited"))
        assert small == large

    def test_the_jury_reads_it_with_as_many_queries(self, demo) -> None:
        target = demo.institution_session("a")
        client = demo.client("jury-a")
        url = f"/gestion/sessions/{target.pk}/"
        add_lines(target, 3)
        small = queries(client, url)
        add_lines(target, 30)
        assert queries(client, url) == small

    def test_it_pages_the_lines_and_keeps_the_filters(self, demo) -> None:
        target = demo.institution_session("a")
        client = demo.client("correspondant-a")
        add_lines(target, ROSTER_PAGE + 6)  # Nom0000…: 2/3 enrolled, 1/3 invited
        first = client.get(f"/gestion/sessions/{target.pk}/?q=nom0").content.decode()
        shown = re.findall(r"<td>Prénom (NOM\d{4})<br>", first)
        assert len(shown) == ROSTER_PAGE  # one page, by name
        assert shown == sorted(shown)
        assert "page=2" in first and "q=nom0" in first.split("page=2")[0].rsplit("href=", 1)[1]
        second = client.get(f"/gestion/sessions/{target.pk}/?q=nom0&page=2").content.decode()
        rest = re.findall(r"<td>Prénom (NOM\d{4})<br>", second)
        assert rest and not set(rest) & set(shown) and max(shown) < min(rest)
        total = len(shown) + len(rest)
        assert f"sur {total} lignes" in second or f"of {total} lines" in second
        # the export is the whole filtered list, not a page of it
        export = client.get(f"/gestion/sessions/{target.pk}/?q=nom0&page=2&export=csv")
        body = b"".join(export.streaming_content if export.streaming else [export.content]).decode("utf-8-sig")
        assert len(re.findall(r"Nom\d{4}", body)) == total
        # the summary counts the whole session, whatever the page
        active = target.enrolments.filter(status="active").count()
        assert re.search(rf'class="c2i-num">{active}<', second)


class TestTheSessionLists:
    @pytest.mark.parametrize("url", ["/gestion/sessions/", "/correspondant/"])
    def test_their_queries_do_not_grow_with_the_sessions(self, demo, url: str) -> None:
        target = demo.institution_session("a")
        client = demo.client("correspondant-a")
        add_sessions(target, 3)
        add_sessions(target, 2, opened=False)
        small = queries(client, url)
        add_sessions(target, SESSIONS_PAGE + 5)
        add_sessions(target, 20, opened=False)
        assert queries(client, url) == small

    def test_the_administrators_home_too(self, demo) -> None:
        target = demo.institution_session("a")
        client = demo.client("admin")
        add_sessions(target, 3, opened=False)
        small = queries(client, "/correspondant/")
        add_sessions(target, 30, opened=False)
        add_sessions(target, 5)
        assert queries(client, "/correspondant/") == small

    def test_the_list_is_paged_with_its_counts(self, demo) -> None:
        target = demo.institution_session("a")
        client = demo.client("correspondant-a")
        add_sessions(target, SESSIONS_PAGE + 2)
        first = client.get("/gestion/sessions/").content.decode()
        assert "page=2" in first
        # each row's count of enrolled candidates is the session's
        assert first.count('<td class="c2i-num">1</td>') >= SESSIONS_PAGE - 3
        second = client.get("/gestion/sessions/?page=2").content.decode()
        assert "page=1" in second
        home = client.get("/correspondant/").content.decode()
        assert "page=2" in home
