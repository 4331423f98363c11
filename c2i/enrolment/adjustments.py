"""Exam adjustments (« aménagements d'épreuve ») of an enrolment.

Set once per enrolment by the institution's correspondent (or typed in the
candidates' import, then given to the enrolment when the candidate confirms
it) and applied to every test of the session: extra time as a percentage of
each test's duration (the « tiers-temps » is 33 %, rounded up to the whole
minute: `assessment.services.exams.extra_minutes`), larger text, a separate
room, and a reference (the date of the disability service's opinion, never
medical details). One test's exceptional minutes (`assessment.ExtraTime`)
replace the percentage for that test.

Changing them moves the deadline of a running sitting: the exam registers
that part here (`register_hook`, from `AssessmentConfig.ready`), so that
enrolment imports nothing from the exam. Frozen once the jury has closed its
deliberation (docs/lifecycle.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.enrolment import freeze
from c2i.enrolment.models import Enrolment, EnrolmentStatus
from c2i.lib.errors import DomainError
from c2i.lib.text import clean_name

MAX_PERCENT = 200
TIERS_TEMPS = 33
NOTE_LENGTH = 200

# (enrolment with its new values, its previous percentage) -> what moved, for the audit trail;
# called inside the change's transaction.
AdjustmentsHook = Callable[[Enrolment, int], list[dict[str, Any]]]
_HOOKS: dict[str, AdjustmentsHook] = {}


def register_hook(name: str, hook: AdjustmentsHook) -> None:
    _HOOKS[name] = hook


def percent_label(percent: int) -> str:
    if percent == TIERS_TEMPS:
        return _("tiers-temps (+33 %)")
    return _("+%(percent)s %% time") % {"percent": percent}


def labels(percent: int, larger_text: bool, separate_room: bool) -> list[str]:
    """The adjustments in a few words, for badges and pages."""
    said = [percent_label(percent)] if percent else []
    if larger_text:
        said.append(_("large print"))
    if separate_room:
        said.append(_("separate room"))
    return said


def enrolment_labels(enrolment: Enrolment) -> list[str]:
    return labels(enrolment.extra_time_percent, enrolment.larger_text, enrolment.separate_room)


_PERCENT = re.compile(r"(\d{1,3})(?:[.,](\d+))?\s*%?")
_TIERS_TEMPS = {"tiers-temps", "tiers temps", "tierstemps", "1/3", "tiers"}


def parse_percent(text: str) -> int:
    """« 33 », « 33 % », « tiers-temps », empty (0); a spreadsheet's 33 %
    cell arrives as 0.33. ValueError for anything else or out of 0–200."""
    value = " ".join(text.strip().lower().replace("\u00a0", " ").split())
    if not value:
        return 0
    if value in _TIERS_TEMPS:
        return TIERS_TEMPS
    match = _PERCENT.fullmatch(value)
    if match is None:
        raise ValueError(text)
    whole, decimals = match.groups()
    if decimals is None:
        percent = int(whole)
    elif whole == "0" and not value.endswith("%"):  # a spreadsheet's percent cell: 0.33 is 33 %
        percent = round(float(f"0.{decimals}") * 100)
    else:
        raise ValueError(text)
    if not 0 <= percent <= MAX_PERCENT:
        raise ValueError(text)
    return percent


def check_values(extra_time_percent: int, note: str) -> str:
    """Refuse what is out of range; the note as it is stored."""
    if not 0 <= extra_time_percent <= MAX_PERCENT:
        raise DomainError(
            "extra_time_percent_range",
            _("Extra time is a percentage of the test's duration between 0 and 200 (the tiers-temps is 33 %)."),
        )
    try:
        return clean_name(note, field=_("Reference"), max_length=NOTE_LENGTH)
    except ValidationError as error:
        raise DomainError("adjustments_note", error.messages[0]) from error


def refusal(enrolment: Enrolment, *, lock: bool = False) -> DomainError | None:
    """Why this enrolment's adjustments cannot change now, or None (the page
    says it before anyone fills the form in)."""
    if enrolment.status != EnrolmentStatus.ACTIVE:
        return DomainError("not_active", _("This enrolment is withdrawn: its exam adjustments can no longer change."))
    closed = freeze.closed_at(enrolment.institution_session_id, lock=lock)
    if closed is not None:
        return DomainError(
            "deliberated",
            _("The jury of this session deliberated on %(date)s: the exam adjustments can no longer change.")
            % {"date": freeze.date_text(closed)},
        )
    return None


@transaction.atomic
def set_adjustments(
    enrolment: Enrolment,
    *,
    extra_time_percent: int,
    larger_text: bool,
    separate_room: bool,
    note: str,
    actor: User | None,
) -> Enrolment:
    """The correspondent sets the enrolment's adjustments; a running sitting
    of the session's test gets its new deadline (the exam's hook), unless it
    was reopened (its end is then the reopening's)."""
    note = check_values(extra_time_percent, note)
    locked = Enrolment.objects.select_for_update().select_related("institution_session").get(pk=enrolment.pk)
    problem = refusal(locked, lock=True)
    if problem is not None:
        raise problem
    previous_percent = locked.extra_time_percent
    before = {
        "extra_time_percent": previous_percent,
        "larger_text": locked.larger_text,
        "separate_room": locked.separate_room,
        "note": locked.adjustments_note,
    }
    after = {
        "extra_time_percent": extra_time_percent,
        "larger_text": larger_text,
        "separate_room": separate_room,
        "note": note,
    }
    if before == after:
        return locked
    locked.extra_time_percent = extra_time_percent
    locked.larger_text = larger_text
    locked.separate_room = separate_room
    locked.adjustments_note = note
    locked.save(update_fields=["extra_time_percent", "larger_text", "separate_room", "adjustments_note"])
    moved: list[dict[str, Any]] = []
    for hook in _HOOKS.values():
        moved += hook(locked, previous_percent)
    audit(actor, AuditAction.ENROLMENT_ADJUSTMENTS, locked, before=before, after=after, moved=moved)
    return locked
