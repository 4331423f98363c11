"""The authentication backend of the sessions an institution's sign-in opens:
it checks no password (the institution did), it only brings the person back
on each request, as long as their account is active."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from c2i.accounts.models import User


class InstitutionBackend(BaseBackend):
    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None  # never from a form: c2i.sso.signin.open_session logs the person in

    def get_user(self, user_id: Any) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
