"""Knowledge-test scoring, drawing and item statistics (RULES.md R17–R18)."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2i.assessment.scoring import (
    BankQuestion,
    DrawError,
    DrawnQuestion,
    ItemStats,
    domain_percent,
    draw,
    format_percent,
    is_positive,
    item_statistics,
    question_score,
)

SETTINGS = settings(max_examples=200, deadline=None)


def brute_force(correct: frozenset[int], ticked: frozenset[int], n: int) -> Fraction:
    """R18 counted option by option, in exact arithmetic."""
    b = len(correct)
    m = n - b
    x = sum(1 for o in range(n) if o in ticked and o in correct)
    y = sum(1 for o in range(n) if o in ticked and o not in correct)
    if m == 0:
        return Fraction(x, b)
    return max(Fraction(x, b) - Fraction(y, m), Fraction(0))


def subsets(n: int, sizes: range | None = None) -> list[frozenset[int]]:
    sizes = sizes or range(n + 1)
    return [frozenset(c) for k in sizes for c in itertools.combinations(range(n), k)]


# --- R18: question score ----------------------------------------------------------

KEYS = [(n, correct) for n in (4, 5) for correct in subsets(n, range(1, n + 1))]


class TestQuestionScore:
    @pytest.mark.parametrize(("n", "correct"), KEYS, ids=[f"{n}-{sorted(c)}" for n, c in KEYS])
    def test_it_matches_the_brute_force_on_every_answer(self, n: int, correct: frozenset[int]) -> None:
        for ticked in subsets(n):
            assert question_score(correct, set(ticked), n) == float(brute_force(correct, ticked, n))

    def test_the_exhaustive_table_covers_every_case(self) -> None:
        assert len(KEYS) == 15 + 31
        assert sum(2**n for n, _ in KEYS) == 15 * 16 + 31 * 32

    @pytest.mark.parametrize(
        ("correct", "ticked", "n", "score"),
        [
            ({0}, {0}, 4, 1.0),
            ({0}, set(), 4, 0.0),
            ({0}, {0, 1, 2, 3}, 4, 0.0),  # all ticked: 1 − 3/3
            ({0, 1}, {0, 1, 2, 3}, 4, 0.0),  # all ticked: 1 − 2/2
            ({0, 1, 2}, {0, 1, 2, 3}, 4, 0.0),  # 1 − 1/1
            ({0, 1}, {0}, 4, 0.5),
            ({0, 1}, {0, 2}, 4, 0.0),  # 1/2 − 1/2
            ({0, 1}, {0, 1, 2}, 4, 0.5),  # 1 − 1/2
            ({0}, {0, 1}, 5, 0.75),  # 1 − 1/4
            ({0, 1, 2}, {0, 3}, 5, 0.0),  # 1/3 − 1/2 < 0
            ({0, 1, 2}, {0, 1}, 5, 2 / 3),
            ({0, 1, 2, 3}, {0, 1, 2, 3, 4}, 5, 0.0),
            # M = 0: X/B
            ({0, 1, 2, 3}, {0, 1, 2, 3}, 4, 1.0),
            ({0, 1, 2, 3}, {0, 1}, 4, 0.5),
            ({0, 1, 2, 3}, set(), 4, 0.0),
            ({0, 1, 2, 3, 4}, {4}, 5, 0.2),
            # true/false questions are scored too (they are only never drawn)
            ({1}, {1}, 2, 1.0),
            ({1}, {0, 1}, 2, 0.0),
        ],
    )
    def test_it_scores_known_answers(self, correct: set[int], ticked: set[int], n: int, score: float) -> None:
        assert question_score(frozenset(correct), ticked, n) == pytest.approx(score)

    def test_it_refuses_a_question_without_a_correct_option(self) -> None:
        with pytest.raises(ValueError, match="au moins une bonne réponse"):
            question_score(frozenset(), {0}, 4)

    @pytest.mark.parametrize(
        ("correct", "ticked", "n", "message"),
        [
            ({4}, set(), 4, "Bonnes réponses hors des options 0 à 3 : 4"),
            ({0}, {5, 7}, 5, "Cases cochées hors des options 0 à 4 : 5, 7"),
            ({0}, {-1}, 4, "Cases cochées hors des options 0 à 3 : -1"),
            ({0}, set(), 1, "au moins 2 options"),
        ],
    )
    def test_it_refuses_options_out_of_range(self, correct: set[int], ticked: set[int], n: int, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            question_score(correct, ticked, n)

    @SETTINGS
    @given(
        st.integers(2, 8).flatmap(
            lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=1), st.sets(st.integers(0, n - 1)))
        )
    )
    def test_it_is_between_0_and_1(self, case) -> None:
        n, correct, ticked = case
        score = question_score(correct, ticked, n)
        assert 0.0 <= score <= 1.0
        assert (score == 1.0) == (ticked == correct)


# --- R18: domain percentage -------------------------------------------------------------


class TestDomainPercent:
    @pytest.mark.parametrize(
        ("scores", "percent"),
        [
            ([1.0, 0.0], 50.0),
            ([1.0] * 12, 100.0),
            ([0.0] * 12, 0.0),
            ([0.5, 0.25, 0.75, 0.2], 42.5),
            ([1 / 3, 2 / 3, 1 / 3], 4 / 9 * 100),
        ],
    )
    def test_it_is_the_mean_as_a_percentage(self, scores: list[float], percent: float) -> None:
        assert domain_percent(scores) == pytest.approx(percent)

    def test_an_exact_half_is_exactly_50(self) -> None:
        # These 12 scores average exactly 1/2; summed as floats they give 49.99999999999999.
        scores = [1, 0.4, 0.25, 0.25, 1 / 3, 1 / 6, 2 / 3, 0.25, 0.25, 0.8, 0.8, 5 / 6]
        assert sum(scores) / len(scores) * 100 < 50
        assert domain_percent(scores) == 50.0
        assert is_positive(domain_percent(scores))

    def test_it_keeps_full_precision(self) -> None:
        assert domain_percent([1 / 3] * 12 + [0.0]) == 100 * 4 / 13

    @SETTINGS
    @given(st.lists(st.sampled_from(subsets(5, range(1, 5))), min_size=12, max_size=30), st.data())
    def test_it_is_exact_for_real_question_scores(self, keys, data) -> None:
        exact = []
        scores = []
        for correct in keys:
            ticked = data.draw(st.sampled_from(subsets(5)))
            exact.append(brute_force(correct, ticked, 5))
            scores.append(question_score(correct, set(ticked), 5))
        assert domain_percent(scores) == float(sum(exact) * 100 / len(exact))

    def test_it_refuses_no_score(self) -> None:
        with pytest.raises(ValueError, match="Aucune question"):
            domain_percent([])

    @pytest.mark.parametrize("bad", [-0.1, 1.5])
    def test_it_refuses_scores_out_of_range(self, bad: float) -> None:
        with pytest.raises(ValueError, match="hors de 0 à 1"):
            domain_percent([0.5, bad])


class TestIsPositive:
    @pytest.mark.parametrize(
        ("percent", "threshold", "positive"),
        [
            (50.0, 50.0, True),
            (49.99, 50.0, False),
            (49.999999, 50.0, False),
            (100.0, 50.0, True),
            (0.0, 50.0, False),
            (60.0, 60.0, True),
            (59.9, 60.0, False),
        ],
    )
    def test_it_is_positive_at_the_threshold_or_more(self, percent: float, threshold: float, positive: bool) -> None:
        assert is_positive(percent, threshold) is positive

    def test_the_default_threshold_is_50(self) -> None:
        assert is_positive(50.0) and not is_positive(49.99)


class TestFormatPercent:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (42.5, "42,5 %"),
            (50.0, "50 %"),
            (50, "50 %"),
            (49.99, "49,99 %"),
            (49.995, "50 %"),  # half-up
            (42.345, "42,35 %"),  # half-up on the number as written
            (42.344999, "42,34 %"),
            (100 / 3, "33,33 %"),
            (200 / 3, "66,67 %"),
            (0.0, "0 %"),
            (0.004, "0 %"),
            (0.005, "0,01 %"),
            (100.0, "100 %"),
            (12.1, "12,1 %"),
        ],
    )
    def test_it_writes_french_percentages(self, value: float, text: str) -> None:
        assert format_percent(value) == text

    def test_it_takes_more_decimals_on_request(self) -> None:
        assert format_percent(49.9955, 3) == "49,996 %"
        assert format_percent(100 / 3, 0) == "33 %"


# --- R17: drawing ---------------------------------------------------------------------


def bank(spec: dict[str, dict[str, int]], n_options: int = 4, start: int = 1) -> list[BankQuestion]:
    """{domain: {competency: count}} → questions with ids from `start`."""
    questions = []
    next_id = start
    for domain_code, per_competency in spec.items():
        for competency, count in per_competency.items():
            for _ in range(count):
                questions.append(BankQuestion(next_id, domain_code, competency, n_options))
                next_id += 1
    return questions


BANK = (
    bank({"D1": {"D1.1": 6, "D1.2": 6, "D1.3": 6, "D1.4": 6}, "D2": {"D2.1": 10, "D2.2": 10, "D2.3": 10}})
    + bank({"D1": {"D1.1": 3, "D1.2": 3}, "D2": {"D2.3": 4}}, n_options=5, start=1000)
    + bank({"D1": {"D1.1": 20}, "D2": {"D2.1": 20}}, n_options=2, start=2000)  # true/false
    + bank({"D1": {"D1.3": 5}}, n_options=3, start=3000)
    + bank({"D3": {"D3.1": 30}}, start=4000)
)


class TestDraw:
    def test_it_is_reproducible_from_its_seed(self) -> None:
        first = draw(BANK, ["D1", "D2"], 12, seed=42)
        assert draw(BANK, ["D1", "D2"], 12, seed=42) == first
        assert draw(list(reversed(BANK)), ["D1", "D2"], 12, seed=42) == first
        assert draw(BANK, ["D1", "D2"], 12, seed=43) != first

    def test_it_does_not_touch_the_global_random_state(self) -> None:
        import random

        random.seed(1)
        expected = random.random()
        random.seed(1)
        draw(BANK, ["D1", "D2"], 12, seed=7)
        assert random.random() == expected

    def test_it_is_stratified_by_domain_in_order(self) -> None:
        drawn = draw(BANK, ["D2", "D1", "D3"], 15, seed=1)
        assert [q.domain for q in drawn] == ["D2"] * 15 + ["D1"] * 15 + ["D3"] * 15
        assert len({q.question_id for q in drawn}) == 45
        by_id = {q.id: q for q in BANK}
        for q in drawn:
            assert (by_id[q.question_id].domain, by_id[q.question_id].competency) == (q.domain, q.competency)

    @pytest.mark.parametrize("seed", range(20))
    def test_it_spreads_questions_across_competencies(self, seed: int) -> None:
        drawn = draw(BANK, ["D1", "D2"], 13, seed=seed)
        d1 = Counter(q.competency for q in drawn if q.domain == "D1")
        d2 = Counter(q.competency for q in drawn if q.domain == "D2")
        assert set(d1) == {"D1.1", "D1.2", "D1.3", "D1.4"} and max(d1.values()) - min(d1.values()) <= 1
        assert set(d2) == {"D2.1", "D2.2", "D2.3"} and sorted(d2.values()) == [4, 4, 5]

    def test_a_short_competency_gives_what_it_has(self) -> None:
        questions = bank({"D1": {"D1.1": 1, "D1.2": 20, "D1.3": 20}})
        counts = Counter(q.competency for q in draw(questions, ["D1"], 12, seed=3))
        assert counts["D1.1"] == 1
        assert sorted([counts["D1.2"], counts["D1.3"]]) == [5, 6]

    def test_it_never_draws_true_false_or_three_option_questions(self) -> None:
        for seed in range(30):
            drawn = draw(BANK, ["D1", "D2"], 30, seed=seed)
            assert all(q.question_id < 2000 for q in drawn)
            assert {len(q.option_order) for q in drawn} <= {4, 5}

    def test_it_shuffles_options(self) -> None:
        drawn = draw(BANK, ["D3"], 30, seed=5)
        for q in drawn:
            assert sorted(q.option_order) == [0, 1, 2, 3]
        assert len({q.option_order for q in drawn}) > 1

    def test_it_refuses_a_short_bank(self) -> None:
        with pytest.raises(DrawError) as error:
            draw(BANK, ["D1", "D2"], 31, seed=1)
        assert (error.value.domain, error.value.available, error.value.needed) == ("D1", 30, 31)
        assert error.value.code == "bank_too_small"
        assert error.value.message == (
            "R17 : le domaine D1 n'a que 30 question(s) validée(s) à 4 ou 5 options dans la banque ; il en faut 31."
        )

    def test_true_false_questions_do_not_count_as_available(self) -> None:
        questions = bank({"D1": {"D1.1": 11}}) + bank({"D1": {"D1.1": 40}}, n_options=2, start=100)
        with pytest.raises(DrawError, match="D1 n'a que 11 question"):
            draw(questions, ["D1"], 12, seed=0)

    def test_it_refuses_a_domain_without_questions(self) -> None:
        with pytest.raises(DrawError) as error:
            draw(BANK, ["D1", "D9"], 12, seed=0)
        assert (error.value.domain, error.value.available) == ("D9", 0)

    @pytest.mark.parametrize("per_domain", [0, 1, 11])
    def test_it_refuses_fewer_than_12_questions_per_domain(self, per_domain: int) -> None:
        with pytest.raises(DrawError) as error:
            draw(BANK, ["D1"], per_domain, seed=0)
        assert error.value.domain is None
        assert error.value.code == "too_few_per_domain"
        assert "R17 : au moins 12 questions par domaine" in str(error.value)

    def test_a_draw_error_is_a_value_error(self) -> None:
        assert issubclass(DrawError, ValueError)

    def test_it_refuses_duplicates(self) -> None:
        with pytest.raises(ValueError, match="deux fois"):
            draw(BANK, ["D1", "D1"], 12, seed=0)
        with pytest.raises(ValueError, match="deux fois la même question"):
            draw([*BANK, BANK[0]], ["D1"], 12, seed=0)

    @SETTINGS
    @given(
        st.dictionaries(
            st.sampled_from(["D1", "D2", "D3"]),
            st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 8), min_size=1),
            min_size=1,
        ),
        st.integers(12, 20),
        st.integers(0, 2**32),
    )
    def test_it_always_draws_a_valid_spread_set(self, spec, per_domain, seed) -> None:
        spec = {d: {f"{d}.{c}": n for c, n in comps.items()} for d, comps in spec.items()}
        questions = bank(spec, n_options=4) + bank(spec, n_options=2, start=10_000)
        domains = sorted(spec)
        if any(sum(spec[d].values()) < per_domain for d in domains):
            with pytest.raises(DrawError):
                draw(questions, domains, per_domain, seed)
            return
        drawn = draw(questions, domains, per_domain, seed)
        assert drawn == draw(questions, domains, per_domain, seed)
        assert len(drawn) == per_domain * len(domains)
        assert len({q.question_id for q in drawn}) == len(drawn)
        assert all(q.question_id < 10_000 for q in drawn)
        for d in domains:
            counts = Counter(q.competency for q in drawn if q.domain == d)
            # A competency that got fewer than the largest count is exhausted.
            top = max(counts.values())
            for competency, available in spec[d].items():
                got = counts.get(competency, 0)
                assert got == available or got >= top - 1


def test_drawn_question_holds_its_options_order() -> None:
    q = DrawnQuestion(1, "D1", "D1.1", (2, 0, 1, 3))
    assert q.option_order == (2, 0, 1, 3)


# --- item statistics ---------------------------------------------------------------------

# Twelve attempts, totals 1 … 12, binary scores. By hand:
# p = 6/12 = 0.5; x̄ = 0.5, t̄ = 6.5; Σxt = 3 + 5 + 7 + 9 + 10 + 12 = 46;
# Sxt = 46 − 12·0.5·6.5 = 7; Sxx = 12·0.5·0.5 = 3; Stt = 12·(144 − 1)/12 = 143;
# r = 7 / √(3·143) = 7 / √429 ≈ 0.33796.
# Point-biserial check: M1 = 46/6, M0 = 32/6, σ = √(143/12): (M1 − M0)/σ·√(pq) gives the same.
# Groups of round(0.27·12) = round(3.24) = 3: upper (totals 12, 11, 10) scores 1, 0, 1 → 2/3;
# lower (totals 1, 2, 3) scores 0, 0, 1 → 1/3; D = 1/3.
BINARY = list(zip([0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1], range(1, 13), strict=True))


class TestItemStatistics:
    def test_it_matches_the_hand_computation(self) -> None:
        stats = item_statistics(BINARY)
        assert stats.attempts == 12
        assert stats.difficulty == 0.5
        assert stats.discrimination == pytest.approx(7 / math.sqrt(429))
        assert stats.discrimination == pytest.approx(0.33796, abs=1e-5)
        m1, m0, sigma = 46 / 6, 32 / 6, math.sqrt(143 / 12)
        assert stats.discrimination == pytest.approx((m1 - m0) / sigma * math.sqrt(0.25))
        assert stats.upper_lower == pytest.approx(1 / 3)

    def test_it_does_not_depend_on_the_order_of_attempts(self) -> None:
        a, b = item_statistics(BINARY), item_statistics(BINARY[::-1])
        assert (a.difficulty, a.upper_lower) == (b.difficulty, b.upper_lower)
        assert a.discrimination == pytest.approx(b.discrimination)

    def test_it_handles_partial_credit(self) -> None:
        # 13 attempts: groups of round(0.27·13) = round(3.51) = 4.
        scores = [0, 0.25, 0, 0.5, 0.5, 1, 0.75, 0.5, 1, 1, 0.75, 1, 1]
        totals = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
        stats = item_statistics(list(zip(scores, totals, strict=True)))
        assert stats.difficulty == pytest.approx(8.25 / 13)
        # upper: totals 14, 13, 12, 11 → 1, 1, 0.75, 1 = 3.75/4; lower: 2, 3, 4, 5 → 0, 0.25, 0, 0.5 = 0.75/4
        assert stats.upper_lower == pytest.approx(0.75)
        x̄, t̄ = 8.25 / 13, 8.0
        sxt = sum((s - x̄) * (t - t̄) for s, t in zip(scores, totals, strict=True))
        sxx = sum((s - x̄) ** 2 for s in scores)
        assert stats.discrimination == pytest.approx(sxt / math.sqrt(sxx * 182))  # Σ(t−8)² = 182

    def test_a_perfect_item_correlates_fully(self) -> None:
        stats = item_statistics([(1.0 if t > 6 else 0.0, 2 * t + 0.0) for t in range(1, 13)])
        assert stats.upper_lower == 1.0
        # (M1 − M0)/σ·√(pq) = (19 − 7) / (2·√(143/12)) · 0.5 = √(108/143)
        assert stats.discrimination == pytest.approx(math.sqrt(108 / 143))

    def test_a_reversed_item_correlates_negatively(self) -> None:
        stats = item_statistics([(t / 11, 12.0 - t) for t in range(12)])
        assert stats.discrimination == pytest.approx(-1.0)
        # upper: totals 12, 11, 10 → scores 0, 1/11, 2/11; lower: totals 3, 2, 1 → 9/11, 10/11, 1
        assert stats.upper_lower == pytest.approx(1 / 11 - 10 / 11)

    def test_it_needs_12_attempts_for_discrimination(self) -> None:
        stats = item_statistics(BINARY[:11])
        assert stats == ItemStats(11, 5 / 11, None, None)

    def test_it_has_no_discrimination_without_variance(self) -> None:
        same_score = item_statistics([(0.1, float(t)) for t in range(12)])
        assert same_score.discrimination is None
        assert same_score.difficulty == pytest.approx(0.1)
        assert same_score.upper_lower == pytest.approx(0.0)
        same_total = item_statistics([(s, 5.0) for s, _ in BINARY])
        assert same_total.discrimination is None

    def test_it_has_nothing_without_attempts(self) -> None:
        assert item_statistics([]) == ItemStats(0, None, None, None)

    @SETTINGS
    @given(
        st.lists(st.tuples(st.sampled_from([0, 0.25, 0.5, 1 / 3, 1.0]), st.floats(0, 100)), min_size=12, max_size=60)
    )
    def test_its_indices_are_bounded(self, responses) -> None:
        stats = item_statistics(responses)
        assert stats.difficulty is not None and 0 <= stats.difficulty <= 1
        assert stats.upper_lower is not None and -1 <= stats.upper_lower <= 1
        assert stats.discrimination is None or -1 <= stats.discrimination <= 1
