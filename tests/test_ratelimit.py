"""The one rate limiter (`c2i.lib.ratelimit`), seen through the public
verification API: C2I_VERIFY_LIMIT lookups per client address within
C2I_VERIFY_WINDOW seconds, then 429 until that window ends; an IPv6 address
counts with its /64 (as logins do); each scope has its own counters."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from c2i.lib import ratelimit

pytestmark = pytest.mark.django_db

MALFORMED = "/api/verifier/ABC"  # answered 400 "malformed" while the limit allows it


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.C2I_VERIFY_LIMIT = 2
    settings.C2I_VERIFY_WINDOW = 600
    settings.C2I_CLIENT_IP_HEADER = ""


def lookups(client: Client, n: int) -> list[int]:
    return [client.get(MALFORMED).status_code for _ in range(n)]


class TestRateLimit:
    def test_it_refuses_past_the_limit_until_the_window_ends(self, monkeypatch: Any) -> None:
        start = ratelimit.now()
        monkeypatch.setattr(ratelimit, "now", lambda: start)
        assert lookups(Client(), 3) == [400, 400, 429]
        monkeypatch.setattr(ratelimit, "now", lambda: start + 599)
        assert lookups(Client(), 1) == [429]  # refusals neither count nor extend the window
        monkeypatch.setattr(ratelimit, "now", lambda: start + 601)
        assert lookups(Client(), 3) == [400, 400, 429]

    def test_an_ipv6_address_counts_with_its_64(self) -> None:
        assert lookups(Client(REMOTE_ADDR="2001:db8:1:2::1"), 2) == [400, 400]
        assert lookups(Client(REMOTE_ADDR="2001:db8:1:2:ffff::9"), 1) == [429]
        assert lookups(Client(REMOTE_ADDR="2001:db8:1:3::1"), 1) == [400]

    def test_each_scope_has_its_own_counters(self) -> None:
        assert lookups(Client(), 3) == [400, 400, 429]
        for _ in range(2):
            response = Client().post("/mot-de-passe/oublie/", {"email": "personne@example.fr"})
            assert response.status_code == 302  # the forgotten-password scope is untouched
