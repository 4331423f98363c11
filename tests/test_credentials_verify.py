"""Public verification (RULES.md R15): the /verifier/ pages and the JSON API
for valid, replaced, revoked, mistyped and unknown codes, only the public
facts, the rate limit, and Open Badges 3.0 credentials (download, upload,
tampering, key rotation, the key and issuer documents)."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.credentials import badges, keys, services, status
from c2i.credentials.models import IssuedDocument
from c2i.deliberation.models import OutcomeStatus
from c2i.lib import codes
from tests.credentials_support import SITE, certified_and_not, isolated, set_outcome

__all__ = ["isolated"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(demo: Any, isolated: Any) -> dict[str, IssuedDocument]:
    """a1: a valid certificate; a2: an attestation replaced by a rectification; b: a revoked one."""
    a1, a2 = certified_and_not(demo)
    _x, valid = services.produce_document(a1, None)
    _y, replaced = services.produce_document(a2, None)
    set_outcome(a2, OutcomeStatus.NOT_CERTIFIED, ["D1", "D2", "D3"])
    replacing = services.reissue_document(a2, None, "Rectification")
    set_outcome(a1, OutcomeStatus.NOT_CERTIFIED, ["D1"])
    assert valid and replaced and replacing
    # a revoked document: issue one more for a1 through a rectification, then revoke it
    revoked = services.reissue_document(a1, None, "Rectification")
    assert revoked is not None
    services.revoke_document(revoked, None, "Fraude")
    valid.refresh_from_db()
    replaced.refresh_from_db()
    revoked.refresh_from_db()
    return {"valid": replacing, "replaced": replaced, "revoked": revoked}


def api(code: str) -> Any:
    return Client().get(f"/api/verifier/{code}")


def unknown_code() -> str:
    while True:
        code = codes.new_code()
        if not IssuedDocument.objects.filter(code=code).exists():
            return code


def mistype(code: str) -> str:
    first = code[0]
    other = next(s for s in codes.ALPHABET if s != first)
    return other + code[1:]


class TestVerificationByCode:
    def test_a_valid_code_shows_the_public_facts_only(self, demo: Any, issued: dict[str, IssuedDocument]) -> None:
        document = issued["valid"]
        response = api(document.code)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "valid"
        assert body["holder_name"] == document.holder_name
        assert body["framework"] == "C2i1" and body["institution"] == document.institution_name
        assert [d["code"] for d in body["validated_domains"]] == ["D1", "D2", "D3"]
        candidate = document.enrolment.candidate
        text = json.dumps(body, ensure_ascii=False)
        assert candidate.email not in text
        assert candidate.birth_date.isoformat() not in text and candidate.birth_date.strftime("%d/%m/%Y") not in text
        assert "confidentielle" not in text and "Rectification" not in text
        page = Client().get(f"/verifier/{document.code}").content.decode()
        assert document.holder_name in page and candidate.email not in page and "confidentielle" not in page
        assert 'data-status="valid"' in page

    def test_the_code_is_normalised(self, demo: Any, issued: dict[str, IssuedDocument]) -> None:
        code = issued["valid"].code
        typed = code.replace("-", " ").lower().replace("0", "o").replace("1", "l")
        assert api(typed).json()["code"] == code
        assert 'data-status="valid"' in Client().get(f"/verifier/{typed}").content.decode()

    def test_a_replaced_code_names_the_replacing_one(self, demo: Any, issued: dict[str, IssuedDocument]) -> None:
        body = api(issued["replaced"].code).json()
        assert body["status"] == "replaced" and body["replaced_by"] == issued["valid"].code
        page = Client().get(f"/verifier/{issued['replaced'].code}").content.decode()
        assert 'data-status="replaced"' in page and issued["valid"].code in page

    def test_a_revoked_code_says_so(self, demo: Any, issued: dict[str, IssuedDocument]) -> None:
        body = api(issued["revoked"].code).json()
        assert body["status"] == "revoked" and "Fraude" not in json.dumps(body)
        assert 'data-status="revoked"' in Client().get(f"/verifier/{issued['revoked'].code}").content.decode()

    def test_a_mistyped_code_is_told_it_is_mistyped(self, demo: Any, issued: dict[str, IssuedDocument]) -> None:
        response = api(mistype(issued["valid"].code))
        assert response.status_code == 400 and response.json()["status"] == "mistyped"
        assert 'data-status="mistyped"' in Client().get(f"/verifier/{mistype(issued['valid'].code)}").content.decode()
        assert api("ABC").json()["status"] == "malformed"

    def test_unknown_codes_all_get_the_same_answer(self, demo: Any, issued: dict[str, IssuedDocument]) -> None:
        first, second = api(unknown_code()), api(unknown_code())
        assert first.status_code == second.status_code == 404
        assert first.content == second.content
        assert first.json()["status"] == "unknown"
        page_a = Client().get(f"/verifier/{unknown_code()}").content.decode()
        assert 'data-status="unknown"' in page_a

    def test_the_form_redirects_to_the_code_page(self, demo: Any, isolated: Any) -> None:
        response = Client().get("/verifier/", {"code": " 7kq2h xd94m rc0w7 "})
        assert response.status_code == 302 and response["Location"] == "/verifier/7kq2h%20xd94m%20rc0w7"

    def test_lookups_are_rate_limited_per_address(self, demo: Any, isolated: Any, settings: Any) -> None:
        settings.C2I_VERIFY_LIMIT = 3
        code = unknown_code()
        assert [api(code).status_code for _ in range(3)] == [404, 404, 404]
        limited = api(code)
        assert limited.status_code == 429 and limited.json()["message"]
        assert Client().get(f"/verifier/{code}").status_code == 429
        other = Client(REMOTE_ADDR="192.0.2.7").get(f"/api/verifier/{code}")
        assert other.status_code == 404


class TestOpenBadges:
    def credential(self, demo: Any, document: IssuedDocument) -> dict[str, Any]:
        response = demo.client("candidat-a2").get(f"/documents/{document.pk}/open-badge.json")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        return json.loads(response.content)

    def post(self, credential: Any) -> Any:
        return Client().post("/api/verifier/credential", json.dumps(credential), content_type="application/json")

    def test_the_holder_downloads_a_signed_credential(self, demo: Any, issued: dict[str, IssuedDocument]) -> None:
        document = issued["valid"]
        credential = self.credential(demo, document)
        assert credential["id"] == f"{SITE}/verifier/{document.code}"
        assert credential["issuer"]["id"] == f"{SITE}/emetteur"
        assert credential["proof"]["verificationMethod"].startswith(f"{SITE}/emetteur#")
        assert credential["credentialStatus"]["statusListIndex"] == str(document.pk)
        assert demo.client("candidat-a1").get(f"/documents/{document.pk}/open-badge.json").status_code == 404
        assert demo.client("correspondant-a").get(f"/documents/{document.pk}/open-badge.json").status_code == 403

    def test_an_uploaded_credential_is_accepted_and_a_tampered_one_refused(
        self, demo: Any, issued: dict[str, IssuedDocument]
    ) -> None:
        document = issued["valid"]
        credential = self.credential(demo, document)
        body = self.post(credential).json()
        assert body["signature_valid"] is True and body["document"]["status"] == "valid"
        assert body["document"]["code"] == document.code

        tampered = copy.deepcopy(credential)
        tampered["credentialSubject"]["identifier"][0]["identityHash"] = "Quelqu'un d'autre"
        body = self.post(tampered).json()
        assert body["signature_valid"] is False and body["signature"] == "altered" and body["document"] is None

        upload = SimpleUploadedFile("badge.json", json.dumps(credential).encode(), "application/json")
        page = Client().post("/verifier/", {"credential": upload}).content.decode()
        assert 'data-signature="ok"' in page and document.holder_name in page
        upload = SimpleUploadedFile("badge.json", json.dumps(tampered).encode(), "application/json")
        page = Client().post("/verifier/", {"credential": upload}).content.decode()
        assert 'data-signature="altered"' in page
        upload = SimpleUploadedFile("badge.json", b"not json", "application/json")
        assert 'data-signature="malformed"' in Client().post("/verifier/", {"credential": upload}).content.decode()

    def test_a_credential_signed_before_a_rotation_still_verifies(
        self, demo: Any, issued: dict[str, IssuedDocument], settings: Any
    ) -> None:
        credential = self.credential(demo, issued["valid"])
        old_key = credential["proof"]["verificationMethod"]
        call_command("rotate_signing_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert keys.current(settings.C2I_KEYS_DIR).verification_method(SITE) != old_key
        assert self.post(credential).json()["signature_valid"] is True
        assert self.credential(demo, issued["valid"]) == credential  # signed once: the rotation re-signs nothing
        profile = Client().get("/emetteur").json()
        assert old_key in profile["assertionMethod"] and len(profile["assertionMethod"]) == 2

    def test_every_download_returns_the_same_bytes(
        self, demo: Any, issued: dict[str, IssuedDocument], settings: Any
    ) -> None:
        document = issued["valid"]
        client = demo.client("candidat-a2")
        first = client.get(f"/documents/{document.pk}/open-badge.json").content
        call_command("rotate_signing_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
        again = client.get(f"/documents/{document.pk}/open-badge.json").content
        assert first == again == services.credential_bytes(document)
        assert json.loads(first)["proof"]["created"]  # signed at issue time, stored with the document

    def test_a_document_issued_before_is_signed_once_on_its_first_download(
        self, demo: Any, issued: dict[str, IssuedDocument]
    ) -> None:
        document = issued["valid"]
        IssuedDocument.objects.filter(pk=document.pk).update(credential="", status_index=None)
        document.refresh_from_db()
        first = services.credential_bytes(document)
        document.refresh_from_db()
        assert document.status_index == document.pk and document.credential.encode() == first
        second = demo.client("candidat-a2").get(f"/documents/{document.pk}/open-badge.json").content
        assert second == first
        assert self.post(json.loads(first)).json()["signature_valid"] is True

    def test_a_replacing_document_has_its_own_credential(self, demo: Any, issued: dict[str, IssuedDocument]) -> None:
        valid, replaced = issued["valid"], issued["replaced"]
        mine, theirs = services.signed_credential(valid), services.signed_credential(replaced)
        assert mine["id"] != theirs["id"]
        assert mine["credentialStatus"]["statusListIndex"] != theirs["credentialStatus"]["statusListIndex"]
        assert "annule et remplace" in mine["description"] and replaced.code in mine["description"]

    def test_the_credential_of_a_replaced_document_verifies_but_says_replaced(
        self, demo: Any, issued: dict[str, IssuedDocument]
    ) -> None:
        valid = issued["valid"]
        credential = self.credential(demo, valid)
        valid.status = "replaced"  # as a later rectification would
        IssuedDocument.objects.filter(pk=valid.pk).update(status="replaced")
        body = self.post(credential).json()
        assert body["signature_valid"] is True and body["document"]["status"] == "replaced"

    def test_key_and_issuer_documents_are_public(
        self, demo: Any, issued: dict[str, IssuedDocument], settings: Any
    ) -> None:
        key = keys.ensure_key(settings.C2I_KEYS_DIR)
        response = Client().get(f"/cles/{key.key_id}")
        assert response["Cache-Control"].startswith("public, max-age=")
        document = response.json()
        assert document["id"] == f"{SITE}/cles/{key.key_id}"
        assert document["verificationMethod"][0]["publicKeyMultibase"] == key.multikey
        assert Client().get("/cles/20200101-000000000000").status_code == 404
        profile = Client().get("/emetteur").json()
        assert profile["id"] == f"{SITE}/emetteur" and profile["type"] == ["Profile"]
        method = key.verification_method(SITE)
        assert profile["assertionMethod"] == [method]
        assert profile["verificationMethod"] == [
            {"id": method, "type": "Multikey", "controller": profile["id"], "publicKeyMultibase": key.multikey}
        ]


class TestCompromisedKey:
    """A withdrawn key (Controlled Identifiers v1.0: `revoked`) verifies nothing
    any more; what the platform signed with it is signed again."""

    def test_a_withdrawn_key_verifies_nothing_and_its_credentials_are_signed_again(
        self, demo: Any, issued: dict[str, IssuedDocument], settings: Any
    ) -> None:
        document = issued["valid"]
        before = services.signed_credential(document)
        listed_before = Client().get("/statut/0").json()
        old = keys.current(settings.C2I_KEYS_DIR)
        with pytest.raises(services.CredentialError):  # the current key: rotate first
            services.withdraw_key(old.key_id, None)
        call_command("rotate_signing_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
        out = io.StringIO()
        call_command("withdraw_signing_key", old.key_id, stdout=out)
        assert f"{old.key_id} retirée" in out.getvalue()
        assert not (settings.C2I_KEYS_DIR / f"{old.key_id}.key").exists()

        profile = Client().get("/emetteur").json()
        method = old.verification_method(SITE)
        [entry] = [m for m in profile["verificationMethod"] if m["id"] == method]
        assert entry["revoked"].endswith("Z") and method not in profile["assertionMethod"]
        legacy = Client().get(f"/cles/{old.key_id}").json()
        assert legacy["assertionMethod"] == [] and legacy["verificationMethod"][0]["revoked"]

        post = Client().post("/api/verifier/credential", json.dumps(before), content_type="application/json")
        assert post.json()["signature"] == "unknown_key"  # a forged credential with that key is refused too
        document.refresh_from_db()
        after = services.signed_credential(document)
        assert after["proof"]["verificationMethod"] != method
        assert {k: v for k, v in after.items() if k != "proof"} == {k: v for k, v in before.items() if k != "proof"}
        post = Client().post("/api/verifier/credential", json.dumps(after), content_type="application/json")
        assert post.json()["signature_valid"] is True
        listed_after = Client().get("/statut/0").json()
        assert listed_before["proof"]["verificationMethod"] == method
        assert listed_after["proof"]["verificationMethod"] != method
        assert badges.verify(listed_after, keys.resolver(settings.C2I_KEYS_DIR, SITE)).ok
        with pytest.raises(CommandError):
            call_command("withdraw_signing_key", "20200101-000000000000")


class TestStatusList:
    """The W3C Bitstring Status List: what verifiers read offline says what the
    verification page and the JSON service say."""

    def fetch(self, credential: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        entry = credential["credentialStatus"]
        path = entry["statusListCredential"].removeprefix(SITE)
        response = Client().get(path)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/ld+json")
        assert response["Cache-Control"] == "public, max-age=300"
        listed = response.json()
        bits = status.decode(listed["credentialSubject"]["encodedList"])
        assert len(bits) * 8 == status.LIST_SIZE == 131_072
        return listed, status.is_set(bits, int(entry["statusListIndex"]))

    def test_the_list_agrees_with_the_page_and_the_api(
        self, demo: Any, issued: dict[str, IssuedDocument], settings: Any
    ) -> None:
        for name, document in issued.items():
            credential = services.signed_credential(document)
            listed, revoked = self.fetch(credential)
            assert revoked is (name != "valid"), name
            assert api(document.code).json()["status"] == name
            assert f'data-status="{name}"' in Client().get(f"/verifier/{document.code}").content.decode()
            assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
            assert listed["issuer"] == f"{SITE}/emetteur"
            assert badges.verify(listed, keys.resolver(settings.C2I_KEYS_DIR, SITE)).ok

    def test_a_revocation_publishes_the_list_again_audited(self, demo: Any, issued: dict[str, IssuedDocument]) -> None:
        document = issued["valid"]
        credential = services.signed_credential(document)
        before, revoked = self.fetch(credential)
        assert revoked is False
        published = AuditEntry.objects.filter(action=AuditAction.DOCUMENTS_STATUS_LIST).count()
        services.revoke_document(document, demo.user("admin"), "Fraude avérée")
        after, revoked = self.fetch(credential)
        assert revoked is True and after["proof"]["proofValue"] != before["proof"]["proofValue"]
        assert AuditEntry.objects.filter(action=AuditAction.DOCUMENTS_STATUS_LIST).count() == published + 1
        body = Client().post("/api/verifier/credential", json.dumps(credential), content_type="application/json").json()
        assert body["signature_valid"] is True and body["document"]["status"] == "revoked"

    def test_unknown_lists_are_not_found_and_indices_never_collide(
        self, demo: Any, issued: dict[str, IssuedDocument]
    ) -> None:
        assert Client().get("/statut/99").status_code == 404
        indices = list(IssuedDocument.objects.values_list("status_index", flat=True))
        assert None not in indices and len(set(indices)) == len(indices)
        with pytest.raises(IntegrityError), transaction.atomic():
            IssuedDocument.objects.filter(pk=issued["revoked"].pk).update(status_index=issued["valid"].status_index)
