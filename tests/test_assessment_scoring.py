"""Scoring a sitting through the service matches R18: with B correct and M
wrong options, X correct and Y wrong ticked, a question scores
max(X/B − Y/M, 0); a domain scores the mean of its questions, as a
percentage, positive at 50 % or more."""

from fractions import Fraction

import pytest

from c2i.assessment import services
from c2i.assessment.models import AttemptQuestion
from tests.assessment_support import correct_positions, items, shown, start

pytestmark = pytest.mark.django_db


def r18(correct: set[int], ticked: set[int], n: int) -> Fraction:
    """R18 written again, independently of scoring.py."""
    b, m = len(correct), n - len(correct)
    x, y = len(ticked & correct), len(ticked - correct)
    if m == 0:
        return Fraction(x, b)
    return max(Fraction(x, b) - Fraction(y, m), Fraction(0))


def pattern(item: AttemptQuestion) -> set[int] | None:
    """A varied answer, as positions of the question's options (None: no answer)."""
    right = correct_positions(item)
    wrong = set(range(item.n_options)) - right
    kind = item.position % 6
    if kind == 0:
        return right
    if kind == 1:
        return None
    if kind == 2:
        return {min(right), min(wrong)}
    if kind == 3:
        return set(range(item.n_options))
    if kind == 4:
        return {max(right)}
    return set()


class TestScoring:
    def test_each_question_and_domain_score_as_r18_says(self, demo) -> None:
        attempt = start(demo)
        expected: dict[int, Fraction] = {}
        for item in items(attempt):
            answer = pattern(item)
            if answer is not None:
                result = services.save_answer(attempt.pk, attempt.user_id, item.position, shown(item, answer))
                assert result.status == services.SAVED
            expected[item.position] = r18(correct_positions(item), answer or set(), item.n_options)
        services.finish_attempt(attempt, attempt.user)
        scored = {i.position: i for i in items(attempt)}
        for position, score in expected.items():
            assert scored[position].score == pytest.approx(float(score), abs=1e-12), position
        for result in attempt.domain_results.select_related("domain"):
            scores = [expected[i.position] for i in scored.values() if i.domain_id == result.domain_id]
            percent = sum(scores, Fraction(0)) * 100 / len(scores)
            assert result.questions == 12
            assert result.percent == pytest.approx(float(percent), abs=1e-9)
            assert result.positive == (percent >= 50)

    def test_exactly_fifty_percent_is_positive(self, demo) -> None:
        attempt = start(demo)
        d1 = [i for i in items(attempt) if i.domain.code == "D1"]
        for item in d1[:6]:
            services.save_answer(attempt.pk, attempt.user_id, item.position, shown(item, correct_positions(item)))
        services.finish_attempt(attempt, attempt.user)
        result = attempt.domain_results.get(domain__code="D1")
        assert result.percent == 50.0 and result.positive
        assert attempt.domain_results.get(domain__code="D2").percent == 0.0

    def test_the_answer_is_read_in_the_order_it_was_shown(self, demo) -> None:
        attempt = start(demo)
        item = next(i for i in items(attempt) if list(i.option_order) != sorted(i.option_order))
        right = correct_positions(item)
        services.save_answer(attempt.pk, attempt.user_id, item.position, shown(item, right))
        services.finish_attempt(attempt, attempt.user)
        item.refresh_from_db()
        assert item.score == 1.0 and item.ticked_positions() == right
