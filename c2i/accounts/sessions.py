"""The session engine (SESSION_ENGINE = "c2i.accounts.sessions"): Django's
database sessions, stored in `accounts.Session`, whose `user` column says
whose login it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

if TYPE_CHECKING:
    from c2i.accounts.models import Session


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from c2i.accounts.models import Session

        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session = cast("Session", super().create_model_instance(data))
        user_id = data.get(SESSION_KEY)
        session.user_id = int(user_id) if isinstance(user_id, str | int) and str(user_id).isdigit() else None
        return session
