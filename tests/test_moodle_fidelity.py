"""Moodle files as Moodle reads them (issue 14): a Moodle XML question's
embedded image (``<file encoding="base64">`` shown by ``@@PLUGINFILE@@``, or
the legacy ``<image_base64>``) becomes the question's image through the bank's
checks and goes back out as a ``<file>`` Moodle reads; tags (``<tags>``,
GIFT's ``// [tag:…]``) become the bank's labels and go back out; what the bank
does not keep (hints, combined feedback, other files…) is reported per
question; an image the bank refuses refuses its question, with its number
and title, and nothing is stored. Moodle's own files are read from
../shared/fixtures; the small files here are the project's own."""

from __future__ import annotations

import base64
import dataclasses
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image
from playwright.sync_api import expect

from c2i.assessment.formats.gift import parse_gift
from c2i.assessment.formats.moodle_xml import dump_moodle_xml, parse_moodle_xml
from c2i.assessment.interchange import export_questions, import_questions
from c2i.assessment.models import Label, Question, QuestionStatus
from c2i.frameworks.models import Framework
from tests.conftest import login, screenshot

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
MOODLE_XML = FIXTURES / "moodle-xml"


def picture(fmt: str = "PNG", size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


ANSWERS = "".join(
    f'<answer fraction="{f}" format="html"><text>{t}</text><feedback><text></text></feedback></answer>'
    for f, t in [("100", "Un routeur"), ("0", "Un tableur"), ("0", "Un clavier"), ("0", "Une souris")]
)


def question(name: str, stem: str, files: str = "", extra: str = "", answers: str = ANSWERS) -> str:
    return (
        f'<question type="multichoice">\n<name><text>{name}</text></name>\n'
        f'<questiontext format="html"><text><![CDATA[{stem}]]></text>{files}</questiontext>\n'
        f"<single>true</single>{extra}\n{answers}\n</question>"
    )


def quiz(*questions: str, category: str = "$course$/top/C2i1/D1/D1.2") -> bytes:
    head = f'<question type="category"><category><text>{category}</text></category></question>'
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join([head, *questions]) + "\n</quiz>\n").encode()


def file(name: str, data: bytes) -> str:
    return f'<file name="{name}" path="/" encoding="base64">{b64(data)}</file>'


PNG = picture()
ILLUSTRATED = question(
    "Schéma",
    '<p>Que montre ce schéma ?</p><p><img src="@@PLUGINFILE@@/sch%C3%A9ma%201.png" alt="Schéma" width="8"></p>',
    file("schéma 1.png", PNG),
    extra="<tags><tag><text>réseau</text></tag><tag><text>competence:D1.2</text></tag>"
    "<tag><text>session 2025</text></tag></tags>",
)
HINTED = question(
    "Titre",
    "<p>Quel appareil relie deux réseaux ?</p>",
    extra='<hint format="html"><text>Pensez au courrier.</text></hint><hint format="html"><text>Route</text></hint>'
    '<correctfeedback format="html"><text>Bravo</text></correctfeedback><penalty>0.1</penalty>'
    "<shuffleanswers>0</shuffleanswers>",
)


# --- the parser (pure) ------------------------------------------------------------------


class TestParser:
    def test_an_embedded_image_is_the_questions_image_and_leaves_the_stem(self) -> None:
        (q,) = parse_moodle_xml(quiz(ILLUSTRATED)).questions
        assert (q.image, q.image_name) == (PNG, "schéma 1.png")
        assert q.stem == "<p>Que montre ce schéma ?</p>"  # the <img> and its paragraph: the bank shows the image
        assert q.tags == ["réseau", "competence:D1.2", "session 2025"]
        assert q.not_kept == []

    def test_an_image_inside_the_text_leaves_the_text_around_it(self) -> None:
        stem = '<p>Voici <img src="@@PLUGINFILE@@/a.png" alt="a"> le schéma</p>'
        (q,) = parse_moodle_xml(quiz(question("Q", stem, file("a.png", PNG)))).questions
        assert q.stem == "<p>Voici  le schéma</p>" and q.image == PNG

    def test_the_legacy_image_base64_is_kept(self) -> None:
        legacy = f"<image>moodle.png</image><image_base64>\n{b64(PNG)}\n</image_base64>"
        (q,) = parse_moodle_xml(quiz(question("Ancienne", "<p>Q ?</p>", extra=legacy))).questions
        assert (q.image, q.image_name, q.stem) == (PNG, "moodle.png", "<p>Q ?</p>")

    def test_what_is_not_kept_is_listed(self) -> None:
        other = picture("JPEG")
        doc = quiz(
            question(
                "Fichiers",
                '<p><a href="@@PLUGINFILE@@/bonjour.mp3">Écoutez</a> <img src="@@PLUGINFILE@@/b.png" alt=""></p>',
                file("bonjour.mp3", b"ID3 son") + file("b.png", PNG) + file("c.jpg", other),
                extra=f'<generalfeedback format="html"><text>Voir</text>{file("d.jpg", other)}</generalfeedback>'
                "<defaultgrade>2</defaultgrade><hidden>1</hidden><answernumbering>123</answernumbering>",
            ),
            HINTED,
        )
        files, hinted = parse_moodle_xml(doc).questions
        assert files.image == PNG and files.image_name == "b.png"  # the one the stem shows, not the linked sound
        assert files.stem == '<p><a href="@@PLUGINFILE@@/bonjour.mp3" rel="noopener noreferrer">Écoutez</a> </p>'
        assert files.not_kept == [
            "fichiers intégrés non repris (« bonjour.mp3 », « c.jpg », « d.jpg ») : la banque garde une seule "
            "image (PNG ou JPEG) par question, celle de l'énoncé",
            "note par défaut non reprise (2)",
            "question cachée dans Moodle : importée sans ce statut",
            "numérotation des réponses « 123 » non reprise",
        ]
        assert hinted.not_kept == [
            "indices non repris (2)",
            "feedbacks combinés non repris (pour une réponse correcte)",
            "pénalité pour un nouvel essai non reprise (0,1)",
            "« ne pas mélanger les réponses » non repris (la plateforme mélange toujours les réponses)",
        ]

    def test_moodles_multichoice_fixture_reports_its_hints_and_combined_feedback(self) -> None:
        (q,) = parse_moodle_xml((MOODLE_XML / "qtype_multichoice.testquestion.moodle.xml").read_bytes()).questions
        assert q.not_kept[0] == "indices non repris (2)"
        assert q.not_kept[1].startswith("feedbacks combinés non repris (pour une réponse correcte, ")
        assert "afficher le nombre de réponses correctes" in q.not_kept[2]

    def test_moodles_other_supported_fixtures_lose_nothing(self) -> None:
        names = ["category_with_description.xml", "nested_categories_with_questions.xml"]
        names.append("qtype_truefalse.testquestion.moodle.xml")
        parsed = [q for name in names for q in parse_moodle_xml((MOODLE_XML / name).read_bytes()).questions]
        assert len(parsed) == 6 and all(q.not_kept == [] and q.image is None for q in parsed)

    def test_the_export_carries_the_image_as_moodle_reads_it(self) -> None:
        (q,) = parse_moodle_xml(quiz(ILLUSTRATED)).questions
        data = dump_moodle_xml([q])
        assert b'&lt;img src="@@PLUGINFILE@@/sch%C3%A9ma%201.png" alt=""&gt;' in data
        assert f'<file name="schéma 1.png" path="/" encoding="base64">{b64(PNG)}</file>'.encode() in data
        (again,) = parse_moodle_xml(data).questions
        assert dataclasses.replace(again, where="") == dataclasses.replace(q, where="")  # image, stem, tags
        assert dump_moodle_xml([again]) == data


# --- the import, the bank and the export ----------------------------------------------------


@pytest.fixture
def framework(demo) -> Framework:
    return Framework.objects.get(code="C2i1")


def stored() -> tuple[int, int]:
    return Question.objects.count(), Label.objects.count()


@pytest.mark.django_db
class TestImport:
    def test_the_image_and_the_labels_are_stored(self, framework) -> None:
        report = import_questions(framework, quiz(ILLUSTRATED, HINTED), "moodlexml", None)
        assert report.rejected == [] and report.imported == 2
        schema = Question.objects.get(name="Schéma")
        assert schema.image_type == "png" and schema.image.read() == PNG
        assert schema.stem == "<p>Que montre ce schéma ?</p>"
        assert sorted(label.name for label in schema.labels.all()) == ["réseau", "session 2025"]  # competency tag: no
        assert schema.competency.code == "D1.2"
        (not_kept,) = report.not_kept
        assert not_kept.where.startswith("question n° 2 ")
        assert not_kept.reason.startswith("« Titre » : indices non repris (2) ; feedbacks combinés non repris")
        assert report.as_dict()["not_kept"] == [{"where": not_kept.where, "reason": not_kept.reason}]

    def test_the_legacy_image_is_stored(self, framework) -> None:
        legacy = f"<image>moodle.jpg</image><image_base64>{b64(picture('JPEG'))}</image_base64>"
        report = import_questions(framework, quiz(question("Ancienne", "<p>Q ?</p>", extra=legacy)), "moodlexml", None)
        assert report.imported == 1
        assert Question.objects.get(name="Ancienne").image_type == "jpeg"

    @pytest.mark.parametrize(
        ("data", "why"),
        [
            (picture("GIF"), "The image must be a PNG or JPEG file"),
            (b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024), "The image weighs more than 2 MB."),
            (b"\x89PNG\r\n\x1a\nabimee", "The image file is damaged."),
        ],
        ids=["gif", "too-large", "damaged"],
    )
    def test_an_image_the_bank_refuses_refuses_its_question_and_nothing_is_stored(self, framework, data, why) -> None:
        before = stored()
        bad = question("Mauvaise image", '<p>Q ?<img src="@@PLUGINFILE@@/x.gif"></p>', file("x.gif", data))
        with translation.override("en"):
            report = import_questions(framework, quiz(ILLUSTRATED, bad), "moodlexml", None)
        assert report.imported == 0 and stored() == before
        (rejected,) = report.rejected
        assert rejected.where.startswith("question n° 2 (")
        assert rejected.reason.startswith("question « Mauvaise image »: image « x.gif » refused: " + why)
        partial = import_questions(framework, quiz(ILLUSTRATED, bad), "moodlexml", None, partial=True)
        assert partial.imported == 1 and stored()[0] == before[0] + 1

    def test_the_refusal_is_in_french(self, framework) -> None:
        bad = question("Mauvaise image", "<p>Q ?</p>", file("x.gif", picture("GIF")))
        (rejected,) = import_questions(framework, quiz(bad), "moodlexml", None).rejected
        assert "« Mauvaise image »" in rejected.reason and "PNG ou JPEG" in rejected.reason, rejected.reason

    def test_tags_survive_import_export_import_in_both_formats(self, framework) -> None:
        import_questions(framework, quiz(ILLUSTRATED), "moodlexml", None)
        original = Question.objects.get(name="Schéma")
        for fmt in ("moodlexml", "gift"):
            exported = export_questions(self._prefetched(original.pk), fmt)
            latest = Question.objects.latest("id").pk
            assert import_questions(framework, exported, fmt, None).imported == 1
            copy = Question.objects.get(pk__gt=latest)
            assert sorted(label.name for label in copy.labels.all()) == ["réseau", "session 2025"], fmt
            assert copy.competency_id == original.competency_id
        gift = export_questions(self._prefetched(original.pk), "gift").decode()
        assert "// [tag:réseau] [tag:session 2025]" in gift
        assert parse_gift(gift).questions[0].tags == ["réseau", "session 2025"]

    def test_an_export_imports_back_and_exports_byte_for_byte(self, framework) -> None:
        import_questions(framework, quiz(ILLUSTRATED, HINTED), "moodlexml", None)
        first = Question.objects.filter(name__in=["Schéma", "Titre"]).values_list("pk", flat=True)
        exported = export_questions(self._prefetched(*first), "moodlexml")
        latest = Question.objects.latest("id").pk
        report = import_questions(framework, exported, "moodlexml", None)
        assert report.imported == 2 and report.not_kept == []  # nothing lost twice
        copies = Question.objects.filter(pk__gt=latest).values_list("pk", flat=True)
        assert export_questions(self._prefetched(*copies), "moodlexml") == exported
        copy = Question.objects.get(pk__gt=latest, name="Schéma")
        assert copy.image.read() == PNG

    @staticmethod
    def _prefetched(*pks: int):
        return (
            Question.objects.filter(pk__in=pks)
            .select_related("framework", "competency__domain")
            .prefetch_related("options", "labels")
            .order_by("id")
        )


# --- the pages --------------------------------------------------------------------------------


@pytest.mark.django_db
class TestPages:
    def test_the_import_page_shows_what_is_not_kept_per_question(self, demo) -> None:
        data = {
            "framework": "C2i1",
            "format": "moodlexml",
            "file": SimpleUploadedFile("banque.xml", quiz(ILLUSTRATED, HINTED), content_type="application/xml"),
            "status": "in_review",
        }
        response = demo.client("relecteur").post("/banque/questions/import-export/", data, follow=True)
        page = response.content.decode()
        assert "2 questions importées" in page
        assert 'id="import-not-kept"' in page
        assert "« Titre » : indices non repris (2)" in page
        assert "question n° 2 (&lt;question type=&quot;multichoice&quot;&gt; ligne" in page

    def test_labels_are_shown_filtered_and_edited(self, demo, framework) -> None:
        author = demo.user("correspondant-a")
        import_questions(framework, quiz(ILLUSTRATED, HINTED), "moodlexml", author, status="draft")
        schema = Question.objects.get(name="Schéma")
        client = demo.client("relecteur")
        page = client.get(schema.get_absolute_url()).content.decode()
        assert 'id="question-labels"' in page and "session 2025" in page
        listed = client.get("/banque/questions/", {"label": "Réseau"}).context["questions"]
        assert [q.pk for q in listed] == [schema.pk]
        author = demo.client("correspondant-a")
        form = author.get(f"/banque/questions/{schema.pk}/modifier/").context["form"]
        assert form.initial["labels"] == "réseau, session 2025"
        data = {k: v for k, v in form.initial.items() if v not in (None, False)}
        data.update(competency=schema.competency_id, labels=" facile ,  réseau,, ")
        response = author.post(f"/banque/questions/{schema.pk}/modifier/", data)
        assert response.status_code == 302, response.context["form"].errors
        assert sorted(label.name for label in schema.labels.all()) == ["facile", "réseau"]
        assert schema.status == QuestionStatus.DRAFT


@pytest.mark.browser
class TestBrowser:
    def test_a_reviewer_imports_a_moodle_file_then_finds_the_question_by_its_label(self, page, tmp_path) -> None:
        login(page, "relecteur")
        page.goto("/banque/questions/import-export/")
        path = tmp_path / "banque.xml"
        path.write_bytes(quiz(ILLUSTRATED.replace("session 2025", "navigateur-f14"), HINTED))
        page.select_option("#id_format", "moodlexml")
        page.select_option("#id_framework", "C2i1")
        page.set_input_files("#id_file", str(path))
        page.select_option("#id_status", "in_review")
        page.click("main form[enctype] button[type=submit]")
        page.wait_for_load_state()
        expect(page.locator("#import-report")).to_contain_text("2 questions importées.")
        not_kept = page.locator("#import-not-kept")
        expect(not_kept.locator("caption")).to_have_text("Ce que la banque ne reprend pas des questions acceptées")
        expect(not_kept.locator("tbody tr")).to_have_count(1)
        expect(not_kept).to_contain_text("« Titre » : indices non repris (2)")
        screenshot(page, "bank-import-not-kept")
        page.goto("/banque/questions/?label=navigateur-f14")
        rows = page.locator("main table tbody tr")
        expect(rows).to_have_count(1)
        rows.first.locator("a", has_text="Schéma").click()
        expect(page.locator("#question-labels")).to_contain_text("navigateur-f14")
        image = page.locator("img.c2i-question-image")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.naturalWidth") == 8
        screenshot(page, "bank-question-labels")
