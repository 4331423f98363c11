"""The invigilator's side of the exam day (issue 13): signing in to a room,
the live list (its order, its flags, what it shows, its queries), each action
audited with its reason and told to the candidate, admission before the
start, incidents in the jury's minutes."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.assessment import services
from c2i.assessment.models import PAUSED, Attempt, AttemptNotice, Incident, NoticeKind
from c2i.assessment.services import invigilation as inv
from c2i.demo.assessment import ROOM_CODE
from tests.assessment_support import demo_exam, enrolment_of, expire, start
from tests.invigilation_support import (
    INVIGILATOR,
    demo_room,
    invigilator,
    seat_more,
    seat_of,
    signed_in,
)

pytestmark = pytest.mark.django_db


def entries(action: AuditAction) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def notices(attempt: Attempt) -> list[AttemptNotice]:
    return list(AttemptNotice.objects.filter(attempt=attempt))


class TestSignIn:
    def test_it_opens_the_room_with_its_code_and_password_and_records_the_name(self, demo, client) -> None:
        room = demo_room()
        signed_in(client)
        response = client.get(f"/surveillance/salles/{room.pk}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Salle B204" in html and INVIGILATOR in html
        [entry] = entries(AuditAction.INVIGILATION_SIGN_IN)
        assert entry.object_id == str(room.pk) and entry.details["name"] == INVIGILATOR

    def test_a_wrong_password_is_refused_in_french_and_audited(self, demo, client) -> None:
        response = client.post("/surveillance/", {"code": ROOM_CODE, "password": "pas-le-bon", "name": "X"})
        assert response.status_code == 400
        assert "Le code de salle ou le mot de passe n&#x27;est pas le bon" in response.content.decode()
        [entry] = entries(AuditAction.INVIGILATION_SIGN_IN_REFUSED)
        assert entry.object_id == str(demo_room().pk) and entry.details["name"] == "X"
        assert client.get(f"/surveillance/salles/{demo_room().pk}/").status_code == 302

    def test_an_unknown_code_is_refused_and_audited_too(self, demo, client) -> None:
        response = client.post("/surveillance/", {"code": "ZZZZZZZZ", "password": "x" * 10, "name": "X"})
        assert response.status_code == 400
        [entry] = entries(AuditAction.INVIGILATION_SIGN_IN_REFUSED)
        assert entry.details["code"] == "ZZZZZZZZ"

    def test_it_is_throttled_like_logins(self, demo, client, settings) -> None:
        settings.C2I_LOGIN_FAILURES_PER_ACCOUNT = 2
        for _ in range(2):
            client.post("/surveillance/", {"code": ROOM_CODE, "password": "faux-faux", "name": "X"})
        response = client.post(
            "/surveillance/", {"code": ROOM_CODE, "password": "surveillance-b204", "name": "X"}
        )  # even the right password, once the code's tries are used up
        assert response.status_code == 400
        assert "Trop de codes ou de mots de passe erronés" in response.content.decode()
        assert not entries(AuditAction.INVIGILATION_SIGN_IN)

    def test_the_institution_may_switch_codes_off_which_ends_the_sessions(self, demo, client) -> None:
        room = demo_room()
        signed_in(client)
        institution = room.exam.institution_session.institution
        institution.invigilation_by_code = False
        institution.save(update_fields=["invigilation_by_code"])
        assert client.get(f"/surveillance/salles/{room.pk}/").status_code == 302
        response = client.post(
            "/surveillance/", {"code": ROOM_CODE, "password": "surveillance-b204", "name": INVIGILATOR}
        )
        assert response.status_code == 400
        assert "n&#x27;ouvre pas ses salles par code" in response.content.decode()
        assert entries(AuditAction.INVIGILATION_SIGN_IN_REFUSED)[-1].details["reason"] == "invigilation_by_code_off"
        # its staff still open the room
        assert demo.client("correspondant-a").get(f"/surveillance/salles/{room.pk}/").status_code == 200

    def test_a_new_password_ends_the_invigilators_session(self, demo, client) -> None:
        room = demo_room()
        signed_in(client)
        password = inv.set_password(room, demo.user("correspondant-a"))
        response = client.get(f"/surveillance/salles/{room.pk}/liste/")
        assert response.status_code == 302 and response["Location"] == "/surveillance/"
        signed_in(client, password=password)
        assert client.get(f"/surveillance/salles/{room.pk}/liste/").status_code == 200

    def test_the_correspondent_sees_a_new_password_once(self, demo) -> None:
        room = demo_room()
        client = demo.client("correspondant-a")
        url = f"/correspondant/epreuves/{room.exam_id}/salles/"
        response = client.post(url, {"action": "password", "room": room.pk}, follow=True)
        html = response.content.decode()
        assert response.status_code == 200 and 'id="shown-password"' in html
        shown = html.split('id="shown-password">')[1].split("<")[0]
        assert 'id="shown-password"' not in client.get(url).content.decode()
        signed_in(password=shown)
        assert entries(AuditAction.ASSESSMENT_ROOM_PASSWORD)[-1].object_id == str(room.pk)


class TestAdmission:
    def test_a_candidate_not_let_in_cannot_start_and_starts_once_let_in(self, demo) -> None:
        room = demo_room()
        room.admission_required = True
        room.save(update_fields=["admission_required"])
        with pytest.raises(services.AssessmentError) as refused:
            start(demo, "candidat-a1")
        assert refused.value.code == "not_admitted"
        assert "Attendez que le surveillant de votre salle (Salle B204)" in refused.value.message
        seat = seat_of(demo, "candidat-a1")
        inv.admit(invigilator(room), seat, "")
        [entry] = entries(AuditAction.INVIGILATION_ADMIT)
        assert entry.details == {
            "enrolment": seat.enrolment_id,
            "room": room.pk,
            "invigilator": INVIGILATOR,
            "reason": "",
        }
        attempt = start(demo, "candidat-a1")
        assert attempt.room == room

    def test_the_admission_shows_in_the_list_and_the_page_lets_in(self, demo) -> None:
        room = demo_room()
        room.admission_required = True
        room.save(update_fields=["admission_required"])
        client = signed_in()
        seat = seat_of(demo, "candidat-a2")
        html = client.get(f"/surveillance/salles/{room.pk}/liste/").content.decode()
        assert "à faire entrer" in html and f'id="admit-{seat.pk}"' in html
        response = client.post(f"/surveillance/salles/{room.pk}/places/{seat.pk}/admettre/")
        assert response.status_code == 302
        seat.refresh_from_db()
        assert seat.admitted_at is not None and seat.admitted_by == INVIGILATOR

    def test_admitting_a_candidate_already_sitting_tells_their_page(self, demo) -> None:
        attempt = start(demo, "candidat-a1")
        inv.admit(invigilator(), seat_of(demo, "candidat-a1"), "arrivé en retard")
        assert entries(AuditAction.INVIGILATION_ADMIT)[-1].details["reason"] == "arrivé en retard"
        assert [n.kind for n in notices(attempt)] == [NoticeKind.ADMITTED]


class TestActions:
    def test_resume_gives_the_minutes_back_and_reopens_the_answers(self, demo) -> None:
        attempt = start(demo, "candidat-a1")
        now = timezone.now()
        Attempt.objects.filter(pk=attempt.pk).update(paused_at=now - dt.timedelta(minutes=3))
        attempt.items.update(open_until=PAUSED)
        before = attempt.deadline
        inv.resume(invigilator(), seat_of(demo, "candidat-a1"), 4, "coupure wifi")
        attempt.refresh_from_db()
        assert attempt.paused_at is None and attempt.deadline == before + dt.timedelta(minutes=4)
        assert set(attempt.items.values_list("open_until", flat=True)) == {attempt.deadline}
        [entry] = entries(AuditAction.INVIGILATION_RESUME)
        assert entry.details["reason"] == "coupure wifi" and entry.details["invigilator"] == INVIGILATOR
        assert entry.details["minutes"] == 4 and entry.details["reopened"] is False
        [notice] = notices(attempt)
        assert notice.kind == NoticeKind.RESUMED and "4 minutes rendues" in notice.message

    def test_resume_after_the_time_ran_out_during_the_cut_reopens_the_sitting(self, demo) -> None:
        attempt = start(demo, "candidat-a1")
        expire(attempt)
        services.finalise_attempt(attempt)
        inv.resume(invigilator(), seat_of(demo, "candidat-a1"), 10, "panne de courant")
        attempt.refresh_from_db()
        assert attempt.closed_at is None and not attempt.is_over()
        assert abs((attempt.deadline - timezone.now()) - dt.timedelta(minutes=10)) < dt.timedelta(seconds=30)
        assert entries(AuditAction.INVIGILATION_RESUME)[-1].details["reopened"] is True

    def test_resume_asks_for_its_reason_and_prefills_the_lost_minutes(self, demo) -> None:
        attempt = start(demo, "candidat-a1")
        Attempt.objects.filter(pk=attempt.pk).update(last_seen_at=timezone.now() - dt.timedelta(seconds=150))
        room, seat = demo_room(), seat_of(demo, "candidat-a1")
        client = signed_in()
        url = f"/surveillance/salles/{room.pk}/places/{seat.pk}/reprendre/"
        page = client.get(url).content.decode()
        assert 'name="minutes"' in page and 'value="3"' in page  # 2 min 30 s lost: 3 minutes
        response = client.post(url, {"minutes": "3", "reason": ""})
        assert response.status_code == 400
        assert not entries(AuditAction.INVIGILATION_RESUME)

    def test_end_early_scores_the_sitting_with_its_reason(self, demo) -> None:
        attempt = start(demo, "candidat-a1")
        room, seat = demo_room(), seat_of(demo, "candidat-a1")
        client = signed_in()
        response = client.post(
            f"/surveillance/salles/{room.pk}/places/{seat.pk}/terminer/", {"reason": "malaise du candidat"}
        )
        assert response.status_code == 302
        attempt.refresh_from_db()
        assert attempt.submitted_at is not None and attempt.closed_at is not None
        assert attempt.ended_early_reason == "malaise du candidat"
        [entry] = entries(AuditAction.INVIGILATION_END)
        assert entry.details == {"invigilator": INVIGILATOR, "reason": "malaise du candidat"}
        [notice] = notices(attempt)
        assert notice.kind == NoticeKind.ENDED
        assert notice.message == "Le surveillant a mis fin à votre épreuve : malaise du candidat"
        html = demo.client("correspondant-a").get(f"/correspondant/epreuves/{room.exam_id}/").content.decode()
        assert "arrêtée" in html and "malaise du candidat" in html  # on the results, for the correspondent

    def test_end_early_needs_a_reason(self, demo) -> None:
        start(demo, "candidat-a1")
        with pytest.raises(services.AssessmentError) as refused:
            inv.end_early(invigilator(), seat_of(demo, "candidat-a1"), "  ")
        assert refused.value.code == "reason_required"

    def test_answering_a_call_for_help_clears_it_and_tells_the_candidate(self, demo) -> None:
        attempt = start(demo, "candidat-a2")
        Attempt.objects.filter(pk=attempt.pk).update(help_requested_at=timezone.now())
        inv.answer_help(invigilator(), seat_of(demo, "candidat-a2"), "")
        attempt.refresh_from_db()
        assert attempt.help_requested_at is None
        [entry] = entries(AuditAction.INVIGILATION_HELP_ANSWERED)
        assert entry.details["invigilator"] == INVIGILATOR and entry.details["asked_at"]
        [notice] = notices(attempt)
        assert notice.kind == NoticeKind.HELP and notice.message == "Le surveillant arrive."

    def test_an_incident_is_attached_to_the_candidates_sitting(self, demo) -> None:
        attempt = start(demo, "candidat-a1")
        room, seat = demo_room(), seat_of(demo, "candidat-a1")
        client = signed_in()
        response = client.post(
            f"/surveillance/salles/{room.pk}/incidents/",
            {"kind": "cheating", "time": "10:05", "seat": seat.pk, "text": "Téléphone sur la table."},
        )
        assert response.status_code == 302
        [incident] = Incident.objects.all()
        assert incident.attempt == attempt and incident.room == room and incident.reported_by == INVIGILATOR
        assert timezone.localtime(incident.occurred_at).strftime("%H:%M") == "10:05"
        [entry] = entries(AuditAction.INVIGILATION_INCIDENT)
        assert entry.details["reason"] == "Téléphone sur la table." and entry.details["attempt"] == attempt.pk
        # the correspondent reads it on the exam's page
        html = demo.client("correspondant-a").get(f"/correspondant/epreuves/{room.exam_id}/").content.decode()
        assert "Incidents de l'épreuve" in html and "Téléphone sur la table." in html

    def test_an_incident_needs_its_text(self, demo) -> None:
        room = demo_room()
        response = signed_in().post(f"/surveillance/salles/{room.pk}/incidents/", {"kind": "other", "time": "10:00"})
        assert response.status_code == 400
        assert not Incident.objects.exists()


class TestLiveList:
    def test_those_who_need_the_invigilator_come_first_with_their_flags(self, demo) -> None:
        room = demo_room()
        others = seat_more(demo, room, 3, started=3, prefix="ordre")
        now = timezone.now()
        a1, a2 = start(demo, "candidat-a1"), start(demo, "candidat-a2")
        lost, near, calm = (Attempt.objects.get(enrolment=s.enrolment) for s in others)
        Attempt.objects.filter(pk__in=[a1.pk, a2.pk, near.pk, calm.pk]).update(last_seen_at=now)
        Attempt.objects.filter(pk=a2.pk).update(help_requested_at=now)
        Attempt.objects.filter(pk=lost.pk).update(last_seen_at=now - dt.timedelta(minutes=2))
        Attempt.objects.filter(pk=near.pk).update(deadline=now + dt.timedelta(minutes=3))
        rows = inv.room_rows(room, now)
        order = [r.attempt_id for r in rows]
        assert order[:3] == [a2.pk, lost.pk, near.pk]
        by_id = {r.attempt_id: r for r in rows}
        assert by_id[a2.pk].help and not by_id[a2.pk].lost
        assert by_id[lost.pk].lost and by_id[lost.pk].lost_minutes == 2
        assert by_id[near.pk].near_end and not by_id[calm.pk].needs_attention
        html = unescape(signed_in().get(f"/surveillance/salles/{room.pk}/liste/").content.decode())
        assert html.index("demande de l'aide") < html.index("connexion perdue") < html.index("fin proche")
        assert html.count('class="c2i-attention"') == 3

    def test_the_end_time_includes_the_extra_time(self, demo) -> None:
        room = demo_room()
        enrolment = enrolment_of(demo, "candidat-a1")
        enrolment.extra_time_percent = 33
        enrolment.save(update_fields=["extra_time_percent"])
        exam = demo_exam(demo)
        now = timezone.now()
        [row] = [r for r in inv.room_rows(room, now) if r.last_name == enrolment.candidate.last_name]
        extra = math.ceil(exam.duration_minutes * 33 / 100)
        assert row.extra_minutes == extra == 20 and row.extra_percent == 33
        assert row.end == services.deadline_for(exam, now, extra)
        html = signed_in().get(f"/surveillance/salles/{room.pk}/liste/").content.decode()
        assert "+33 %" in html

    def test_the_room_page_refreshes_by_a_script_file_or_a_link(self, demo) -> None:
        room = demo_room()
        html = signed_in().get(f"/surveillance/salles/{room.pk}/").content.decode()
        assert '<script src="/static/c2i/invigilation.js" defer></script>' in html
        assert all(' src="' in tag for tag in re.findall(r"<script[^>]*>", html))  # no inline script (CSP)
        assert f'data-url="/surveillance/salles/{room.pk}/liste/"' in html
        assert f'id="refresh" href="/surveillance/salles/{room.pk}/">Rafraîchir</a>' in html  # without JavaScript

    def test_the_list_shows_names_only(self, demo) -> None:
        room = demo_room()
        start(demo, "candidat-a1")
        html = signed_in().get(f"/surveillance/salles/{room.pk}/liste/").content.decode()
        for username in ("candidat-a1", "candidat-a2"):
            c = enrolment_of(demo, username).candidate
            assert c.last_name in html
            assert c.email not in html and "@" not in html
            if c.ine:
                assert c.ine not in html
            assert c.birth_date.strftime("%d/%m/%Y") not in html and c.birth_date.isoformat() not in html
            assert (c.birth_place or "§§") not in html

    def test_its_queries_do_not_grow_with_the_seats(self, demo, django_assert_max_num_queries) -> None:
        room = demo_room()
        start(demo, "candidat-a1")

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                inv.room_rows(demo_room(), timezone.now())
            return len(queries)

        few = count()
        seat_more(demo, room, 38, started=10, prefix="requetes")  # 40 seats
        assert count() == few <= 6
        client = signed_in()
        with django_assert_max_num_queries(10):  # session, grant, room, the list's queries
            response = client.get(f"/surveillance/salles/{room.pk}/liste/")
        assert response.content.decode().count("<tr") == 40


class TestMinutes:
    def test_the_minutes_list_the_exams_incidents(self, demo) -> None:
        from c2i.deliberation import services as jury
        from c2i.deliberation.minutes import render_minutes

        start(demo, "candidat-a1")
        occurred = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(9, 42)))
        inv.report_incident(
            invigilator(), "technical", occurred, "Poste figé, candidat déplacé.", seat_of(demo, "candidat-a1")
        )
        institution_session = demo.institution_session("a")
        pdf = render_minutes(institution_session, jury.get_deliberation(institution_session))
        text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
        name = enrolment_of(demo, "candidat-a1").candidate.full_name
        assert "Incidents de l'épreuve" in text
        for expected in (
            "09:42",
            "Salle B204",
            name,
            "problème technique",
            "Poste figé, candidat déplacé.",
            INVIGILATOR,
        ):
            assert expected in text, expected


class TestMinutesGivenBack:
    def test_a_paused_sitting_proposes_the_gap_and_the_wait_since(self, demo) -> None:
        from c2i.accounts.models import audit

        attempt = start(demo, "candidat-a1")
        now = timezone.now()
        Attempt.objects.filter(pk=attempt.pk).update(paused_at=now - dt.timedelta(seconds=30))
        audit(None, AuditAction.ASSESSMENT_ATTEMPT_PAUSE, attempt, gap_seconds=200)
        assert inv.minutes_lost(seat_of(demo, "candidat-a1"), now) == 4  # 200 s + 30 s, rounded up

    def test_a_sitting_out_of_time_during_the_cut_proposes_what_it_could_not_use(self, demo) -> None:
        attempt = start(demo, "candidat-a1")
        now = timezone.now()
        Attempt.objects.filter(pk=attempt.pk).update(
            last_seen_at=now - dt.timedelta(minutes=10), deadline=now - dt.timedelta(minutes=4)
        )
        assert inv.minutes_lost(seat_of(demo, "candidat-a1"), now) == 6

    def test_a_sitting_seen_a_moment_ago_proposes_nothing(self, demo) -> None:
        attempt = start(demo, "candidat-a1")
        Attempt.objects.filter(pk=attempt.pk).update(last_seen_at=timezone.now())
        assert inv.minutes_lost(seat_of(demo, "candidat-a1")) == 0


class TestWithTheCandidatesPage:
    """The candidate's side (services.presence) feeds the list."""

    def test_a_call_for_help_and_a_pause_after_a_cut_reach_the_list(self, demo) -> None:
        from c2i.assessment.services import presence

        a1, a2 = start(demo, "candidat-a1"), start(demo, "candidat-a2")
        presence.request_help(a2, demo.user("candidat-a2"))
        now = timezone.now()
        Attempt.objects.filter(pk=a1.pk).update(last_seen_at=now - dt.timedelta(seconds=150))
        a1.refresh_from_db()
        assert presence.touch(a1, now)  # the page comes back after 2 min 30 s: paused
        rows = {r.attempt_id: r for r in inv.room_rows(demo_room(), now)}
        assert rows[a2.pk].help and rows[a1.pk].paused and rows[a1.pk].state == inv.State.PAUSED
        assert inv.minutes_lost(seat_of(demo, "candidat-a1"), now) == 3
        inv.resume(invigilator(), seat_of(demo, "candidat-a1"), 3, "coupure réseau")
        a1.refresh_from_db()
        assert a1.paused_at is None
        assert not presence.touch(a1, timezone.now() + dt.timedelta(seconds=6))  # not paused again
