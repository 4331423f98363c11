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
    a positive test)."""
    ids = list(enrolment_ids)
    if not ids:
        return {}
    return _test_percentages({"attempt__enrolment_id__in": ids})


def test_percentages_for_session(institution_session_id: int) -> dict[int, dict[str, float]]:
    """`test_percentages_many` for every enrolment of an institution session."""
    return _test_percentages({"attempt__enrolment__institution_session_id": institution_session_id})


def _test_percentages(where: dict[str, Any]) -> dict[int, dict[str, float]]:
    rows = (
        DomainResult.objects.filter(
            **where,
            attempt__closed_at__isnull=False,
            attempt__exam__results_published_at__isnull=False,
        )
        .order_by("attempt__closed_at", "attempt_id")
        .values_list("attempt__enrolment_id", "domain__code", "percent")
    )
    result: dict[int, dict[str, float]] = defaultdict(dict)
    for enrolment_id, code, percent in rows:
        result[enrolment_id][code] = float(percent)
    return dict(result)


def test_percentages(enrolment: Any) -> dict[str, float]:
    return test_percentages_many([enrolment.pk]).get(enrolment.pk, {})
