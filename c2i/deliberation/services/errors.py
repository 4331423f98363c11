"""The error every deliberation workflow raises: a code and a French message."""

from __future__ import annotations

from c2i.lib.errors import DomainError


class DeliberationError(DomainError):
    pass
