"""Prometheus metrics (issue 16): requests and their latency by route,
answers saved, and the background task queue's length (read when scraped).

Several server processes on one machine (gunicorn's workers) add their
figures up when `PROMETHEUS_MULTIPROC_DIR` names a folder they share, as
prometheus_client documents; each node is scraped on its own."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

# Registered in no global registry: each scrape builds its own (`exposition`).
REQUESTS = Counter(
    "c2i_requests",
    "HTTP requests answered, by route, method and status class",
    ["route", "method", "status"],
    registry=None,
)
LATENCY = Histogram(
    "c2i_request_seconds",
    "Time to answer an HTTP request, by route",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)
ANSWERS = Counter("c2i_answers_saved", "Knowledge-test answers stored", registry=None)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, f"{status // 100}xx").inc()
    LATENCY.labels(route).observe(seconds)


def answers_saved(count: int = 1) -> None:
    ANSWERS.inc(count)


class QueueCollector:
    """The task queue, read from the database when Prometheus scrapes:
    `c2i_tasks_waiting` and `c2i_task_oldest_waiting_seconds`."""

    def __init__(self, read: Callable[[], tuple[int, float]]) -> None:
        self.read = read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        waiting, oldest = self.read()
        yield GaugeMetricFamily("c2i_tasks_waiting", "Background tasks waiting for a worker", value=waiting)
        yield GaugeMetricFamily(
            "c2i_task_oldest_waiting_seconds", "Age of the oldest task waiting for a worker", value=oldest
        )


def exposition(queue: Callable[[], tuple[int, float]]) -> tuple[bytes, str]:
    """The text format Prometheus reads, for this process (or, in
    multiprocess mode, every process of the node) and the queue."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, ANSWERS):
            registry.register(collector)
    registry.register(QueueCollector(queue))  # type: ignore[arg-type]
    return generate_latest(registry), CONTENT_TYPE_LATEST
