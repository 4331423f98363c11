"""What the jury reads from the portfolio and the knowledge test is read
straight from those apps' tables: no check on every call that the tables
exist (a missing migration is an error, never « contrôle non passé »)."""

from __future__ import annotations

from typing import Any

import pytest

from c2i.deliberation import sources
from c2i.enrolment.models import EnrolmentStatus
from tests.deliberation_support import submit_all

pytestmark = pytest.mark.django_db


def test_each_read_is_one_query_without_introspection(demo: Any, django_assert_num_queries: Any) -> None:
    enrolment = demo.candidate("candidat-a1").enrolments.get(status=EnrolmentStatus.ACTIVE)
    submit_all(enrolment)
    with django_assert_num_queries(1):
        assert enrolment.pk in sources.submissions([enrolment.pk])
    with django_assert_num_queries(1):
        assert sources.submitted_evidence(enrolment)
    with django_assert_num_queries(1):
        sources.positionings(enrolment)
    with django_assert_num_queries(1):
        assert sources.test_percentages(enrolment) == {}


def test_the_reads_do_not_depend_on_introspection(demo: Any, monkeypatch: Any) -> None:
    from django.db import connection

    enrolment = demo.candidate("candidat-a1").enrolments.get(status=EnrolmentStatus.ACTIVE)
    submit_all(enrolment)
    monkeypatch.setattr(connection.introspection, "table_names", lambda *args, **kwargs: [])
    assert enrolment.pk in sources.submissions([enrolment.pk])  # read from the table, not guessed from introspection
