"""The rooms of an exam on the correspondent's side (issue 13): codes,
passwords shown once and stored hashed, changes before the first sitting
only, and the placement of the candidates (capacity, separate rooms)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.assessment import services
from c2i.assessment.models import ExamRoom, Seat
from c2i.assessment.services import invigilation as inv
from tests.assessment_support import demo_exam, enrolment_of, new_candidates, start
from tests.invigilation_support import demo_room

pytestmark = pytest.mark.django_db


def unseat_everyone(exam) -> None:
    Seat.objects.filter(exam=exam).delete()


class TestRooms:
    def test_a_room_gets_a_code_without_look_alikes_and_a_hashed_password(self, demo) -> None:
        room = inv.create_room(demo_exam(demo), demo.user("correspondant-a"), "  Amphi   Darwin ")
        assert room.name == "Amphi Darwin"
        assert len(room.code) == 8 and set(room.code) <= set(inv.CODE_ALPHABET)
        assert not set(room.code) & set("0O1IL")
        password = inv.set_password(room, demo.user("correspondant-a"))
        room.refresh_from_db()
        assert password not in room.password_hash and check_password(password, room.password_hash)
        assert AuditEntry.objects.filter(action=AuditAction.ASSESSMENT_ROOM_CREATE, object_id=str(room.pk)).exists()

    def test_two_rooms_of_a_test_have_different_names(self, demo) -> None:
        with pytest.raises(services.AssessmentError) as refused:
            inv.create_room(demo_exam(demo), None, "Salle B204")
        assert refused.value.message == "Cette épreuve a déjà une salle nommée « Salle B204 »."

    def test_a_room_changes_only_before_its_first_sitting(self, demo) -> None:
        room = demo_room()
        inv.update_room(room, None, "Salle B204", capacity=30, separate=False, admission_required=True)
        room.refresh_from_db()
        assert room.capacity == 30 and room.admission_required
        Seat.objects.filter(room=room).update(admitted_at="2026-01-01T08:00:00Z")
        start(demo, "candidat-a1")
        for change in (
            lambda: inv.update_room(room, None, "Salle B204", capacity=None, separate=False, admission_required=False),
            lambda: inv.delete_room(room, None),
        ):
            with pytest.raises(services.AssessmentError) as refused:
                change()
            assert refused.value.code == "room_in_use"

    def test_the_rooms_page_creates_a_room_and_shows_its_password_once(self, demo) -> None:
        exam = demo_exam(demo)
        client = demo.client("correspondant-a")
        url = f"/correspondant/epreuves/{exam.pk}/salles/"
        response = client.post(
            url, {"action": "create", "name": "Salle C1", "capacity": "20", "admission_required": "on"}, follow=True
        )
        html = response.content.decode()
        assert response.status_code == 200 and "Fiche surveillant — Salle C1" in html
        room = ExamRoom.objects.get(exam=exam, name="Salle C1")
        password = html.split('id="shown-password">')[1].split("<")[0]
        assert check_password(password, room.password_hash) and room.capacity == 20 and room.admission_required
        assert password not in client.get(url).content.decode()

    def test_the_exam_page_links_to_its_rooms(self, demo) -> None:
        exam = demo_exam(demo)
        html = demo.client("correspondant-a").get(f"/correspondant/epreuves/{exam.pk}/").content.decode()
        assert f'href="/correspondant/epreuves/{exam.pk}/salles/"' in html and "Salles et surveillance" in html


class TestPlacement:
    def test_it_fills_the_rooms_up_to_their_capacity_separate_rooms_for_those_who_need_one(self, demo) -> None:
        exam = demo_exam(demo)
        unseat_everyone(exam)
        ordinary = demo_room()
        inv.update_room(ordinary, None, ordinary.name, capacity=2, separate=False, admission_required=False)
        apart = inv.create_room(exam, None, "Salle à part", capacity=1, separate=True)
        users = new_candidates(exam.institution_session, 3, prefix="place")
        needing = users[0].candidate.enrolments.get()
        needing.separate_room = True
        needing.save(update_fields=["separate_room"])
        active = exam.institution_session.enrolments.filter(status="active").count()
        placement = inv.place_unseated(exam, None)
        assert placement.placed == 3 and placement.left == active - 3
        assert Seat.objects.get(enrolment=needing).room == apart
        assert Seat.objects.filter(room=ordinary).count() == 2
        assert not Seat.objects.filter(room=apart).exclude(enrolment=needing).exists()
        assert AuditEntry.objects.filter(action=AuditAction.ASSESSMENT_SEATS).exists()

    def test_one_candidate_at_a_time_with_its_refusals(self, demo) -> None:
        exam = demo_exam(demo)
        room = demo_room()
        enrolment = enrolment_of(demo, "candidat-a1")
        enrolment.separate_room = True
        enrolment.save(update_fields=["separate_room"])
        with pytest.raises(services.AssessmentError) as refused:
            inv.seat_candidate(room, enrolment, None)
        assert refused.value.code == "seat_separate"
        apart = inv.create_room(exam, None, "Salle à part", capacity=1, separate=True)
        assert inv.seat_candidate(apart, enrolment, None).room == apart  # moved from B204
        with pytest.raises(services.AssessmentError) as full:
            inv.seat_candidate(apart, enrolment_of(demo, "candidat-a2"), None)
        assert full.value.code == "room_full"
