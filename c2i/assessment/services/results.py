"""Results (R18): a sitting scored once over, the results published into the
candidates' portfolios (R7), the exam's tables and item statistics."""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from c2i.accounts.models import AuditAction, User, audit
from c2i.assessment import scoring
from c2i.assessment.models import (
    CLOSED,
    Attempt,
    AttemptQuestion,
    DomainResult,
    Exam,
    Neutralisation,
    Option,
    Question,
)
from c2i.assessment.services.errors import AssessmentError
from c2i.assessment.signals import results_published
from c2i.assessment.text import render_stem


@transaction.atomic
def finalise_attempt(attempt: Attempt, now: dt.datetime | None = None) -> Attempt:
    """Score a sitting that is over (R18); idempotent. Answers in flight are
    either committed before this (row locks) or refused after it (`CLOSED`)."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
    if attempt.closed_at is not None:
        return attempt
    if not attempt.is_over(now):
        raise AssessmentError("running", _("This sitting is still running."))
    AttemptQuestion.objects.filter(attempt=attempt).update(open_until=CLOSED)
    items = list(attempt.items.all())
    correct: dict[int, set[int]] = defaultdict(set)
    for question_id, position in Option.objects.filter(
        question_id__in=[i.question_id for i in items], fraction__gt=0
    ).values_list("question_id", "position"):
        correct[question_id].add(position)
    for item in items:
        item.score = scoring.question_score(correct[item.question_id], item.ticked_positions(), item.n_options)
    AttemptQuestion.objects.bulk_update(items, ["score"])
    _write_domain_results(attempt, items, neutralised_questions(attempt.exam_id))
    attempt.closed_at = now
    attempt.save(update_fields=["score", "closed_at"])
    audit(
        None,
        AuditAction.ASSESSMENT_ATTEMPT_CLOSE,
        attempt,
        score=attempt.score,
        answered=sum(1 for i in items if i.ticked is not None),
    )
    if attempt.exam.results_published_at is not None and _publish_attempt(attempt, None):
        transaction.on_commit(lambda: results_published.send(None, exam_id=attempt.exam_id))  # a late sitting's e-mail
    return attempt


def neutralised_questions(exam_id: int) -> set[int]:
    """The questions taken out of the exam's scores (active neutralisations)."""
    return set(
        Neutralisation.objects.filter(exam_id=exam_id, lifted_at__isnull=True).values_list("question_id", flat=True)
    )


def _write_domain_results(attempt: Attempt, items: list[AttemptQuestion], neutralised: set[int]) -> list[DomainResult]:
    """R18 per domain on the questions left (`scoring.domain_score`), written
    in place so that a result keeps the portfolio item it became; sets
    `attempt.score` (not saved). The results that changed are returned."""
    by_domain: dict[int, dict[int, float]] = defaultdict(dict)
    for item in items:
        by_domain[item.domain_id][item.question_id] = float(item.score or 0)
    existing = {r.domain_id: r for r in DomainResult.objects.filter(attempt=attempt)}
    changed: list[DomainResult] = []
    new: list[DomainResult] = []
    for domain_id, scores in by_domain.items():
        score = scoring.domain_score(scores, neutralised)
        values = {
            "questions": score.questions,
            "neutralised": score.neutralised,
            "percent": score.percent if score.percent is not None else 0.0,  # void: questions == 0 says it
            "positive": score.positive,
        }
        result = existing.pop(domain_id, None)
        if result is None:
            new.append(DomainResult(attempt=attempt, domain_id=domain_id, **values))
        elif any(getattr(result, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(result, k, v)
            changed.append(result)
    DomainResult.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
    DomainResult.objects.bulk_create(new)
    DomainResult.objects.bulk_update(changed, ["questions", "neutralised", "percent", "positive"])
    attempt.score = (
        scoring.attempt_percent({i.question_id: float(i.score) for i in items if i.score is not None}, neutralised)
        if items
        else None
    )
    return changed


@transaction.atomic
def rescore_attempt(attempt: Attempt, actor: User | None, reason: str = "") -> list[DomainResult]:
    """A scored sitting's domain results computed again on the questions left
    (after a neutralisation or its lifting); where they were published, the
    candidate's portfolio items say the new result. The results that changed
    are returned."""
    attempt = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
    if attempt.closed_at is None:
        return []  # scored when it ends, on the questions left then
    items = list(attempt.items.all())
    changed = _write_domain_results(attempt, items, neutralised_questions(attempt.exam_id))
    attempt.save(update_fields=["score"])
    if attempt.exam.results_published_at is not None:
        from c2i.portfolio.services import update_test_result_evidence

        for result in changed:
            if result.evidence is not None:
                title, summary = _evidence_texts(result, attempt)
                update_test_result_evidence(result.evidence, title, summary, actor, reason)
        _publish_attempt(attempt, actor)  # a domain result not in the portfolio yet
    return changed


def close_expired_attempts(now: dt.datetime | None = None) -> int:
    """Score every sitting whose deadline has passed (the periodic task and
    `manage.py close_expired_attempts`); the number scored."""
    now = now or timezone.now()
    closed = 0
    for attempt in Attempt.objects.filter(closed_at__isnull=True).filter(
        Q(deadline__lte=now) | Q(submitted_at__isnull=False)
    ):
        finalise_attempt(attempt, now=now)
        closed += 1
    return closed


def _publish_attempt(attempt: Attempt, actor: User | None) -> int:
    """Each domain result enters the candidate's portfolio as evidence of
    kind (b) (R7), once."""
    from c2i.portfolio.services import add_test_result_evidence, open_portfolio

    results = list(
        attempt.domain_results.filter(evidence__isnull=True).select_related("domain").order_by("domain__position")
    )
    if not results:
        return 0
    enrolment = attempt.enrolment
    exam = attempt.exam
    framework = exam.institution_session.session.framework
    portfolio = open_portfolio(enrolment.candidate, framework, actor)
    for result in results:
        title, summary = _evidence_texts(result, attempt)
        competencies = list(result.domain.competencies.filter(retired=False))
        evidence = add_test_result_evidence(portfolio, title, competencies, summary, actor)
        result.evidence = evidence
        result.save(update_fields=["evidence"])
    return len(results)


def percent_text(result: DomainResult) -> str:
    """A domain result as said to people: « 62,5 % », or, when every
    question of the domain was neutralised, that no result is available."""
    if result.questions == 0:
        return _("%(domain)s: no question left after neutralisation — result not available") % {
            "domain": result.domain.code
        }
    return scoring.format_percent(result.percent)


def _evidence_texts(result: DomainResult, attempt: Attempt) -> tuple[str, str]:
    """The title and summary of a domain result's portfolio item (R7 b): the
    percentage on the questions left, how many were neutralised, or that no
    question is left (a void result, never positive)."""
    exam = attempt.exam
    domain = result.domain
    facts = {
        "exam": exam.title,
        "institution": exam.institution_session.institution.name,
        "date": timezone.localtime(attempt.started_at).strftime("%d/%m/%Y"),
        "domain": domain.code,
        "title": domain.title,
        "percent": scoring.format_percent(result.percent),
        "questions": result.questions,
        "neutralised": result.neutralised,
    }
    never_alone = _(
        "A test result never validates a competency on its own: the jury also looks at the rest of your portfolio."
    )
    if result.questions == 0:
        title = _("Knowledge test %(domain)s: no question left after neutralisation — result not available") % facts
        summary = (
            ngettext(
                "%(exam)s, %(institution)s, %(date)s. Domain %(domain)s « %(title)s »: its %(neutralised)s "
                "question was neutralised (a faulty question): no result is available for this domain, "
                "which counts as a test not passed.",
                "%(exam)s, %(institution)s, %(date)s. Domain %(domain)s « %(title)s »: its %(neutralised)s "
                "questions were all neutralised (faulty questions): no result is available for this domain, "
                "which counts as a test not passed.",
                result.neutralised,
            )
            % facts
        )
        return title, f"{summary} {never_alone}"
    facts["outcome"] = _("positive") if result.positive else _("not positive")
    title = _("Knowledge test %(domain)s: %(percent)s (%(outcome)s)") % facts
    summary = (
        _(
            "%(exam)s, %(institution)s, %(date)s. Domain %(domain)s « %(title)s »: %(percent)s over "
            "%(questions)s questions, %(outcome)s (positive at 50 %% or more)."
        )
        % facts
    )
    if result.neutralised:
        summary += (
            " "
            + ngettext(
                "%(neutralised)s neutralised question (faulty) is left out of this percentage.",
                "%(neutralised)s neutralised questions (faulty) are left out of this percentage.",
                result.neutralised,
            )
            % facts
        )
    return title, f"{summary} {never_alone}"


@dataclass(frozen=True)
class Publication:
    published: int  # sittings whose results entered the portfolios now
    running: int  # sittings still running: published when they end


@transaction.atomic
def publish_results(exam: Exam, actor: User | None) -> Publication:
    """Show the results to the candidates and put them in their portfolios.
    Sittings still running are published as they end."""
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    now = timezone.now()
    for attempt in exam.attempts.filter(closed_at__isnull=True):
        if attempt.is_over(now):
            finalise_attempt(attempt, now=now)
    closed = list(exam.attempts.filter(closed_at__isnull=False).select_related("enrolment__candidate"))
    if not closed:
        raise AssessmentError("nothing_to_publish", _("No sitting of this test has ended yet: nothing to publish."))
    first = exam.results_published_at is None
    if first:
        exam.results_published_at = now
        exam.save(update_fields=["results_published_at"])
    published = sum(1 for attempt in closed if _publish_attempt(attempt, actor))
    running = exam.attempts.filter(closed_at__isnull=True).count()
    audit(actor, AuditAction.ASSESSMENT_RESULTS_PUBLISH, exam, published=published, running=running, first=first)
    if published:
        transaction.on_commit(lambda: results_published.send(None, exam_id=exam.pk))  # e-mails, by the worker
    return Publication(published, running)


@dataclass(frozen=True)
class ResultRow:
    attempt: Attempt
    by_domain: dict[str, DomainResult]


def result_rows(exam: Exam) -> list[ResultRow]:
    attempts = list(
        exam.attempts.select_related("enrolment__candidate").order_by(
            "enrolment__candidate__last_name", "enrolment__candidate__first_names"
        )
    )
    results: dict[int, dict[str, DomainResult]] = defaultdict(dict)
    for result in DomainResult.objects.filter(attempt__exam=exam).select_related("domain"):
        results[result.attempt_id][result.domain.code] = result
    return [ResultRow(a, results[a.pk]) for a in attempts]


FLAG_LABELS = {
    scoring.TOO_HARD: lambda: _("very hard"),
    scoring.TOO_EASY: lambda: _("very easy"),
    scoring.NOT_DISCRIMINATING: lambda: _("does not discriminate"),
    scoring.REVERSED: lambda: _("discriminates the wrong way"),
}
EXCERPT_LENGTH = 120


def question_excerpt(question: Question, length: int = EXCERPT_LENGTH) -> str:
    """The question's stem as plain text on one line, cut at a word (the
    statistics table's excerpt; the whole text is on the question's page)."""
    text = html.unescape(strip_tags(render_stem(question.stem, question.stem_format)))
    return Truncator(" ".join(text.split())).chars(length)


@dataclass(frozen=True)
class ItemRow:
    question_id: int
    name: str
    competency: str
    stats: scoring.ItemStats
    excerpt: str = ""
    author_id: int | None = None

    @property
    def flag_codes(self) -> tuple[str, ...]:
        """`scoring.item_flags`: out-of-bounds difficulty or discrimination."""
        return scoring.item_flags(self.stats)

    @property
    def flags(self) -> list[str]:
        """Why the question deserves a look, in words (empty below 12 sittings)."""
        return [str(FLAG_LABELS[code]()) for code in self.flag_codes]


def item_statistics(attempts: Any, question_ids: Iterable[int] | None = None) -> list[ItemRow]:
    """Per question, over the scored sittings given: difficulty (mean score),
    point-biserial correlation with the rest of the test, upper–lower index
    (`scoring.item_statistics`; no discrimination below 12 sittings), with an
    excerpt of its text; flagged questions first (`ItemRow.flags`)."""
    wanted = set(question_ids) if question_ids is not None else None
    rows = list(
        AttemptQuestion.objects.filter(
            attempt__in=attempts, attempt__closed_at__isnull=False, score__isnull=False
        ).values_list("attempt_id", "question_id", "score")
    )
    totals: dict[int, float] = defaultdict(float)
    for attempt_id, _question_id, score in rows:
        totals[attempt_id] += float(score or 0)
    pairs: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for attempt_id, question_id, score in rows:
        if wanted is None or question_id in wanted:
            pairs[question_id].append((float(score or 0), totals[attempt_id] - float(score or 0)))  # rest score
    questions = {q.pk: q for q in Question.objects.filter(pk__in=list(pairs)).select_related("competency")}
    result = [
        ItemRow(
            pk,
            questions[pk].name,
            questions[pk].competency.code,
            scoring.item_statistics(values),
            question_excerpt(questions[pk]),
            questions[pk].author_id,
        )
        for pk, values in pairs.items()
    ]
    return sorted(result, key=lambda r: (not r.flag_codes, r.competency, r.question_id))


def exam_progress(exam: Exam) -> dict[str, int]:
    now = timezone.now()
    counts = exam.attempts.aggregate(
        started=Count("id"),
        closed=Count("id", filter=Q(closed_at__isnull=False)),
        running=Count("id", filter=Q(closed_at__isnull=True, submitted_at__isnull=True, deadline__gt=now)),
    )
    return {k: int(v or 0) for k, v in counts.items()}
