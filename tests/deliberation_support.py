"""Helpers of the deliberation tests: a submitted portfolio with chosen
evidence kinds per competency, and published knowledge-test results."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from c2i.deliberation import sources
from c2i.frameworks.models import Competency
from c2i.portfolio.models import Portfolio, Submission, SubmissionStatus, SubmittedEvidence


def codes(framework_code: str) -> list[str]:
    return list(
        Competency.objects.filter(domain__framework__code=framework_code, retired=False)
        .order_by("domain__position", "domain__code", "position", "code")
        .values_list("code", flat=True)
    )


def submit(enrolment: Any, kinds: dict[str, str]) -> dict[str, list[int]]:
    """A fresh current submission for `enrolment` holding, for each
    competency code, one item per kind letter given ("ab": one (a), one (b)).
    Returns {code: [submitted evidence ids]}."""
    framework = enrolment.session.framework
    portfolio, _ = Portfolio.objects.get_or_create(candidate=enrolment.candidate, framework=framework)
    Submission.objects.filter(enrolment=enrolment, status=SubmissionStatus.SUBMITTED).update(
        status=SubmissionStatus.REPLACED, ended_at=timezone.now()
    )
    submission = Submission.objects.create(portfolio=portfolio, enrolment=enrolment, status=SubmissionStatus.SUBMITTED)
    competencies = {c.code: c for c in Competency.objects.filter(domain__framework=framework)}
    ids: dict[str, list[int]] = {}
    position = 0
    for code, letters in kinds.items():
        for kind in letters:
            position += 1
            item = SubmittedEvidence.objects.create(
                submission=submission, source_id=position, position=position, kind=kind, title=f"{code} ({kind})"
            )
            item.competencies.set([competencies[code]])
            ids.setdefault(code, []).append(item.pk)
    return ids


def submit_all(enrolment: Any, kind: str = "a") -> dict[str, list[int]]:
    return submit(enrolment, {c: kind for c in codes(enrolment.session.framework.code)})


def tests_at(monkeypatch: Any, percent: float = 75.0) -> None:
    """Every enrolment has every domain's knowledge test at `percent` (the
    assessment app's published results are read through this adapter)."""
    from c2i.frameworks.models import Domain

    def fake_for_policy(enrolment_ids: Any) -> dict[int, dict[str, float]]:
        from c2i.enrolment.models import Enrolment

        result = {}
        for pk, framework_id in Enrolment.objects.filter(pk__in=list(enrolment_ids)).values_list(
            "pk", "session__framework_id"
        ):
            domains = Domain.objects.filter(framework_id=framework_id).values_list("code", flat=True)
            result[pk] = dict.fromkeys(domains, percent)
        return result

    def fake_for_session(institution_session_id: int) -> dict[int, dict[str, float]]:
        from c2i.enrolment.models import Enrolment

        return fake_for_policy(
            Enrolment.objects.filter(institution_session_id=institution_session_id).values_list("pk", flat=True)
        )

    monkeypatch.setattr(sources, "test_percentages_many", fake_for_policy)
    monkeypatch.setattr(sources, "test_percentages_for_session", fake_for_session)
