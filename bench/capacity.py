#!/usr/bin/env python
"""How many machines a test day of N candidates needs, from the figures
measured in bench/results.json (docs/capacity.md explains the model).

    python bench/capacity.py            # print the table
    python bench/capacity.py --write    # rewrite docs/capacity.md's table

Not a benchmark (bench/run runs `bench_*.py` only): arithmetic on what the
benchmarks measured, so that the document says where each number comes
from and changes when they do (tests/test_capacity_doc.py checks the table
in docs/capacity.md is this script's output for the committed results).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
DOC = HERE.parent / "docs" / "capacity.md"
BEGIN, END = "<!-- capacity:begin -->", "<!-- capacity:end -->"

CANDIDATES = (10_000, 50_000, 200_000)

# The test day (issue 16, docs/capacity.md « The model »).
ANSWER_EVERY_S = 45  # each candidate answers a question every 45 s
POLL_EVERY_S = 10  # static/c2i/exam.js POLL_MS: the sitting's status, while its page is open
QUESTIONS = 60  # a C2i1 sitting: 5 domains × 12 questions
ARRIVAL_S = 20 * 60  # everyone signs in and opens the test in the 20 minutes before it starts
HAND_IN_S = 5 * 60  # and hands in within the last 5 minutes
DOCUMENTS_WITHIN_S = 3600  # the documents of a published session, within the hour
TARGET_LOAD = 0.6  # at most 60 % of each machine's cores busy at the peak: bursts, reloads, p99
APP_CORES = 8  # an application server
WORKER_CORES = 4  # a worker machine
DB_SIZES = (8, 16, 32, 64, 128)  # PostgreSQL servers one can rent: it scales up, not out


@dataclass(frozen=True)
class Measured:
    answer: float  # server CPU ms per answer
    status: float  # per status poll
    exam_page: float  # per load of the sitting's page
    sign_in: float  # per password sign-in (PBKDF2)
    hand_in: float  # per hand-in
    db_answer: float  # PostgreSQL CPU ms per answer
    db_status: float  # per status poll
    document: float  # worker CPU ms per document
    bytes_per_answer: float  # database growth per answer stored

    @classmethod
    def from_results(cls, r: dict[str, object]) -> Measured:
        def f(key: str) -> float:
            value = r.get(key)
            if not isinstance(value, int | float):
                raise SystemExit(f"bench/results.json has no {key}: run `bench/run --only two_nodes` first")
            return float(value)

        return cls(
            answer=f("two_nodes_server_cpu_ms_per_answer"),
            status=f("two_nodes_server_cpu_ms_per_status"),
            exam_page=f("two_nodes_server_cpu_ms_per_exam_page"),
            sign_in=f("two_nodes_server_cpu_ms_per_sign_in"),
            hand_in=f("two_nodes_server_cpu_ms_per_hand_in"),
            db_answer=f("two_nodes_db_cpu_ms_per_answer"),
            db_status=f("two_nodes_db_cpu_ms_per_status"),
            document=f("two_nodes_worker_cpu_ms_per_document"),
            bytes_per_answer=f("two_nodes_db_bytes_per_sitting") / f("two_nodes_questions_each"),
        )


@dataclass(frozen=True)
class Day:
    candidates: int
    answers_per_s: float
    polls_per_s: float
    cores_during: float  # application CPU while everyone answers
    cores_arrival: float  # while everyone signs in and opens the test (and those in poll)
    cores_hand_in: float
    app_servers: int
    db_cores: float
    db_server: int  # cores of the PostgreSQL server that keeps them at 60 %
    db_gb: float
    workers: int
    busiest: str


def plan(m: Measured, n: int) -> Day:
    answers, polls = n / ANSWER_EVERY_S, n / POLL_EVERY_S
    during = (answers * m.answer + polls * m.status) / 1000
    arrival = (n / ARRIVAL_S * (m.sign_in + m.exam_page) + polls * m.status) / 1000
    hand_in = during + n / HAND_IN_S * m.hand_in / 1000
    peak = max(during, arrival, hand_in)
    # one more than the peak needs: a server can fail or be drained during the day
    servers = max(2, math.ceil(peak / (APP_CORES * TARGET_LOAD))) + 1
    db = (answers * m.db_answer + polls * m.db_status) / 1000
    gigabytes = n * QUESTIONS * m.bytes_per_answer / 1e9
    worker_cores = n * m.document / DOCUMENTS_WITHIN_S / 1000
    workers = max(2, math.ceil(worker_cores / (WORKER_CORES * TARGET_LOAD)))
    db_server = next((size for size in DB_SIZES if db <= size * TARGET_LOAD), DB_SIZES[-1])
    phase = {during: "answering", arrival: "sign-in wave", hand_in: "hand-in"}[peak]
    return Day(n, answers, polls, during, arrival, hand_in, servers, db, db_server, gigabytes, workers, phase)


def _n(x: float) -> str:
    """12 345: thousands apart by a thin space, as French and English both read."""
    return f"{x:,.0f}".replace(",", "\u202f")


def table(m: Measured) -> str:
    rows = [plan(m, n) for n in CANDIDATES]
    head = (
        "| candidates | answers/s | status polls/s | app CPU (cores): answering / sign-in wave / hand-in "
        "| application servers (8 cores) | PostgreSQL CPU (cores) / its server | answers' data (GB, at most) "
        "| workers (4 cores, documents in 1 h) | busiest moment |\n|---|---|---|---|---|---|---|---|---|"
    )
    lines = [
        f"| {_n(d.candidates)} | {_n(d.answers_per_s)} | {_n(d.polls_per_s)} "
        f"| {d.cores_during:.1f} / {d.cores_arrival:.1f} / {d.cores_hand_in:.1f} | {d.app_servers} "
        f"| {d.db_cores:.1f} / {d.db_server} | {d.db_gb:.1f} | {d.workers} | {d.busiest} |"
        for d in rows
    ]
    inputs = (
        f"Measured (bench/results.json, `two_nodes_*`): server CPU {m.answer:.2f} ms per answer, "
        f"{m.status:.2f} ms per status poll, {m.exam_page:.1f} ms per exam page, {m.sign_in:.0f} ms per "
        f"password sign-in, {m.hand_in:.1f} ms per hand-in; PostgreSQL CPU {m.db_answer:.2f} ms per answer and "
        f"{m.db_status:.2f} ms per poll; {m.document:.1f} ms of worker CPU per document; "
        f"{_n(m.bytes_per_answer)} bytes of database per answer."
    )
    return "\n".join([head, *lines]) + "\n\n" + inputs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite the table in docs/capacity.md")
    args = parser.parse_args()
    text = table(Measured.from_results(json.loads(RESULTS.read_text())))
    if not args.write:
        print(text)
        return 0
    doc = DOC.read_text(encoding="utf-8")
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
