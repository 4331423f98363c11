"""What a correspondent or a reviewer is asked to confirm: publishing a
knowledge test's results (how many candidates see them now, how many later),
retiring a question from the bank, neutralising a faulty question in a test."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from c2i.assessment.models import Exam, Question
from c2i.lib.confirm import Confirmation, Reason


def publish_results(exam: Exam) -> Confirmation:
    now = timezone.now()
    attempts = list(exam.attempts.all())
    unpublished = set(
        exam.attempts.filter(domain_results__evidence__isnull=True).values_list("pk", flat=True).distinct()
    )
    ended = [a for a in attempts if a.closed_at is not None or a.is_over(now)]
    new = sum(1 for a in ended if a.closed_at is None or a.pk in unpublished)
    running = len(attempts) - len(ended)
    consequences = [
        ngettext(
            "%(n)s candidate whose sitting has ended sees their results from now on; they enter their portfolio "
            "and an e-mail tells them.",
            "%(n)s candidates whose sitting has ended see their results from now on; they enter their portfolios "
            "and an e-mail tells each of them.",
            new,
        )
        % {"n": new}
    ]
    if running:
        consequences.append(
            ngettext(
                "%(n)s sitting still running will be published when it ends.",
                "%(n)s sittings still running will be published when they end.",
                running,
            )
            % {"n": running}
        )
    consequences.append(_("A published result cannot be withdrawn."))
    return Confirmation(
        title=_("Publish the results of « %(exam)s »?") % {"exam": exam.title},
        lead=str(exam.institution_session),
        consequences=consequences,
        blocked="" if ended else _("No sitting of this test has ended yet: nothing to publish."),
        confirm_label=_("Confirm the publication"),
        cancel_url=exam.get_absolute_url(),
    )


def retire_question(question: Question) -> Confirmation:
    return Confirmation(
        title=_("Retire question %(n)s?") % {"n": question.pk},
        lead=question.name or question.competency.code,
        consequences=[
            _("The question is never drawn again in a knowledge test."),
            _("The sittings that drew it keep it, with its answers and its score."),
        ],
        confirm_label=_("Confirm the retirement"),
        cancel_url=question.get_absolute_url(),
    )


def neutralise_question(
    exam: Exam, question: Question, *, reason: str = "", error: str = "", reason_error: str = "", blocked: str = ""
) -> Confirmation:
    """What a neutralisation changes: every sitting that drew the question,
    the jury's outcomes once it has closed, the question's review."""
    from c2i.enrolment import freeze

    sittings = exam.attempts.filter(items__question=question).distinct().count()
    consequences = [
        ngettext(
            "The question leaves the score of the %(n)s sitting that drew it: each domain's percentage is computed "
            "at once on the remaining questions of the domain.",
            "The question leaves the score of the %(n)s sittings that drew it: each domain's percentage is computed "
            "at once on the remaining questions of the domain.",
            sittings,
        )
        % {"n": sittings},
        _("A domain left without any question in a sitting has no result: it is reported, never passed."),
        _("The question goes back to review: it is not drawn again before a reviewer validates it."),
    ]
    closed = freeze.closed_at(exam.institution_session_id)
    warnings: list[str] = []
    if closed is None:
        consequences.append(_("The jury reads the new percentages; the neutralisation can be lifted until it closes."))
    else:
        warnings = [
            _(
                "The jury closed its deliberation on %(date)s: the outcomes of the candidates concerned are "
                "rectified (audited) and their documents re-issued when their outcome changes."
            )
            % {"date": freeze.date_text(closed)},
            _("This neutralisation can no longer be lifted."),
        ]
    return Confirmation(
        title=_("Neutralise question %(n)s in « %(exam)s »?") % {"n": question.pk, "exam": exam.title},
        lead=f"{question.competency.code} — {question.name or question.pk}",
        consequences=consequences,
        warnings_title=_("The jury has closed") if warnings else "",
        warnings=warnings,
        error=error,
        reason=Reason(
            label=_("Reason for the neutralisation"),
            hint=_("Kept in the audit trail and shown to the reviewers, e.g. « two options are right »."),
            value=reason,
            error=reason_error,
        ),
        hidden={"question": str(question.pk)},
        irreversible=closed is not None,
        blocked=blocked,
        confirm_label=_("Confirm the neutralisation"),
        cancel_url=reverse("assessment:exam_statistics", args=[exam.pk]),
    )
