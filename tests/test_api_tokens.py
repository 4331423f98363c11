"""API tokens (issue 14): made by the correspondent, shown once, stored hashed,
last use recorded at most once a minute, revoked for good; each audited."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.api import tokens
from c2i.api.models import ApiToken

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


class TestTokenService:
    def test_it_stores_only_the_hash_of_a_token_shown_once(self, demo) -> None:
        made = tokens.create_token(demo.institution("a"), "Apogée", ["read"], demo.user("correspondant-a"))
        assert made.secret.startswith(f"c2i_{made.token.key_id}_")
        stored = ApiToken.objects.get(pk=made.token.pk)
        assert stored.secret_hash == hashlib.sha256(made.secret.encode()).hexdigest()
        assert made.secret not in str(ApiToken.objects.filter(pk=stored.pk).values().first())

    def test_it_finds_the_token_and_records_its_use_at_most_once_a_minute(self, demo) -> None:
        made = tokens.create_token(demo.institution("a"), "SI", ["read"], None)
        now = timezone.now()
        assert tokens.authenticate(made.secret, now) == made.token
        assert ApiToken.objects.get(pk=made.token.pk).last_used_at == now
        tokens.authenticate(made.secret, now + dt.timedelta(seconds=30))
        assert ApiToken.objects.get(pk=made.token.pk).last_used_at == now  # not written again
        later = now + dt.timedelta(minutes=2)
        tokens.authenticate(made.secret, later)
        assert ApiToken.objects.get(pk=made.token.pk).last_used_at == later

    def test_it_refuses_a_wrong_secret_with_a_known_prefix(self, demo) -> None:
        made = tokens.create_token(demo.institution("a"), "SI", ["read"], None)
        assert tokens.authenticate(made.secret[:-2] + "xx") is None
        assert tokens.authenticate("c2i_") is None and tokens.authenticate("autre") is None

    def test_a_revoked_token_is_refused_and_both_acts_are_audited(self, demo) -> None:
        actor = demo.user("correspondant-a")
        made = tokens.create_token(demo.institution("a"), "SI", ["read", "invite"], actor)
        client = demo.client(None)
        assert client.get("/api/v1/etablissement", **bearer(made.secret)).status_code == 200
        tokens.revoke_token(made.token, actor)
        response = client.get("/api/v1/etablissement", **bearer(made.secret))
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
        actions = set(
            AuditEntry.objects.filter(object_type="api.apitoken", object_id=str(made.token.pk)).values_list(
                "action", flat=True
            )
        )
        assert actions == {AuditAction.API_TOKEN_CREATE, AuditAction.API_TOKEN_REVOKE}
        with pytest.raises(tokens.TokenError):
            tokens.revoke_token(made.token, actor)

    def test_it_refuses_no_scope_an_unknown_scope_and_an_empty_name(self, demo) -> None:
        institution = demo.institution("a")
        for name, scopes in (("SI", []), ("SI", ["tout"]), ("  ", ["read"]), ("SI\u202e", ["read"])):
            with pytest.raises(tokens.TokenError):
                tokens.create_token(institution, name, scopes, None)
        assert not ApiToken.objects.exists()


class TestTokenPages:
    def test_the_correspondent_creates_a_token_seen_once_then_revokes_it_after_confirming(self, demo) -> None:
        client = demo.client("correspondant-a")
        institution = demo.institution("a")
        assert "Jetons d’API" in client.get("/mon-espace/").content.decode()
        response = client.post(
            "/gestion/api/jetons/nouveau/",
            {"name": "Apogée", "institution": institution.pk, "scopes": ["read", "results"]},
        )
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        token = ApiToken.objects.get(name="Apogée")
        html = response.content.decode()
        secret = html.split('data-testid="api-token"')[0].rsplit('value="', 1)[1].split('"')[0]
        assert secret.startswith(f"c2i_{token.key_id}_") and tokens.authenticate(secret) == token
        listing = client.get("/gestion/api/jetons/").content.decode()
        assert "Apogée" in listing and secret not in listing and token.key_id in listing
        url = f"/gestion/api/jetons/{token.pk}/revocation/"
        assert "Révoquer le jeton d’API « Apogée »" in client.get(url).content.decode()
        assert ApiToken.objects.get(pk=token.pk).revoked_at is None  # a GET only asks
        assert client.post(url).status_code == 302
        revoked = ApiToken.objects.get(pk=token.pk)
        assert revoked.revoked_at is not None and revoked.revoked_by == demo.user("correspondant-a")
        assert tokens.authenticate(secret) is None

    def test_an_empty_form_is_refused_and_another_institution_is_out_of_reach(self, demo) -> None:
        client = demo.client("correspondant-b")
        response = client.post("/gestion/api/jetons/nouveau/", {"institution": demo.institution("a").pk})
        assert response.status_code == 400 and not ApiToken.objects.exists()
        made = tokens.create_token(demo.institution("a"), "SI de A", ["read"], None)
        assert "SI de A" not in client.get("/gestion/api/jetons/").content.decode()
        assert client.get(f"/gestion/api/jetons/{made.token.pk}/revocation/").status_code == 404
        assert client.post(f"/gestion/api/jetons/{made.token.pk}/revocation/").status_code == 404
        assert ApiToken.objects.get(pk=made.token.pk).revoked_at is None
        assert "SI de A" in demo.client("admin").get("/gestion/api/jetons/").content.decode()
        assert demo.client("candidat-a1").get("/gestion/api/jetons/").status_code == 403
