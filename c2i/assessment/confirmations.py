"""What a correspondent or a reviewer is asked to confirm: publishing a
knowledge test's results (how many candidates see them now, how many later),
retiring a question from the bank."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from c2i.assessment.models import Exam, Question
from c2i.lib.confirm import Confirmation


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
