"""SAML 2 single sign-on against a real IdP (tests/sso_saml_idp.py, its own
process on 127.0.0.1): the platform's AuthnRequest, the IdP's login form
posted with httpx, its signed Response to the ACS; refusals (unsigned,
another audience, unsolicited) in French; single logout both ways; the
metadata read from the IdP's URL and kept."""

from __future__ import annotations

import base64
import html
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from c2i.sso import saml
from c2i.sso.models import ExternalIdentity, IdentityProvider
from tests.sso_saml_idp import USERS, RunningIdP, free_port, start_idp

pytestmark = pytest.mark.django_db
PASSWORD = USERS["etudiant"]["password"]
SENT: list[str] = []  # the IdP's Responses, as posted to the ACS


class _Metadata:
    """The platform's SP metadata, served over HTTP for the IdP to read (the
    platform itself answers the tests through Django's test client)."""

    def __init__(self) -> None:
        self.body = b""
        port = free_port()
        holder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.end_headers()
                self.wfile.write(holder.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/sp.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def sp_metadata() -> Iterator[_Metadata]:
    served = _Metadata()
    yield served
    served.server.shutdown()


@pytest.fixture(scope="module")
def idp(sp_metadata: _Metadata) -> Iterator[RunningIdP]:
    with start_idp(sp_metadata.url) as running:
        yield running


@pytest.fixture
def provider(demo, idp: RunningIdP, sp_metadata: _Metadata) -> IdentityProvider:
    sp_metadata.body = Client().get(reverse("sso:saml_metadata")).content
    provider = IdentityProvider.objects.create(
        institution=demo.institution("a"), protocol="saml", enabled=True, saml_metadata_url=idp.metadata_url
    )
    return saml.refresh_metadata(provider)


def _form(page: str) -> tuple[str, dict[str, str]]:
    """The action and the hidden fields of the (first) form of a page."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert action, page
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields.items()}


def sign_in(client: Client, idp: RunningIdP, username: str, uai: str = "0692437Z", password: str = PASSWORD) -> Any:
    """The whole trip: the platform's AuthnRequest, the IdP's login form
    filled in, its Response posted back to the ACS; the ACS's answer."""
    start = client.get(reverse("sso:saml_login"), {"institution": uai})
    assert start.status_code == 302, start.content
    location = start["Location"]
    assert location.startswith(f"{idp.base}/sso/redirect?SAMLRequest="), location
    assert "Signature=" in location  # the AuthnRequest is signed
    with httpx.Client(base_url=idp.base, timeout=10) as browser:
        login_page = browser.get(location)
        assert "Mot de passe" in login_page.text, login_page.text
        _, fields = _form(login_page.text)
        answer = browser.post("/login", data={**fields, "username": username, "password": password})
    assert answer.status_code == 200, answer.text
    action, saml_fields = _form(answer.text)
    assert set(saml_fields) >= {"SAMLResponse"}, answer.text
    assert action.endswith(reverse("sso:saml_acs"))
    SENT.append(base64.b64decode(saml_fields["SAMLResponse"]).decode())
    return client.post(urlsplit(action).path, saml_fields)


def test_it_signs_a_student_in_and_fills_their_ine(provider: IdentityProvider, idp: RunningIdP) -> None:
    client = Client()
    response = sign_in(client, idp, "etudiant")
    assert response.status_code == 302, response.content.decode()
    identity = ExternalIdentity.objects.get(provider=provider)
    assert identity.subject == "lea.martin@univ-test.fr"
    assert identity.user.email == "lea.martin@etu.univ-test.fr"
    assert (identity.user.first_name, identity.user.last_name) == ("Léa", "Martin")
    assert identity.ine == "1234567890V"
    assert identity.student_id == "21900123"
    # Signed in: the next page is theirs.
    landing = client.get(response["Location"], follow=True)
    assert landing.wsgi_request.user == identity.user
    assert "1234567890V" in landing.content.decode()
    # A second sign-in is the same account, no duplicate.
    client.logout()
    again = Client()
    assert sign_in(again, idp, "etudiant").status_code == 302
    assert ExternalIdentity.objects.filter(provider=provider).count() == 1


def test_it_decrypts_an_encrypted_assertion(provider: IdentityProvider, idp: RunningIdP) -> None:
    assert sign_in(Client(), idp, "etudiant-chiffre").status_code == 302
    assert "EncryptedAssertion" in SENT[-1] and "hugo.bernard" not in SENT[-1]
    identity = ExternalIdentity.objects.get(provider=provider)
    assert (identity.subject, identity.ine) == ("hugo.bernard@univ-test.fr", "0DDG5R00015")


def test_it_refuses_an_unsigned_response(provider: IdentityProvider, idp: RunningIdP) -> None:
    response = sign_in(Client(), idp, "sans-signature")
    assert response.status_code == 403
    assert "n’est pas signée" in response.content.decode() or "pas signée" in response.content.decode()
    assert not ExternalIdentity.objects.exists()


def test_it_refuses_a_response_meant_for_another_service(provider: IdentityProvider, idp: RunningIdP) -> None:
    response = sign_in(Client(), idp, "autre-audience")
    assert response.status_code == 403
    assert "destinée à cette plateforme" in response.content.decode() or "pas destinée" in response.content.decode()
    assert not ExternalIdentity.objects.exists()


def test_it_refuses_a_response_it_did_not_ask_for(provider: IdentityProvider, idp: RunningIdP) -> None:
    """The Response is replayed in another browser (no outstanding request)."""
    start = Client().get(reverse("sso:saml_login"), {"institution": "0692437Z"})
    with httpx.Client(base_url=idp.base, timeout=10) as browser:
        _, fields = _form(browser.get(start["Location"]).text)
        answer = browser.post("/login", data={**fields, "username": "etudiant", "password": PASSWORD})
    action, saml_fields = _form(answer.text)
    response = Client().post(urlsplit(action).path, saml_fields)
    assert response.status_code == 403
    assert "ne vous a pas" in response.content.decode() or "pas demandé" in response.content.decode()
    assert not ExternalIdentity.objects.exists()


def test_it_refuses_an_institution_without_saml(demo) -> None:
    response = Client().get(reverse("sso:saml_login"), {"institution": "0692437Z"})
    assert response.status_code == 404
    assert "utilisez votre mot de passe de la plateforme" in response.content.decode()


def test_its_endpoints_reached_by_hand_say_where_to_start(demo) -> None:
    for response in (Client().post(reverse("sso:saml_acs")), Client().get(reverse("sso:saml_sls"))):
        assert response.status_code == 400
        assert "commencez depuis la page de connexion" in response.content.decode()


def test_single_logout_started_by_the_platform_reaches_the_idp(provider: IdentityProvider, idp: RunningIdP) -> None:
    client = Client()
    assert sign_in(client, idp, "etudiant").status_code == 302
    start = client.post(reverse("accounts:logout"))
    # the platform's log-out hands over, the same POST (its CSRF token with it)
    assert start.status_code == 307 and start["Location"] == reverse("sso:saml_logout")
    assert client.get(start["Location"]).status_code == 405  # a link of another site signs no one out
    onwards = client.post(start["Location"])
    # a page of ours goes on to the IdP (CSP form-action 'self' forbids a redirection after the form)
    assert onwards.status_code == 200
    refresh = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', onwards.content.decode())
    assert refresh, onwards.content.decode()
    location = html.unescape(refresh[1])
    assert location.startswith(f"{idp.base}/slo/redirect?SAMLRequest="), location
    with httpx.Client(timeout=10) as browser:
        back = browser.get(location)
    assert back.status_code == 303
    assert back.headers["Location"].split("?")[0].endswith(reverse("sso:saml_sls"))
    done = client.get(urlsplit(back.headers["Location"]).path + "?" + urlsplit(back.headers["Location"]).query)
    assert done.status_code == 302
    assert done["Location"] == reverse("home")
    assert not client.get(reverse("accounts:dashboard")).wsgi_request.user.is_authenticated
    assert idp.log()[-1] == {"event": "logout", "user": "etudiant", "sp": saml.sp_entity_id(), "signed": "True"}


def test_single_logout_started_by_the_institution_ends_the_session(provider: IdentityProvider, idp: RunningIdP) -> None:
    client = Client()
    assert sign_in(client, idp, "etudiant").status_code == 302
    with httpx.Client(timeout=10) as browser:
        request = browser.get(f"{idp.base}/logout", params={"user": "etudiant"})
    assert request.status_code == 303
    url = urlsplit(request.headers["Location"])
    assert url.path == reverse("sso:saml_sls") and "SAMLRequest" in parse_qs(url.query)
    answer = client.get(f"{url.path}?{url.query}")
    assert answer.status_code == 302
    assert answer["Location"].startswith(f"{idp.base}/slo/redirect?SAMLResponse=")
    assert not client.get(reverse("accounts:dashboard")).wsgi_request.user.is_authenticated
    with httpx.Client(timeout=10) as browser:
        assert browser.get(answer["Location"]).status_code == 200
    assert idp.log()[-1] == {"event": "logout-confirmed"}


def test_the_sp_metadata_names_what_the_federation_needs(provider: IdentityProvider) -> None:
    response = Client().get(reverse("sso:saml_metadata"))
    body = response.content.decode()
    assert response["Content-Type"].startswith("application/samlmetadata+xml")
    assert f'entityID="{saml.sp_entity_id()}"' in body
    assert reverse("sso:saml_acs") in body and reverse("sso:saml_sls") in body
    assert 'use="signing"' in body and 'use="encryption"' in body
    assert "urn:oid:1.3.6.1.4.1.5923.1.1.1.6" in body  # eduPersonPrincipalName requested


def test_metadata_is_kept_and_a_failed_refresh_keeps_it(provider: IdentityProvider, idp: RunningIdP, capsys) -> None:
    assert provider.saml_entity_id == idp.entity_id
    assert provider.saml_metadata_fetched_at is not None
    kept = provider.saml_metadata_xml
    call_command("refresh_saml_metadata")
    assert idp.entity_id in capsys.readouterr().out
    IdentityProvider.objects.filter(pk=provider.pk).update(saml_metadata_url="http://127.0.0.1:9/nothing.xml")
    with pytest.raises(Exception, match="1 metadata"):
        call_command("refresh_saml_metadata")
    provider.refresh_from_db()
    assert provider.saml_metadata_xml == kept


def test_a_federation_aggregate_is_read_only_with_the_federation_signature(
    provider: IdentityProvider, idp: RunningIdP, settings, tmp_path
) -> None:
    settings.C2I_SAML_METADATA_SIGNING_CERT = str(tmp_path / "federation.crt")
    (tmp_path / "federation.crt").write_text(idp.certificate())
    provider.saml_metadata_url = f"{idp.base}/federation.xml"
    provider.saml_metadata_xml = ""
    saml.refresh_metadata(provider)  # signed by the federation: its IdP kept
    provider.refresh_from_db()
    assert (
        provider.saml_metadata_xml.lstrip().startswith("<") and "EntitiesDescriptor" not in provider.saml_metadata_xml
    )
    assert idp.entity_id in provider.saml_metadata_xml
    provider.saml_metadata_url = idp.metadata_url  # the IdP's own document: not signed
    with pytest.raises(saml.MetadataError, match="pas signées par la fédération"):
        saml.refresh_metadata(provider)
    (tmp_path / "federation.crt").write_text(_other_certificate(tmp_path))
    provider.saml_metadata_url = f"{idp.base}/federation.xml"  # signed, by another key
    with pytest.raises(saml.MetadataError, match="pas signées par la fédération"):
        saml.refresh_metadata(provider)


def _other_certificate(folder) -> str:
    from tests.sso_saml_idp import generate_key_pair

    (folder / "other").mkdir()
    return generate_key_pair(folder / "other", "Une autre fédération")[1].read_text()


def test_it_reads_one_idp_out_of_a_federation_aggregate(provider: IdentityProvider) -> None:
    entity = provider.saml_metadata_xml
    body = entity[entity.index("<", entity.index("?>") + 2 if "?>" in entity else 0) :]
    other = body.replace(provider.saml_entity_id, "https://idp.autre-universite.fr/idp/shibboleth")
    aggregate = (
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        + other
        + body
        + "</md:EntitiesDescriptor>"
    )
    entity_id, kept = saml.metadata_entity(aggregate, provider.saml_entity_id)
    assert entity_id == provider.saml_entity_id
    assert "autre-universite" not in kept
    with pytest.raises(saml.MetadataError, match="2"):
        saml.metadata_entity(aggregate, "")


def test_attributes_are_read_by_oid_and_by_friendly_name() -> None:
    read = saml.attributes(
        {
            "eduPersonPrincipalName": ["a@u.fr"],
            "urn:oid:1.3.6.1.4.1.7135.1.2.1.26": ["1234567890V"],
            "urn:oid:1.3.6.1.4.1.7135.1.2.1.11": ["42"],
        }
    )
    assert read["supannCodeINE"] == ["1234567890V"]
    assert read["supannEtuId"] == ["42"]
    assert read["urn:oid:1.3.6.1.4.1.5923.1.1.1.6"] == ["a@u.fr"]


def test_the_administrator_s_save_reads_the_metadata_at_once(demo, idp: RunningIdP) -> None:
    """A provider saved with its metadata URL can sign people in straight
    away; an address that cannot be read is refused in French, nothing kept."""
    from tests.test_sso_admin_pages import FORM

    client = demo.client("admin")
    form = {
        **FORM,
        "institution": demo.institution("b").pk,
        "protocol": "saml",
        "cas_server_url": "",
        "saml_entity_id": idp.entity_id,
    }
    refused = client.post(reverse("sso:provider_create"), {**form, "saml_metadata_url": "http://127.0.0.1:9/md.xml"})
    assert refused.status_code == 200
    assert not IdentityProvider.objects.filter(institution=demo.institution("b")).exists()
    assert "métadonnées" in refused.content.decode()
    assert "fr-input-group--error" in refused.content.decode()
    saved = client.post(reverse("sso:provider_create"), {**form, "saml_metadata_url": idp.metadata_url})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    provider = IdentityProvider.objects.get(institution=demo.institution("b"))
    assert provider.saml_entity_id == idp.entity_id and idp.entity_id in provider.saml_metadata_xml
    assert provider.saml_metadata_fetched_at is not None
