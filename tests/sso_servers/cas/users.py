"""The test CAS server's people: a fixed list (settings.CAS_USERS:
username → {"password": ..., "attributes": {...}}), as a university's
directory would answer for them."""

from typing import Any

from cas_server.auth import AuthUser
from django.conf import settings


def _people() -> dict[str, dict[str, Any]]:
    return dict(getattr(settings, "CAS_USERS", {}))


class FixedUser(AuthUser):
    def test_password(self, password: str) -> bool:
        user = _people().get(self.username)
        return bool(user) and password == user["password"]  # type: ignore[index]

    def attributs(self) -> dict[str, Any]:
        return dict(_people().get(self.username, {}).get("attributes", {}))
