"""Extra time of the enrolment's adjustments at the deadline (R19, issue 13):
the percentage of the test's duration (33 % of 60 minutes = 20 minutes),
enforced by the answer path; one test's exceptional minutes replace it; a
change during the sitting moves its end."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.assessment import services
from c2i.assessment.models import PAUSED, Attempt
from c2i.enrolment.adjustments import set_adjustments
from c2i.enrolment.models import Enrolment
from tests.assessment_support import api_answer, demo_exam, enrolment_of, items, page_answer, start

pytestmark = pytest.mark.django_db


def travel(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def adjust(demo, username: str, percent: int, **flags) -> Enrolment:
    return set_adjustments(
        enrolment_of(demo, username),
        extra_time_percent=percent,
        larger_text=flags.get("larger_text", False),
        separate_room=flags.get("separate_room", False),
        note=flags.get("note", ""),
        actor=demo.user("correspondant-a"),
    )


class TestTheEnrolmentsPercentage:
    def test_tiers_temps_gives_a_third_of_the_duration_rounded_up(self, demo) -> None:
        exam = demo_exam(demo)
        assert exam.duration_minutes == 60
        enrolment = adjust(demo, "candidat-a1", 33)
        assert services.extra_minutes(exam, enrolment) == 20 == math.ceil(60 * 33 / 100)
        assert services.extra_minutes(exam, adjust(demo, "candidat-a1", 25)) == 15
        assert services.extra_minutes(exam, adjust(demo, "candidat-a1", 0)) == 0

    def test_the_sitting_ends_after_the_duration_plus_a_third(self, demo) -> None:
        adjust(demo, "candidat-a1", 33)
        attempt = start(demo)
        assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=80)
        assert set(attempt.items.values_list("open_until", flat=True)) == {attempt.deadline}

    def test_an_answer_one_second_before_the_extended_end_is_kept_one_second_after_refused(
        self, demo, monkeypatch
    ) -> None:
        adjust(demo, "candidat-a1", 33)
        attempt = start(demo)
        client = demo.client("candidat-a1")
        extended_end = attempt.started_at + dt.timedelta(minutes=60 + 20)
        travel(monkeypatch, attempt.started_at + dt.timedelta(minutes=60, seconds=1))  # past the plain hour
        assert api_answer(client, attempt, 1, [0], seq=1).status_code == 200
        travel(monkeypatch, extended_end - dt.timedelta(seconds=1))
        assert services.save_answer(attempt.pk, attempt.user_id, 2, [1], seq=2).status == services.SAVED
        assert page_answer(client, attempt, 3, [2], seq=3).status_code == 200
        travel(monkeypatch, extended_end + dt.timedelta(seconds=1))
        assert services.save_answer(attempt.pk, attempt.user_id, 2, [0], seq=4).status == services.OVER
        response = api_answer(client, attempt, 1, [1], seq=5)
        assert response.status_code == 409 and response.json()["status"] == "over"
        assert page_answer(client, attempt, 4, [0], seq=6).status_code == 409
        kept = items(attempt)
        assert [kept[0].ticked, kept[1].ticked, kept[2].ticked, kept[3].ticked] == [[0], [1], [2], None]

    def test_a_late_start_keeps_the_extra_time_beyond_the_window(self, demo, monkeypatch) -> None:
        exam = demo_exam(demo)
        adjust(demo, "candidat-a1", 33)
        travel(monkeypatch, exam.closes_at - dt.timedelta(minutes=10))
        attempt = start(demo)
        assert attempt.deadline == exam.closes_at + dt.timedelta(minutes=20)

    def test_the_theoretical_end_before_and_after_the_start(self, demo, monkeypatch) -> None:
        exam = demo_exam(demo)
        enrolment = adjust(demo, "candidat-a1", 33)
        now = timezone.now()
        assert services.theoretical_end(exam, enrolment, None, now) == now + dt.timedelta(minutes=80)
        early = exam.opens_at - dt.timedelta(hours=1)
        assert services.theoretical_end(exam, enrolment, None, early) == exam.opens_at + dt.timedelta(minutes=80)
        attempt = start(demo)
        assert services.theoretical_end(exam, enrolment, attempt, now) == attempt.deadline

    def test_many_candidates_extra_minutes_in_one_query(self, demo, django_assert_num_queries) -> None:
        exam = demo_exam(demo)
        a1 = adjust(demo, "candidat-a1", 33)
        a2 = enrolment_of(demo, "candidat-a2")
        services.set_extra_time(exam, a2, 7, "", None)
        with django_assert_num_queries(1):
            assert services.extra_minutes_by_enrolment(exam, [a1, a2]) == {a1.pk: 20, a2.pk: 7}


class TestTheExamsExceptionalMinutes:
    def test_they_replace_the_percentage_in_that_test(self, demo) -> None:
        exam = demo_exam(demo)
        enrolment = adjust(demo, "candidat-a1", 33)
        services.set_extra_time(exam, enrolment, 5, "panne de l'ordinateur adapté", demo.user("correspondant-a"))
        assert services.extra_minutes(exam, enrolment) == 5
        attempt = start(demo)
        assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=65)

    def test_removing_them_during_the_sitting_gives_the_percentage_back(self, demo) -> None:
        exam = demo_exam(demo)
        enrolment = adjust(demo, "candidat-a1", 33)
        attempt = start(demo)
        services.set_extra_time(exam, enrolment, 5, "", None)
        assert Attempt.objects.get(pk=attempt.pk).deadline == attempt.started_at + dt.timedelta(minutes=65)
        services.set_extra_time(exam, enrolment, 0, "", None)
        back = Attempt.objects.get(pk=attempt.pk)
        assert back.deadline == attempt.started_at + dt.timedelta(minutes=80)
        assert set(back.items.values_list("open_until", flat=True)) == {back.deadline}

    def test_removing_them_gives_the_percentage_back(self, demo) -> None:
        exam = demo_exam(demo)
        enrolment = adjust(demo, "candidat-a1", 33)
        services.set_extra_time(exam, enrolment, 5, "", None)
        services.set_extra_time(exam, enrolment, 0, "", None)
        assert services.extra_minutes(exam, enrolment) == 20


class TestChangingTheAdjustmentsDuringTheSitting:
    def test_a_running_sitting_gets_its_new_end(self, demo) -> None:
        adjust(demo, "candidat-a2", 0)
        attempt = start(demo, "candidat-a2")
        adjust(demo, "candidat-a2", 33)
        moved = Attempt.objects.get(pk=attempt.pk)
        assert moved.deadline == attempt.deadline + dt.timedelta(minutes=20)
        assert set(moved.items.values_list("open_until", flat=True)) == {moved.deadline}
        entry = AuditEntry.objects.filter(action=AuditAction.ENROLMENT_ADJUSTMENTS).latest("at")
        assert entry.details["after"]["extra_time_percent"] == 33
        assert entry.details["moved"] == [
            {"attempt": attempt.pk, "exam": attempt.exam_id, "deadline": moved.deadline.isoformat()}
        ]

    def test_lowering_it_shortens_the_sitting_and_keeps_time_given_back(self, demo) -> None:
        adjust(demo, "candidat-a1", 50)
        attempt = start(demo)
        given_back = attempt.deadline + dt.timedelta(minutes=4)  # an invigilator's resume
        Attempt.objects.filter(pk=attempt.pk).update(deadline=given_back)
        adjust(demo, "candidat-a1", 33)
        assert Attempt.objects.get(pk=attempt.pk).deadline == given_back - dt.timedelta(minutes=10)

    def test_a_paused_sitting_stays_paused(self, demo) -> None:
        attempt = start(demo, "candidat-a2")
        Attempt.objects.filter(pk=attempt.pk).update(paused_at=timezone.now())
        attempt.items.update(open_until=PAUSED)
        adjust(demo, "candidat-a2", 33)
        assert Attempt.objects.get(pk=attempt.pk).deadline == attempt.deadline + dt.timedelta(minutes=20)
        assert set(attempt.items.values_list("open_until", flat=True)) == {PAUSED}

    def test_a_reopened_sitting_keeps_the_reopenings_end(self, demo) -> None:
        attempt = start(demo, "candidat-a2")
        services.finish_attempt(attempt, attempt.user)
        reopened = services.reopen_attempt(attempt, demo.user("correspondant-a"), "coupure de courant", 15)
        adjust(demo, "candidat-a2", 33)
        assert Attempt.objects.get(pk=attempt.pk).deadline == reopened.deadline

    def test_a_sitting_with_exceptional_minutes_is_not_moved(self, demo) -> None:
        exam = demo_exam(demo)
        services.set_extra_time(exam, enrolment_of(demo, "candidat-a2"), 10, "", None)
        attempt = start(demo, "candidat-a2")
        adjust(demo, "candidat-a2", 33)
        assert Attempt.objects.get(pk=attempt.pk).deadline == attempt.deadline
