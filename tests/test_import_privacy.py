"""Issue 10, findings 1 and 2: an institution's import discloses nothing
stored about a person, and attaches nothing to anyone's account.

correspondant-b (Sorbonne Université) imports lines that point at
candidat-a1 (enrolled at Lyon 1) by e-mail, by INE, or by name and birth
date, each with values B made up. B's pages and exports show what B typed,
never what is stored about a1; the import report says nothing about a1's
enrolment at Lyon 1; only a1, signed in, can confirm the invitation, and
only then does B see a1's record. Accounts that are not candidates (the
national administrator, staff) never get a candidate identity from an
import."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.utils import timezone

from c2i.accounts import access
from c2i.enrolment.models import Candidate, Enrolment, EnrolmentStatus, Invitation, InvitationStatus
from c2i.enrolment.services import EnrolmentError, confirm_invitation

pytestmark = pytest.mark.django_db

HEADER = "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier"
LYON1 = "Université Claude Bernard Lyon 1"


def import_as_b(demo, *lines: str):
    upload = io.BytesIO(("\n".join([HEADER, *lines]) + "\n").encode("utf-8"))
    upload.name = "liste.csv"
    url = f"/gestion/sessions/{demo.institution_session('b').pk}/import/"
    return demo.client("correspondant-b").post(url, {"file": upload}, follow=True)


def what_b_sees(demo) -> str:
    """B's session page, its CSV and its XLSX export, as text."""
    from openpyxl import load_workbook

    client = demo.client("correspondant-b")
    url = f"/gestion/sessions/{demo.institution_session('b').pk}/"
    page = client.get(url).content.decode()
    exported = client.get(url + "?export=csv").content.decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(client.get(url + "?export=xlsx").content)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    return "\n".join([page, exported, cells])


def stored(candidate: Candidate) -> dict[str, str]:
    return {
        "last name": candidate.last_name,
        "first names": candidate.first_names,
        "birth date": candidate.birth_date.strftime("%d/%m/%Y"),
        "birth place": candidate.birth_place,
        "INE": candidate.ine,
        "e-mail": candidate.email,
    }


@pytest.fixture
def a1(demo) -> Candidate:
    """candidat-a1, with a record no other demo person shares a word of."""
    candidate = demo.candidate("candidat-a1")
    Candidate.objects.filter(pk=candidate.pk).update(
        first_names="Léa-Secrète", last_name="Fontaine-Cachée", birth_place="Villesecrète"
    )
    return Candidate.objects.get(pk=candidate.pk)


def assert_nothing_of(a1: Candidate, seen: str, *, typed: set[str]) -> None:
    leaked = {label: value for label, value in stored(a1).items() if value and value not in typed and value in seen}
    assert not leaked, f"B sees what is stored about a1: {leaked}"


class TestAnImportDisclosesNothing:
    def test_a_line_with_only_the_email_shows_what_b_typed(self, demo, a1) -> None:
        response = import_as_b(demo, f"Inventé;Personne;01/01/2000;Nulle-Part;{a1.email};;etudiant;non")
        assert response.status_code == 200
        seen = what_b_sees(demo)
        assert "Inventé".upper() in seen and "Nulle-Part" in seen
        assert_nothing_of(a1, seen, typed={a1.email})

    def test_a_line_with_only_the_ine_shows_what_b_typed(self, demo, a1) -> None:
        assert a1.ine
        import_as_b(demo, f"Inventé;Personne;01/01/2000;Nulle-Part;quelquun@example.fr;{a1.ine};etudiant;non")
        seen = what_b_sees(demo)
        assert "quelquun@example.fr" in seen
        assert_nothing_of(a1, seen, typed={a1.ine})

    def test_a_line_with_the_name_and_birth_date_shows_what_b_typed(self, demo, a1) -> None:
        born = a1.birth_date.strftime("%d/%m/%Y")
        import_as_b(demo, f"{a1.last_name};{a1.first_names};{born};Nulle-Part;devine@example.fr;;etudiant;non")
        seen = what_b_sees(demo)
        assert_nothing_of(a1, seen, typed={a1.last_name, a1.first_names, born})

    def test_the_import_report_says_nothing_about_the_other_institution(self, demo, a1) -> None:
        response = import_as_b(demo, f"Inventé;Personne;01/01/2000;Nulle-Part;{a1.email};{a1.ine};etudiant;non")
        html = response.content.decode()
        assert LYON1 not in html
        assert not re.search(r"\bR5\b", html)  # a word: the CSRF token's letters may hold « R5 »
        assert "1 invitation(s) créée(s), 0 candidat(s) déjà invité(s)" in html
        # a1's stored record and enrolments are untouched, and no record was made for the line
        a1_after = Candidate.objects.get(pk=a1.pk)
        assert stored(a1_after) == stored(a1)
        assert not Enrolment.objects.filter(candidate=a1, institution_session=demo.institution_session("b")).exists()
        assert not Candidate.objects.filter(last_name="Inventé").exists()

    def test_the_session_filter_does_not_search_what_is_stored(self, demo, a1) -> None:
        import_as_b(demo, f"Inventé;Personne;01/01/2000;Nulle-Part;{a1.email};;etudiant;non")
        url = f"/gestion/sessions/{demo.institution_session('b').pk}/?q={a1.last_name}"
        html = demo.client("correspondant-b").get(url).content.decode()
        assert "INVENTÉ" not in html and a1.last_name.upper() not in html


class TestOnlyTheAddressOwnerConfirms:
    def test_the_owner_sees_what_b_typed_and_r5_is_told_to_them_only(self, demo, a1) -> None:
        import_as_b(demo, f"Inventé;Personne;01/01/2000;Nulle-Part;{a1.email.upper()};;etudiant;non")
        invitation = Invitation.objects.get(institution_session=demo.institution_session("b"), email=a1.email)
        client = demo.client("candidat-a1")
        assert "Sorbonne Université" in client.get("/mon-espace/certification/").content.decode()
        response = client.post(f"/mon-espace/invitations/{invitation.pk}/confirmer/", follow=True)
        assert LYON1 in response.content.decode()  # R5, told to a1 about a1's own enrolment
        invitation.refresh_from_db()
        assert invitation.state == InvitationStatus.PENDING and invitation.enrolment is None
        assert_nothing_of(a1, what_b_sees(demo), typed={a1.email})

    def test_after_confirmation_b_sees_the_candidates_own_record(self, demo, a1) -> None:
        Enrolment.objects.filter(candidate=a1, status=EnrolmentStatus.ACTIVE).update(
            status=EnrolmentStatus.WITHDRAWN, withdrawn_at=timezone.now()
        )
        import_as_b(demo, f"Inventé;Personne;01/01/2000;Nulle-Part;{a1.email};;etudiant;oui")
        invitation = Invitation.objects.get(institution_session=demo.institution_session("b"), email=a1.email)
        demo.client("candidat-a1").post(f"/mon-espace/invitations/{invitation.pk}/confirmer/")
        invitation.refresh_from_db()
        assert invitation.state == InvitationStatus.CONFIRMED
        enrolment = invitation.enrolment
        assert enrolment is not None and enrolment.candidate_id == a1.pk and enrolment.is_active
        assert enrolment.special_curriculum  # the institution's flag follows the confirmation
        seen = what_b_sees(demo)
        assert a1.last_name.upper() in seen and a1.birth_place in seen
        assert "INVENTÉ" not in seen  # the confirmed enrolment replaces the invitation's line

    def test_another_candidate_can_neither_see_nor_confirm_it(self, demo, a1) -> None:
        import_as_b(demo, f"Inventé;Personne;01/01/2000;Nulle-Part;{a1.email};;etudiant;non")
        invitation = Invitation.objects.get(institution_session=demo.institution_session("b"), email=a1.email)
        client = demo.client("candidat-a2")
        assert "Sorbonne Université vous invite" not in client.get("/mon-espace/certification/").content.decode()
        assert client.post(f"/mon-espace/invitations/{invitation.pk}/confirmer/").status_code == 404
        assert client.post(f"/mon-espace/invitations/{invitation.pk}/refuser/").status_code == 404
        invitation.refresh_from_db()
        assert invitation.state == InvitationStatus.PENDING

    def test_the_service_refuses_a_confirmation_by_someone_else(self, demo, a1) -> None:
        import_as_b(demo, f"Inventé;Personne;01/01/2000;Nulle-Part;{a1.email};;etudiant;non")
        invitation = Invitation.objects.get(institution_session=demo.institution_session("b"), email=a1.email)
        with pytest.raises(EnrolmentError) as error:
            confirm_invitation(invitation, demo.user("candidat-b1"))
        assert error.value.code == "not_addressee"


class TestNoAccountGetsAnIdentityFromAnImport:
    @pytest.mark.parametrize("username", ["admin", "correspondant-a", "jury-a"])
    def test_an_import_to_a_staff_address_attaches_nothing(self, demo, username: str) -> None:
        user = demo.user(username)
        import_as_b(demo, f"Choisi;Parlimporteur;01/01/1990;Nulle-Part;{user.email};;etudiant;non")
        assert not Candidate.objects.filter(user=user).exists()
        access.forget_roles(user)
        assert not access.roles(user).is_candidate
        client = demo.client(username)
        assert client.get("/mon-espace/certification/").status_code == 403
        invitation = Invitation.objects.get(institution_session=demo.institution_session("b"), email=user.email)
        assert client.post(f"/mon-espace/invitations/{invitation.pk}/confirmer/").status_code == 403
        with pytest.raises(EnrolmentError) as error:
            confirm_invitation(invitation, user)
        assert error.value.code == "not_a_candidate"
        invitation.refresh_from_db()
        assert invitation.state == InvitationStatus.PENDING and invitation.enrolment is None


def test_the_export_lists_invitations_with_their_own_state(demo) -> None:
    import_as_b(demo, "Inventé;Personne;01/01/2000;Nulle-Part;quelquun@example.fr;;formation_continue;oui")
    url = f"/gestion/sessions/{demo.institution_session('b').pk}/?status=invited&export=csv"
    content = demo.client("correspondant-b").get(url).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[1:] and all(r[8] == "invité (à confirmer)" for r in rows[1:])
    mine = [r[:8] for r in rows if r[0] == "Inventé"]
    assert mine == [
        ["Inventé", "Personne", "01/01/2000", "Nulle-Part", "quelquun@example.fr", "", "formation_continue", "oui"]
    ]
