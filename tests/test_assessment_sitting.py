"""Who sits, once, and from where (R19): one sitting per candidate and exam
(a database constraint), reopened only by the correspondent with a reason
kept in the audit trail; the access code; the allowed address ranges."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from c2i.accounts.models import AuditEntry
from c2i.assessment import services
from c2i.assessment.models import Attempt, Exam
from tests.assessment_support import api_answer, demo_exam, enrolment_of, expire, items, start

pytestmark = pytest.mark.django_db


class TestOneSitting:
    def test_a_second_start_resumes_while_running_and_is_refused_after(self, demo) -> None:
        first = start(demo)
        assert start(demo).pk == first.pk
        services.finish_attempt(first, first.user)
        with pytest.raises(services.AssessmentError) as error:
            start(demo)
        assert (
            error.value.code == "r19_already_sat"
            and "déjà passé" in error.value.message
            and "R19" not in error.value.message
        )
        response = demo.client("candidat-a1").post(f"/mon-espace/epreuves/{first.exam_id}/commencer/")
        assert response.status_code == 302 and response["Location"].endswith(f"/mon-espace/epreuves/{first.exam_id}/")

    def test_the_database_holds_one_sitting_per_candidate_and_exam(self, demo) -> None:
        first = start(demo)
        with pytest.raises(IntegrityError), transaction.atomic():
            Attempt.objects.create(
                exam=first.exam,
                enrolment=first.enrolment,
                user=first.user,
                seed=1,
                started_at=timezone.now(),
                deadline=timezone.now(),
            )

    def test_a_candidate_of_another_session_cannot_start(self, demo) -> None:
        exam = demo_exam(demo)
        assert demo.client("candidat-b1").post(f"/mon-espace/epreuves/{exam.pk}/commencer/").status_code == 404
        with pytest.raises(services.AssessmentError) as error:
            services.start_attempt(exam, enrolment_of(demo, "candidat-b1"), demo.user("candidat-b1"))
        assert error.value.code == "not_enrolled"


class TestReopen:
    def test_the_correspondent_reopens_with_a_logged_reason(self, demo) -> None:
        attempt = start(demo)
        api_answer(demo.client("candidat-a1"), attempt, 1, [0])
        services.finish_attempt(attempt, attempt.user)
        client = demo.client("correspondant-a")
        url = f"/correspondant/epreuves/passages/{attempt.pk}/rouvrir/"
        response = client.post(url, {"reason": "", "minutes": 20})
        assert response.status_code == 400 and response.context["form"].errors["reason"]
        response = client.post(url, {"reason": "Panne de courant dans la salle B12", "minutes": 20})
        assert response.status_code == 302
        attempt.refresh_from_db()
        assert attempt.closed_at is None and attempt.submitted_at is None and attempt.reopen_count == 1
        assert abs((attempt.deadline - timezone.now()) - dt.timedelta(minutes=20)) < dt.timedelta(seconds=30)
        entry = AuditEntry.objects.get(action="assessment.attempt_reopen", object_id=str(attempt.pk))
        assert entry.details["reason"] == "Panne de courant dans la salle B12"
        assert entry.actor == demo.user("correspondant-a")
        # the candidate finds their answers and can go on
        assert items(attempt)[0].ticked == [0]
        assert api_answer(demo.client("candidat-a1"), attempt, 2, [1]).status_code == 200

    def test_a_running_or_published_sitting_is_not_reopened(self, demo) -> None:
        attempt = start(demo)
        with pytest.raises(services.AssessmentError) as error:
            services.reopen_attempt(attempt, None, "raison", 10)
        assert error.value.code == "running"
        expire(attempt)
        services.publish_results(attempt.exam, demo.user("correspondant-a"))
        with pytest.raises(services.AssessmentError) as error:
            services.reopen_attempt(attempt, None, "raison", 10)
        assert error.value.code == "published"

    def test_another_institution_cannot_reopen(self, demo) -> None:
        attempt = expire(start(demo))
        response = demo.client("correspondant-b").post(
            f"/correspondant/epreuves/passages/{attempt.pk}/rouvrir/", {"reason": "x", "minutes": 5}
        )
        assert response.status_code == 404


class TestWhereFrom:
    def test_the_access_code_is_asked(self, demo) -> None:
        Exam.objects.filter(pk=demo_exam(demo).pk).update(access_code="Salle-B12")
        exam = demo_exam(demo)
        client = demo.client("candidat-a1")
        assert client.get(f"/mon-espace/epreuves/{exam.pk}/").context["start_form"] is not None
        client.post(f"/mon-espace/epreuves/{exam.pk}/commencer/", {"access_code": "salle-b13"})
        assert not Attempt.objects.filter(exam=exam).exists()
        assert AuditEntry.objects.filter(action="assessment.access_code_refused").exists()
        response = client.post(f"/mon-espace/epreuves/{exam.pk}/commencer/", {"access_code": " salle-b12 "})
        assert response.status_code == 302 and Attempt.objects.filter(exam=exam).exists()

    def test_wrong_codes_lock_for_a_while(self, demo) -> None:
        Exam.objects.filter(pk=demo_exam(demo).pk).update(access_code="B12")
        exam = demo_exam(demo)
        for _ in range(services.MAX_CODE_TRIES):
            with pytest.raises(services.AssessmentError) as error:
                start(demo, access_code="faux")
            assert error.value.code == "access_code"
        with pytest.raises(services.AssessmentError) as error:
            start(demo, access_code="B12")
        assert error.value.code == "access_code_locked"
        assert start(demo, "candidat-a2", access_code="b12").exam_id == exam.pk  # the others are not locked

    def test_the_address_ranges_are_checked_at_start_and_at_each_answer(self, demo) -> None:
        Exam.objects.filter(pk=demo_exam(demo).pk).update(allowed_networks="192.0.2.0/24\n2001:db8::/32")
        exam = demo_exam(demo)
        client = demo.client("candidat-a1")
        client.post(f"/mon-espace/epreuves/{exam.pk}/commencer/", REMOTE_ADDR="198.51.100.7")
        assert not Attempt.objects.filter(exam=exam).exists()
        response = client.post(f"/mon-espace/epreuves/{exam.pk}/commencer/", REMOTE_ADDR="192.0.2.44")
        assert response.status_code == 302
        attempt = Attempt.objects.get(exam=exam)
        page = f"/mon-espace/epreuves/passages/{attempt.pk}/"
        assert client.get(page, REMOTE_ADDR="192.0.2.44").status_code == 200
        assert client.get(page, REMOTE_ADDR="198.51.100.7").status_code == 403
        assert api_answer(client, attempt, 1, [0], REMOTE_ADDR="2001:db8::5").status_code == 200
        assert api_answer(client, attempt, 1, [1], REMOTE_ADDR="198.51.100.7").status_code == 403
        client.post(f"{page}reponses/1/", {"option": ["2"]}, REMOTE_ADDR="198.51.100.7")
        assert items(attempt)[0].ticked == [0]
        # a fresh session (no cached ranges) is checked too
        other = demo.client("candidat-a1")
        assert api_answer(other, attempt, 1, [1], REMOTE_ADDR="198.51.100.7").status_code == 403

    def test_behind_a_proxy_the_configured_header_gives_the_address(self, demo, settings) -> None:
        settings.C2I_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
        Exam.objects.filter(pk=demo_exam(demo).pk).update(allowed_networks="192.0.2.0/24")
        exam = demo_exam(demo)
        response = demo.client("candidat-a1").post(
            f"/mon-espace/epreuves/{exam.pk}/commencer/",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.9, 192.0.2.10",
        )
        assert response.status_code == 302 and Attempt.objects.filter(exam=exam).exists()
