"""R5 under concurrency: two enrolments of one identity at two institutions,
at the same instant, on PostgreSQL. The database constraint decides."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from c2i.enrolment.models import Candidate, CandidateStatus, Enrolment, EnrolmentStatus
from c2i.enrolment.services import EnrolmentError, enrol

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the race is meaningful on PostgreSQL (SQLite serialises every writer)")


class TestConcurrentEnrolment:
    def test_two_simultaneous_requests_give_one_enrolment_and_one_refusal(self, demo) -> None:
        # Two records of one identity (no INE: name and birth date), as two
        # institutions' imports would create them.
        people = [
            Candidate.objects.create(
                email=f"jumeau{i}@example.fr",
                last_name=last,
                first_names=first,
                birth_date=dt.date(2000, 2, 29),
                birth_place="Nantes",
                status=CandidateStatus.STUDENT,
            )
            for i, (last, first) in enumerate([("Lemaître", "Anaïs"), ("LEMAITRE", "anais")])
        ]
        targets = [demo.institution_session("a"), demo.institution_session("b")]
        barrier = threading.Barrier(2)
        results: list[object] = [None, None]

        def attempt(i: int) -> None:
            try:
                barrier.wait(timeout=10)
                results[i] = enrol(people[i], targets[i], None)
            except EnrolmentError as error:
                results[i] = error
            finally:
                connections.close_all()

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        refusals = [r for r in results if isinstance(r, EnrolmentError)]
        successes = [r for r in results if isinstance(r, Enrolment)]
        assert len(successes) == 1 and len(refusals) == 1, results
        assert refusals[0].code == "r5_already_enrolled"
        winner = successes[0].institution_session.institution.name
        assert winner in refusals[0].message
        active = Enrolment.objects.filter(identity_key=people[0].identity_key, status=EnrolmentStatus.ACTIVE)
        assert active.count() == 1
