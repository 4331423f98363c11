"""The end of a sitting (R19): the server fixes the deadline when the
candidate starts (duration plus extra time, never later than the window's
close plus extra time); nothing is accepted after it; the sitting is scored
at its deadline even if the candidate never comes back (at read time, by the
scheduled task, and by `manage.py close_expired_attempts`)."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from c2i.assessment import services
from c2i.assessment.models import Attempt, AttemptQuestion, Exam
from c2i.assessment.tasks import close_expired_attempts_task, finalise_attempt_task
from tests.assessment_support import api_answer, demo_exam, enrolment_of, expire, items, page_answer, start

pytestmark = pytest.mark.django_db


def travel(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


class TestDeadlineRule:
    def test_the_deadline_is_the_start_plus_the_duration(self, demo) -> None:
        before = timezone.now()
        attempt = start(demo, "candidat-a2")  # a1 has the tiers-temps in the demo
        exam = attempt.exam
        assert attempt.started_at >= before
        assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=exam.duration_minutes)
        assert set(attempt.items.values_list("open_until", flat=True)) == {attempt.deadline}

    def test_a_late_start_ends_with_the_window(self, demo, monkeypatch) -> None:
        exam = demo_exam(demo)
        travel(monkeypatch, exam.closes_at - dt.timedelta(minutes=10))
        attempt = start(demo, "candidat-a2")
        assert attempt.deadline == exam.closes_at

    def test_extra_time_is_added_to_both(self, demo, monkeypatch) -> None:
        exam = demo_exam(demo)
        services.set_extra_time(
            exam, enrolment_of(demo, "candidat-a1"), 20, "tiers-temps", demo.user("correspondant-a")
        )
        attempt = start(demo)
        assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=exam.duration_minutes + 20)
        travel(monkeypatch, exam.closes_at - dt.timedelta(minutes=10))
        late = start(demo, "candidat-a2")
        services.set_extra_time(exam, enrolment_of(demo, "candidat-a2"), 20, "", None)
        late.refresh_from_db()
        assert late.deadline == exam.closes_at + dt.timedelta(minutes=20)

    def test_extra_time_granted_during_the_sitting_moves_its_end(self, demo) -> None:
        attempt = start(demo, "candidat-a2")
        client = demo.client("correspondant-a")
        response = client.post(
            f"/correspondant/epreuves/{attempt.exam_id}/tiers-temps/",
            {"enrolment": attempt.enrolment_id, "minutes": 30, "reason": "Aménagement"},
        )
        assert response.status_code == 302
        moved = Attempt.objects.get(pk=attempt.pk)
        assert moved.deadline == attempt.deadline + dt.timedelta(minutes=30)
        assert set(moved.items.values_list("open_until", flat=True)) == {moved.deadline}

    def test_the_test_cannot_start_outside_its_window(self, demo, monkeypatch) -> None:
        exam = demo_exam(demo)
        travel(monkeypatch, exam.opens_at - dt.timedelta(minutes=1))
        with pytest.raises(services.AssessmentError) as error:
            start(demo)
        assert error.value.code == "not_open"
        travel(monkeypatch, exam.closes_at)
        with pytest.raises(services.AssessmentError) as error:
            start(demo)
        assert error.value.code == "closed"


class TestNothingAfterTheEnd:
    def test_an_answer_one_second_late_is_refused(self, demo, monkeypatch) -> None:
        attempt = start(demo)
        client = demo.client("candidat-a1")
        assert api_answer(client, attempt, 1, [0]).status_code == 200
        travel(monkeypatch, attempt.deadline + dt.timedelta(seconds=1))
        response = api_answer(client, attempt, 1, [1], seq=2**40)
        assert response.status_code == 409 and response.json()["status"] == "over"
        assert page_answer(client, attempt, 1, [2], seq=2**41).status_code == 409
        assert items(attempt)[0].ticked == [0]
        response = client.post(f"/mon-espace/epreuves/passages/{attempt.pk}/reponses/2/", {"option": ["0"]})
        assert response.status_code == 302
        assert items(attempt)[1].ticked is None

    def test_an_answer_after_the_deadline_moved_in_the_database_is_refused(self, demo) -> None:
        attempt = expire(start(demo))
        assert api_answer(demo.client("candidat-a1"), attempt, 1, [0]).status_code == 409
        assert services.save_answer(attempt.pk, attempt.user_id, 1, [0]).status == services.OVER

    def test_an_answer_after_handing_in_is_refused(self, demo) -> None:
        attempt = start(demo)
        services.finish_attempt(attempt, attempt.user)
        assert api_answer(demo.client("candidat-a1"), attempt, 1, [0]).status_code == 409
        assert set(AttemptQuestion.objects.filter(attempt=attempt).values_list("ticked", flat=True)) == {None}


class TestClosingWithoutTheCandidate:
    def test_the_page_scores_an_expired_sitting_when_read(self, demo) -> None:
        attempt = expire(start(demo))
        assert attempt.closed_at is None
        response = demo.client("candidat-a1").get(f"/mon-espace/epreuves/passages/{attempt.pk}/")
        assert response.status_code == 302
        attempt.refresh_from_db()
        assert attempt.closed_at is not None and attempt.domain_results.count() == 5

    def test_the_command_scores_every_expired_sitting(self, demo) -> None:
        expired = expire(start(demo))
        running = start(demo, "candidat-a2")
        out = io.StringIO()
        call_command("close_expired_attempts", stdout=out)
        assert json.loads(out.getvalue()) == {"closed": 1}
        expired.refresh_from_db()
        running.refresh_from_db()
        assert expired.closed_at is not None and expired.score == 0.0
        assert running.closed_at is None
        assert AttemptQuestion.objects.filter(attempt=expired, open_until__gte=expired.started_at).count() == 0

    def test_the_scheduled_task_scores_the_sitting_at_its_deadline(self, demo) -> None:
        attempt = start(demo)
        assert finalise_attempt_task.call(attempt.pk) is False  # too early: nothing happens
        expire(attempt)
        assert finalise_attempt_task.call(attempt.pk) is True
        attempt.refresh_from_db()
        assert attempt.closed_at is not None
        assert close_expired_attempts_task.call() == 0

    def test_starting_schedules_the_scoring(self, demo, django_capture_on_commit_callbacks) -> None:
        from django_tasks_db.models import DBTaskResult

        with django_capture_on_commit_callbacks(execute=True):
            attempt = start(demo)
        task = DBTaskResult.objects.filter(task_path__endswith="finalise_attempt_task").latest("enqueued_at")
        assert task.args_kwargs["args"] == [attempt.pk]
        assert task.run_after >= attempt.deadline

    def test_a_sitting_still_running_is_not_scored(self, demo) -> None:
        attempt = start(demo)
        with pytest.raises(services.AssessmentError):
            services.finalise_attempt(attempt)
        assert Exam.objects.get(pk=attempt.exam_id).attempts.filter(closed_at__isnull=False).count() == 0
