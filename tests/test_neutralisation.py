"""Neutralised questions: R18 on the questions left (a table of cases, a
domain left without a question is void, never positive), the sittings
rescored at once, the published portfolio items rewritten, the question back
in review and not drawn, only the test's author or the national administrator
may neutralise, lifting before the jury closes, the pages."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from c2i.accounts.models import AuditAction, AuditEntry, Membership, Role, User
from c2i.assessment import scoring, services
from c2i.assessment.models import DomainResult, Neutralisation, Question, QuestionStatus, ReviewVerdict
from c2i.assessment.services import neutralisation as neu
from c2i.assessment.services.errors import AssessmentError
from tests.assessment_support import correct_positions, demo_exam, items, shown, start

pytestmark = pytest.mark.django_db


# --- the pure rule: a table of cases ------------------------------------------

SCORES = {1: 1.0, 2: 1.0, 3: 0.0, 4: 0.0}  # question id: score


@pytest.mark.parametrize(
    ("scores", "neutralised", "questions", "taken_out", "percent", "positive"),
    [
        pytest.param(SCORES, set(), 4, 0, 50.0, True, id="all kept"),
        pytest.param(SCORES, {3}, 3, 1, 200 / 3, True, id="a wrong one neutralised raises"),
        pytest.param(SCORES, {1}, 3, 1, 100 / 3, False, id="a right one neutralised lowers below 50"),
        pytest.param(SCORES, {3, 4}, 2, 2, 100.0, True, id="both wrong ones neutralised"),
        pytest.param(SCORES, {1, 2, 3, 4}, 0, 4, None, False, id="all neutralised: void, not positive"),
        pytest.param({1: 1.0, 2: 0.0, 3: 0.0}, {2}, 2, 1, 50.0, True, id="33 % to exactly 50 % passes"),
        pytest.param({1: 0.5, 2: 0.4, 3: 0.45}, {2}, 2, 1, 47.5, False, id="45 % to 47.5 % still fails"),
        pytest.param({1: 0.5, 2: 0.4, 3: 0.45, 4: 0.55}, {2}, 3, 1, 50.0, True, id="47.5 % to exactly 50 %"),
        pytest.param(SCORES, {99}, 4, 0, 50.0, True, id="a question of another domain changes nothing"),
    ],
)
def test_domain_score_on_the_questions_left(scores, neutralised, questions, taken_out, percent, positive) -> None:
    result = scoring.domain_score(scores, neutralised)
    assert (result.questions, result.neutralised, result.positive) == (questions, taken_out, positive)
    assert result.void is (questions == 0)
    if percent is None:
        assert result.percent is None
    else:
        assert result.percent == pytest.approx(percent)


def test_exactly_fifty_after_neutralisation_is_not_a_rounding_victim() -> None:
    scores = {n: (1.0 if n <= 5 else 0.0) for n in range(1, 13)}  # 5/12
    result = scoring.domain_score(scores, {11, 12})  # 5/10
    assert result.percent == 50.0 and result.positive


def test_overall_percent_leaves_the_neutralised_out_and_is_none_when_nothing_is_left() -> None:
    assert scoring.attempt_percent(SCORES, {3}) == pytest.approx(200 / 3)
    assert scoring.attempt_percent(SCORES, set(SCORES)) is None


# --- a real sitting ---------------------------------------------------------------


def sit(demo, username: str = "candidat-a1", right_in_d1: int = 5):
    """`username` answers the demo test: in D1 the first `right_in_d1`
    questions right and the others wrong, every other domain right."""
    attempt = start(demo, username)
    seen = 0
    for item in items(attempt):
        right = correct_positions(item)
        answer = right
        if item.domain.code == "D1":
            seen += 1
            if seen > right_in_d1:
                answer = {min(set(range(item.n_options)) - right)}
        services.save_answer(attempt.pk, attempt.user_id, item.position, shown(item, answer))
    services.finish_attempt(attempt, attempt.user)
    attempt.refresh_from_db()
    return attempt


def d1_questions(attempt, right: bool) -> list[Question]:
    found = []
    for item in items(attempt):
        if item.domain.code == "D1" and (item.score == 1.0) == right:
            found.append(item.question)
    return found


def result(attempt, code: str) -> DomainResult:
    return DomainResult.objects.get(attempt=attempt, domain__code=code)


class TestRescoring:
    @pytest.mark.parametrize(
        ("wrong", "right", "questions", "percent", "positive"),
        [
            pytest.param(0, 0, 12, 500 / 12, False, id="none neutralised: 41,67 %"),
            pytest.param(1, 0, 11, 500 / 11, False, id="one wrong: 45,45 %"),
            pytest.param(2, 0, 10, 50.0, True, id="two wrong: 50 %, positive"),
            pytest.param(0, 1, 11, 400 / 11, False, id="one right: 36,36 %"),
            pytest.param(7, 5, 0, None, False, id="all twelve: no question left, void"),
        ],
    )
    def test_neutralising_recomputes_every_sitting_at_once(self, demo, wrong, right, questions, percent, positive):
        attempt = sit(demo)
        author = demo.user("correspondant-a")
        before_d2 = result(attempt, "D2").percent
        for question in d1_questions(attempt, right=False)[:wrong] + d1_questions(attempt, right=True)[:right]:
            neu.neutralise(attempt.exam, question, "Deux bonnes réponses possibles", author)
        d1 = result(attempt, "D1")
        assert (d1.questions, d1.neutralised, d1.positive) == (questions, wrong + right, positive)
        if percent is None:
            assert d1.questions == 0 and not d1.positive
        else:
            assert d1.percent == pytest.approx(percent)
        assert result(attempt, "D2").percent == before_d2 == 100.0
        assert result(attempt, "D2").neutralised == 0

    def test_a_sitting_scored_after_the_neutralisation_leaves_the_question_out(self, demo) -> None:
        first = sit(demo)
        wrong = d1_questions(first, right=False)
        a2 = start(demo, "candidat-a2")
        drawn = {i.question_id for i in items(a2)}
        common = [q for q in wrong if q.pk in drawn]
        if not common:
            pytest.skip("the two draws share no wrong D1 question")
        neu.neutralise(first.exam, common[0], "Énoncé ambigu", demo.user("correspondant-a"))
        services.finish_attempt(a2, a2.user)
        assert result(a2, "D1").neutralised == 1 and result(a2, "D1").questions == 11

    def test_the_published_result_in_the_portfolio_says_the_new_percentage(self, demo) -> None:
        attempt = sit(demo)
        services.publish_results(attempt.exam, demo.user("correspondant-a"))
        evidence = result(attempt, "D1").evidence
        assert "41,67 %" in evidence.title
        for question in d1_questions(attempt, right=False)[:2]:
            neu.neutralise(attempt.exam, question, "Réponse contestée", demo.user("admin"))
        evidence.refresh_from_db()
        assert "50 %" in evidence.title and "positif" in evidence.title
        assert "2 questions neutralisées (défectueuses) ne comptent pas" in evidence.summary
        history = AuditEntry.objects.filter(
            action=AuditAction.PORTFOLIO_EVIDENCE_UPDATE, object_id=str(evidence.pk)
        ).order_by("id")
        assert "41,67 %" in history.first().details["before"]["title"]
        assert "50 %" in history.last().details["after"]["title"]

    def test_a_void_domain_is_said_in_the_portfolio_and_the_exam_page(self, demo) -> None:
        attempt = sit(demo)
        services.publish_results(attempt.exam, demo.user("correspondant-a"))
        for question in d1_questions(attempt, right=False) + d1_questions(attempt, right=True):
            neu.neutralise(attempt.exam, question, "Domaine à revoir", demo.user("correspondant-a"))
        evidence = result(attempt, "D1").evidence
        assert "aucune question restante après neutralisation — résultat non disponible" in evidence.title
        page = demo.client("correspondant-a").get(f"/correspondant/epreuves/{attempt.exam_id}/")
        html = page.content.decode()
        assert "D1 : aucune question restante après neutralisation — résultat non disponible" in html
        assert "Questions neutralisées" in html and "Domaine à revoir" in html
        mine = demo.client("candidat-a1").get(f"/mon-espace/epreuves/{attempt.exam_id}/").content.decode()
        assert "D1 : aucune question restante après neutralisation — résultat non disponible" in mine
        assert ">0 %" not in mine and " 0 %" not in mine

    def test_the_export_gives_the_new_percentages_and_the_count_neutralised(self, demo) -> None:
        attempt = sit(demo)
        for question in d1_questions(attempt, right=False)[:2]:
            neu.neutralise(attempt.exam, question, "Coquille", demo.user("correspondant-a"))
        response = demo.client("correspondant-a").get(f"/correspondant/epreuves/{attempt.exam_id}/resultats/")
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        mine = next(r for r in rows if r["nom"] == attempt.enrolment.candidate.last_name)
        assert (mine["D1_pourcentage"], mine["D1_positif"], mine["D1_neutralisees"]) == ("50", "oui", "2")
        assert mine["D2_neutralisees"] == "0"


class TestWhoAndWhen:
    def test_only_the_author_or_the_national_administrator_may_neutralise(self, demo) -> None:
        attempt = sit(demo)
        question = d1_questions(attempt, right=False)[0]
        for username in ("relecteur", "candidat-a1", "correspondant-b"):
            with pytest.raises(AssessmentError) as refused:
                neu.neutralise(attempt.exam, question, "motif", demo.user(username))
            assert refused.value.code == "not_allowed"
        assert not Neutralisation.objects.exists()
        done = neu.neutralise(attempt.exam, question, "motif", demo.user("admin"))
        assert AuditEntry.objects.filter(
            action=AuditAction.ASSESSMENT_QUESTION_NEUTRALISE, object_id=str(done.pk)
        ).exists()

    def test_a_reason_is_required_and_the_question_must_have_been_drawn(self, demo) -> None:
        attempt = sit(demo)
        author = demo.user("correspondant-a")
        with pytest.raises(AssessmentError, match="motif"):
            neu.neutralise(attempt.exam, d1_questions(attempt, right=False)[0], "  ", author)
        drawn = {i.question_id for i in items(attempt)}
        other = Question.objects.filter(framework=attempt.exam.institution_session.session.framework).exclude(
            pk__in=drawn
        )[0]
        with pytest.raises(AssessmentError) as refused:
            neu.neutralise(attempt.exam, other, "motif", author)
        assert refused.value.code == "not_drawn"

    def test_lifting_before_the_jury_closes_restores_the_percentages(self, demo) -> None:
        attempt = sit(demo)
        author = demo.user("correspondant-a")
        done = neu.neutralise(attempt.exam, d1_questions(attempt, right=False)[0], "Doute", author)
        assert result(attempt, "D1").questions == 11
        with pytest.raises(AssessmentError, match="motif"):
            neu.restore(done, "", author)
        neu.restore(done, "La réponse était juste", author)
        d1 = result(attempt, "D1")
        assert (d1.questions, d1.neutralised) == (12, 0) and d1.percent == pytest.approx(500 / 12)
        assert AuditEntry.objects.filter(action=AuditAction.ASSESSMENT_QUESTION_RESTORE).count() == 1


class TestBackToReview:
    def test_the_question_is_reviewed_again_before_it_is_drawn_again(self, demo, settings) -> None:
        settings.C2I_REVIEW_APPROVALS = 1
        attempt = sit(demo)
        question = d1_questions(attempt, right=False)[0]
        exam = demo_exam(demo)
        framework = exam.institution_session.session.framework
        assert question.pk in {q.id for q in services.bank_for(framework, exam.domains.all())}
        neu.neutralise(exam, question, "Deux réponses justes", demo.user("correspondant-a"))
        question.refresh_from_db()
        assert question.status == QuestionStatus.IN_REVIEW
        assert question.rereview_note.startswith(f"Neutralisée dans l'épreuve « {exam.title} » le ")
        assert question.rereview_note.endswith(": Deux réponses justes")
        assert question.pk not in {q.id for q in services.bank_for(framework, exam.domains.all())}
        # the bank and the question page show the note
        reviewer = demo.client("relecteur")
        assert "Deux réponses justes" in reviewer.get(f"/banque/questions/{question.pk}/").content.decode()
        bank = reviewer.get(
            "/banque/questions/", {"status": "in_review", "q": question.competency.code}
        ).content.decode()
        assert "à relire de nouveau" in bank and "Deux réponses justes" in bank
        # a reviewer validates it again: drawable, the note cleared
        services.review_question(question, demo.user("relecteur"), ReviewVerdict.APPROVE)
        question.refresh_from_db()
        assert question.status == QuestionStatus.VALIDATED and question.rereview_note == ""
        assert question.pk in {q.id for q in services.bank_for(framework, exam.domains.all())}


class TestPages:
    def test_the_statistics_page_offers_neutralise_to_the_author_only(self, demo) -> None:
        attempt = sit(demo)
        url = f"/correspondant/epreuves/{attempt.exam_id}/statistiques/"
        for allowed in ("correspondant-a", "admin"):
            html = demo.client(allowed).get(url).content.decode()
            assert "Neutraliser" in html and "/neutraliser/" in html
        colleague = User.objects.create_user(username="correspondant-a-bis", password="demo")
        Membership.objects.create(user=colleague, role=Role.CORRESPONDENT, institution=demo.institution("a"))
        client = Client()
        client.force_login(colleague)
        html = client.get(url).content.decode()
        assert "Statistiques" in html and "/neutraliser/" not in html
        wrong = d1_questions(attempt, right=False)[0]
        confirm = client.get(f"/correspondant/epreuves/{attempt.exam_id}/neutraliser/?question={wrong.pk}")
        confirm = confirm.content.decode()
        assert "Seuls l&#x27;auteur de cette épreuve" in confirm and "Confirmer la neutralisation" not in confirm
        response = client.post(
            f"/correspondant/epreuves/{attempt.exam_id}/neutraliser/",
            {"question": d1_questions(attempt, right=False)[0].pk, "reason": "x"},
            follow=True,
        )
        assert "Seuls l&#x27;auteur de cette épreuve" in response.content.decode()
        assert not Neutralisation.objects.exists()

    def test_neutralise_and_lift_through_the_pages(self, demo) -> None:
        attempt = sit(demo)
        question = d1_questions(attempt, right=False)[0]
        client = demo.client("correspondant-a")
        response = client.post(
            f"/correspondant/epreuves/{attempt.exam_id}/neutraliser/",
            {"question": question.pk, "reason": "Énoncé faux"},
            follow=True,
        )
        assert "est neutralisée" in response.content.decode()
        done = Neutralisation.objects.get(exam=attempt.exam, question=question)
        page = client.get(f"/correspondant/epreuves/{attempt.exam_id}/").content.decode()
        assert "Énoncé faux" in page and "Lever la neutralisation" in page
        response = client.post(
            f"/correspondant/epreuves/neutralisations/{done.pk}/lever/", {"reason": "Erreur"}, follow=True
        )
        done.refresh_from_db()
        assert done.lifted_at is not None and done.lift_reason == "Erreur"
        # an empty reason: refused, said on the page
        response = client.post(
            f"/correspondant/epreuves/{attempt.exam_id}/neutraliser/", {"question": question.pk}, follow=True
        )
        assert "Indiquez le motif" in response.content.decode()
