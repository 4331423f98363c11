"""Answers stored in groups (assessment/answer_queue.py and
services.save_answers_in_sessions): one statement stores the answers that
arrived together, each checked on its own row as a lone answer is (its
owner's live login, before the end, options that exist, not older than
what is stored), and says which rows it stored; under real concurrency,
with one database connection per thread, every answer is stored."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from c2i.accounts.models import Session
from c2i.assessment import services
from c2i.assessment.answer_queue import AnswerQueue, PendingAnswer
from c2i.assessment.models import AttemptQuestion
from tests.assessment_support import demo_exam, expire, items, new_candidates, start, start_for


def session_key(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.django_db
class TestOneStatementForAGroup:
    def test_each_answer_is_checked_on_its_own_row(self, demo) -> None:
        mine, theirs = start(demo, "candidat-a1"), start(demo, "candidat-a2")
        key_a1, key_a2 = session_key(demo.user("candidat-a1")), session_key(demo.user("candidat-a2"))
        AttemptQuestion.objects.filter(attempt=mine, position=4).update(seq=100)
        signed_out = session_key(demo.user("candidat-a1"))
        Session.objects.filter(session_key=signed_out).delete()
        group = [
            PendingAnswer(mine.pk, 1, [0, 2], 5, key_a1),  # stored
            PendingAnswer(theirs.pk, 1, [1], 5, key_a2),  # stored: another candidate, same statement
            PendingAnswer(mine.pk, 2, [0], 5, key_a2),  # someone else's login: refused
            PendingAnswer(mine.pk, 3, [9], 5, key_a1),  # no such option: refused
            PendingAnswer(mine.pk, 4, [1], 50, key_a1),  # older than what is stored: refused
            PendingAnswer(mine.pk, 5, [1], 5, signed_out),  # signed out: refused
            PendingAnswer(mine.pk, 6, [], 5, key_a1),  # unticking everything is an answer: stored
        ]
        with CaptureQueriesContext(connection) as queries:
            stored = services.save_answers_in_sessions(group)
        assert len(queries.captured_queries) == 1
        assert stored == {(mine.pk, 1), (theirs.pk, 1), (mine.pk, 6)}
        rows = items(mine)
        assert rows[0].ticked == [0, 2] and rows[0].seq == 5 and rows[0].answered_at is not None
        assert [rows[i].ticked for i in (1, 2, 4)] == [None, None, None]
        assert rows[3].seq == 100 and rows[5].ticked == []
        assert items(theirs)[0].ticked == [1]

    def test_after_the_end_nothing_of_the_sitting_is_stored(self, demo) -> None:
        mine, theirs = start(demo, "candidat-a1"), start(demo, "candidat-a2")
        key_a1, key_a2 = session_key(demo.user("candidat-a1")), session_key(demo.user("candidat-a2"))
        expire(mine)
        group = [PendingAnswer(mine.pk, 1, [0], 5, key_a1), PendingAnswer(theirs.pk, 1, [0], 5, key_a2)]
        assert services.save_answers_in_sessions(group) == {(theirs.pk, 1)}
        assert items(mine)[0].ticked is None

    def test_groups_of_any_size_and_again(self, demo) -> None:
        mine = start(demo, "candidat-a1")
        key = session_key(demo.user("candidat-a1"))
        for round_, size in enumerate((1, 2, 3, 1, 2, 3, 32), start=1):
            group = [PendingAnswer(mine.pk, p, [p % 4], round_, key) for p in range(1, size + 1)]
            assert services.save_answers_in_sessions(group) == {(mine.pk, p) for p in range(1, size + 1)}
        assert all(item.seq == 7 and item.ticked == [(item.position) % 4] for item in items(mine)[:32])


@pytest.mark.django_db(transaction=True)
class TestConcurrentAnswers:
    def test_threads_answering_at_once_lose_nothing(self, demo) -> None:
        if connection.vendor != "postgresql":
            pytest.skip("concurrent writers are meaningful on PostgreSQL (SQLite serialises every writer)")
        exam = demo_exam(demo)
        users = new_candidates(demo.institution_session("a"), 6, prefix="groupe")
        sittings = [(start_for(user, exam), session_key(user)) for user in users]

        queue = AnswerQueue(services.save_answers_in_sessions)
        results: list[bool] = []

        def candidate(attempt_id: int, key: str) -> None:
            try:
                for round_ in range(2):
                    for position in range(1, 61):
                        results.append(queue.store(PendingAnswer(attempt_id, position, [round_], round_ + 1, key)))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=candidate, args=(a.pk, k)) for a, k in sittings]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(results) == 6 * 120 and all(results)
        for attempt, _ in sittings:
            assert all(item.ticked == [1] and item.seq == 2 for item in items(attempt))
        # (about 3.5 answers per statement here: the threads wait for the database in turn)
        assert queue.answers == 6 * 120 and queue.statements < queue.answers
