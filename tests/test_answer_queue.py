"""The answer queue (assessment/answer_queue.py): answers that arrive while a
statement runs are stored together by the next one; nothing waits for
company; one row at most once per statement; a failed statement leaves each
caller to its own path. Real threads, a store function that records its
groups and can be held to let a queue form."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from c2i.assessment.answer_queue import MAX_GROUP, AnswerQueue, PendingAnswer


class Recorder:
    """A store function: records each group (as keys) and the thread that
    ran it; the first call waits for `release` when `hold` is set."""

    def __init__(self, hold: bool = False, refuse: frozenset[tuple[int, int]] = frozenset()) -> None:
        self.groups: list[list[tuple[int, int, int]]] = []
        self.threads: list[str] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.refuse = refuse
        self.fail_next = False

    def __call__(self, group: Sequence[PendingAnswer]) -> set[tuple[int, int]]:
        self.groups.append([(a.attempt_id, a.position, a.seq) for a in group])
        self.threads.append(threading.current_thread().name)
        self.started.set()
        assert self.release.wait(timeout=10)
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("connection lost")
        return {a.key for a in group} - self.refuse


def answer(attempt: int, position: int, seq: int = 1) -> PendingAnswer:
    return PendingAnswer(attempt, position, [0], seq, "session")


def run_threads(
    queue: AnswerQueue, answers: list[PendingAnswer], results: dict[int, bool], name: str = "t"
) -> list[threading.Thread]:
    def store(i: int) -> None:
        results[i] = queue.store(answers[i])

    threads = [threading.Thread(target=store, args=(i,), name=f"{name}{i}") for i in range(len(answers))]
    for thread in threads:
        thread.start()
    return threads


def wait_queued(queue: AnswerQueue, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(queue._pending) < count:
        assert time.monotonic() < deadline, "the answers never queued"
        time.sleep(0.001)


@dataclass
class Held:
    """A queue whose first statement (one answer, attempt 0) is running and
    held by its recorder, and the thread that runs it."""

    recorder: Recorder
    queue: AnswerQueue
    first: PendingAnswer
    leader: threading.Thread
    result: dict[int, bool]

    def release(self, threads: list[threading.Thread]) -> None:
        """Let the statement finish, and wait for every thread."""
        self.recorder.release.set()
        for thread in [self.leader, *threads]:
            thread.join(timeout=10)


def held_queue(recorder: Recorder, on_error: Callable[[BaseException], None] | None = None) -> Held:
    queue = AnswerQueue(recorder, on_error=on_error)
    first, result = answer(0, 1), {}
    [leader] = run_threads(queue, [first], result, name="first")
    assert recorder.started.wait(timeout=10)
    return Held(recorder, queue, first, leader, result)


class TestAnswerQueue:
    def test_an_answer_alone_is_stored_at_once(self) -> None:
        recorder = Recorder()
        queue = AnswerQueue(recorder)
        assert queue.store(answer(1, 1)) is True
        assert queue.store(answer(1, 2)) is True
        assert recorder.groups == [[(1, 1, 1)], [(1, 2, 1)]]
        assert queue.statements == 2 and queue.answers == 2

    def test_answers_arriving_during_a_statement_share_the_next_one(self) -> None:
        recorder = Recorder(hold=True)
        held = held_queue(recorder)
        queue = held.queue
        results: dict[int, bool] = {}
        threads = run_threads(queue, [answer(i, 1) for i in range(1, 6)], results)
        wait_queued(queue, 5)
        held.release(threads)
        assert held.result == {0: True} and results == dict.fromkeys(range(5), True)
        assert len(recorder.groups) == 2 and sorted(recorder.groups[1]) == [(i, 1, 1) for i in range(1, 6)]
        # the baton passed: the first answer's thread did not run the second group
        assert recorder.threads[0] == "first0" and recorder.threads[1].startswith("t")
        assert queue.statements == 2 and queue.answers == 6 and not queue._busy

    def test_one_row_at_most_once_per_statement_in_arrival_order(self) -> None:
        recorder = Recorder(hold=True)
        held = held_queue(recorder)
        older, newer = answer(7, 3, seq=10), answer(7, 3, seq=11)
        threads = run_threads(held.queue, [older], {})
        wait_queued(held.queue, 1)
        threads += run_threads(held.queue, [newer, answer(8, 3)], {})
        wait_queued(held.queue, 3)
        held.release(threads)
        assert recorder.groups[1:] == [[(7, 3, 10), (8, 3, 1)], [(7, 3, 11)]]
        assert older.stored and newer.stored

    def test_a_group_holds_at_most_max_group_answers(self) -> None:
        recorder = Recorder(hold=True)
        held = held_queue(recorder)
        results: dict[int, bool] = {}
        threads = run_threads(held.queue, [answer(i, 1) for i in range(1, MAX_GROUP + 4)], results)
        wait_queued(held.queue, MAX_GROUP + 3)
        held.release(threads)
        assert [len(g) for g in recorder.groups] == [1, MAX_GROUP, 3]
        assert len(results) == MAX_GROUP + 3 and all(results.values())

    def test_an_answer_the_rows_refuse_is_reported_not_stored(self) -> None:
        queue = AnswerQueue(Recorder(refuse=frozenset({(2, 2)})))
        refused = answer(2, 2)
        assert queue.store(refused) is False and refused.done and not refused.failed
        assert queue.store(answer(2, 3)) is True

    def test_a_failed_statement_leaves_each_answer_to_its_own_path(self) -> None:
        recorder = Recorder(hold=True)
        recorder.fail_next = True
        errors: list[BaseException] = []
        held = held_queue(recorder, on_error=errors.append)
        results: dict[int, bool] = {}
        followers = [answer(i, 1) for i in range(1, 4)]
        threads = run_threads(held.queue, followers, results)
        wait_queued(held.queue, 3)
        held.release(threads)
        # the first statement failed: its one answer is reported failed; the queue went on
        assert held.result == {0: False} and held.first.failed
        assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
        assert results == dict.fromkeys(range(3), True) and not any(a.failed for a in followers)
        assert held.queue.store(answer(9, 9)) is True

    @pytest.mark.parametrize("threads", [8, 32])
    def test_under_contention_every_answer_is_stored_once(self, threads: int) -> None:
        stored: list[tuple[int, int, int]] = []

        sender: dict[int, int] = {}  # id(answer) -> the thread that sent it
        misplaced: list[int] = []

        def store(group: Sequence[PendingAnswer]) -> set[tuple[int, int]]:
            keys = [a.key for a in group]
            assert len(keys) == len(set(keys))  # one row at most once per statement
            if not any(sender[id(a)] == threading.get_ident() for a in group):
                misplaced.append(len(group))  # a thread ran a statement without its own answer
            time.sleep(0.0005)  # a round trip
            stored.extend((a.attempt_id, a.position, a.seq) for a in group)
            return set(keys)

        queue = AnswerQueue(store)
        per_thread = 50
        outcomes: list[bool] = []

        def candidate(i: int) -> None:
            for k in range(per_thread):
                # two threads share each sitting and answer its questions in turn, with rising seqs
                mine = answer(i // 2, k % 10, seq=k * 2 + i % 2 + 1)
                sender[id(mine)] = threading.get_ident()
                outcomes.append(queue.store(mine))

        workers = [threading.Thread(target=candidate, args=(i,)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert len(outcomes) == threads * per_thread and all(outcomes)
        assert misplaced == []
        sent = [(i // 2, k % 10, k * 2 + i % 2 + 1) for i in range(threads) for k in range(per_thread)]
        assert sorted(stored) == sorted(sent)
        assert queue.answers == threads * per_thread and queue.statements < queue.answers and not queue._busy
