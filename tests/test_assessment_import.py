"""Question import and export (GIFT, Moodle XML) through the management
command (one JSON object) and the page: mixed supported and unsupported
types, bad syntax, hostile XML, all-or-nothing against partial, unknown
competencies, option counts (R18), and the round trip."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from c2i.assessment.interchange import export_questions, import_questions, parse, question_data
from c2i.assessment.models import Question, QuestionStatus
from c2i.frameworks.models import Framework

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"

MIXED_GIFT = """\
$CATEGORY: C2i1/D1/D1.2

::Bonne 1::Quel réflexe après un courriel suspect ?{
\t=Ne pas cliquer sur ses liens
\t~Répondre tout de suite
\t~Transférer à tous ses contacts
\t~Donner son mot de passe
\t####Prudence.
}

::Bonne 2::Quels mots de passe sont robustes ?{
\t~%50%Cheval-Agrafe-Batterie-7!
\t~%50%Tr4in-Bleu!Cerise-27
\t~%-50%123456
\t~%-50%azerty
}

::Vrai faux::Un antivirus dispense des mises à jour.{FALSE}

::Rédaction::Décrivez votre poste de travail.{}

::Réponse courte::Quel protocole chiffre le web ?{=HTTPS}

::Cassée::Une accolade jamais fermée {
\t=oui
\t~non

::Trois options::Trop peu d'options ?{
\t=oui
\t~non
\t~peut-être
}

$CATEGORY: C2i1/D9/D9.9

::Compétence inconnue::Une question rangée hors du référentiel ?{
\t=a
\t~b
\t~c
\t~d
}
"""

MOODLE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/C2i1/D4/D4.1</text></category></question>
  <question type="multichoice">
    <name><text>Guillemets</text></name>
    <questiontext format="html"><text><![CDATA[<p>Que donnent des guillemets ?</p>]]></text></questiontext>
    <generalfeedback format="html"><text>L'expression exacte.</text></generalfeedback>
    <single>true</single>
    <answer fraction="100" format="html"><text>L'expression exacte</text></answer>
    <answer fraction="0" format="html"><text>Un des mots</text></answer>
    <answer fraction="0" format="html"><text>Aucun des mots</text></answer>
    <answer fraction="0" format="html"><text>Le titre seulement</text></answer>
  </question>
  <question type="multichoice">
    <name><text>Par étiquette</text></name>
    <questiontext format="html"><text>Un opérateur booléen ?</text></questiontext>
    <single>true</single>
    <answer fraction="100" format="html"><text>ET</text></answer>
    <answer fraction="0" format="html"><text>PLUS</text></answer>
    <answer fraction="0" format="html"><text>DIESE</text></answer>
    <answer fraction="0" format="html"><text>ETOILE</text></answer>
    <tags><tag><text>competence:D4.2</text></tag></tags>
  </question>
  <question type="shortanswer">
    <name><text>Courte</text></name>
    <questiontext format="html"><text>Un mot ?</text></questiontext>
    <answer fraction="100"><text>oui</text></answer>
  </question>
  <question type="matching">
    <name><text>Appariement</text></name>
    <questiontext format="html"><text>Reliez.</text></questiontext>
  </question>
</quiz>
""".encode()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<quiz><question type="multichoice"><name><text>&lol3;</text></name></question></quiz>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="multichoice"><name><text>&xxe;</text></name></question></quiz>
"""


def run_command(path: Path, *args: str) -> dict:
    out = io.StringIO()
    call_command("import_questions", str(path), *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1  # one JSON object
    return json.loads(lines[0])


def count() -> int:
    return Question.objects.count()


class TestImportCommand:
    def test_all_or_nothing_reports_every_rejected_question(self, demo, tmp_path) -> None:
        path = tmp_path / "mixte.gift"
        path.write_text(MIXED_GIFT, encoding="utf-8")
        before = count()
        report = run_command(path, "--framework", "C2i1", "--format", "gift")
        assert report["imported"] == 0 and count() == before
        reasons = {r["where"]: r["reason"] for r in report["rejected"]}
        assert len(reasons) == 5, reasons
        assert all(where.startswith("ligne ") for where in reasons)
        text = " | ".join(reasons.values())
        assert "rédaction" in text and "réponse courte" in text  # unsupported types, by position
        assert "accolade" in text  # bad syntax
        assert "R18" in text and "3" in text  # 3 options
        assert "D9.9" in text  # competency unknown in the framework

    def test_partial_imports_the_valid_questions(self, demo, tmp_path) -> None:
        path = tmp_path / "mixte.gift"
        path.write_text(MIXED_GIFT, encoding="utf-8")
        before = count()
        report = run_command(path, "--framework", "C2i1", "--format", "gift", "--partial")
        assert report["imported"] == 3 and len(report["rejected"]) == 5
        assert count() == before + 3
        imported = Question.objects.order_by("-id")[:3]
        assert {q.status for q in imported} == {QuestionStatus.IN_REVIEW}
        assert {q.competency.code for q in imported} == {"D1.2"}
        assert sorted(q.kind for q in imported) == ["multichoice", "multichoice", "truefalse"]

    def test_dry_run_stores_nothing(self, demo, tmp_path) -> None:
        path = tmp_path / "mixte.gift"
        path.write_text(MIXED_GIFT, encoding="utf-8")
        before = count()
        report = run_command(path, "--framework", "C2i1", "--format", "gift", "--partial", "--dry-run")
        assert report["imported"] == 0 and report["would_import"] == 3 and count() == before

    def test_moodle_xml_takes_the_competency_from_the_category_or_a_tag(self, demo, tmp_path) -> None:
        path = tmp_path / "banque.xml"
        path.write_bytes(MOODLE_XML)
        report = run_command(path, "--framework", "C2i1", "--format", "moodlexml", "--partial")
        assert report["imported"] == 2
        assert [r["where"].split(" (")[0] for r in report["rejected"]] == ["question n° 3", "question n° 4"]
        assert "réponse courte" in report["rejected"][0]["reason"]
        assert "appariement" in report["rejected"][1]["reason"]
        codes = set(Question.objects.order_by("-id")[:2].values_list("competency__code", flat=True))
        assert codes == {"D4.1", "D4.2"}

    @pytest.mark.parametrize("hostile", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
    def test_hostile_xml_is_refused_without_expansion(self, demo, tmp_path, hostile) -> None:
        path = tmp_path / "hostile.xml"
        path.write_bytes(hostile)
        before = count()
        report = run_command(path, "--framework", "C2i1", "--format", "moodlexml", "--partial")
        assert report["imported"] == 0 and count() == before
        assert len(report["rejected"]) == 1
        assert "lol" not in report["rejected"][0]["reason"] and "root:" not in report["rejected"][0]["reason"]

    def test_moodles_own_files_never_crash_the_import(self, demo) -> None:
        framework = Framework.objects.get(code="C2i1")
        files = [*sorted((FIXTURES / "moodle-xml").glob("*.xml"))]
        for path in files:
            report = import_questions(framework, path.read_bytes(), "moodlexml", None, dry_run=True)
            assert report.rejected or report.accepted, path.name  # every question accepted or explained
        gift = (FIXTURES / "moodle-gift" / "questions.gift.txt").read_bytes()
        report = import_questions(framework, gift, "gift", None, dry_run=True)
        assert report.rejected and all(r.reason for r in report.rejected)

    def test_a_question_of_another_framework_is_refused(self, demo, tmp_path) -> None:
        path = tmp_path / "ms.gift"
        path.write_text("$CATEGORY: C2i2ms/D1/D1.1\n\n::x::Une question ?{\n=a\n~b\n~c\n~d\n}\n", encoding="utf-8")
        report = run_command(path, "--framework", "C2i1", "--format", "gift")
        assert report["imported"] == 0 and "C2i2ms" in report["rejected"][0]["reason"]

    def test_bad_arguments_are_errors(self, demo, tmp_path) -> None:
        with pytest.raises(CommandError):
            call_command("import_questions", str(tmp_path / "absent.gift"), "--framework", "C2i1", "--format", "gift")
        path = tmp_path / "a.gift"
        path.write_text("", encoding="utf-8")
        with pytest.raises(CommandError):
            call_command("import_questions", str(path), "--framework", "C2i9", "--format", "gift")

    def test_a_file_that_is_not_utf8_is_reported(self, demo, tmp_path) -> None:
        path = tmp_path / "latin1.gift"
        path.write_bytes("::q::Été ?{=a ~b ~c ~d}".encode("latin-1"))
        report = run_command(path, "--framework", "C2i1", "--format", "gift")
        assert report["imported"] == 0 and report["rejected"][0]["reason"]


class TestRoundTrip:
    @pytest.mark.parametrize("fmt", ["gift", "moodlexml"])
    def test_export_then_import_gives_back_the_same_questions(self, demo, fmt) -> None:
        response = demo.client("relecteur").get(
            f"/banque/questions/export/?framework=C2i1&format={fmt}&status=validated"
        )
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        original = list(
            Question.objects.filter(framework__code="C2i1", status=QuestionStatus.VALIDATED)
            .select_related("framework", "competency__domain")
            .prefetch_related("options")
            .order_by("competency__domain__position", "competency__position", "id")
        )
        parsed = parse(response.content, fmt)
        assert parsed.rejected == [] and len(parsed.questions) == len(original) > 60
        latest = Question.objects.latest("id").pk
        report = import_questions(
            Framework.objects.get(code="C2i1"), response.content, fmt, demo.user("relecteur"), status="draft"
        )
        assert report.imported == len(original) and report.rejected == []
        copies = list(
            Question.objects.filter(pk__gt=latest)
            .select_related("framework", "competency__domain")
            .prefetch_related("options")
            .order_by("id")
        )

        def same(q):
            data = question_data(q)
            return (
                q.competency_id,
                data.kind,
                data.name,
                data.stem,
                data.stem_format,
                data.single,
                data.general_feedback,
                [(o.text, o.fraction, o.feedback) for o in data.options],
            )

        assert [same(q) for q in copies] == [same(q) for q in original]

    def test_export_writes_the_competency_as_category(self, demo) -> None:
        question = Question.objects.filter(framework__code="C2i1", status=QuestionStatus.VALIDATED).first()
        text = export_questions([question], "gift").decode()
        assert f"$CATEGORY: $course$/top/C2i1/{question.competency.domain.code}/{question.competency.code}" in text


class TestImportPage:
    def test_a_reviewer_sees_each_rejected_question(self, demo) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        before = count()
        upload = SimpleUploadedFile("mixte.gift", MIXED_GIFT.encode(), content_type="text/plain")
        client = demo.client("relecteur")
        response = client.post(
            "/banque/questions/import-export/",
            {"framework": "C2i1", "format": "gift", "file": upload, "status": "in_review"},
            follow=True,  # Post/Redirect/Get: the report is shown at ?rapport=1
        )
        assert response.redirect_chain[0][1] == 302 and count() == before
        report = response.context["report"]
        assert len(report.rejected) == 5
        assert "D9.9" in response.content.decode()
        upload = SimpleUploadedFile("mixte.gift", MIXED_GIFT.encode(), content_type="text/plain")
        response = client.post(
            "/banque/questions/import-export/",
            {"framework": "C2i1", "format": "gift", "file": upload, "status": "in_review", "partial": "on"},
        )
        assert response.status_code == 302 and count() == before + 3

    def test_only_the_admin_imports_validated_questions(self, demo) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("a.gift", MIXED_GIFT.encode())
        response = demo.client("relecteur").post(
            "/banque/questions/import-export/",
            {"framework": "C2i1", "format": "gift", "file": upload, "status": "validated", "partial": "on"},
        )
        assert response.status_code == 400 and "status" in response.context["form"].errors

    def test_correspondents_do_not_import(self, demo) -> None:
        assert demo.client("correspondant-a").get("/banque/questions/import-export/").status_code == 403
        assert (
            demo.client("correspondant-a").get("/banque/questions/export/?framework=C2i1&format=gift").status_code
            == 403
        )
