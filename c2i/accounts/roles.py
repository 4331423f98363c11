"""Roles that other apps' records give: a candidate's record (enrolment), a
seat on a jury (deliberation). Accounts cannot read those tables without
depending on the apps above it, so each of them registers, in its
`AppConfig.ready()`, a function that reads its own tables for a user and
returns the fields of `access.Roles` it knows (e.g. `{"candidate_id": 12}`).
`access.roles()` asks every registered source once per request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

RoleSource = Callable[[Any], Mapping[str, Any]]

_SOURCES: dict[str, RoleSource] = {}


def register(name: str, source: RoleSource) -> None:
    """Register (or replace, when an app is readied again) the source `name`."""
    _SOURCES[name] = source


def from_other_apps(user: Any) -> dict[str, Any]:
    """The fields every registered source gives for this signed-in user."""
    fields: dict[str, Any] = {}
    for source in _SOURCES.values():
        fields.update(source(user))
    return fields
