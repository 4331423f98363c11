"""Login throttling (issue 10, finding 7): after C2I_LOGIN_FAILURES_PER_ACCOUNT
wrong passwords for one username, or C2I_LOGIN_FAILURES_PER_ADDRESS from one
client address, within C2I_LOGIN_WINDOW, every attempt is refused until the
window ends — the right password too — with a message saying how long to wait,
the same whether the account exists or not. The admin's login is the same
door: it sends to /connexion/."""

from __future__ import annotations

import pytest
from django.test import Client

from c2i.lib import ratelimit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings) -> None:
    settings.C2I_LOGIN_FAILURES_PER_ACCOUNT = 5
    settings.C2I_LOGIN_FAILURES_PER_ADDRESS = 20
    settings.C2I_LOGIN_WINDOW = 900
    settings.C2I_CLIENT_IP_HEADER = ""


def attempt(client: Client, username: str, password: str):
    return client.post("/connexion/", {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return client.get("/mon-espace/").status_code == 200


def refusal(response) -> str:
    """The error shown above the form."""
    html = response.content.decode()
    start = html.index('role="alert"')
    return html[start : html.index("</div>", start)]


class TestLoginThrottling:
    def test_it_refuses_the_right_password_after_five_failures(self, demo) -> None:
        client = Client()
        for _ in range(5):
            assert attempt(client, "candidat-a1", "mauvais").status_code == 200
        response = attempt(client, "candidat-a1", "demo")
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 14 * 60
        assert "15" in refusal(response)  # minutes to wait
        assert 'name="password"' in response.content.decode()  # the page, with its form
        assert not signed_in(client)
        assert not signed_in(Client()) and attempt(Client(), "candidat-a1", "demo").status_code == 429  # any client

    def test_an_unknown_account_gets_the_same_refusal(self, demo) -> None:
        for username in ("candidat-a1", "personne-inconnue"):
            client = Client(REMOTE_ADDR=f"198.51.100.{len(username)}")
            for _ in range(5):
                attempt(client, username, "mauvais")
        known = attempt(Client(REMOTE_ADDR="198.51.100.200"), "candidat-a1", "demo")
        unknown = attempt(Client(REMOTE_ADDR="198.51.100.201"), "personne-inconnue", "demo")
        assert known.status_code == unknown.status_code == 429
        assert refusal(known) == refusal(unknown)

    def test_the_username_is_counted_whatever_its_case(self, demo) -> None:
        for username in ("Candidat-A1", "CANDIDAT-A1", "candidat-a1 ", "candidat-A1", "candidat-a1"):
            attempt(Client(), username, "mauvais")
        assert attempt(Client(), "candidat-a1", "demo").status_code == 429

    def test_a_success_neither_counts_nor_wipes_the_failures(self, demo) -> None:
        for _ in range(4):
            attempt(Client(), "candidat-a1", "mauvais")
        assert attempt(Client(), "candidat-a1", "demo").status_code == 302
        attempt(Client(), "candidat-a1", "mauvais")
        assert attempt(Client(), "candidat-a1", "demo").status_code == 429

    def test_it_counts_per_client_address(self, demo) -> None:
        attacker = Client(REMOTE_ADDR="203.0.113.7")
        for n in range(20):  # four tries on each of five names: no account reaches its limit
            attempt(attacker, f"nom-{n % 5}", "mauvais")
        response = attempt(attacker, "tuteur-a", "demo")
        assert response.status_code == 429 and not signed_in(attacker)
        assert attempt(Client(REMOTE_ADDR="203.0.113.8"), "tuteur-a", "demo").status_code == 302

    def test_a_room_behind_one_address_logs_in_at_once(self, demo) -> None:
        """Forty candidates of an exam room behind one NAT address, their
        logins in flight together (checked, not yet answered): the address
        counts failures only, so none of them is refused."""
        from django.test import RequestFactory

        from c2i.accounts import throttle

        room = RequestFactory(REMOTE_ADDR="198.51.100.20").post("/connexion/")
        assert [throttle.start_login(room, f"candidat-{n}") for n in range(40)] == [0] * 40
        for n in range(40):
            throttle.login_succeeded(room, f"candidat-{n}")
        for n in range(20):  # then twenty wrong passwords from that room: the address stops
            throttle.start_login(room, f"autre-{n}")
            throttle.login_failed(room, f"autre-{n}")
        assert throttle.start_login(room, "candidat-0") > 0

    def test_behind_a_proxy_the_forwarded_address_is_counted(self, demo, settings) -> None:
        settings.C2I_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
        settings.C2I_LOGIN_FAILURES_PER_ADDRESS = 3
        for n in range(3):
            attempt(Client(HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9"), f"nom-{n}", "mauvais")
        assert attempt(Client(HTTP_X_FORWARDED_FOR="203.0.113.9"), "tuteur-a", "demo").status_code == 429
        assert attempt(Client(HTTP_X_FORWARDED_FOR="203.0.113.10"), "tuteur-a", "demo").status_code == 302

    def test_the_window_ends(self, demo, monkeypatch) -> None:
        for _ in range(5):
            attempt(Client(), "candidat-a1", "mauvais")
        assert attempt(Client(), "candidat-a1", "demo").status_code == 429
        later = ratelimit.now() + 901
        monkeypatch.setattr(ratelimit, "now", lambda: later)
        assert attempt(Client(), "candidat-a1", "demo").status_code == 302


class TestAdminLogin:
    def test_the_admin_login_sends_to_the_throttled_page(self, demo) -> None:
        response = Client().get("/admin/")
        assert response.status_code == 302
        response = Client().get(response["Location"])
        assert response.status_code == 302 and response["Location"] == "/connexion/?next=/admin/"

    def test_the_admin_login_form_is_no_way_around(self, demo) -> None:
        client = Client()
        for _ in range(5):
            client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "mauvais"})
            attempt(client, "admin", "mauvais")
        response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "demo"})
        assert response.status_code == 302 and response["Location"].startswith("/connexion/")
        assert client.get("/admin/").status_code == 302  # not signed in
        assert attempt(client, "admin", "demo").status_code == 429

    def test_a_signed_in_person_without_the_admin_is_refused_not_looped(self, demo) -> None:
        client = demo.client("candidat-a1")
        assert client.get("/admin/login/?next=/admin/").status_code == 403
        assert demo.client("admin").get("/admin/").status_code == 200
