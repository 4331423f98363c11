"""The live list's lean path (`middleware.InvigilationListFastPath`): most
refreshes of an invigilator signed in with the room's code are served in one
statement, before the session middleware and the view, and an unchanged list
is answered 304 to the tag the page sends back. What it must keep: the rows
the regular view writes, a CSRF token that works in every form, and every
refusal exactly as the regular view answers it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from c2i.accounts.models import Session
from c2i.assessment.models import Attempt
from c2i.assessment.services import invigilation as inv
from c2i.assessment.services import presence
from tests.assessment_support import start
from tests.invigilation_support import demo_room, seat_of, signed_in
from tests.test_invigilation_access import b_room, second_room

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def url(room) -> str:
    return f"/surveillance/salles/{room.pk}/liste/"


def ready(client: Client | None = None) -> Client:
    """A signed-in invigilator whose page has loaded once (the CSRF cookie set)."""
    client = signed_in(client)
    assert client.get(f"/surveillance/salles/{demo_room().pk}/").status_code == 200
    return client


class TestLeanPath:
    def test_a_refresh_is_one_statement_and_shows_the_regular_views_rows(self, demo, django_assert_num_queries) -> None:
        start(demo, "candidat-a1")
        room, client = demo_room(), ready()
        page = client.get(f"/surveillance/salles/{room.pk}/").content.decode()
        with django_assert_num_queries(1):  # session, grant, room, exam and rows (the regular view: 4)
            response = client.get(url(room))
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        assert response["X-Frame-Options"] == "DENY" and response["ETag"].startswith('"')
        shown = TOKEN.sub("", response.content.decode())
        rows = re.search(r'<tbody id="invigilation-rows"[^>]*>(.*?)</tbody>', page, re.S)
        assert rows is not None and TOKEN.sub("", rows[1]) == shown
        assert seat_of(demo, "candidat-a1").enrolment.candidate.last_name in shown

    def test_the_rows_token_is_accepted_by_the_forms(self, demo) -> None:
        room = demo_room()
        room.admission_required = True
        room.save(update_fields=["admission_required"])
        seat = seat_of(demo, "candidat-a2")  # waiting to be let in
        client = ready()
        client.handler.enforce_csrf_checks = True  # from now on, as a browser's post
        html = client.get(url(room)).content.decode()
        form = re.search(
            rf'action="([^"]*/places/{seat.pk}/admettre/)"><input type="hidden" '
            r'name="csrfmiddlewaretoken" value="([^"]+)"',
            html,
        )
        assert form is not None
        assert client.post(form[1], {"csrfmiddlewaretoken": form[2], "reason": ""}).status_code == 302
        seat.refresh_from_db()
        assert seat.admitted_at is not None

    def test_an_unchanged_list_is_an_empty_304_and_a_change_new_rows(self, demo) -> None:
        a2 = start(demo, "candidat-a2")
        room, client = demo_room(), ready()
        first = client.get(url(room))
        tag = first["ETag"]
        again = client.get(url(room), headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again["ETag"] == tag
        presence.request_help(a2, demo.user("candidat-a2"))
        changed = client.get(url(room), headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed["ETag"] != tag
        assert "help-" in changed.content.decode()
        assert client.get(url(room), headers={"If-None-Match": changed["ETag"]}).status_code == 304

    def test_a_lost_connection_shows_in_the_next_refresh(self, demo) -> None:
        a1 = start(demo, "candidat-a1")
        room, client = demo_room(), ready()
        tag = client.get(url(room))["ETag"]
        Attempt.objects.filter(pk=a1.pk).update(last_seen_at=timezone.now() - dt.timedelta(seconds=150))
        response = client.get(url(room), headers={"If-None-Match": tag})
        assert response.status_code == 200
        row = re.search(rf'<tr id="seat-{seat_of(demo, "candidat-a1").pk}"[^>]*>.*?</tr>', response.content.decode())
        assert row is not None and 'class="c2i-attention"' in row[0] and "fr-badge--warning" in row[0]

    def test_the_regular_view_answers_the_tag_too(self, demo) -> None:
        """A staff account goes through the regular view: same tag rules."""
        room, client = demo_room(), demo.client("correspondant-a")
        client.get(f"/surveillance/salles/{room.pk}/")
        first = client.get(url(room))
        assert first.status_code == 200
        assert client.get(url(room), headers={"If-None-Match": first["ETag"]}).status_code == 304


class TestLeanPathRefusesAsBefore:
    def test_a_new_password_ends_access_at_the_next_refresh(self, demo) -> None:
        room, client = demo_room(), ready()
        tag = client.get(url(room))["ETag"]
        inv.set_password(room, demo.user("correspondant-a"))
        response = client.get(url(room), headers={"If-None-Match": tag})
        assert response.status_code == 302 and response["Location"] == "/surveillance/"
        assert client.get(f"/surveillance/salles/{room.pk}/").status_code == 302  # the grant is gone

    def test_codes_switched_off_end_access(self, demo) -> None:
        room, client = demo_room(), ready()
        institution = room.exam.institution_session.institution
        institution.invigilation_by_code = False
        institution.save(update_fields=["invigilation_by_code"])
        assert client.get(url(room)).status_code == 302

    def test_a_grant_for_one_room_gives_nothing_on_another(self, demo) -> None:
        other, _password = second_room(demo)
        client = ready()
        assert client.get(url(demo_room())).status_code == 200
        assert client.get(url(other)).status_code == 404
        assert client.get(url(b_room(demo))).status_code == 404
        assert client.get("/surveillance/salles/999999/liste/").status_code == 404

    def test_staff_see_their_institutions_rooms_only(self, demo) -> None:
        room, foreign = demo_room(), b_room(demo)
        b = demo.client("correspondant-b")
        b.get("/surveillance/")
        assert b.get(url(room)).status_code == 404
        assert b.get(url(foreign)).status_code == 200
        assert demo.client("correspondant-a").get(url(room)).status_code == 200

    def test_no_grant_an_ended_session_or_a_forged_one_go_to_the_sign_in_page(self, demo) -> None:
        room = demo_room()
        for client in (Client(), demo.client("candidat-a1")):
            response = client.get(url(room))
            assert response.status_code == 302 and response["Location"] == "/surveillance/"
        client = ready()
        Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
        assert client.get(url(room)).status_code == 302
        forged = ready()
        key = forged.cookies["sessionid"].value
        Session.objects.filter(session_key=key).update(session_data="e30:forged:signature")
        assert forged.get(url(room)).status_code == 302
