"""Answers that arrive together in one server process are stored together.

Under load, while one thread of a server process waits for the database to
store an answer, the process's other threads get theirs ready. Rather than
one statement, one round trip and one commit each, the next statement
stores all the answers that queued meanwhile: the group commit databases
do for their log, done one step earlier, where most of an answer's cost is.

Nothing waits for company: an answer that finds the database idle is
stored at once, alone; one that arrives while a statement runs is stored by
the next statement, which the thread of the oldest waiting answer runs (the
baton passes: a thread runs at most one statement, the one that stores its
own answer). A group holds at most one answer per question of a sitting (a
second one, newer, waits for the next statement: one row is updated once
per statement) and at most `MAX_GROUP` answers.

If the statement fails, none of its group is stored, and each caller is
told so (`stored` false, `failed` set): the caller then takes its regular,
one-answer path. Nothing here knows about Django: `store_group` is given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MAX_GROUP = 32


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False, slots=True)
class PendingAnswer:
    """One answer to store: its row (sitting, question number), the ticked
    options (sorted indexes), its sequence number and the login session
    that sends it."""

    attempt_id: int
    position: int
    shown: list[int]
    seq: int
    session_key: str
    stored: bool = False
    failed: bool = False
    done: bool = False
    wake: threading.Lock = field(default_factory=_held_lock, repr=False)

    @property
    def key(self) -> tuple[int, int]:
        return self.attempt_id, self.position


# Stores a group of answers in one statement; returns the (attempt, position)
# keys of the rows it updated.
StoreGroup = Callable[[Sequence[PendingAnswer]], set[tuple[int, int]]]


class AnswerQueue:
    def __init__(self, store_group: StoreGroup, on_error: Callable[[BaseException], None] | None = None) -> None:
        self.store_group = store_group
        self.on_error = on_error
        self._mutex = threading.Lock()
        self._pending: list[PendingAnswer] = []
        self._busy = False  # a statement runs, or the baton is on its way: invariant, pending implies busy
        self.statements = 0  # counters, for the tests
        self.answers = 0

    def store(self, answer: PendingAnswer) -> bool:
        """Store `answer`, alone or with others; True once it is stored (its
        statement committed), False when it was not (the row refused it, or
        the statement failed: `answer.failed`)."""
        with self._mutex:
            self._pending.append(answer)
            lead = not self._busy
            self._busy = True
        if not lead:
            answer.wake.acquire()  # released with the result, or with the baton
            if answer.done:
                return answer.stored
        self._run_group(answer)
        return answer.stored

    def _run_group(self, leader: PendingAnswer) -> None:
        with self._mutex:
            group: list[PendingAnswer] = []
            later: list[PendingAnswer] = []
            keys: set[tuple[int, int]] = set()
            for pending in self._pending:  # the leader is the oldest: first
                if pending.key in keys or len(group) >= MAX_GROUP:
                    later.append(pending)
                else:
                    keys.add(pending.key)
                    group.append(pending)
            self._pending = later
        try:
            stored = self.store_group(group)
            for answer in group:
                answer.stored = answer.key in stored
        except Exception as error:  # every caller falls back on its own path, which reports it
            for answer in group:
                answer.failed = True
            if self.on_error is not None:
                self.on_error(error)
        finally:
            with self._mutex:
                self.statements += 1
                self.answers += len(group)
                baton = self._pending[0] if self._pending else None
                if baton is None:
                    self._busy = False
            for answer in group:
                answer.done = True
                if answer is not leader:
                    answer.wake.release()
            if baton is not None:
                baton.wake.release()  # not done: it runs the next group
