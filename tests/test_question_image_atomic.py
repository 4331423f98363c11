"""A question and its image are written in one transaction: a refused image
leaves no orphan draft (so a resubmission does not duplicate it), and a
refused image on a change leaves the question as it was."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet

from c2i.assessment import services
from c2i.assessment.models import Question
from c2i.assessment.services.questions import QuestionDraft
from c2i.frameworks.models import Framework
from c2i.lib.errors import DomainError
from tests.test_assessment_bank import competency, png_bytes

pytestmark = pytest.mark.django_db

NEW = "/banque/questions/nouvelle/"


def form_data(**extra: object) -> dict:
    data: dict[str, object] = {
        "competency": competency().pk,
        "name": "Question illustrée",
        "stem": "Que montre ce schéma ?",
        "option_1": "Un réseau local",
        "option_2": "Une imprimante",
        "option_3": "Un tableur",
        "option_4": "Un clavier",
        "correct_1": "on",
        "feedback": "",
    }
    data.update(extra)
    return data


def options() -> list[services.OptionInput]:
    return [
        services.OptionInput("Bonne", 100.0),
        services.OptionInput("Fausse 1", -33.33333),
        services.OptionInput("Fausse 2", -33.33333),
        services.OptionInput("Fausse 3", -33.33333),
    ]


def illustrated() -> QuerySet[Question]:
    return Question.objects.filter(name="Question illustrée")


class TestCreatingWithAnImage:
    def test_a_refused_image_leaves_no_question_even_when_posted_twice(self, demo) -> None:
        client = demo.client("correspondant-a")
        for _ in range(2):
            fake = SimpleUploadedFile("schema.png", b"ceci n'est pas une image", content_type="image/png")
            response = client.post(NEW, form_data(image=fake))
            assert response.status_code == 400
            assert "L'image doit être un fichier PNG ou JPEG" in response.context["form"].errors["image"][0]
            assert "image doit être un fichier PNG ou JPEG" in response.content.decode()  # shown next to the field
        assert not illustrated().exists()

    def test_an_oversized_image_leaves_no_question(self, demo) -> None:
        big = SimpleUploadedFile("grand.png", png_bytes() + b"\0" * services.MAX_IMAGE_BYTES, content_type="image/png")
        response = demo.client("correspondant-a").post(NEW, form_data(image=big))
        assert response.status_code == 400
        assert response.context["form"].errors["image"] == ["L'image dépasse 2 Mo."]
        assert not illustrated().exists()

    def test_a_valid_image_creates_exactly_one_question_with_its_image(self, demo) -> None:
        picture = SimpleUploadedFile("schema.png", png_bytes(), content_type="image/png")
        response = demo.client("correspondant-a").post(NEW, form_data(image=picture))
        assert response.status_code == 302
        [question] = illustrated()
        assert question.image_type == "png"
        assert question.image.read() == png_bytes()

    def test_the_service_checks_the_image_before_writing(self, demo) -> None:
        before = Question.objects.count()
        with pytest.raises(DomainError) as refused:
            services.create_question(
                demo.user("correspondant-a"),
                Framework.objects.get(code="C2i1"),
                QuestionDraft(competency(), "Que montre ce schéma ?", options(), image=b"GIF89a pas du tout"),
            )
        assert refused.value.code == "image_type"
        assert Question.objects.count() == before


class TestChangingWithAnImage:
    def test_a_refused_image_leaves_the_question_unchanged(self, demo) -> None:
        client = demo.client("correspondant-a")
        assert client.post(NEW, form_data()).status_code == 302
        [question] = illustrated()
        fake = SimpleUploadedFile("schema.png", b"ceci n'est pas une image", content_type="image/png")
        response = client.post(
            f"/banque/questions/{question.pk}/modifier/", form_data(stem="Un autre énoncé", image=fake)
        )
        assert response.status_code == 400
        assert "L'image doit être un fichier PNG ou JPEG" in response.context["form"].errors["image"][0]
        question.refresh_from_db()
        assert question.stem == "Que montre ce schéma ?"
        assert not question.image

    def test_a_valid_image_and_the_text_are_saved_together(self, demo) -> None:
        client = demo.client("correspondant-a")
        assert client.post(NEW, form_data()).status_code == 302
        [question] = illustrated()
        picture = SimpleUploadedFile("schema.png", png_bytes(), content_type="image/png")
        response = client.post(
            f"/banque/questions/{question.pk}/modifier/", form_data(stem="Un autre énoncé", image=picture)
        )
        assert response.status_code == 302
        question.refresh_from_db()
        assert question.stem == "Un autre énoncé" and question.image_type == "png"
        response = client.post(f"/banque/questions/{question.pk}/modifier/", form_data(remove_image="on"))
        assert response.status_code == 302
        question.refresh_from_db()
        assert not question.image and question.image_type == ""
