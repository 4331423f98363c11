"""Knowledge-test scoring and drawing: RULES.md R17–R18. Pure: no Django import.

Scoring (R18). Options are numbered 0 … n−1. With B correct and M wrong
options, X correct and Y wrong options ticked, a question scores
max(X/B − Y/M, 0), or X/B when M = 0. The score is computed exactly (with
fractions) and returned as the nearest float.

Domain percentage (R18): the mean of the domain's question scores × 100.
Rounding: the percentage is stored at full precision and never rounded before
the pass test (50 % or more is positive, so 49,99 % fails). Every question
score is a fraction with a small denominator (at most 20); `domain_percent`
recovers each one exactly before averaging, so that a mean that is exactly
50 % is exactly 50.0 and not 49.999999999999993. Display only:
`format_percent` rounds half-up to 2 decimals (of the number as written,
e.g. 42.345 → « 42,35 % »), drops trailing zeros and uses a decimal comma:
« 42,5 % », « 50 % ».

Neutralised questions (R18 applied to a faulty question): a question the
exam's author or the national administrator neutralised is taken out of the
score of every sitting that drew it. The domain's percentage is the mean of
its *remaining* questions (so a neutralised question the candidate got wrong
raises the percentage, one they got right lowers it); a domain left without
any question has no percentage at all: its result is void, never positive,
and is reported as such (`domain_score`). The deliberation reads a void
result as a missing one (R11: a missing result is not a positive test).

Drawing (R17): at least 12 questions per domain, in the order of the domains
asked; inside a domain, round-robin over its competencies (in a random order)
so that their counts differ by at most one while each has questions left;
the domain's questions are then shuffled, and so are each question's options.
Only questions with 4 or 5 options are drawn (R18: true/false questions stay
in the bank). Everything comes from one `random.Random(seed)`, so a draw is
reproduced from its seed, whatever the order of the bank.

Item statistics (for the bank's reviewers; formulas in `item_statistics`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

MIN_QUESTIONS_PER_DOMAIN = 12
DRAWABLE_OPTION_COUNTS = frozenset({4, 5})
PASS_THRESHOLD_PERCENT = 50.0
MIN_ATTEMPTS_FOR_STATISTICS = 12
GROUP_SHARE = Fraction(27, 100)


# --- R18: scoring ----------------------------------------------------------


def _options(name: str, values: Set[int], n_options: int) -> frozenset[int]:
    options = frozenset(values)
    outside = sorted(o for o in options if not 0 <= o < n_options)
    if outside:
        raise ValueError(f"{name} hors des options 0 à {n_options - 1} : {', '.join(map(str, outside))}.")
    return options


def question_score(correct: Set[int], ticked: Set[int], n_options: int) -> float:
    """R18: max(X/B − Y/M, 0), X/B when the question has no wrong option."""
    if n_options < 2:
        raise ValueError(f"Une question a au moins 2 options ({n_options} indiquée).")
    right = _options("Bonnes réponses", correct, n_options)
    answer = _options("Cases cochées", ticked, n_options)
    b = len(right)
    if b == 0:
        raise ValueError("Une question a au moins une bonne réponse.")
    m = n_options - b
    x = len(answer & right)
    y = len(answer - right)
    score = Fraction(x, b) if m == 0 else max(Fraction(x, b) - Fraction(y, m), Fraction(0))
    return float(score)


def domain_percent(scores: Sequence[float]) -> float:
    """R18: the mean of the question scores, as a percentage (full precision)."""
    if not scores:
        raise ValueError("Aucune question notée dans ce domaine.")
    exact = []
    for score in scores:
        if not 0 <= score <= 1:
            raise ValueError(f"Note de question hors de 0 à 1 : {score}.")
        # Question scores are small fractions: undo the float's representation error.
        exact.append(Fraction(score).limit_denominator(1_000_000))
    return float(sum(exact, Fraction(0)) * 100 / len(exact))


@dataclass(frozen=True)
class DomainScore:
    """A domain's result in one sitting (R18): `questions` counts the
    questions left once the neutralised ones are taken out; with none left,
    `percent` is None and the result is void, never positive."""

    questions: int
    neutralised: int
    percent: float | None
    positive: bool

    @property
    def void(self) -> bool:
        return self.questions == 0


def domain_score(
    scores: Mapping[int, float], neutralised: Set[int] = frozenset(), threshold: float = PASS_THRESHOLD_PERCENT
) -> DomainScore:
    """R18 on the questions of one domain, {question id: score 0..1}, leaving
    out the neutralised ones: the percentage of the remaining questions, or a
    void result when none remains (never silently passed)."""
    kept = [score for question, score in scores.items() if question not in neutralised]
    taken_out = len(scores) - len(kept)
    if not kept:
        return DomainScore(0, taken_out, None, False)
    percent = domain_percent(kept)
    return DomainScore(len(kept), taken_out, percent, is_positive(percent, threshold))


def attempt_percent(scores: Mapping[int, float], neutralised: Set[int] = frozenset()) -> float | None:
    """The sitting's overall percentage over its remaining questions (None
    when every question was neutralised)."""
    kept = [score for question, score in scores.items() if question not in neutralised]
    return domain_percent(kept) if kept else None


def is_positive(percent: float, threshold: float = PASS_THRESHOLD_PERCENT) -> bool:
    """R18: the domain's test is positive at the threshold or more."""
    return percent >= threshold


def format_percent(value: float, decimals: int = 2) -> str:
    """A French percentage for display: half-up rounding, decimal comma, no
    trailing zeros: 42.5 → « 42,5 % », 50.0 → « 50 % »."""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return f"{text.replace('.', ',')} %"


# --- R17: drawing ----------------------------------------------------------


@dataclass(frozen=True)
class BankQuestion:
    id: int
    domain: str
    competency: str
    n_options: int


@dataclass(frozen=True)
class DrawnQuestion:
    question_id: int
    domain: str
    competency: str
    option_order: tuple[int, ...]


class DrawError(ValueError):
    """A draw that R17 forbids: `domain` is None when the number of questions
    asked per domain is itself below the minimum."""

    def __init__(self, domain: str | None, available: int, needed: int) -> None:
        self.domain = domain
        self.available = available
        self.needed = needed
        if domain is None:
            self.code = "too_few_per_domain"
            self.message = (
                f"R17 : au moins {needed} questions par domaine sont tirées ({available} demandées seulement)."
            )
        else:
            self.code = "bank_too_small"
            self.message = (
                f"R17 : le domaine {domain} n'a que {available} question(s) validée(s) à 4 ou 5 options "
                f"dans la banque ; il en faut {needed}."
            )
        super().__init__(self.message)


def draw(bank: Sequence[BankQuestion], domains: Sequence[str], per_domain: int, seed: int) -> list[DrawnQuestion]:
    """R17: `per_domain` questions for each domain, reproducible from `seed`."""
    if per_domain < MIN_QUESTIONS_PER_DOMAIN:
        raise DrawError(None, per_domain, MIN_QUESTIONS_PER_DOMAIN)
    if len(set(domains)) != len(domains):
        raise ValueError("Un domaine est demandé deux fois.")
    ids = [q.id for q in bank]
    if len(set(ids)) != len(ids):
        raise ValueError("La banque contient deux fois la même question.")
    eligible = sorted((q for q in bank if q.n_options in DRAWABLE_OPTION_COUNTS), key=lambda q: q.id)
    for domain in domains:
        available = sum(1 for q in eligible if q.domain == domain)
        if available < per_domain:
            raise DrawError(domain, available, per_domain)
    rng = random.Random(seed)
    drawn: list[DrawnQuestion] = []
    for domain in domains:
        chosen = _draw_domain([q for q in eligible if q.domain == domain], per_domain, rng)
        rng.shuffle(chosen)
        drawn.extend(
            DrawnQuestion(q.id, q.domain, q.competency, tuple(rng.sample(range(q.n_options), q.n_options)))
            for q in chosen
        )
    return drawn


def _draw_domain(questions: list[BankQuestion], count: int, rng: random.Random) -> list[BankQuestion]:
    by_competency: dict[str, list[BankQuestion]] = {}
    for question in questions:
        by_competency.setdefault(question.competency, []).append(question)
    competencies = sorted(by_competency)
    rng.shuffle(competencies)
    for competency in competencies:
        rng.shuffle(by_competency[competency])
    chosen: list[BankQuestion] = []
    while len(chosen) < count:
        for competency in competencies:
            if by_competency[competency] and len(chosen) < count:
                chosen.append(by_competency[competency].pop())
    return chosen


# --- item statistics -------------------------------------------------------

# The bounds outside which a question is flagged for a reviewer's look (issue
# 15), the usual screening values of classical test theory:
# - DIFFICULTY_MIN: fewer than one candidate in five gets it right: the key is
#   often wrong, or the stem ambiguous or outside the programme;
# - DIFFICULTY_MAX: nearly everybody gets it right: it tells no one apart and
#   adds almost nothing to the domain's score (a few easy questions are fine,
#   hence 0.95 rather than 0.9);
# - DISCRIMINATION_MIN: Ebel's guideline: a point-biserial or upper-lower
#   index below 0.2 is a poor item, to revise or remove; below 0 the stronger
#   candidates fail it more often than the weaker ones, usually a wrong key.
# No flag below MIN_ATTEMPTS_FOR_STATISTICS sittings: the figures say nothing yet.
DIFFICULTY_MIN = 0.2
DIFFICULTY_MAX = 0.95
DISCRIMINATION_MIN = 0.2

TOO_HARD = "too_hard"
TOO_EASY = "too_easy"
NOT_DISCRIMINATING = "not_discriminating"
REVERSED = "reversed"  # discriminates the wrong way: check the key


@dataclass(frozen=True)
class ItemStats:
    attempts: int
    difficulty: float | None
    discrimination: float | None
    upper_lower: float | None


def item_statistics(responses: Sequence[tuple[float, float]]) -> ItemStats:
    """Statistics of one question from its (question score 0..1, candidate
    total) pairs, one per attempt.

    - difficulty p = mean question score (1 = everybody right); None without
      attempts;
    - discrimination r = Pearson correlation between question score and total,
      i.e. the point-biserial coefficient when scores are 0 or 1:
      r = Σ(x−x̄)(t−t̄) / √(Σ(x−x̄)² · Σ(t−t̄)²);
      the caller passes the total with or without this question (rest score);
    - upper-lower index D = mean score of the upper group − mean score of the
      lower group, each group being the round-half-up(27 % × n) attempts with
      the highest / lowest totals (ties kept in the order given).
    Both discrimination indices are None below 12 attempts, r also when the
    scores or the totals do not vary.
    """
    n = len(responses)
    if n == 0:
        return ItemStats(0, None, None, None)
    scores = [float(s) for s, _ in responses]
    totals = [float(t) for _, t in responses]
    mean_score = math.fsum(scores) / n
    if n < MIN_ATTEMPTS_FOR_STATISTICS:
        return ItemStats(n, mean_score, None, None)
    mean_total = math.fsum(totals) / n
    dx = [s - mean_score for s in scores]
    dt = [t - mean_total for t in totals]
    sxx = math.fsum(d * d for d in dx)
    stt = math.fsum(d * d for d in dt)
    sxt = math.fsum(a * b for a, b in zip(dx, dt, strict=True))
    spread = math.sqrt(sxx) * math.sqrt(stt)  # two roots: no overflow of the product
    constant = len(set(scores)) == 1 or len(set(totals)) == 1 or spread == 0
    discrimination = None if constant else max(-1.0, min(1.0, sxt / spread))
    size = max(1, math.floor(GROUP_SHARE * n + Fraction(1, 2)))
    ranked = sorted(range(n), key=lambda i: -totals[i])  # stable: ties in given order
    upper = math.fsum(scores[i] for i in ranked[:size]) / size
    lower = math.fsum(scores[i] for i in ranked[-size:]) / size
    return ItemStats(n, mean_score, discrimination, upper - lower)


def item_flags(stats: ItemStats) -> tuple[str, ...]:
    """Why a question deserves a reviewer's look, in a fixed order (codes:
    TOO_HARD, TOO_EASY, NOT_DISCRIMINATING or REVERSED); empty below
    MIN_ATTEMPTS_FOR_STATISTICS sittings. Difficulty is out of bounds
    strictly below DIFFICULTY_MIN or above DIFFICULTY_MAX; discrimination
    when either index (point-biserial, upper-lower) is below
    DISCRIMINATION_MIN, reversed when either is negative."""
    if stats.attempts < MIN_ATTEMPTS_FOR_STATISTICS or stats.difficulty is None:
        return ()
    found: list[str] = []
    if stats.difficulty < DIFFICULTY_MIN:
        found.append(TOO_HARD)
    if stats.difficulty > DIFFICULTY_MAX:
        found.append(TOO_EASY)
    indices = [i for i in (stats.discrimination, stats.upper_lower) if i is not None]
    if any(i < 0 for i in indices):
        found.append(REVERSED)
    elif any(i < DISCRIMINATION_MIN for i in indices):
        found.append(NOT_DISCRIMINATING)
    return tuple(found)
