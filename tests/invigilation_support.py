"""Helpers of the invigilation tests: the demo's Salle B204, an invigilator,
a signed-in client, extra seated candidates."""

from __future__ import annotations

from typing import Any

from django.test import Client

from c2i.assessment.models import Attempt, ExamRoom, Seat
from c2i.assessment.services import invigilation as inv
from c2i.demo.assessment import ROOM_CODE, ROOM_PASSWORD
from tests.assessment_support import demo_exam, enrolment_of, new_candidates, start

INVIGILATOR = "Mme Surveillante"


def demo_room() -> ExamRoom:
    return ExamRoom.objects.select_related("exam__institution_session__institution").get(code=ROOM_CODE)


def invigilator(room: ExamRoom | None = None) -> inv.Invigilator:
    return inv.Invigilator(room or demo_room(), INVIGILATOR)


def seat_of(demo: Any, username: str) -> Seat:
    return Seat.objects.select_related("enrolment__candidate").get(
        exam=demo_exam(demo), enrolment=enrolment_of(demo, username)
    )


def signed_in(client: Client | None = None, code: str = ROOM_CODE, password: str = ROOM_PASSWORD) -> Client:
    client = client or Client()
    response = client.post("/surveillance/", {"code": code, "password": password, "name": INVIGILATOR})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def seat_more(demo: Any, room: ExamRoom, count: int, started: int = 0, prefix: str = "salle") -> list[Seat]:
    """`count` more candidates seated in `room`, the first `started` of them sitting."""
    exam = room.exam
    seats = []
    for n, user in enumerate(new_candidates(exam.institution_session, count, prefix=prefix)):
        enrolment = user.candidate.enrolments.get(institution_session=exam.institution_session)
        seats.append(Seat.objects.create(exam=exam, room=room, enrolment=enrolment))
        if n < started:
            from c2i.assessment import services

            services.start_attempt(exam, enrolment, user)
    return seats


def sitting(demo: Any, username: str) -> Attempt:
    return start(demo, username)
