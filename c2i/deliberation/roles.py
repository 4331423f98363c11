"""Jury seats as roles (`accounts/roles.py`, registered by
`DeliberationConfig.ready`): no one sits on the jury of a session they are a
candidate of (`enrolment/conflicts.py`)."""

from __future__ import annotations

from typing import Any

from c2i.deliberation.models import JuryMember
from c2i.enrolment.conflicts import sessions_held


def jury_roles(user: Any) -> dict[str, Any]:
    """The `Roles` fields the jury knows: the sessions a user sits on, and chairs."""
    seats = list(JuryMember.objects.filter(user=user).values_list("institution_session_id", "is_chair"))
    if seats:
        held = sessions_held(user, [s for s, _ in seats])
        seats = [(s, chair) for s, chair in seats if s not in held]
    return {"jury_of": frozenset(s for s, _ in seats), "chair_of": frozenset(s for s, chair in seats if chair)}
