"""The hash chain of the audit trail (pure: no Django).

Each entry carries the hash of the entry before it (`prev_hash`) and its own
hash (`entry_hash`): SHA-256 over a canonical JSON of the previous hash and
the entry's fields. Changing, removing or inserting a row anywhere breaks
every link after it, and `check` names the first broken entry.

The details of an entry are hashed through their own digest
(`details_digest`), so that the retention of old details can empty them
(`details_pruned_at` set) while the chain still proves that the date, the
author, the action and the object of every entry are the ones written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
VERSION = "c2i-audit-1"


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def as_stored(details: Any) -> Any:
    """The details as the database gives them back (tuples become lists, keys
    become strings): what is hashed is what will be read."""
    return json.loads(canonical_json(details))


def details_digest(details: Any) -> str:
    return hashlib.sha256(canonical_json(details).encode()).hexdigest()


def timestamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    prev_hash: str,
    at: dt.datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    digest: str,
) -> str:
    payload = canonical_json([VERSION, prev_hash, timestamp(at), actor_id, action, object_type, object_id, digest])
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored entry, as `check` reads it."""

    id: int
    at: dt.datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    details: Any
    details_digest: str
    details_pruned: bool
    prev_hash: str
    entry_hash: str

    def recomputed(self) -> str:
        return entry_hash(
            self.prev_hash, self.at, self.actor_id, self.action, self.object_type, self.object_id, self.details_digest
        )


# What `Break.problem` says went wrong (the command words it).
NOT_CHAINED = "not_chained"  # written without a hash (bypassing the chain)
ALTERED = "altered"  # date, author, action, object or hash changed after it was written
DETAILS_ALTERED = "details_altered"  # details no longer match their digest
UNLINKED = "unlinked"  # its previous hash is not the hash of the entry before it
TRUNCATED = "truncated"  # the chain's head names a later entry: the last ones were removed


@dataclass(frozen=True)
class Break:
    problem: str
    entry_id: int
    at: dt.datetime | None
    previous_id: int | None = None  # the entry before it in the table (UNLINKED), or the head's (TRUNCATED)
    expected: str = ""
    found: str = ""


@dataclass(frozen=True)
class Report:
    checked: int
    last_id: int
    last_hash: str
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def check(links: Iterable[Link], head: tuple[int, str] | None = None) -> Report:
    """Walk the entries in id order; the first broken one, if any. `head` is
    the (last id, last hash) the chain's head row recorded."""
    previous_id: int | None = None
    previous_hash = GENESIS
    count = 0
    for link in links:
        count += 1
        found = _check_one(link, previous_id, previous_hash)
        if found is not None:
            return Report(count, previous_id or 0, previous_hash, found)
        previous_id, previous_hash = link.id, link.entry_hash
    if head is not None and head != (previous_id or 0, previous_hash):
        return Report(
            count,
            previous_id or 0,
            previous_hash,
            Break(TRUNCATED, previous_id or 0, None, head[0], expected=head[1], found=previous_hash),
        )
    return Report(count, previous_id or 0, previous_hash, None)


def _check_one(link: Link, previous_id: int | None, previous_hash: str) -> Break | None:
    if not link.entry_hash:
        return Break(NOT_CHAINED, link.id, link.at, previous_id)
    if link.prev_hash != previous_hash:
        return Break(UNLINKED, link.id, link.at, previous_id, expected=previous_hash, found=link.prev_hash)
    if not link.details_pruned and details_digest(link.details) != link.details_digest:
        return Break(
            DETAILS_ALTERED,
            link.id,
            link.at,
            previous_id,
            expected=link.details_digest,
            found=details_digest(link.details),
        )
    if link.recomputed() != link.entry_hash:
        return Break(ALTERED, link.id, link.at, previous_id, expected=link.entry_hash, found=link.recomputed())
    return None
