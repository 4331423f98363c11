"""Institution sign-in: who the person is on the platform (c2i/sso/linking.py),
whatever the protocol that vouched for them."""

import datetime as dt

import pytest

from c2i.accounts.models import AuditAction, AuditEntry, User
from c2i.enrolment.models import Candidate, CandidateStatus
from c2i.institutions.models import Institution
from c2i.sso.linking import SignInRefused, complete_profile, pending_profile, sign_in
from c2i.sso.models import ExternalIdentity, IdentityProvider, SignInConflict

pytestmark = pytest.mark.django_db

INE = "1234567890V"  # INE-BEA, check letter right
OTHER_INE = "0DDG5R00015"  # INE-Base 36


@pytest.fixture
def provider() -> IdentityProvider:
    institution, _ = Institution.objects.get_or_create(
        uai="0597065J", defaults={"name": "Université d'essai SSO", "town": "Lille"}
    )
    return IdentityProvider.objects.create(
        institution=institution, protocol="cas", enabled=True, cas_server_url="https://cas.example.fr/cas/"
    )


def attributes(**overrides: object) -> dict:
    values: dict[str, object] = {
        "eduPersonPrincipalName": "lmartin@univ-essai.fr",
        "mail": ["Lea.Martin@univ-essai.fr", "lea@example.fr"],
        "givenName": "Léa",
        "sn": "Martin",
        "supannCodeINE": INE,
        "supannEtuId": "21900123",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def candidate(email: str, ine: str = "", user: User | None = None) -> Candidate:
    return Candidate.objects.create(
        user=user,
        email=email,
        last_name="Martin",
        first_names="Léa",
        birth_date=dt.date(2003, 4, 2),
        birth_place="Lille",
        ine=ine,
        status=CandidateStatus.STUDENT,
    )


def actions() -> list[str]:
    return list(AuditEntry.objects.filter(action__startswith="sso.").order_by("pk").values_list("action", flat=True))


class TestSignIn:
    def test_it_creates_the_account_on_a_first_sign_in(self, provider) -> None:
        user = sign_in(provider, attributes())
        assert user.email == "Lea.Martin@univ-essai.fr"
        assert (user.first_name, user.last_name) == ("Léa", "Martin")
        assert user.username == "lmartin@univ-essai.fr"
        assert not user.has_usable_password()
        identity = ExternalIdentity.objects.get(provider=provider, subject="lmartin@univ-essai.fr")
        assert (identity.user, identity.ine, identity.student_id) == (user, INE, "21900123")
        assert actions() == [AuditAction.SSO_ACCOUNT_CREATE]
        # No candidate record yet (no birth date released): the profile is completed first.
        assert pending_profile(user) == identity
        record = complete_profile(user, birth_date=dt.date(2003, 4, 2), birth_place="Lille")
        assert (record.ine, record.status, record.user, record.email) == (INE, "student", user, user.email)
        assert pending_profile(user) is None

    def test_it_signs_the_same_identity_into_the_same_account(self, provider) -> None:
        first = sign_in(provider, attributes())
        again = sign_in(provider, attributes(mail="autre@univ-essai.fr", supannEtuId="21900999"))
        assert again == first
        assert User.objects.filter(email__iexact="lea.martin@univ-essai.fr").count() == 1
        identity = ExternalIdentity.objects.get()
        assert identity.student_id == "21900999" and identity.last_sign_in_at is not None
        assert actions() == [AuditAction.SSO_ACCOUNT_CREATE, AuditAction.SSO_SIGN_IN]

    def test_it_links_to_the_account_with_the_same_ine(self, provider) -> None:
        owner = User.objects.create_user("lea.perso@example.fr", "lea.perso@example.fr", "motdepasse-solide-1")
        candidate("lea.perso@example.fr", INE, owner)
        assert sign_in(provider, attributes()) == owner
        assert owner.email == "lea.perso@example.fr"  # the account's own address is kept
        assert not User.objects.filter(email__iexact="lea.martin@univ-essai.fr").exists()
        entry = AuditEntry.objects.get(action=AuditAction.SSO_ACCOUNT_LINK)
        assert entry.details["found_by"] == "ine"

    def test_it_links_to_the_account_with_the_same_email_whatever_the_case(self, provider) -> None:
        owner = User.objects.create_user("lea", "lea.martin@UNIV-ESSAI.fr", "motdepasse-solide-1")
        record = candidate("lea.martin@univ-essai.fr", "", owner)
        assert sign_in(provider, attributes()) == owner
        record.refresh_from_db()
        assert record.ine == INE  # the institution vouches for the INE the record lacked
        assert AuditEntry.objects.get(action=AuditAction.SSO_ACCOUNT_LINK).details["found_by"] == "email"

    def test_it_gives_the_account_the_record_the_institution_imported_with_this_ine(self, provider) -> None:
        imported = candidate("ancienne@example.fr", INE)
        user = sign_in(provider, attributes())
        imported.refresh_from_db()
        assert imported.user == user
        assert pending_profile(user) is None

    def test_it_refuses_and_records_an_ine_and_an_email_of_two_accounts(self, provider) -> None:
        owner = User.objects.create_user("lea.perso@example.fr", "lea.perso@example.fr", "motdepasse-solide-1")
        candidate("lea.perso@example.fr", INE, owner)
        User.objects.create_user("quelquun", "lea.martin@univ-essai.fr", "motdepasse-solide-1")
        users = User.objects.count()
        with pytest.raises(SignInRefused) as refused:
            sign_in(provider, attributes())
        assert refused.value.code == "conflict"
        assert "correspond" in refused.value.message
        conflict = SignInConflict.objects.get()
        assert conflict.subject == "lmartin@univ-essai.fr" and INE in conflict.reason
        assert conflict.attributes["email"] == "Lea.Martin@univ-essai.fr"
        assert (User.objects.count(), ExternalIdentity.objects.count()) == (users, 0)
        assert actions() == [AuditAction.SSO_CONFLICT]

    def test_it_refuses_an_account_already_tied_to_another_identity_of_the_institution(self, provider) -> None:
        sign_in(provider, attributes())
        with pytest.raises(SignInRefused):
            sign_in(provider, attributes(eduPersonPrincipalName="autre@univ-essai.fr", supannCodeINE=None))
        assert "déjà" in SignInConflict.objects.get().reason or "already" in SignInConflict.objects.get().reason

    def test_it_refuses_an_email_whose_account_holds_another_ine(self, provider) -> None:
        owner = User.objects.create_user("lea", "lea.martin@univ-essai.fr", "motdepasse-solide-1")
        candidate("lea.martin@univ-essai.fr", OTHER_INE, owner)
        with pytest.raises(SignInRefused):
            sign_in(provider, attributes())
        assert OTHER_INE in SignInConflict.objects.get().reason

    def test_it_sets_an_invalid_ine_aside_and_still_signs_in(self, provider) -> None:
        user = sign_in(provider, attributes(supannCodeINE="1234567890A"))  # wrong check letter
        identity = ExternalIdentity.objects.get(user=user)
        assert identity.ine == ""
        notes = AuditEntry.objects.get(action=AuditAction.SSO_ACCOUNT_CREATE).details["notes"]
        assert "1234567890A" in notes[0]
        assert pending_profile(user) is None  # no INE: not taken for a student

    def test_it_refuses_a_sign_in_without_identity(self, provider) -> None:
        with pytest.raises(SignInRefused) as refused:
            sign_in(provider, attributes(eduPersonPrincipalName=[""]))
        assert refused.value.code == "identity_missing"
        assert "eduPersonPrincipalName" in refused.value.message
        assert not User.objects.filter(email__iexact="lea.martin@univ-essai.fr").exists()

    def test_it_reads_the_attribute_names_the_provider_is_given(self, provider) -> None:
        provider.attr_identity = "uid"
        provider.attr_email = "courriel"
        provider.save()
        user = sign_in(provider, {"uid": ["lm42"], "courriel": "lm42@univ-essai.fr"})
        assert (user.username, user.email) == ("lm42", "lm42@univ-essai.fr")

    def test_it_refuses_through_a_disabled_provider(self, provider) -> None:
        provider.enabled = False
        provider.save()
        with pytest.raises(SignInRefused) as refused:
            sign_in(provider, attributes())
        assert refused.value.code == "provider_disabled"
        assert not ExternalIdentity.objects.exists()

    def test_it_refuses_to_create_an_account_without_email(self, provider) -> None:
        with pytest.raises(SignInRefused) as refused:
            sign_in(provider, attributes(mail=None, supannCodeINE=None))
        assert refused.value.code == "email_missing"
        assert not ExternalIdentity.objects.exists()

    def test_it_makes_a_free_username_when_the_subject_is_taken(self, provider) -> None:
        User.objects.create_user("lmartin@univ-essai.fr", "ailleurs@example.fr", "motdepasse-solide-1")
        user = sign_in(provider, attributes(supannCodeINE=None))
        assert user.username.startswith("lmartin@univ-essai.fr-")
