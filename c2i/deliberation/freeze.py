"""What the jury has judged stays as it judged it (docs/lifecycle.md).

Once the deliberation of an institution session is closed (or published),
the enrolments and the portfolios submitted to it are frozen: no new
enrolment, no withdrawal, no new or withdrawn submission, no knowledge-test
sitting. A correction goes only through the chair's audited rectification
(`deliberation.services.rectify`). `closed_at` is the jury's answer: it is
registered with `enrolment/freeze.py` (`DeliberationConfig.ready`), where the
services of enrolment, the portfolio and the exam ask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from c2i.deliberation.models import Deliberation, DeliberationStatus

FINAL = (DeliberationStatus.CLOSED, DeliberationStatus.PUBLISHED)


def closed_at(institution_session_id: int, *, lock: bool = False) -> dt.datetime | None:
    """When the jury of the session closed its deliberation, or None while it
    has not. `lock`: hold the deliberation's row until the caller's
    transaction ends, so that a closing cannot slip in between."""
    rows = Deliberation.objects.filter(institution_session_id=institution_session_id)
    if lock:
        rows = rows.select_for_update()
    row = rows.only("status", "closed_at").first()
    if row is None or row.status not in FINAL:
        return None
    return row.closed_at or timezone.now()


def closed_among(institution_session_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """`closed_at` of several sessions in one query: those whose jury closed."""
    ids = list(institution_session_ids)
    if not ids:
        return {}
    rows = Deliberation.objects.filter(institution_session_id__in=ids, status__in=FINAL)
    now = timezone.now()
    return {pk: moment or now for pk, moment in rows.values_list("institution_session_id", "closed_at")}
