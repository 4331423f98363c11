"""Input limits (issue 10, finding 11): every text has a length limit, names
refuse invisible control characters (U+202E…), free texts lose them; the
pages, the candidate import and the API say which field (and line) is wrong."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django import forms
from django.utils import translation

from c2i.enrolment import importing
from c2i.enrolment.models import Candidate
from c2i.lib import text
from c2i.lib.forms import Form
from c2i.portfolio.models import Evidence
from tests.portfolio_support import item_data
from tests.test_registration import FORM as REGISTRATION

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: « Ali\u202eecnarF » reads « AliFrance » reversed

IMPORT_HEADER = "nom;prenoms;date_naissance;lieu_naissance;email;ine;statut;cursus_particulier"
ADD_ITEM = "/mon-espace/dossier/C2i1/elements/ajouter/"


class TestPages:
    def test_a_reflection_of_a_million_characters_is_refused_with_its_field(self, demo) -> None:
        before = Evidence.objects.count()
        response = demo.client("candidat-a1").post(
            ADD_ITEM, item_data(reflection="a" * 1_000_000, link="https://www.example.org/p")
        )
        assert response.status_code == 400
        assert Evidence.objects.count() == before
        page = response.content.decode()
        assert "Analyse réflexive" in page and "1000000" in page and "10000" in page

    def test_a_reflection_loses_its_bidirectional_controls(self, demo) -> None:
        response = demo.client("candidat-a1").post(
            ADD_ITEM,
            item_data(title="Veille", reflection=f"J'ai lu{RLO} txt.exe\nà la ligne", link="https://www.example.org/p"),
        )
        assert response.status_code == 302
        evidence = Evidence.objects.filter(title="Veille").latest("pk")
        assert evidence.reflection == "J'ai lu txt.exe\nà la ligne"

    def test_a_name_with_a_right_to_left_override_is_refused_at_registration(self, demo) -> None:
        response = demo.client(None).post("/inscription/", {**REGISTRATION, "last_name": f"Pe{RLO}tit"})
        assert response.status_code == 200
        assert not Candidate.objects.filter(email="nina.petit@example.fr").exists()
        page = response.content.decode()
        assert "U+202E" in page and "« Nom »" in page.replace("“", "« ").replace("”", " »")

    def test_a_title_with_a_control_character_is_refused(self, demo) -> None:
        response = demo.client("candidat-a1").post(
            ADD_ITEM, item_data(title="Veille\x1b[2J", link="https://www.example.org/p")
        )
        assert response.status_code == 400
        assert "U+001B" in response.content.decode()


class TestImport:
    def post(self, demo, lines: list[str]):
        upload = io.BytesIO(("\n".join([IMPORT_HEADER, *lines]) + "\n").encode("utf-8"))
        upload.name = "liste.csv"
        return demo.client("correspondant-a").post(
            f"/gestion/sessions/{demo.institution_session('a').pk}/import/", {"file": upload}
        )

    def test_a_name_with_a_right_to_left_override_is_refused_with_its_line(self, demo) -> None:
        before = Candidate.objects.count()
        response = self.post(
            demo,
            [
                "Lambert;Océane;12/03/2003;Annecy;oceane.lambert@etu.example.fr;;etudiant;non",
                f"Roche;Pas{RLO}cale;05/07/1978;Brest;pascale.roche@example.fr;;formation_continue;",
            ],
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert '<td class="c2i-num">3</td><td>prenoms</td>' in page
        assert "U+202E" in page
        assert Candidate.objects.count() == before

    def test_an_overlong_name_is_refused_with_its_line(self, demo) -> None:
        response = self.post(demo, [f"{'L' * 101};Océane;12/03/2003;Annecy;o.l@etu.example.fr;;etudiant;non"])
        assert response.status_code == 400
        assert '<td class="c2i-num">2</td><td>nom</td>' in response.content.decode()

    def test_names_are_kept_composed_and_with_single_spaces(self) -> None:
        data = f"{IMPORT_HEADER}\nLe  Gall;Zoe\u0301;12/03/2003;Quimper;zoe.legall@etu.example.fr;;etudiant;non\n"
        report = importing.parse_file(data.encode("utf-8"), "liste.csv")
        assert not report.errors
        assert (report.valid_rows[0]["last_name"], report.valid_rows[0]["first_names"]) == ("Le Gall", "Zoé")


class TestApi:
    def test_a_place_with_a_right_to_left_override_is_refused_naming_the_parameter(self, demo) -> None:
        with translation.override("fr"):
            response = demo.client(None).get(f"/api/etablissements?lieu={quote('Ly' + RLO + 'on')}")
        assert response.status_code == 422
        body = response.json()
        assert body["detail"][0]["loc"][-1] == "lieu"
        assert "U+202E" in body["detail"][0]["msg"]

    def test_an_overlong_place_is_refused(self, demo) -> None:
        response = demo.client(None).get(f"/api/etablissements?lieu={'a' * 5000}")
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][-1] == "lieu"

    def test_the_schema_states_the_limits(self, demo) -> None:
        schema = demo.client(None).get("/api/openapi.json").json()
        parameters = schema["paths"]["/api/etablissements"]["get"]["parameters"]
        limits = {p["name"]: p["schema"].get("maxLength") for p in parameters}
        assert limits["lieu"] and limits["referentiel"]


class Sample(Form):
    title = forms.CharField(label="Titre")
    body = forms.CharField(label="Texte", widget=forms.Textarea)
    short = forms.CharField(label="Court", max_length=5)
    secret = forms.CharField(label="Secret", widget=forms.PasswordInput, strip=False)


class TestDefaults:
    def test_every_text_field_gets_a_limit(self) -> None:
        form = Sample()
        assert [form.fields[n].max_length for n in ("title", "body", "short", "secret")] == [
            text.LINE_MAX_LENGTH,
            text.TEXT_MAX_LENGTH,
            5,
            text.PASSWORD_MAX_LENGTH,
        ]
        assert 'maxlength="200"' in str(form["title"]) and 'maxlength="10000"' in str(form["body"])

    def test_the_messages_name_the_field(self) -> None:
        with translation.override("fr"):
            form = Sample({"title": f"a{RLO}", "body": "x" * 10_001, "short": "123456", "secret": f"pass{RLO}"})
            assert not form.is_valid()
            errors = form.errors
        assert "Titre" in errors["title"][0] and "U+202E" in errors["title"][0]
        assert "Texte" in errors["body"][0] and "10001" in errors["body"][0]
        assert "Court" in errors["short"][0]
        assert "secret" not in errors  # a password is not a name: any character is the owner's choice

    def test_free_texts_keep_line_breaks_and_joiners(self) -> None:
        body = "a\r\nb\tc \U0001f469\u200d\U0001f4bb\u202e\x00"
        form = Sample({"title": "t", "body": body, "short": "s", "secret": "p"})
        assert form.is_valid()
        assert form.cleaned_data["body"] == "a\r\nb\tc \U0001f469\u200d\U0001f4bb"

    def test_clean_name_refuses_every_invisible_character(self) -> None:
        for ch in ("\u202e", "\u2066", "\u200b", "\u00ad", "\x00", "\n", "\u2028", "\ue000"):
            with pytest.raises(forms.ValidationError):
                text.clean_name(f"Ali{ch}ce", "Nom")
        assert text.clean_name("  Jean   Pierre ") == "Jean Pierre"


class TestQuestionFiles:
    """Imported questions have limits too: a file may not bring a stem of
    megabytes into the bank (its pages and exports show it)."""

    def test_an_overlong_gift_stem_is_refused_with_its_line(self) -> None:
        from c2i.assessment.formats.gift import parse_gift

        result = parse_gift("::Q1::Court ?{=Oui ~Non}\n\n::Q2::" + "a" * 20_001 + "{=Oui ~Non}")
        assert [q.name for q in result.questions] == ["Q1"]
        assert result.rejected[0].where == "ligne 3"
        assert "20001" in result.rejected[0].reason.replace(" ", "").replace("\u202f", "")

    def test_an_overlong_moodle_option_is_refused_with_its_question(self) -> None:
        from c2i.assessment.formats.moodle_xml import parse_moodle_xml

        option = "b" * 5_001
        data = (
            '<quiz><question type="multichoice"><questiontext><text>Q ?</text></questiontext>'
            f'<answer fraction="100"><text>{option}</text></answer>'
            '<answer fraction="0"><text>Non</text></answer></question></quiz>'
        ).encode()
        result = parse_moodle_xml(data)
        assert not result.questions
        assert result.rejected[0].where.startswith("question n° 1")
        assert "réponse n° 1" in result.rejected[0].reason


class TestJuryComment:
    """The jury's decision comment comes from a page without a form: the
    service applies the free-text rule itself."""

    def url(self, enrolment) -> str:
        return f"/jury/sessions/{enrolment.institution_session_id}/candidats/{enrolment.pk}/"

    def test_an_overlong_comment_is_refused_naming_the_field(self, demo) -> None:
        from c2i.deliberation.models import CompetencyDecision
        from c2i.enrolment.models import EnrolmentStatus

        enrolment = demo.candidate("candidat-a1").enrolments.get(status=EnrolmentStatus.ACTIVE)
        response = demo.client("jury-a").post(
            self.url(enrolment), {"competency": "D1.1", "value": "NV", "comment": "x" * 10_001}
        )
        assert response.status_code == 400
        assert "10001" in response.content.decode()
        assert not CompetencyDecision.objects.filter(enrolment=enrolment).exists()

    def test_a_comment_loses_its_bidirectional_controls(self, demo) -> None:
        from c2i.deliberation.models import CompetencyDecision
        from c2i.enrolment.models import EnrolmentStatus

        enrolment = demo.candidate("candidat-a1").enrolments.get(status=EnrolmentStatus.ACTIVE)
        response = demo.client("jury-a").post(
            self.url(enrolment), {"competency": "D1.1", "value": "NV", "comment": f"Hors{RLO} sujet"}
        )
        assert response.status_code == 302
        assert CompetencyDecision.objects.get(enrolment=enrolment).comment == "Hors sujet"
