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
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

if TYPE_CHECKING:
    from c2i.enrolment.models import InstitutionSession

FreezeCheck = Callable[..., dt.datetime | None]  # (institution_session_id, *, lock) -> when it froze
# (institution_session_ids) -> {id: when it froze} of those that froze, in one query
FreezeCheckMany = Callable[[Iterable[int]], dict[int, dt.datetime]]

_CHECKS: dict[str, FreezeCheck] = {}
_CHECKS_MANY: dict[str, FreezeCheckMany] = {}


def register(name: str, check: FreezeCheck, many: FreezeCheckMany | None = None) -> None:
    """`many`: the same check for a list of sessions at once (pages listing
    several sessions ask once, not once per row)."""
    _CHECKS[name] = check
    if many is not None:
        _CHECKS_MANY[name] = many


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


def closed_among(institution_session_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """Of these sessions, those that froze, with when: one query per
    registered check (its `many` variant; else one per session)."""
    if not _CHECKS:
        raise ImproperlyConfigured("No freeze check is registered: is c2i.deliberation installed?")
    ids = sorted(set(institution_session_ids))
    found: dict[int, dt.datetime] = {}
    for name, check in _CHECKS.items():
        many = _CHECKS_MANY.get(name)
        if many is not None:
            moments = many([i for i in ids if i not in found])
        else:
            moments = {i: m for i in ids if i not in found and (m := check(i)) is not None}
        found.update(moments)
    return found


def mark_deliberated(institution_sessions: Iterable[InstitutionSession]) -> None:
    """Set `InstitutionSession.deliberated` of each, asked once for them all."""
    sessions = list(institution_sessions)
    closed = closed_among(s.pk for s in sessions)
    for session in sessions:
        session.deliberated = session.pk in closed


def date_text(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y")
