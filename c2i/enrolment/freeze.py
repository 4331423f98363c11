"""What the jury has judged stays as it judged it (docs/lifecycle.md).

Once the deliberation of an institution session is closed (or published),
the enrolments and the portfolios submitted to it are frozen: no new
enrolment, no withdrawal, no new or withdrawn submission, no knowledge-test
sitting. The jury knows when it closed: it registers that check here
(`deliberation/freeze.py`, from `DeliberationConfig.ready`), so that
enrolment, the portfolio and the exam ask here without importing the jury.
With no check registered, asking is an error, never « not frozen »."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

FreezeCheck = Callable[..., dt.datetime | None]  # (institution_session_id, *, lock) -> when it froze

_CHECKS: dict[str, FreezeCheck] = {}


def register(name: str, check: FreezeCheck) -> None:
    _CHECKS[name] = check


def closed_at(institution_session_id: int, *, lock: bool = False) -> dt.datetime | None:
    """When the session froze (its jury closed its deliberation), or None
    while it has not. `lock`: the registered check holds what it read until
    the caller's transaction ends, so that a closing cannot slip in between."""
    if not _CHECKS:
        raise ImproperlyConfigured("No freeze check is registered: is c2i.deliberation installed?")
    for check in _CHECKS.values():
        moment = check(institution_session_id, lock=lock)
        if moment is not None:
            return moment
    return None


def date_text(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y")
