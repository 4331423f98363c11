"""Exam adjustments (« aménagements d'épreuve », issue 13) as a property of
the enrolment: set by the correspondent (audited, refused once withdrawn or
deliberated, out of range), imported with the candidates, shown in the
session's list, on the exam's page and to the candidate, and exported."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from c2i.accounts.models import AuditAction, AuditEntry
from c2i.assessment import services
from c2i.enrolment import adjustments, freeze
from c2i.enrolment.adjustments import set_adjustments
from c2i.enrolment.models import Enrolment, EnrolmentStatus, Invitation, InvitationStatus
from c2i.enrolment.services import confirm_invitation
from c2i.lib.errors import DomainError
from tests.assessment_support import demo_exam, enrolment_of, start
from tests.persona_support import new_candidate

pytestmark = pytest.mark.django_db


def url(enrolment: Enrolment) -> str:
    return f"/gestion/inscriptions/{enrolment.pk}/amenagements/"


def text(response) -> str:
    return response.content.decode()


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def freeze_session(monkeypatch, institution_session_id: int) -> None:
    """The jury of this session closed yesterday (as `deliberation/freeze.py` would say)."""
    closed = timezone.now() - dt.timedelta(days=1)
    monkeypatch.setitem(freeze._CHECKS, "test", lambda pk, lock=False: closed if pk == institution_session_id else None)


class TestTheService:
    def test_it_sets_them_and_audits_before_and_after(self, demo) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        set_adjustments(
            a2,
            extra_time_percent=33,
            larger_text=True,
            separate_room=True,
            note="  Avis du  service handicap du 3/10 ",
            actor=demo.user("correspondant-a"),
        )
        a2.refresh_from_db()
        assert (a2.extra_time_percent, a2.larger_text, a2.separate_room) == (33, True, True)
        assert a2.adjustments_note == "Avis du service handicap du 3/10"
        entry = AuditEntry.objects.get(action=AuditAction.ENROLMENT_ADJUSTMENTS, object_id=str(a2.pk))
        assert entry.actor == demo.user("correspondant-a")
        assert entry.details["before"]["extra_time_percent"] == 0
        assert entry.details["after"] == {
            "extra_time_percent": 33,
            "larger_text": True,
            "separate_room": True,
            "note": "Avis du service handicap du 3/10",
        }
        assert entry.details["moved"] == []

    @pytest.mark.parametrize("percent", [-1, 201, 1000])
    def test_it_refuses_a_percentage_out_of_range(self, demo, percent: int) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        with pytest.raises(DomainError) as error:
            set_adjustments(a2, extra_time_percent=percent, larger_text=False, separate_room=False, note="", actor=None)
        assert error.value.code == "extra_time_percent_range"
        assert "entre 0 et 200" in error.value.message and "33 %" in error.value.message
        a2.refresh_from_db()
        assert a2.extra_time_percent == 0

    def test_it_refuses_a_withdrawn_enrolment(self, demo) -> None:
        withdrawn = Enrolment.objects.filter(
            institution_session=demo.institution_session("a"), status=EnrolmentStatus.WITHDRAWN
        ).first()
        with pytest.raises(DomainError) as error:
            set_adjustments(
                withdrawn, extra_time_percent=33, larger_text=False, separate_room=False, note="", actor=None
            )
        assert error.value.code == "not_active"
        assert "retirée" in error.value.message

    def test_it_refuses_once_the_jury_has_deliberated(self, demo, monkeypatch) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        freeze_session(monkeypatch, a2.institution_session_id)
        with pytest.raises(DomainError) as error:
            set_adjustments(a2, extra_time_percent=33, larger_text=False, separate_room=False, note="", actor=None)
        assert error.value.code == "deliberated"
        assert "a délibéré le" in error.value.message
        assert not AuditEntry.objects.filter(action=AuditAction.ENROLMENT_ADJUSTMENTS).exists()

    def test_a_note_with_an_invisible_character_is_refused(self, demo) -> None:
        with pytest.raises(DomainError) as error:
            set_adjustments(
                enrolment_of(demo, "candidat-a2"),
                extra_time_percent=0,
                larger_text=True,
                separate_room=False,
                note="avis\u202eXX",
                actor=None,
            )
        assert error.value.code == "adjustments_note"

    @pytest.mark.parametrize(
        ("typed", "percent"),
        [
            ("", 0),
            ("33", 33),
            ("33 %", 33),
            ("33%", 33),
            ("Tiers-temps", 33),
            ("tiers temps", 33),
            ("0.33", 33),
            ("50", 50),
            ("200", 200),
        ],
    )
    def test_the_percentage_as_typed(self, typed: str, percent: int) -> None:
        assert adjustments.parse_percent(typed) == percent

    @pytest.mark.parametrize("typed", ["201", "-5", "beaucoup", "33.5", "1/4", "20 min"])
    def test_a_percentage_that_is_not_one(self, typed: str) -> None:
        with pytest.raises(ValueError):
            adjustments.parse_percent(typed)


class TestTheCorrespondentsForm:
    def test_the_form_sets_them_and_the_list_shows_them(self, demo) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        client = demo.client("correspondant-a")
        page = client.get(url(a2))
        assert page.status_code == 200
        html = text(page)
        assert "Aménagements d&#x27;épreuve de Hugo PERRIN" in html
        assert "Le « tiers-temps » est de 33 %" in html
        response = client.post(url(a2), {"extra_time_percent": "33", "larger_text": "on", "note": "Avis du 12/09"})
        assert response.status_code == 302
        a2.refresh_from_db()
        assert (a2.extra_time_percent, a2.larger_text, a2.separate_room, a2.adjustments_note) == (
            33,
            True,
            False,
            "Avis du 12/09",
        )
        roster = text(client.get(f"/gestion/sessions/{a2.institution_session_id}/"))
        assert "Les aménagements d&#x27;épreuve de Hugo PERRIN sont enregistrés." in roster
        assert "tiers-temps (+33 %)" in roster and "gros caractères" in roster
        assert f'href="{url(a2)}"' in roster

    def test_an_out_of_range_value_is_said_next_to_the_field_and_nothing_changes(self, demo) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        response = demo.client("correspondant-a").post(url(a2), {"extra_time_percent": "250"})
        assert response.status_code == 400
        assert "200" in text(response) and "fr-error-text" in text(response)
        a2.refresh_from_db()
        assert a2.extra_time_percent == 0

    def test_after_the_deliberation_the_page_says_why_and_refuses(self, demo, monkeypatch) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        freeze_session(monkeypatch, a2.institution_session_id)
        client = demo.client("correspondant-a")
        assert "ne peuvent plus changer" in text(client.get(url(a2)))
        response = client.post(url(a2), {"extra_time_percent": "33"})
        assert response.status_code == 400
        assert "a délibéré le" in text(response)
        a2.refresh_from_db()
        assert a2.extra_time_percent == 0

    def test_another_institutions_correspondent_gets_404_and_a_candidate_403(self, demo) -> None:
        a2 = enrolment_of(demo, "candidat-a2")
        assert demo.client("correspondant-b").post(url(a2), {"extra_time_percent": "33"}).status_code == 404
        assert demo.client("candidat-a2").post(url(a2), {"extra_time_percent": "33"}).status_code == 403
        a2.refresh_from_db()
        assert a2.extra_time_percent == 0

    def test_the_demo_gives_candidat_a1_the_tiers_temps(self, demo) -> None:
        a1 = enrolment_of(demo, "candidat-a1")
        assert a1.extra_time_percent == 33 and a1.adjustments_note
        roster = text(demo.client("correspondant-a").get(f"/gestion/sessions/{a1.institution_session_id}/"))
        assert "tiers-temps (+33 %)" in roster


HEADER = (
    "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier;"
    "temps_supplementaire;gros_caracteres;salle_separee;reference_amenagement"
)


def post_import(demo, lines: list[str]):
    upload = io.BytesIO(("\n".join([HEADER, *lines]) + "\n").encode("utf-8"))
    upload.name = "liste.csv"
    return demo.client("correspondant-a").post(
        f"/gestion/sessions/{demo.institution_session('a').pk}/import/", {"file": upload}
    )


class TestTheImport:
    def test_the_adjustments_columns_go_with_the_invitation_then_the_enrolment(self, demo) -> None:
        response = post_import(
            demo,
            [
                "Lambert;Océane;12/03/2003;Annecy;oceane.lambert@etu.example.fr;;etudiant;non;33 %;oui;non;Avis 1/09",
                "Roche;Pascale;05/07/1978;Brest;pascale.roche@example.fr;;formation_continue;;tiers-temps;1;vrai;",
                "Morel;Jean;01/02/2001;Nice;jean.morel@example.fr;;etudiant;;;;;",
                "Vidal;Anne;01/03/2001;Pau;anne.vidal@example.fr;;etudiant;;50;faux;0;",
            ],
        )
        assert response.status_code == 302
        typed = {
            i.last_name: (i.extra_time_percent, i.larger_text, i.separate_room, i.adjustments_note)
            for i in Invitation.objects.filter(created_by=demo.user("correspondant-a"), email__endswith="example.fr")
        }
        assert typed == {
            "Lambert": (33, True, False, "Avis 1/09"),
            "Roche": (33, True, True, ""),
            "Morel": (0, False, False, ""),
            "Vidal": (50, False, False, ""),
        }
        roster = text(demo.client("correspondant-a").get(f"/gestion/sessions/{demo.institution_session('a').pk}/"))
        assert "+50 % de temps" in roster
        person = new_candidate(
            first_names="Océane",
            last_name="Lambert",
            email="oceane.lambert@etu.example.fr",
            birth_date=dt.date(2003, 3, 12),
        )
        invitation = Invitation.objects.get(email="oceane.lambert@etu.example.fr", state=InvitationStatus.PENDING)
        enrolment = confirm_invitation(invitation, person.user)
        assert (enrolment.extra_time_percent, enrolment.larger_text, enrolment.adjustments_note) == (
            33,
            True,
            "Avis 1/09",
        )
        assert AuditEntry.objects.filter(action=AuditAction.ENROLMENT_ADJUSTMENTS, object_id=str(enrolment.pk)).exists()

    def test_bad_values_are_said_with_line_and_column_and_nothing_is_stored(self, demo) -> None:
        before = Invitation.objects.count()
        response = post_import(
            demo,
            [
                "Lambert;Océane;12/03/2003;Annecy;oceane.lambert@etu.example.fr;;etudiant;non;beaucoup;oui;non;",
                "Roche;Pascale;05/07/1978;Brest;pascale.roche@example.fr;;formation_continue;;250;peut-être;;",
                "Morel;Jean;01/02/2001;Nice;jean.morel@example.fr;;etudiant;;33;non;bof;",
            ],
        )
        assert response.status_code == 400
        html = text(response)
        assert '<td class="c2i-num">2</td><td>temps_supplementaire</td><td>« beaucoup » : un pourcentage' in html
        assert "(« 33 », « 33 % » ou « tiers-temps »)" in html
        assert '<td class="c2i-num">3</td><td>temps_supplementaire</td><td>« 250 » : un pourcentage' in html
        assert '<td class="c2i-num">3</td><td>gros_caracteres</td>' in html
        assert '<td class="c2i-num">4</td><td>salle_separee</td>' in html
        assert Invitation.objects.count() == before

    def test_the_form_tells_the_columns(self, demo) -> None:
        html = text(demo.client("correspondant-a").get(f"/gestion/sessions/{demo.institution_session('a').pk}/import/"))
        assert "temps_supplementaire (33, 33 % ou tiers-temps)" in html
        assert "gros_caracteres et salle_separee (oui/non)" in html


class TestTheExports:
    def test_the_sessions_csv_and_xlsx_carry_the_adjustments(self, demo) -> None:
        client = demo.client("correspondant-a")
        base = f"/gestion/sessions/{demo.institution_session('a').pk}/"
        rows = {r["nom"]: r for r in csv_rows(client.get(base + "?export=csv"))}
        assert rows["Fontaine"]["temps_supplementaire"] == "33"
        assert rows["Fontaine"]["gros_caracteres"] == "non"
        assert rows["Fontaine"]["salle_separee"] == "non"
        assert rows["Fontaine"]["reference_amenagement"] == enrolment_of(demo, "candidat-a1").adjustments_note
        assert rows["Perrin"]["temps_supplementaire"] == "0"
        sheet = load_workbook(io.BytesIO(client.get(base + "?export=xlsx").content)).active
        header = [c.value for c in sheet[1]]
        lines = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert lines["Fontaine"]["temps_supplementaire"] == 33

    def test_the_exams_results_carry_the_adjustments_and_the_minutes_given(self, demo) -> None:
        exam = demo_exam(demo)
        start(demo)
        start(demo, "candidat-a2")
        services.set_extra_time(exam, enrolment_of(demo, "candidat-a2"), 12, "incident", None)
        response = demo.client("correspondant-a").get(f"/correspondant/epreuves/{exam.pk}/resultats/?format=csv")
        rows = {r["nom"]: r for r in csv_rows(response)}
        assert (rows["Fontaine"]["temps_supplementaire"], rows["Fontaine"]["minutes_supplementaires"]) == ("33", "20")
        assert (rows["Perrin"]["temps_supplementaire"], rows["Perrin"]["minutes_supplementaires"]) == ("0", "12")
        assert rows["Fontaine"]["gros_caracteres"] == "non"


class TestThePages:
    def test_the_exam_page_shows_each_candidates_effective_minutes(self, demo) -> None:
        exam = demo_exam(demo)
        services.set_extra_time(exam, enrolment_of(demo, "candidat-a2"), 12, "incident", None)
        html = text(demo.client("correspondant-a").get(f"/correspondant/epreuves/{exam.pk}/"))
        assert "Pour le cas exceptionnel seulement" in html
        section = html.split('id="adjusted"')[1].split("</table>")[0]
        assert "Léa FONTAINE" in section and "tiers-temps (+33 %)" in section and "+20 min" in section
        assert "Hugo PERRIN" in section and "+12 min" in section and "minutes exceptionnelles" in section

    def test_the_candidate_sees_the_minutes_and_the_adjustment(self, demo) -> None:
        exam = demo_exam(demo)
        html = text(demo.client("candidat-a1").get(f"/mon-espace/epreuves/{exam.pk}/"))
        assert "Temps supplémentaire accordé : 20 minutes." in html
        assert "Aménagement : tiers-temps (+33 %)." in html
        assert "Aménagement" not in text(demo.client("candidat-a2").get(f"/mon-espace/epreuves/{exam.pk}/"))
