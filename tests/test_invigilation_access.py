"""Who reaches a room's invigilation pages (issue 13): a grant for one room
opens that room only; staff reach their own institution's rooms only; no
grant at all sends to the sign-in page. The access matrix
(tests/access_rules.py) walks every role; these are the grants themselves."""

from __future__ import annotations

import pytest

from c2i.assessment.models import ExamRoom, Seat
from c2i.assessment.services import invigilation as inv
from tests.access_world import A1, B1
from tests.assessment_support import demo_exam
from tests.invigilation_support import demo_room, seat_of, signed_in

pytestmark = pytest.mark.django_db


def second_room(demo) -> tuple[ExamRoom, str]:
    """Salle B205 of the same exam, with candidat-a2 moved into it, and its password."""
    room = inv.create_room(demo_exam(demo), demo.user("correspondant-a"), "Salle B205", admission_required=False)
    Seat.objects.filter(pk=seat_of(demo, "candidat-a2").pk).update(room=room)
    return room, inv.set_password(room, demo.user("correspondant-a"))


def b_room(demo) -> ExamRoom:
    """A room of an exam of institution B."""
    from c2i.assessment import services
    from c2i.assessment.models import Exam

    a_exam = demo_exam(demo)
    b_exam = Exam.objects.filter(institution_session=demo.institution_session("b")).first() or services.create_exam(
        demo.user("correspondant-b"),
        demo.institution_session("b"),
        list(a_exam.domains.all()),
        title="Épreuve de B",
        per_domain=a_exam.per_domain,
        duration_minutes=60,
        opens_at=a_exam.opens_at,
        closes_at=a_exam.closes_at,
        access_code="",
        allowed_networks="",
    )
    return inv.create_room(b_exam, demo.user("correspondant-b"), "Amphi B")


class TestInvigilationAccess:
    def test_it_sends_someone_without_a_grant_to_the_sign_in_page(self, demo, client) -> None:
        room = demo_room()
        for c in (client, demo.client(A1), demo.client("tuteur-a")):
            response = c.get(f"/surveillance/salles/{room.pk}/")
            assert response.status_code == 302
            assert response["Location"] == "/surveillance/"

    def test_a_grant_for_one_room_gives_nothing_on_another(self, demo) -> None:
        room, other = demo_room(), second_room(demo)[0]
        client = signed_in()
        assert client.get(f"/surveillance/salles/{room.pk}/").status_code == 200
        for suffix in ("", "liste/", "incidents/"):
            assert client.get(f"/surveillance/salles/{other.pk}/{suffix}").status_code == 404
        moved = seat_of(demo, "candidat-a2")  # now in the other room
        for verb in ("admettre", "reprendre", "terminer", "aide"):
            # through the other room's address, or through one's own room with the other room's seat
            assert client.post(f"/surveillance/salles/{other.pk}/places/{moved.pk}/{verb}/").status_code == 404
            assert client.post(f"/surveillance/salles/{room.pk}/places/{moved.pk}/{verb}/").status_code == 404
        response = client.post(
            f"/surveillance/salles/{room.pk}/incidents/",
            {"kind": "other", "time": "10:00", "seat": moved.pk, "text": "x"},
        )
        assert response.status_code == 400  # not a candidate of this room

    def test_the_invigilator_sees_only_their_rooms_candidates(self, demo) -> None:
        room, _password = second_room(demo)
        html = signed_in().get(f"/surveillance/salles/{demo_room().pk}/liste/").content.decode()
        a1 = seat_of(demo, "candidat-a1").enrolment.candidate
        a2 = seat_of(demo, "candidat-a2").enrolment.candidate
        assert a1.last_name in html and a2.last_name not in html
        assert room.name not in html

    def test_signing_in_to_another_room_replaces_the_grant(self, demo) -> None:
        room, (other, password) = demo_room(), second_room(demo)
        client = signed_in()
        signed_in(client, code=other.code, password=password)
        assert client.get(f"/surveillance/salles/{other.pk}/").status_code == 200
        assert client.get(f"/surveillance/salles/{room.pk}/").status_code == 404

    def test_staff_reach_their_own_institutions_rooms_only(self, demo) -> None:
        room, foreign = demo_room(), b_room(demo)
        assert demo.client("correspondant-a").get(f"/surveillance/salles/{room.pk}/").status_code == 200
        assert demo.client("admin").get(f"/surveillance/salles/{room.pk}/").status_code == 200
        assert demo.client("correspondant-b").get(f"/surveillance/salles/{room.pk}/").status_code == 404
        assert demo.client("correspondant-a").get(f"/surveillance/salles/{foreign.pk}/").status_code == 404
        assert demo.client("correspondant-b").get(f"/surveillance/salles/{foreign.pk}/liste/").status_code == 200
        assert demo.client(B1).get(f"/surveillance/salles/{foreign.pk}/").status_code == 302

    def test_a_staff_action_is_audited_under_the_account(self, demo) -> None:
        from c2i.accounts.models import AuditAction, AuditEntry
        from tests.assessment_support import start

        start(demo, "candidat-a1")
        room, seat = demo_room(), seat_of(demo, "candidat-a1")
        response = demo.client("correspondant-a").post(
            f"/surveillance/salles/{room.pk}/places/{seat.pk}/aide/", {"reason": ""}
        )
        assert response.status_code == 302
        entry = AuditEntry.objects.get(action=AuditAction.INVIGILATION_HELP_ANSWERED)
        assert entry.actor == demo.user("correspondant-a")
        assert entry.details["invigilator"] == demo.user("correspondant-a").get_full_name()

    def test_the_rooms_page_is_the_correspondents_of_the_institution(self, demo) -> None:
        exam = demo_exam(demo)
        url = f"/correspondant/epreuves/{exam.pk}/salles/"
        assert demo.client("correspondant-a").get(url).status_code == 200
        assert demo.client("correspondant-b").get(url).status_code == 404
        assert demo.client(A1).get(url).status_code == 403

    def test_the_sign_in_page_lists_a_staff_accounts_rooms_only(self, demo) -> None:
        room, foreign = demo_room(), b_room(demo)
        mine = demo.client("correspondant-a").get("/surveillance/").content.decode()
        assert f'href="/surveillance/salles/{room.pk}/"' in mine
        assert f'href="/surveillance/salles/{foreign.pk}/"' not in mine
        assert "/surveillance/salles/" not in demo.client(A1).get("/surveillance/").content.decode()
