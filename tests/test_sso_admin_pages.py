"""The national administrator's institution sign-on settings, and the
correspondent's sign-in conflicts (c2i/sso/views.py)."""

import pytest
from django.urls import reverse

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.sso.models import IdentityProvider, SignInConflict

pytestmark = pytest.mark.django_db

FORM = {
    "protocol": "cas",
    "enabled": "on",
    "cas_server_url": "https://cas.univ-lyon1.fr/cas/",
    "attr_identity": "eduPersonPrincipalName",
    "attr_email": "mail",
    "attr_given_name": "givenName",
    "attr_surname": "sn",
    "attr_ine": "supannCodeINE",
    "attr_student_id": "supannEtuId",
}


class TestProviderPages:
    def test_the_administrator_creates_an_institutions_cas_sign_on(self, demo) -> None:
        institution = demo.institution("a")
        client = demo.client("admin")
        answer = client.post(reverse("sso:provider_create"), {**FORM, "institution": institution.pk})
        assert answer.status_code == 302 and answer["Location"] == reverse("sso:providers")
        provider = IdentityProvider.objects.get(institution=institution)
        assert (provider.protocol, provider.enabled, provider.cas_server_url) == (
            "cas",
            True,
            "https://cas.univ-lyon1.fr/cas/",
        )
        entry = AuditEntry.objects.get(action=AuditAction.SSO_PROVIDER_CHANGE)
        assert entry.details["changes"]["cas_server_url"] == [None, "https://cas.univ-lyon1.fr/cas/"]
        listing = client.get(reverse("sso:providers")).content.decode()
        assert institution.name in listing and "https://cas.univ-lyon1.fr/cas/" in listing

    def test_it_says_in_french_what_is_wrong_and_stores_nothing(self, demo) -> None:
        institution = demo.institution("a")
        client = demo.client("admin")
        cases = [
            ({"cas_server_url": ""}, "nécessite l’adresse du serveur CAS"),
            ({"cas_server_url": "http://cas.univ-lyon1.fr/cas/"}, "doit commencer par https://"),
            ({"protocol": "saml", "saml_entity_id": "https://idp.example.fr", "saml_metadata_xml": "<md"}, "XML"),
            (
                {"protocol": "saml", "saml_entity_id": "", "saml_metadata_url": "https://md.example.fr/x.xml"},
                "entityID",
            ),
            ({"attr_identity": ""}, "Ce champ est obligatoire"),
        ]
        for change, message in cases:
            answer = client.post(reverse("sso:provider_create"), {**FORM, "institution": institution.pk, **change})
            assert answer.status_code == 200, change
            assert message in answer.content.decode(), change
        assert not IdentityProvider.objects.exists()
        assert not AuditEntry.objects.filter(action=AuditAction.SSO_PROVIDER_CHANGE).exists()

    def test_an_edit_is_audited_with_what_changed_and_keeps_the_institution(self, demo) -> None:
        institution = demo.institution("a")
        provider = IdentityProvider.objects.create(
            institution=institution, protocol="cas", cas_server_url="https://cas.univ-lyon1.fr/cas/"
        )
        client = demo.client("admin")
        page = client.get(reverse("sso:provider_edit", args=[provider.pk])).content.decode()
        assert f"/connexion/etablissement/cas/{institution.uai}/retour/" in page  # the service URL to authorise
        other = demo.institution("b")
        answer = client.post(
            reverse("sso:provider_edit", args=[provider.pk]), {**FORM, "institution": other.pk, "attr_ine": "ine"}
        )
        assert answer.status_code == 302
        provider.refresh_from_db()
        assert (provider.institution, provider.enabled, provider.attr_ine) == (institution, True, "ine")
        changes = AuditEntry.objects.get(action=AuditAction.SSO_PROVIDER_CHANGE).details["changes"]
        assert changes == {"enabled": [False, True], "attr_ine": ["supannCodeINE", "ine"]}

    def test_only_the_national_administrator_reaches_the_settings(self, demo) -> None:
        assert demo.client("correspondant-a").get(reverse("sso:providers")).status_code == 403
        assert demo.client("candidat-a1").get(reverse("sso:provider_create")).status_code == 403


def conflict(demo, key: str, subject: str) -> SignInConflict:
    provider, _ = IdentityProvider.objects.get_or_create(
        institution=demo.institution(key), defaults={"protocol": "cas", "cas_server_url": "https://cas.example.fr/"}
    )
    return SignInConflict.objects.create(
        provider=provider,
        subject=subject,
        attributes={"email": f"{subject}@example.fr", "ine": "1234567890V"},
        reason=f"Conflit de {subject}",
    )


class TestConflictPages:
    def test_a_correspondent_sees_only_their_institutions_conflicts(self, demo) -> None:
        conflict(demo, "a", "personne-de-a")
        conflict(demo, "b", "personne-de-b")
        page = demo.client("correspondant-a").get(reverse("sso:conflicts")).content.decode()
        assert "personne-de-a" in page and "Conflit de personne-de-a" in page
        assert "personne-de-b" not in page
        every = demo.client("admin").get(reverse("sso:conflicts")).content.decode()
        assert "personne-de-a" in every and "personne-de-b" in every

    def test_settling_a_conflict_is_recorded_with_its_note_and_audited(self, demo) -> None:
        mine = conflict(demo, "a", "personne-de-a")
        client = demo.client("correspondant-a")
        answer = client.post(reverse("sso:conflict_resolve", args=[mine.pk]), {"resolution": "Comptes fusionnés."})
        assert answer.status_code == 302
        mine.refresh_from_db()
        assert mine.resolved_at is not None and mine.resolution == "Comptes fusionnés."
        assert mine.resolved_by == demo.user("correspondant-a")
        entry = AuditEntry.objects.get(action=AuditAction.SSO_CONFLICT_RESOLVE)
        assert entry.details["resolution"] == "Comptes fusionnés."
        page = client.get(reverse("sso:conflicts")).content.decode()
        assert "Déjà réglés" in page and "Comptes fusionnés." in page
        again = client.post(
            reverse("sso:conflict_resolve", args=[mine.pk]), {"resolution": "Encore."}, follow=True
        ).content.decode()
        assert "déjà réglé" in again
        assert AuditEntry.objects.filter(action=AuditAction.SSO_CONFLICT_RESOLVE).count() == 1

    def test_a_correspondent_cannot_settle_another_institutions_conflict(self, demo) -> None:
        theirs = conflict(demo, "b", "personne-de-b")
        answer = demo.client("correspondant-a").post(
            reverse("sso:conflict_resolve", args=[theirs.pk]), {"resolution": "Réglé ?"}
        )
        assert answer.status_code == 404
        theirs.refresh_from_db()
        assert theirs.resolved_at is None

    def test_a_note_is_required(self, demo) -> None:
        mine = conflict(demo, "a", "personne-de-a")
        answer = demo.client("correspondant-a").post(
            reverse("sso:conflict_resolve", args=[mine.pk]), {"resolution": "  "}, follow=True
        )
        assert "la note est obligatoire" in answer.content.decode()
        mine.refresh_from_db()
        assert mine.resolved_at is None


def test_the_dashboards_lead_to_the_sign_on_pages(demo) -> None:
    admin = demo.client("admin").get(reverse("accounts:dashboard")).content.decode()
    assert reverse("sso:providers") in admin and reverse("sso:conflicts") in admin
    correspondent = demo.client("correspondant-a").get(reverse("accounts:dashboard")).content.decode()
    assert reverse("sso:conflicts") in correspondent and reverse("sso:providers") not in correspondent
    student = demo.client("candidat-a1").get(reverse("accounts:dashboard")).content.decode()
    assert reverse("sso:conflicts") not in student
