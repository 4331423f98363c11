"""What withdrawing an enrolment does to the portfolio (enrolment's
`WithdrawalHook`, registered by `PortfolioConfig.ready`): the submission made
for it ends with it, and the confirmation page says so beforehand."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from c2i.accounts.models import User
from c2i.enrolment.models import Enrolment
from c2i.enrolment.services import WithdrawalHook
from c2i.portfolio.models import Submission, SubmissionStatus


def _submitted(enrolment: Enrolment) -> QuerySet[Submission]:
    return Submission.objects.filter(enrolment=enrolment, status=SubmissionStatus.SUBMITTED)


def consequence(enrolment: Enrolment) -> str:
    if _submitted(enrolment).exists():
        return _("The portfolio you submitted to this session's jury is withdrawn with it.")
    return ""


def withdrawn(enrolment: Enrolment, actor: User | None) -> None:
    _submitted(enrolment).update(status=SubmissionStatus.WITHDRAWN, ended_at=enrolment.withdrawn_at, ended_by=actor)


HOOK = WithdrawalHook(consequence=consequence, withdrawn=withdrawn)
