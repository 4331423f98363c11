"""Item statistics (issue 15): each question with an excerpt of its text, and
flagged when its difficulty or its discrimination is out of the bounds of
`scoring` (DIFFICULTY_MIN/MAX, DISCRIMINATION_MIN), with the way to neutralise
it (which sends it back to review). The flags on a hand-built test whose
answers are known; the page as the correspondent reads it, in Chromium."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from c2i.accounts.models import Membership, Role, User
from c2i.assessment import scoring, services
from c2i.assessment.models import Exam, Question, Seat
from c2i.assessment.scoring import ItemStats, item_flags
from c2i.assessment.services.results import question_excerpt
from tests.assessment_support import correct_positions, demo_exam, new_candidates, shown, start_for
from tests.conftest import login, screenshot

SITTINGS = 14
WEAK = 7  # the reversed question is right for the 7 weakest only


def sit_known_answers(exam: Exam) -> dict[str, int]:
    """14 candidates of rising ability sit `exam`. Three questions every one
    of them drew get known answers: « easy » right for all, « hard » wrong for
    all, « reversed » right for the 7 weakest only; every other question is
    right from a rank of its own on (a perfect scale: it discriminates)."""
    users = new_candidates(exam.institution_session, SITTINGS, prefix="item")
    Seat.objects.filter(exam=exam).delete()  # no rooms: the candidates start on their own
    attempts = [start_for(user, exam) for user in users]
    common = set.intersection(*(set(a.items.values_list("question_id", flat=True)) for a in attempts))
    easy, hard, reversed_ = sorted(common)[:3]
    for rank, attempt in enumerate(attempts):
        for item in attempt.items.all():
            right = correct_positions(item)
            wrong = {min(set(range(item.n_options)) - right)}
            if item.question_id == easy:
                good = True
            elif item.question_id == hard:
                good = False
            elif item.question_id == reversed_:
                good = rank < WEAK
            else:
                good = rank >= 3 + item.question_id % 8
            services.save_answer(attempt.pk, attempt.user_id, item.position, shown(item, right if good else wrong))
        services.finish_attempt(attempt, attempt.user)
    return {"easy": easy, "hard": hard, "reversed": reversed_}


class TestBounds:
    @pytest.mark.parametrize(
        ("stats", "flags"),
        [
            (ItemStats(11, 0.0, None, None), ()),  # under 12 sittings: nothing said
            (ItemStats(12, 0.5, 0.4, 0.5), ()),
            (ItemStats(12, 0.2, 0.4, 0.5), ()),  # the bounds themselves pass
            (ItemStats(12, 0.95, 0.2, 0.2), ()),
            (ItemStats(12, 0.19, 0.4, 0.5), (scoring.TOO_HARD,)),
            (ItemStats(12, 0.96, 0.4, 0.5), (scoring.TOO_EASY,)),
            (ItemStats(12, 0.5, 0.19, 0.5), (scoring.NOT_DISCRIMINATING,)),
            (ItemStats(12, 0.5, 0.4, 0.1), (scoring.NOT_DISCRIMINATING,)),  # either index
            (ItemStats(12, 0.5, -0.3, 0.1), (scoring.REVERSED,)),
            (ItemStats(12, 1.0, None, 0.0), (scoring.TOO_EASY, scoring.NOT_DISCRIMINATING)),
            (ItemStats(12, 0.1, -0.5, -0.4), (scoring.TOO_HARD, scoring.REVERSED)),
        ],
    )
    def test_it_flags_what_is_out_of_bounds(self, stats: ItemStats, flags: tuple[str, ...]) -> None:
        assert item_flags(stats) == flags

    def test_the_bounds_are_the_documented_ones(self) -> None:
        assert (scoring.DIFFICULTY_MIN, scoring.DIFFICULTY_MAX, scoring.DISCRIMINATION_MIN) == (0.2, 0.95, 0.2)

    def test_a_question_answered_the_wrong_way_round_is_reversed(self) -> None:
        # right for the weakest half only: the rest score falls as the question's rises
        responses = [(1.0 if n < 6 else 0.0, float(n)) for n in range(12)]
        stats = scoring.item_statistics(responses)
        assert stats.discrimination is not None and stats.discrimination < 0
        assert item_flags(stats) == (scoring.REVERSED,)


@pytest.mark.django_db
class TestItemStatisticsPage:
    def test_it_flags_the_questions_out_of_bounds_on_known_answers(self, demo) -> None:
        exam = demo_exam(demo)
        known = sit_known_answers(exam)
        rows = {r.question_id: r for r in services.item_statistics(exam.attempts.all())}
        assert rows[known["easy"]].flag_codes == (scoring.TOO_EASY, scoring.NOT_DISCRIMINATING)
        assert rows[known["easy"]].stats.difficulty == 1.0
        assert rows[known["hard"]].flag_codes == (scoring.TOO_HARD, scoring.NOT_DISCRIMINATING)
        assert rows[known["reversed"]].flag_codes == (scoring.REVERSED,)
        assert rows[known["reversed"]].stats.difficulty == pytest.approx(WEAK / SITTINGS)
        scaled = [r for pk, r in rows.items() if pk not in known.values() and r.stats.attempts == SITTINGS]
        assert scaled and all(not r.flag_codes for r in scaled)
        # flagged questions come first
        ordered = services.item_statistics(exam.attempts.all())
        flagged = [bool(r.flag_codes) for r in ordered]
        assert flagged == sorted(flagged, reverse=True)

    def test_the_page_shows_each_question_text_and_the_way_to_neutralise(self, demo) -> None:
        exam = demo_exam(demo)
        known = sit_known_answers(exam)
        url = f"/correspondant/epreuves/{exam.pk}/statistiques/"
        page = demo.client("correspondant-a").get(url)
        text = html.unescape(page.content.decode())
        assert page.context["flagged"] >= 3
        for pk in known.values():
            question = Question.objects.get(pk=pk)
            assert question_excerpt(question) in text
            assert f"/neutraliser/?question={pk}" in text
        assert "très facile" in text and "très difficile" in text and "discrimine à l’envers" in text
        assert "(puis retour en relecture)" in text
        assert "moins de 20 %" in text and "plus de 95 %" in text and "sous 0,2" in text
        # the whole text on the question's page, for those who may read it there
        admin = demo.client("admin").get(url).content.decode()
        assert f'href="/banque/questions/{known["hard"]}/"' in admin
        colleague = User.objects.create_user(username="correspondant-a-ter", password="demo")
        Membership.objects.create(user=colleague, role=Role.CORRESPONDENT, institution=demo.institution("a"))
        client = Client()
        client.force_login(colleague)
        other = client.get(url).content.decode()
        assert f'href="/banque/questions/{known["hard"]}/"' not in other
        assert question_excerpt(Question.objects.get(pk=known["hard"])) in html.unescape(other)

    def test_an_excerpt_is_plain_text_on_one_line_and_short(self, demo) -> None:
        question = Question.objects.filter(status="validated").first()
        assert question is not None
        question.stem = "<p>Un <strong>très</strong> long énoncé</p>\n<p>" + "mot " * 80 + "</p>"
        question.stem_format = "html"
        excerpt = question_excerpt(question)
        assert excerpt.startswith("Un très long énoncé mot")
        assert "<" not in excerpt and "\n" not in excerpt and len(excerpt) <= 120 and excerpt.endswith("…")


SIT = """
from c2i.assessment.models import Exam
from tests.test_item_statistics import sit_known_answers
exam = Exam.objects.get(
    institution_session__institution__uai="0692437Z", institution_session__session__framework__code="C2i1"
)
known = sit_known_answers(exam)
print("sat:", exam.pk, known["reversed"])
"""


@pytest.mark.browser
class TestItemStatisticsBrowser:
    def test_the_correspondent_reads_the_flags_and_the_texts(self, page: Any, live_site: Any) -> None:
        output = live_site.manage("shell", "-c", SIT)
        exam, reversed_ = output[output.rindex("sat:") :].split()[1:3]
        login(page, "correspondant-a")
        page.goto(f"/correspondant/epreuves/{exam}/statistiques/")
        expect(page.get_by_role("heading", level=2)).to_contain_text("questions à vérifier")
        row = page.locator("tbody tr").filter(has_text=f"Question {reversed_}")
        expect(row).to_contain_text("discrimine à l’envers")
        expect(row.get_by_role("link", name=f"Neutraliser la question {reversed_}", exact=True)).to_be_visible()
        first = page.locator("tbody tr").first
        expect(first.locator(".fr-badge--warning").first).to_be_visible()
        screenshot(page, "item-statistics")
