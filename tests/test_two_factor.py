"""Two-factor authentication (issue 10): anyone turns it on in « Mon espace »
(a QR code drawn as inline SVG, one code to confirm, ten single-use recovery
codes shown once); then /connexion/ asks for a code after the password. With
C2I_REQUIRE_2FA on, national administrators (the admin site included) and jury
chairs must set it up before anything else; others are not forced."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from c2i.accounts import two_factor
from c2i.accounts.models import Session

pytestmark = pytest.mark.django_db

SETUP = "/mon-espace/double-authentification/"
CODES = "/mon-espace/double-authentification/codes-de-secours/"
OFF = "/mon-espace/double-authentification/desactiver/"


@pytest.fixture(autouse=True)
def _settings(settings) -> None:
    settings.C2I_REQUIRE_2FA = False
    settings.C2I_LOGIN_FAILURES_PER_ACCOUNT = 5


def turn_on(client: Client) -> list[str]:
    """Set up from the page as its owner does; the recovery codes shown."""
    assert client.get(SETUP).status_code == 200
    secret = client.session[two_factor.SETUP_KEY]
    response = client.post(SETUP, {"code": TOTP(bytes.fromhex(secret)).token()})
    assert response.status_code == 302 and response["Location"] == CODES
    return re.findall(r"<code>([a-z2-7]{8})</code>", client.get(CODES).content.decode())


def current_code(username: str) -> str:
    """The application's code for the next login. A code is accepted once per
    30-second step: forgetting the last step used (and the device's own
    slowing down) stands for the next step coming."""
    TOTPDevice.objects.filter(user__username=username).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    device = TOTPDevice.objects.get(user__username=username)
    return str(TOTP(device.bin_key).token()).zfill(6)


def password_step(client: Client, username: str, next_url: str = "") -> object:
    url = f"/connexion/?next={next_url}" if next_url else "/connexion/"
    return client.post(url, {"username": username, "password": "demo"})


def signed_in(client: Client) -> bool:
    return client.get("/mon-espace/").status_code == 200


class TestSetUp:
    def test_a_person_turns_it_on_from_my_space(self, demo) -> None:
        client = demo.client("candidat-a1")
        assert f'href="{SETUP}"' in client.get("/mon-espace/").content.decode()
        html = client.get(SETUP).content.decode()
        assert (
            'class="c2i-qr"' in html
            and "<svg" in html
            and "<script" not in html.split("<main", 1)[1].split("</main>")[0]
        )
        secret = client.session[two_factor.SETUP_KEY]
        assert two_factor.spelled_secret(secret) in html  # to type it without the camera
        wrong = client.post(SETUP, {"code": "000000"})
        assert wrong.status_code == 200 and 'id="id_code-desc-error"' in wrong.content.decode()
        assert not TOTPDevice.objects.filter(user__username="candidat-a1").exists()
        codes = turn_on(client)
        assert len(codes) == len(set(codes)) == 10
        assert client.get(CODES).status_code == 302  # shown once
        assert TOTPDevice.objects.get(user__username="candidat-a1").confirmed
        assert StaticToken.objects.filter(device__user__username="candidat-a1").count() == 10
        assert signed_in(client)  # this session was confirmed by the code

    def test_turning_it_on_signs_the_other_sessions_out(self, demo) -> None:
        here, elsewhere = demo.client("tuteur-a"), demo.client("tuteur-a")
        assert signed_in(elsewhere)
        turn_on(here)
        assert signed_in(here) and not signed_in(elsewhere)
        assert Session.objects.filter(user=demo.user("tuteur-a")).count() == 1

    def test_new_recovery_codes_replace_the_old_ones(self, demo) -> None:
        client = demo.client("candidat-a1")
        old = turn_on(client)
        assert client.post(CODES, {"code": "123"}).status_code == 302
        assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)  # a wrong code changes nothing
        client.post(CODES, {"code": current_code("candidat-a1")})
        new = re.findall(r"<code>([a-z2-7]{8})</code>", client.get(CODES).content.decode())
        assert len(new) == 10 and not set(new) & set(old)


def test_the_benchmarks_reference_reads_no_session(demo, django_assert_num_queries) -> None:
    """/ping/ is what the benchmarks compare the exam's answers to: a signed-in
    client's ping must not load its session and account (the 2FA gate)."""
    client = demo.client("candidat-a1")
    client.get("/ping/")
    with django_assert_num_queries(0):
        assert client.get("/ping/").content == b"ok"


class TestLogin:
    def test_the_code_is_asked_after_the_password(self, demo) -> None:
        turn_on(demo.client("candidat-a1"))
        client = Client()
        response = password_step(client, "candidat-a1", "/mon-espace/certification/")
        assert response.status_code == 302 and response["Location"] == "/connexion/code/"
        assert not signed_in(client)  # the password alone opens nothing
        assert client.get("/connexion/code/").status_code == 200
        response = client.post("/connexion/code/", {"code": current_code("candidat-a1")})
        assert response.status_code == 302 and response["Location"] == "/mon-espace/certification/"
        assert signed_in(client)

    def test_a_wrong_code_is_refused(self, demo) -> None:
        turn_on(demo.client("candidat-a1"))
        client = Client()
        password_step(client, "candidat-a1")
        right = current_code("candidat-a1")
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        response = client.post("/connexion/code/", {"code": wrong})
        assert response.status_code == 200 and 'id="id_code-desc-error"' in response.content.decode()
        assert not signed_in(client)

    def test_a_recovery_code_works_once(self, demo) -> None:
        codes = turn_on(demo.client("candidat-a1"))
        first = Client()
        password_step(first, "candidat-a1")
        assert first.post("/connexion/code/", {"code": codes[0].upper()}).status_code == 302
        assert signed_in(first)
        again = Client()
        password_step(again, "candidat-a1")
        assert again.post("/connexion/code/", {"code": codes[0]}).status_code == 200
        assert not signed_in(again)
        # the device slows down wrong codes (the next one waits a second): that second has passed
        StaticDevice.objects.filter(user__username="candidat-a1").update(throttling_failure_count=0)
        assert again.post("/connexion/code/", {"code": codes[1]}).status_code == 302
        assert StaticToken.objects.filter(device__user__username="candidat-a1").count() == 8

    def test_wrong_codes_count_as_failed_logins(self, demo) -> None:
        turn_on(demo.client("candidat-a1"))
        client = Client()
        password_step(client, "candidat-a1")
        for _ in range(4):  # the password step counted none: it succeeded
            client.post("/connexion/code/", {"code": "00000000"})
        client.post("/connexion/code/", {"code": "00000000"})
        response = client.post("/connexion/code/", {"code": current_code("candidat-a1")})
        assert response.status_code == 429 and not signed_in(client)

    def test_the_code_page_needs_the_password_first(self, demo) -> None:
        turn_on(demo.client("candidat-a1"))
        response = Client().post("/connexion/code/", {"code": current_code("candidat-a1")})
        assert response.status_code == 302 and response["Location"] == "/connexion/"

    def test_turning_it_off_needs_a_code(self, demo) -> None:
        client = demo.client("candidat-a1")
        turn_on(client)
        client.post(OFF, {"code": "000000"})
        assert TOTPDevice.objects.filter(user__username="candidat-a1").exists()
        client.post(OFF, {"code": current_code("candidat-a1")})
        assert not TOTPDevice.objects.filter(user__username="candidat-a1").exists()
        assert not StaticToken.objects.filter(device__user__username="candidat-a1").exists()
        assert password_step(Client(), "candidat-a1").status_code == 302  # the password alone again
        assert "/connexion/code/" not in password_step(Client(), "candidat-a1")["Location"]


class TestEnforcement:
    @pytest.fixture(autouse=True)
    def _required(self, settings) -> None:
        settings.C2I_REQUIRE_2FA = True

    @pytest.mark.parametrize("username", ["admin", "jury-a"])
    def test_a_required_person_without_a_factor_sets_it_up_first(self, demo, username: str) -> None:
        client = Client()
        assert password_step(client, username, "/mon-espace/").status_code == 302
        response = client.get("/mon-espace/")
        assert response.status_code == 302 and response["Location"] == f"{SETUP}?next=%2Fmon-espace%2F"
        assert client.get(SETUP).status_code == 200
        turn_on(client)
        assert signed_in(client)

    def test_the_admin_site_too(self, demo) -> None:
        client = Client()
        password_step(client, "admin", "/admin/")
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith(SETUP)
        turn_on(client)
        assert client.get("/admin/").status_code == 200

    def test_a_session_opened_without_the_code_is_asked_for_it(self, demo) -> None:
        turn_on(demo.client("admin"))
        client = demo.client("admin")  # e.g. opened before the factor was required
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"] == "/connexion/code/?next=%2Fadmin%2F"
        response = client.post("/connexion/code/?next=/admin/", {"code": current_code("admin")})
        assert response["Location"] == "/admin/" and client.get("/admin/").status_code == 200

    def test_turning_it_off_sends_to_set_it_up_again(self, demo) -> None:
        client = Client()
        password_step(client, "jury-a")
        turn_on(client)
        client.post(OFF, {"code": current_code("jury-a")})
        assert client.get("/mon-espace/")["Location"].startswith(SETUP)

    @pytest.mark.parametrize("username", ["candidat-a1", "correspondant-a", "tuteur-a", "relecteur"])
    def test_others_are_not_forced(self, demo, username: str) -> None:
        client = Client()
        assert password_step(client, username).status_code == 302
        assert signed_in(client)

    def test_off_in_development_the_demo_accounts_log_in_with_their_password(self, demo, settings) -> None:
        settings.C2I_REQUIRE_2FA = False
        client = Client()
        password_step(client, "admin")
        assert signed_in(client) and client.get("/admin/").status_code == 200
