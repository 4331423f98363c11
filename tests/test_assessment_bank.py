"""The question bank and its review: authors write questions (R18: 4 or 5
options, one or several correct), reviewers validate them after N approvals
or send them back with a remark; an author never reviews their own question;
the bank is secret."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from c2i.accounts.models import AuditEntry, Membership, Role, User
from c2i.assessment import services
from c2i.assessment.models import Question, QuestionStatus, Review, ReviewVerdict
from c2i.assessment.services.questions import QuestionDraft
from c2i.frameworks.models import Competency, Framework

pytestmark = pytest.mark.django_db


def competency(code: str = "D1.2", framework: str = "C2i1") -> Competency:
    return Competency.objects.get(code=code, domain__framework__code=framework)


def form_data(**extra: object) -> dict:
    data = {
        "competency": competency().pk,
        "name": "Mise à jour",
        "stem": "Pourquoi installer les mises à jour de sécurité ?",
        "option_1": "Pour corriger des failles connues",
        "option_2": "Pour changer le fond d'écran",
        "option_3": "Pour réduire la protection",
        "option_4": "Pour boucher des portes d'entrée des logiciels malveillants",
        "correct_1": "on",
        "correct_4": "on",
        "feedback": "Les mises à jour corrigent des failles.",
    }
    data.update(extra)
    return data


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


def new_question(author: User, status: str = QuestionStatus.DRAFT, code: str = "D1.2") -> Question:
    draft = QuestionDraft(
        competency=competency(code),
        stem="Une question de test",
        options=[
            services.OptionInput("Bonne", 100.0),
            services.OptionInput("Fausse 1", -33.33333),
            services.OptionInput("Fausse 2", -33.33333),
            services.OptionInput("Fausse 3", -33.33333),
        ],
    )
    question = services.create_question(author, Framework.objects.get(code="C2i1"), draft)
    if status == QuestionStatus.IN_REVIEW:
        services.submit_for_review(question, author)
    return question


def reviewer(name: str) -> User:
    user = User.objects.create_user(name, f"{name}@example.fr", "mot-de-passe-long")
    Membership.objects.create(user=user, role=Role.REVIEWER)
    return user


class TestWritingQuestions:
    def test_it_creates_a_draft_with_several_correct_options(self, demo) -> None:
        response = demo.client("correspondant-a").post("/banque/questions/nouvelle/", form_data())
        assert response.status_code == 302
        question = Question.objects.latest("id")
        assert question.status == QuestionStatus.DRAFT
        assert question.author.username == "correspondant-a"
        assert question.option_count == 4
        assert [o.is_correct for o in question.options.all()] == [True, False, False, True]
        # Moodle grades that score like R18: 100/B for the correct ones, −100/M for the wrong ones
        assert [o.fraction for o in question.options.all()] == [50.0, -50.0, -50.0, 50.0]
        assert AuditEntry.objects.filter(action="assessment.question_create", object_id=str(question.pk)).exists()

    def test_it_refuses_fewer_than_four_options_next_to_the_field(self, demo) -> None:
        response = demo.client("correspondant-a").post(
            "/banque/questions/nouvelle/", form_data(option_4="", correct_4="")
        )
        assert response.status_code == 400
        assert "R18" in response.context["form"].errors["option_4"][0]
        assert not Question.objects.filter(name="Mise à jour").exists()

    def test_it_needs_a_correct_option(self, demo) -> None:
        data = form_data()
        del data["correct_1"], data["correct_4"]
        response = demo.client("correspondant-a").post("/banque/questions/nouvelle/", data)
        assert response.status_code == 400
        assert "R18" in response.context["form"].errors["correct_1"][0]

    def test_five_options_are_accepted(self, demo) -> None:
        response = demo.client("relecteur").post("/banque/questions/nouvelle/", form_data(option_5="Une cinquième"))
        assert response.status_code == 302
        assert Question.objects.latest("id").option_count == 5

    def test_an_image_is_checked_from_its_bytes_and_served_by_a_view(self, demo) -> None:
        client = demo.client("correspondant-a")
        fake = SimpleUploadedFile("photo.png", b"<script>alert(1)</script>", content_type="image/png")
        response = client.post("/banque/questions/nouvelle/", form_data(image=fake))
        assert response.status_code == 400
        assert response.context["form"].errors["image"]
        picture = SimpleUploadedFile("schema.png", png_bytes(), content_type="image/png")
        response = client.post("/banque/questions/nouvelle/", form_data(image=picture))
        assert response.status_code == 302
        question = Question.objects.latest("id")
        assert question.image_type == "png" and "schema" not in question.image.name  # random name
        served = client.get(f"/banque/questions/{question.pk}/image/")
        assert served.status_code == 200 and served["Content-Type"] == "image/png"
        assert served.content == png_bytes()
        assert demo.client("correspondant-b").get(f"/banque/questions/{question.pk}/image/").status_code == 404

    def test_the_bank_is_secret(self, demo) -> None:
        mine = new_question(demo.user("correspondant-a"))
        listed = demo.client("correspondant-a").get("/banque/questions/").context["questions"]
        assert {q.author_id for q in listed} == {demo.user("correspondant-a").pk}
        assert demo.client("correspondant-b").get(f"/banque/questions/{mine.pk}/").status_code == 404
        assert demo.client("relecteur").get(f"/banque/questions/{mine.pk}/").status_code == 200
        assert demo.client("candidat-a1").get("/banque/questions/").status_code == 403

    def test_a_change_keeps_what_the_form_does_not_show(self, demo) -> None:
        author = demo.user("correspondant-a")
        imported = QuestionDraft(
            competency=competency(),
            stem="Que fait **SOMME** ?",
            stem_format="markdown",
            single=True,
            idnumber="moodle-42",
            options=[services.OptionInput(t, 100.0 if i == 0 else -33.33333) for i, t in enumerate("abcd")],
        )
        question = services.create_question(author, Framework.objects.get(code="C2i1"), imported)
        response = demo.client("correspondant-a").post(f"/banque/questions/{question.pk}/modifier/", form_data())
        assert response.status_code == 302
        question.refresh_from_db()
        assert question.stem == form_data()["stem"]
        assert (question.stem_format, question.single, question.idnumber) == ("markdown", True, "moodle-42")

    def test_the_options_feedback_is_shown_kept_and_changed(self, demo) -> None:
        """An imported question's feedback per option is in the edit form:
        saving the page without touching it keeps it (nothing entered is lost)."""
        author = demo.user("correspondant-a")
        feedback = ["Oui : la faille est corrigée.", "Non.", "", "Oui."]
        imported = QuestionDraft(
            competency=competency(),
            stem="Pourquoi installer les mises à jour de sécurité ?",
            options=[
                services.OptionInput(t, f, fb)
                for t, f, fb in zip("abcd", services.fractions_for([True, False, False, True]), feedback, strict=True)
            ],
        )
        question = services.create_question(author, Framework.objects.get(code="C2i1"), imported)
        client = demo.client("correspondant-a")
        url = f"/banque/questions/{question.pk}/modifier/"
        form = client.get(url).context["form"]
        assert [form.initial.get(f"option_feedback_{i}", "") for i in range(1, 5)] == feedback
        kept = {f"option_feedback_{i}": text for i, text in enumerate(feedback, start=1)}
        assert client.post(url, form_data(**kept)).status_code == 302
        assert [o.feedback for o in question.options.order_by("position")] == feedback
        changed = form_data(**{**kept, "option_feedback_2": "Non : le fond d'écran n'y est pour rien."})
        assert client.post(url, changed).status_code == 302
        assert question.options.get(position=1).feedback == "Non : le fond d'écran n'y est pour rien."
        refused = client.post(url, form_data(option_5="", option_feedback_5="Sans option"))
        assert refused.status_code == 400
        errors = refused.context["form"].errors
        assert errors["option_feedback_5"] == ["Une proposition vide ne peut pas avoir d'explication."]

    def test_a_validated_question_is_never_changed(self, demo) -> None:
        validated = Question.objects.filter(status=QuestionStatus.VALIDATED).first()
        with pytest.raises(services.AssessmentError) as error:
            services.update_question(validated, demo.user("admin"), QuestionDraft(validated.competency, "Autre", []))
        assert error.value.code == "not_editable"


class TestReview:
    def test_n_approvals_validate_a_question(self, demo, settings) -> None:
        settings.C2I_REVIEW_APPROVALS = 3
        question = new_question(demo.user("correspondant-a"), QuestionStatus.IN_REVIEW)
        reviewers = [demo.user("relecteur"), reviewer("relecteur-2"), reviewer("relecteur-3")]
        for n, user in enumerate(reviewers, start=1):
            response = demo.client(user.username).post(
                f"/banque/questions/{question.pk}/avis/", {"verdict": "approve", "remark": ""}
            )
            assert response.status_code == 302
            question.refresh_from_db()
            expected = QuestionStatus.VALIDATED if n == 3 else QuestionStatus.IN_REVIEW
            assert question.status == expected
        assert AuditEntry.objects.filter(action="assessment.question_validated", object_id=str(question.pk)).exists()

    def test_a_refusal_sends_the_question_back_with_its_remark(self, demo, settings) -> None:
        settings.C2I_REVIEW_APPROVALS = 2
        author = demo.user("correspondant-a")
        question = new_question(author, QuestionStatus.IN_REVIEW)
        services.review_question(question, reviewer("relecteur-2"), ReviewVerdict.APPROVE)
        response = demo.client("relecteur").post(
            f"/banque/questions/{question.pk}/avis/",
            {"verdict": "refuse", "remark": "La réponse 3 est ambiguë."},
        )
        assert response.status_code == 302
        question.refresh_from_db()
        assert question.status == QuestionStatus.REFUSED
        page = demo.client("correspondant-a").get(f"/banque/questions/{question.pk}/").content.decode()
        assert "La réponse 3 est ambiguë." in page
        # the author changes it and submits it again: a new round, the old approval no longer counts
        demo.client("correspondant-a").post(f"/banque/questions/{question.pk}/modifier/", form_data())
        demo.client("correspondant-a").post(f"/banque/questions/{question.pk}/soumettre/")
        question.refresh_from_db()
        assert (question.status, question.review_round) == (QuestionStatus.IN_REVIEW, 2)
        services.review_question(question, demo.user("relecteur"), ReviewVerdict.APPROVE)
        question.refresh_from_db()
        assert question.status == QuestionStatus.IN_REVIEW  # 1 approval in round 2, 2 needed

    def test_a_refusal_needs_a_remark(self, demo) -> None:
        question = new_question(demo.user("correspondant-a"), QuestionStatus.IN_REVIEW)
        with pytest.raises(services.AssessmentError) as error:
            services.review_question(question, demo.user("relecteur"), ReviewVerdict.REFUSE, "  ")
        assert error.value.code == "remark_required"

    def test_an_author_cannot_review_their_own_question(self, demo) -> None:
        question = new_question(demo.user("relecteur"), QuestionStatus.IN_REVIEW)
        with pytest.raises(services.AssessmentError) as error:
            services.review_question(question, demo.user("relecteur"), ReviewVerdict.APPROVE)
        assert error.value.code == "own_question"
        page = demo.client("relecteur").get(f"/banque/questions/{question.pk}/")
        assert page.context["review_form"] is None
        demo.client("relecteur").post(f"/banque/questions/{question.pk}/avis/", {"verdict": "approve"})
        assert not Review.objects.filter(question=question).exists()

    def test_a_reviewer_gives_one_opinion_per_round(self, demo) -> None:
        question = new_question(demo.user("correspondant-a"), QuestionStatus.IN_REVIEW)
        services.review_question(question, demo.user("relecteur"), ReviewVerdict.APPROVE)
        with pytest.raises(services.AssessmentError) as error:
            services.review_question(question, demo.user("relecteur"), ReviewVerdict.APPROVE)
        assert error.value.code == "already_reviewed"

    def test_only_reviewers_review(self, demo) -> None:
        question = new_question(demo.user("relecteur"), QuestionStatus.IN_REVIEW)
        with pytest.raises(services.AssessmentError):
            services.review_question(question, demo.user("correspondant-b"), ReviewVerdict.APPROVE)
        assert demo.client("correspondant-b").post(f"/banque/questions/{question.pk}/avis/").status_code == 403

    def test_the_review_queue_shows_what_waits_for_me(self, demo) -> None:
        waiting = new_question(demo.user("correspondant-a"), QuestionStatus.IN_REVIEW)
        listed = demo.client("relecteur").get("/banque/questions/?to_review=on").context["questions"]
        assert waiting.pk in {q.pk for q in listed}
        services.review_question(waiting, demo.user("relecteur"), ReviewVerdict.APPROVE)
        listed = demo.client("relecteur").get("/banque/questions/?to_review=on").context["questions"]
        assert waiting.pk not in {q.pk for q in listed}

    def test_a_retired_question_stays_in_the_bank(self, demo) -> None:
        question = Question.objects.filter(status=QuestionStatus.VALIDATED).first()
        response = demo.client("relecteur").post(f"/banque/questions/{question.pk}/retirer/")
        assert response.status_code == 302
        question.refresh_from_db()
        assert question.status == QuestionStatus.RETIRED
