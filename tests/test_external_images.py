"""Finding 8 of issue 10 (images): a question text showing an image from
another site would have every candidate's browser call that site during the
exam (tracking). Such images are refused at import (GIFT, Moodle XML: the
question, its line and the address are named) and when a question is
written or changed; images stored by the platform (the question's image,
relative addresses) remain."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from c2i.assessment import services
from c2i.assessment.formats.model import external_images
from c2i.assessment.interchange import import_questions
from c2i.assessment.models import Question, QuestionStatus
from c2i.assessment.services.questions import QuestionDraft
from c2i.frameworks.models import Competency, Framework

pytestmark = pytest.mark.django_db

TRACKER = "https://pisteur.example/p.png?candidat=1"


def gift(stem: str, option: str = "Ne pas cliquer", fmt: str = "[html]") -> bytes:
    option = re.sub(r"([=~#{}])", r"\\\1", option)  # GIFT's escapes
    return (
        "$CATEGORY: C2i1/D1/D1.2\n\n"
        "::Sans image::Une question sans image ?{\n\t=oui\n\t~non\n\t~peut-être\n\t~jamais\n}\n\n"
        f"::Avec image::{fmt}{stem}{{\n\t={option}\n\t~Répondre\n\t~Transférer\n\t~Ignorer\n}}\n"
    ).encode()


def moodle_xml(stem: str, option: str = "oui") -> bytes:
    answers = "".join(
        f'<answer fraction="{f}" format="html"><text><![CDATA[{t}]]></text></answer>'
        for f, t in [("100", option), ("0", "non"), ("0", "peut-être"), ("0", "jamais")]
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
        '<question type="category"><category><text>$course$/top/C2i1/D1/D1.2</text></category></question>\n'
        '<question type="multichoice">\n<name><text>Avec image</text></name>\n'
        f'<questiontext format="html"><text><![CDATA[{stem}]]></text></questiontext>\n'
        f"<single>true</single>{answers}\n</question>\n</quiz>\n"
    ).encode()


@pytest.fixture
def framework(demo) -> Framework:
    # through `demo`: a transactional test of the same worker may have flushed the frameworks
    return Framework.objects.get(code="C2i1")


class TestExternalImages:
    def test_it_tells_absolute_addresses_from_the_platforms_own(self) -> None:
        html = (
            f'<p><img src="{TRACKER}" alt="a"><img src="//cdn.example/b.png" alt="b">'
            '<img src="@@PLUGINFILE@@/c.png" alt="c"><img src="/banque/questions/1/image/" alt="d">'
            '<a href="https://exemple.fr/">un lien</a></p>'
        )
        assert external_images(html) == [TRACKER, "//cdn.example/b.png"]


class TestImport:
    def test_a_gift_question_with_an_external_image_is_refused_with_its_line(self, framework) -> None:
        before = Question.objects.count()
        report = import_questions(framework, gift(f'<p>Que montre <img src="{TRACKER}" alt="x"> ?</p>'), "gift", None)
        assert report.imported == 0 and Question.objects.count() == before
        (rejected,) = report.rejected
        assert rejected.where == "ligne 10"
        assert "« Avec image »" in rejected.reason and TRACKER in rejected.reason

    def test_an_image_in_an_option_or_a_markdown_stem_is_refused_too(self, framework) -> None:
        option = gift("Laquelle ?", f'Celle-ci <img src="{TRACKER}" alt="o">')
        with translation.override("en"):  # the source strings (French once the catalogue has them)
            in_option = import_questions(framework, option, "gift", None)
        assert [r.where for r in in_option.rejected] == ["ligne 10"]
        assert f"({TRACKER}) in option 1;" in in_option.rejected[0].reason
        markdown = import_questions(framework, gift(f"Que montre ![x]({TRACKER}) ?", fmt="[markdown]"), "gift", None)
        assert [r.where for r in markdown.rejected] == ["ligne 10"] and TRACKER in markdown.rejected[0].reason

    def test_a_moodle_xml_question_with_an_external_image_is_refused(self, framework) -> None:
        document = moodle_xml(f'<p><img src="{TRACKER}"></p> Que voit-on ?')
        report = import_questions(framework, document, "moodlexml", None)
        (rejected,) = report.rejected
        assert "ligne 4" in rejected.where and TRACKER in rejected.reason
        assert report.imported == 0

    def test_the_platforms_own_images_are_imported(self, framework) -> None:
        report = import_questions(
            framework, moodle_xml('<p><img src="@@PLUGINFILE@@/a.png" alt="a"> Que voit-on ?</p>'), "moodlexml", None
        )
        assert report.rejected == [] and report.imported == 1


class TestQuestionForm:
    def _draft_html_question(self, demo) -> Question:
        competency = Competency.objects.get(domain__framework__code="C2i1", code="D1.2")
        draft = QuestionDraft(
            competency=competency,
            stem="<p>Que voit-on ?</p>",
            stem_format="html",
            options=[services.OptionInput(t, 100.0 if i == 0 else 0.0) for i, t in enumerate("abcd")],
            single=True,
        )
        return services.create_question(
            demo.user("correspondant-a"), competency.domain.framework, draft, status=QuestionStatus.DRAFT
        )

    def test_a_change_bringing_an_external_image_is_refused_on_the_text(self, demo) -> None:
        question = self._draft_html_question(demo)
        client = demo.client("correspondant-a")
        response = client.post(
            f"/banque/questions/{question.pk}/modifier/",
            {
                "competency": question.competency_id,
                "name": "",
                "stem": f'<p>Que voit-on ? <img src="{TRACKER}" alt="x"></p>',
                "feedback": "",
                **{f"option_{i}": t for i, t in enumerate("abcd", start=1)},
                "correct_1": "on",
            },
        )
        assert response.status_code == 400
        assert TRACKER in " ".join(response.context["form"].errors["stem"])
        question.refresh_from_db()
        assert question.stem == "<p>Que voit-on ?</p>"

    def test_the_service_refuses_a_new_question_with_an_external_image(self, demo) -> None:
        competency = Competency.objects.get(domain__framework__code="C2i1", code="D1.2")
        with pytest.raises(services.AssessmentError) as refused:
            services.create_question(
                demo.user("correspondant-a"),
                competency.domain.framework,
                QuestionDraft(
                    competency=competency,
                    stem=f"Que voit-on ? ![x]({TRACKER})",
                    stem_format="markdown",
                    options=[services.OptionInput(t, 100.0 if i == 0 else 0.0) for i, t in enumerate("abcd")],
                    single=True,
                ),
            )
        assert refused.value.code == "external_image" and TRACKER in refused.value.message
