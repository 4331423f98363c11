"""What the jury reads from the other apps: the submitted portfolio (portfolio
app) and the knowledge-test results (assessment app). All coupling to those
apps is here. Their tables are read directly: a missing one is an error, never
an empty column (R11: « contrôle non passé » for every candidate).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from c2i.assessment.models import DomainResult
from c2i.portfolio.models import Positioning, Submission, SubmissionStatus, SubmittedEvidence

# (evidence id, kind a–d, title)
EvidenceRef = tuple[int, str, str]


@dataclass(frozen=True)
class SubmittedPortfolio:
    submission_id: int
    submitted_at: Any
    url: str | None


def submissions(enrolment_ids: Iterable[int]) -> dict[int, SubmittedPortfolio]:
    """The current submitted snapshot of each enrolment that has one (R9)."""
    ids = list(enrolment_ids)
    if not ids:
        return {}
    result = {}
    rows = Submission.objects.filter(enrolment_id__in=ids, status=SubmissionStatus.SUBMITTED).values_list(
        "enrolment_id", "pk", "submitted_at"
    )
    for enrolment_id, pk, at in rows:
        try:
            url: str | None = reverse("portfolio:snapshot", args=[pk])
        except NoReverseMatch:
            url = None
        result[enrolment_id] = SubmittedPortfolio(pk, at, url)
    return result


def submitted_evidence_many(enrolment_ids: Iterable[int]) -> dict[int, dict[str, list[EvidenceRef]]]:
    """{enrolment id: {competency code: [(evidence id, kind, title)]}} read from
    each enrolment's current submitted snapshot (never the living portfolio)."""
    ids = list(enrolment_ids)
    if not ids:
        return {}
    through = SubmittedEvidence.competencies.through
    rows = through.objects.filter(
        submittedevidence__submission__enrolment_id__in=ids,
        submittedevidence__submission__status=SubmissionStatus.SUBMITTED,
    ).values_list(
        "submittedevidence__submission__enrolment_id",
        "competency__code",
        "submittedevidence_id",
        "submittedevidence__kind",
        "submittedevidence__title",
    )
    result: dict[int, dict[str, list[EvidenceRef]]] = defaultdict(lambda: defaultdict(list))
    for enrolment_id, code, evidence_id, kind, title in rows.order_by("submittedevidence__position"):
        result[enrolment_id][code].append((evidence_id, kind, title))
    return {k: dict(v) for k, v in result.items()}


def submitted_evidence(enrolment: Any) -> dict[str, list[EvidenceRef]]:
    """{competency code: [(evidence id, kind, title)]} of the enrolment's submitted portfolio."""
    return submitted_evidence_many([enrolment.pk]).get(enrolment.pk, {})


def positionings(enrolment: Any) -> dict[str, tuple[str, str]]:
    """The assessors' latest positioning per competency: {code: (level label, comment)}."""
    result: dict[str, tuple[str, str]] = {}
    rows = Positioning.objects.filter(
        portfolio__candidate_id=enrolment.candidate_id, portfolio__framework_id=enrolment.session.framework_id
    ).select_related("competency")
    for p in rows.order_by("-at", "-id"):
        result.setdefault(p.competency.code, (p.get_level_display(), p.comment))
    return result


def test_percentages_many(enrolment_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """{enrolment id: {domain code: knowledge-test percentage}} from the
    assessment app's scored attempts of exams whose results are published
    (a later attempt, after a reopening, wins; R11: a missing result is not
    a positive test). A void result (every question of the domain
    neutralised, `void_tests_many`) is a missing one: never a percentage."""
    ids = list(enrolment_ids)
    if not ids:
        return {}
    return _percentages(_test_results({"attempt__enrolment_id__in": ids}))


def test_percentages_for_session(institution_session_id: int) -> dict[int, dict[str, float]]:
    """`test_percentages_many` for every enrolment of an institution session."""
    return _percentages(_test_results({"attempt__enrolment__institution_session_id": institution_session_id}))


def void_tests_many(enrolment_ids: Iterable[int]) -> dict[int, list[str]]:
    """{enrolment id: [domain codes]} whose latest published result is void:
    no question left after neutralisation. Said to the jury and the candidate
    (« résultat non disponible »), counted as a missing result (R11)."""
    ids = list(enrolment_ids)
    if not ids:
        return {}
    result: dict[int, list[str]] = {}
    for enrolment_id, by_code in _test_results({"attempt__enrolment_id__in": ids}).items():
        void = sorted(code for code, percent in by_code.items() if percent is None)
        if void:
            result[enrolment_id] = void
    return result


def void_tests(enrolment: Any) -> list[str]:
    return void_tests_many([enrolment.pk]).get(enrolment.pk, [])


def _test_results(where: dict[str, Any]) -> dict[int, dict[str, float | None]]:
    """The latest published result per enrolment and domain: its
    percentage, or None when void (no question left)."""
    rows = (
        DomainResult.objects.filter(
            **where,
            attempt__closed_at__isnull=False,
            attempt__exam__results_published_at__isnull=False,
        )
        .order_by("attempt__closed_at", "attempt_id")
        .values_list("attempt__enrolment_id", "domain__code", "percent", "questions")
    )
    result: dict[int, dict[str, float | None]] = defaultdict(dict)
    for enrolment_id, code, percent, questions in rows:
        result[enrolment_id][code] = float(percent) if questions else None
    return dict(result)


def _percentages(results: dict[int, dict[str, float | None]]) -> dict[int, dict[str, float]]:
    found: dict[int, dict[str, float]] = {}
    for enrolment_id, by_code in results.items():
        kept = {code: percent for code, percent in by_code.items() if percent is not None}
        if kept:
            found[enrolment_id] = kept
    return found


def test_percentages(enrolment: Any) -> dict[str, float]:
    return test_percentages_many([enrolment.pk]).get(enrolment.pk, {})
