"""CAS 3.0 sign-in against a real CAS server (django-cas-server, its own
process: tests/sso_cas_server.py): the ticket comes from the server's own
login form, the platform validates it on the server and signs the person in."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.sso.models import CasSessionTicket, ExternalIdentity, IdentityProvider, SignInConflict
from tests.sso_cas_server import service_ticket, start_cas_server

pytestmark = pytest.mark.django_db

UAI = "0597065J"
SERVICE = f"http://testserver/connexion/etablissement/cas/{UAI}/retour/"
LOGOUT_REQUEST = """<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
 xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="x1" Version="2.0" IssueInstant="2026-12-02T10:00:00Z">
<saml:NameID>etudiant</saml:NameID><samlp:SessionIndex>{ticket}</samlp:SessionIndex></samlp:LogoutRequest>"""


@pytest.fixture(scope="module")
def cas_server():
    with start_cas_server(r"^http://testserver/") as server:
        yield server


@pytest.fixture
def provider(cas_server) -> IdentityProvider:
    from c2i.institutions.models import Institution

    institution, _ = Institution.objects.get_or_create(
        uai=UAI, defaults={"name": "Université CAS d'essai", "town": "Lille"}
    )
    return IdentityProvider.objects.create(
        institution=institution, protocol="cas", enabled=True, cas_server_url=cas_server.url
    )


def sign_in(client: Client, cas_server, username: str = "etudiant", password: str = "motdepasse-cas-1"):  # noqa: S107
    ticket = service_ticket(cas_server, SERVICE, username, password)
    return ticket, client.get(SERVICE, {"ticket": ticket})


class TestCasSignIn:
    def test_it_sends_the_browser_to_the_institutions_cas_server(self, provider, cas_server) -> None:
        answer = Client().get(reverse("sso:cas_login"), {"institution": UAI})
        assert answer.status_code == 302
        location = urlsplit(answer["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == cas_server.url + "login"
        assert parse_qs(location.query)["service"] == [SERVICE]

    def test_a_student_signs_in_completes_their_profile_and_sees_their_ine(self, provider, cas_server) -> None:
        client = Client()
        _ticket, answer = sign_in(client, cas_server)
        assert answer.status_code == 302 and answer["Location"] == reverse("sso:complete_profile")
        identity = ExternalIdentity.objects.get(provider=provider)
        assert (identity.subject, identity.ine, identity.student_id) == (
            "camille.durand@univ-cas.fr",
            "0DDG5R00015",
            "22100456",
        )
        assert identity.user.email == "camille.durand@etu.univ-cas.fr"
        profile = client.get(reverse("sso:complete_profile"))
        assert "0DDG5R00015" in profile.content.decode()
        done = client.post(reverse("sso:complete_profile"), {"birth_date": "2004-09-12", "birth_place": "Roubaix"})
        assert done.status_code == 302 and done["Location"] == reverse("enrolment:my_space")
        space = client.get(reverse("enrolment:my_space")).content.decode()
        assert "0DDG5R00015" in space and "Camille DURAND" in space
        assert identity.user.candidate.birth_date == dt.date(2004, 9, 12)
        assert AuditEntry.objects.filter(action=AuditAction.SSO_ACCOUNT_CREATE, object_id=str(identity.pk)).exists()

    def test_a_second_sign_in_goes_straight_to_the_candidate_space(self, provider, cas_server) -> None:
        sign_in(Client(), cas_server)
        user = ExternalIdentity.objects.get().user
        from c2i.sso.linking import complete_profile

        complete_profile(user, birth_date=dt.date(2004, 9, 12), birth_place="Roubaix")
        _ticket, answer = sign_in(Client(), cas_server)
        assert answer["Location"] == reverse("enrolment:my_space")
        assert AuditEntry.objects.filter(action=AuditAction.SSO_SIGN_IN).count() == 1

    def test_a_person_with_a_second_factor_gives_its_code_first(self, provider, cas_server) -> None:
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        sign_in(Client(), cas_server)
        user = ExternalIdentity.objects.get().user
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        client = Client()
        _ticket, answer = sign_in(client, cas_server)
        assert answer["Location"] == reverse("accounts:login_code")
        assert client.get(reverse("accounts:dashboard")).status_code == 302  # not signed in yet
        code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
        done = client.post(reverse("accounts:login_code"), {"code": code})
        assert done["Location"] == reverse("sso:complete_profile")
        assert client.get(reverse("accounts:dashboard")).status_code == 200

    def test_a_ticket_is_refused_a_second_time(self, provider, cas_server) -> None:
        ticket, _ = sign_in(Client(), cas_server)
        again = Client().get(SERVICE, {"ticket": ticket})
        assert again.status_code == 403
        assert "Veuillez réessayer" in again.content.decode()

    def test_a_made_up_ticket_signs_no_one_in(self, provider) -> None:
        client = Client()
        answer = client.get(SERVICE, {"ticket": "ST-inventé"})
        assert answer.status_code == 403
        assert "_auth_user_id" not in client.session

    def test_a_conflict_is_refused_in_french_and_left_for_the_correspondent(self, provider, cas_server) -> None:
        sign_in(Client(), cas_server)  # camille: INE 0DDG5R00015
        _ticket, answer = sign_in(Client(), cas_server, "doublon", "motdepasse-cas-2")
        assert answer.status_code == 403
        page = answer.content.decode()
        assert "correspondant" in page and "Connexion par votre établissement refusée" in page
        assert SignInConflict.objects.get().subject == "autre.personne@univ-cas.fr"

    def test_the_cas_servers_single_logout_ends_the_platform_session(self, provider, cas_server) -> None:
        client = Client()
        ticket, _ = sign_in(client, cas_server)
        assert client.get(reverse("accounts:dashboard")).status_code == 200
        assert CasSessionTicket.objects.filter(ticket=ticket).exists()
        slo = Client().post(SERVICE, {"logoutRequest": LOGOUT_REQUEST.format(ticket=ticket)})
        assert slo.status_code == 200
        assert client.get(reverse("accounts:dashboard")).status_code == 302  # signed out
        assert not CasSessionTicket.objects.exists()

    def test_signing_out_of_the_platform_signs_out_of_cas_too(self, provider, cas_server) -> None:
        client = Client()
        sign_in(client, cas_server)
        answer = client.post(reverse("accounts:logout"))
        assert answer.status_code == 302
        assert answer["Location"] == f"{reverse('sso:cas_logout')}?institution={UAI}"
        onwards = client.get(answer["Location"]).content.decode()
        logout_url = cas_server.url + "logout?service=http%3A%2F%2Ftestserver%2F"
        assert f'<meta http-equiv="refresh" content="0;url={logout_url}">' in onwards
        assert f'href="{logout_url}"' in onwards
        assert client.get(reverse("accounts:dashboard")).status_code == 302
        assert not CasSessionTicket.objects.exists()

    def test_a_local_sign_out_stays_local(self, demo) -> None:
        client = demo.client("candidat-a1")
        answer = client.post(reverse("accounts:logout"))
        assert answer["Location"] == reverse("home")

    def test_a_disabled_provider_is_not_offered(self, provider) -> None:
        provider.enabled = False
        provider.save()
        assert Client().get(reverse("sso:cas_login"), {"institution": UAI}).status_code == 404
        assert Client().get(SERVICE, {"ticket": "ST-x"}).status_code == 404
        assert "CAS d&#x27;essai" not in Client().get(reverse("sso:choose")).content.decode()


class TestChoice:
    def test_the_login_page_offers_the_institutions_sign_in(self, db) -> None:
        page = Client().get(reverse("accounts:login")).content.decode()
        assert "Se connecter avec mon établissement" in page and reverse("sso:choose") in page

    def test_the_choice_lists_and_searches_the_enabled_institutions(self, provider) -> None:
        page = Client().get(reverse("sso:choose")).content.decode()
        assert "Université CAS d&#x27;essai" in page
        assert "CAS d&#x27;essai" not in Client().get(reverse("sso:choose"), {"q": "Sorbonne"}).content.decode()
        assert "CAS d&#x27;essai" in Client().get(reverse("sso:choose"), {"q": "cas d'ess"}).content.decode()

    def test_choosing_an_institution_starts_its_sign_in(self, provider) -> None:
        answer = Client().get(reverse("sso:choose"), {"institution": UAI.lower(), "next": "/sessions/"})
        assert answer["Location"] == f"{reverse('sso:cas_login')}?institution={UAI}"
