"""A correspondent defines the knowledge test of an institution session:
domains (by default those the framework requires, R16), questions per
domain (at least 12, R17), duration, window, access code, address ranges.
Every mistake is explained next to its field."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from c2i.accounts.models import AuditEntry
from c2i.assessment.models import Exam, Question, QuestionStatus
from tests.assessment_support import demo_exam, start

pytestmark = pytest.mark.django_db


def a_c2i2ms(demo):
    return demo.institution_session("a", "C2i2ms")


def local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def valid(demo, **extra: object) -> dict:
    session = a_c2i2ms(demo)
    data = {
        "title": "QCM C2i2ms",
        "domains": [d.pk for d in session.session.framework.domains.all()],
        "per_domain": 12,
        "duration_minutes": 45,
        "opens_at": local(session.test_opens + dt.timedelta(days=1)),
        "closes_at": local(session.test_opens + dt.timedelta(days=2)),
        "access_code": "",
        "allowed_networks": "",
    }
    data.update(extra)
    return data


def post(demo, data: dict):
    return demo.client("correspondant-a").post(f"/correspondant/epreuves/nouvelle/{a_c2i2ms(demo).pk}/", data)


class TestExamDefinition:
    def test_the_form_proposes_the_required_domains(self, demo) -> None:
        response = demo.client("correspondant-a").get(f"/correspondant/epreuves/nouvelle/{a_c2i2ms(demo).pk}/")
        assert response.status_code == 200
        codes = {
            d.code
            for d in response.context["form"]
            .fields["domains"]
            .queryset.filter(pk__in=response.context["form"].initial["domains"])
        }
        assert codes == {"D1", "D2", "D3", "D4"}  # R16: C2i2ms, every domain

    def test_it_defines_a_test(self, demo) -> None:
        response = post(demo, valid(demo, access_code=" salle-B12 ", allowed_networks="192.0.2.0/24\n2001:db8::/32"))
        assert response.status_code == 302
        exam = Exam.objects.get(institution_session=a_c2i2ms(demo))
        assert exam.access_code == "salle-B12"
        assert exam.network_texts() == ["192.0.2.0/24", "2001:db8::/32"]
        assert [d.code for d in exam.ordered_domains()] == ["D1", "D2", "D3", "D4"]
        assert AuditEntry.objects.filter(action="assessment.exam_create", object_id=str(exam.pk)).exists()

    def test_fewer_than_twelve_questions_per_domain_is_refused_by_r17(self, demo) -> None:
        response = post(demo, valid(demo, per_domain=11))
        assert response.status_code == 400
        assert "R17" in response.context["form"].errors["per_domain"][0]

    def test_the_window_must_close_after_it_opens(self, demo) -> None:
        data = valid(demo)
        data["closes_at"] = data["opens_at"]
        response = post(demo, data)
        assert response.status_code == 400 and response.context["form"].errors["closes_at"]

    def test_the_window_stays_within_the_sessions_test_window(self, demo) -> None:
        session = a_c2i2ms(demo)
        response = post(
            demo,
            valid(
                demo,
                opens_at=local(session.test_opens - dt.timedelta(days=1)),
                closes_at=local(session.test_closes + dt.timedelta(days=1)),
            ),
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert errors["opens_at"] and errors["closes_at"]

    def test_a_wrong_address_range_is_named(self, demo) -> None:
        response = post(demo, valid(demo, allowed_networks="192.0.2.0/24\n10.0.0.300/8"))
        assert response.status_code == 400
        assert "10.0.0.300/8" in response.context["form"].errors["allowed_networks"][0]

    def test_a_bank_too_small_is_refused_by_r17(self, demo) -> None:
        response = post(demo, valid(demo, per_domain=14))  # the demo bank has 13 per C2i2ms domain
        assert response.status_code == 400
        message = response.context["form"].errors["domains"][0]
        assert "R17" in message and "13" in message

    def test_a_domain_is_needed(self, demo) -> None:
        response = post(demo, valid(demo, domains=[]))
        assert response.status_code == 400 and response.context["form"].errors["domains"]

    def test_only_validated_questions_count_for_the_bank(self, demo) -> None:
        Question.objects.filter(framework__code="C2i2ms", competency__code="D1.1").update(
            status=QuestionStatus.IN_REVIEW
        )
        response = post(demo, valid(demo))
        assert response.status_code == 400 and "D1" in response.context["form"].errors["domains"][0]

    def test_the_database_refuses_fewer_than_twelve(self, demo) -> None:
        with pytest.raises(IntegrityError), transaction.atomic():
            Exam.objects.filter(pk=demo_exam(demo).pk).update(per_domain=11)

    def test_settings_are_frozen_once_a_candidate_started(self, demo) -> None:
        exam = demo_exam(demo)
        client = demo.client("correspondant-a")
        assert client.get(f"/correspondant/epreuves/{exam.pk}/modifier/").status_code == 200
        start(demo)
        assert client.get(f"/correspondant/epreuves/{exam.pk}/modifier/").status_code == 302

    def test_another_institutions_session_is_out_of_reach(self, demo) -> None:
        response = demo.client("correspondant-b").post(
            f"/correspondant/epreuves/nouvelle/{a_c2i2ms(demo).pk}/", valid(demo)
        )
        assert response.status_code == 404
        assert not Exam.objects.filter(institution_session=a_c2i2ms(demo)).exists()
