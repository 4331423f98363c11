"""The e-mails that the pages promise (issue 11): the invitation of an import,
the knowledge test's results, the jury's outcome and the reminders before the
portfolio deadline.

The workflows hand them to the background worker after their transaction
commits (`transaction.on_commit(lambda: notifications.<event>(...))`); the
worker's task sends each message in a transaction that records it
(`SentNotification`, unique per kind, object, step and recipient), so that a
task run twice never sends a message twice, and a message whose sending
failed is not recorded (the task tries again later).

Documents: the jury's outcome e-mail says which document is being issued and
where it will be; the documents' own notice (`credentials.services.notify_holder`)
is kept for re-issues after a rectification only.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import smtplib
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from c2i.lib import mail
from c2i.lib.dates import french_date, french_time
from c2i.lib.mail import Message, absolute
from c2i.notifications.models import NotificationKind, SentNotification

log = logging.getLogger(__name__)

RETRY_DELAYS = (60, 300, 900, 3600)  # seconds before each new try when the mail server fails
DELIBERATED = ("closed", "published")  # a session's portfolios are frozen: no reminder


class MailServerUnavailable(Exception):
    """The mail server refused or could not be reached: the task tries again later."""


# --- sending once -------------------------------------------------------------


def deliver(
    kind: str,
    object_id: int,
    recipient: str,
    build: Callable[[], Message],
    *,
    step: int = 0,
    connection: Any = None,
    language: str = mail.DEFAULT_LANGUAGE,
) -> bool:
    """Send the message `build()` makes to `recipient` unless it was sent
    already; True when sent now. The record and the sending share one
    transaction: a failure to send records nothing."""
    recipient = (recipient or "").strip().lower()
    if not recipient:
        return False
    key = {"kind": kind, "object_id": object_id, "step": step, "recipient": recipient}
    if SentNotification.objects.filter(**key).exists():
        return False
    try:
        with transaction.atomic():
            SentNotification.objects.create(**key)
            with translation.override(language):
                message = build()
            try:
                mail.send(message, recipient, language=language, connection=connection)
            except smtplib.SMTPRecipientsRefused:
                raise
            except (smtplib.SMTPException, OSError) as error:
                raise MailServerUnavailable(str(error)) from error
    except IntegrityError:  # sent by another run of the task meanwhile
        return False
    except smtplib.SMTPRecipientsRefused:
        log.warning("%s #%s: the mail server refused the address %s", kind, object_id, recipient)
        return False
    return True


def _sent_ids(kind: str, object_ids: Iterable[int], step: int = 0) -> set[int]:
    return set(
        SentNotification.objects.filter(kind=kind, step=step, object_id__in=list(object_ids)).values_list(
            "object_id", flat=True
        )
    )


def _day(value: dt.date | dt.datetime) -> str:
    """« 1er janvier 2027 », « 16 janvier 2027 » in French."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return french_date(value)


def _moment(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return _("%(day)s at %(time)s") % {"day": _day(local), "time": french_time(local)}


def _hello(name: str) -> str:
    return _("Hello %(name)s,") % {"name": name} if name.strip() else _("Hello,")


def _run(items: Iterable[tuple[int, str, Callable[[], Message]]], kind: str, step: int = 0) -> int:
    """Deliver each (object, recipient, message) on one connection to the mail server."""
    sent = 0
    with get_connection() as connection:
        for object_id, recipient, build in items:
            sent += deliver(kind, object_id, recipient, build, step=step, connection=connection)
    return sent


# --- invitations (an import) --------------------------------------------------


def invitation_message(invitation: Any) -> Message:
    from c2i.accounts.models import User

    institution_session = invitation.institution_session
    session = institution_session.session
    my_space = reverse("enrolment:my_space")
    has_account = User.objects.filter(email__iexact=invitation.email, is_active=True).exists()
    paragraphs = [
        _("%(institution)s invites you to enrol in its session « %(session)s » of the %(framework)s certification.")
        % {
            "institution": institution_session.institution.name,
            "session": session.name,
            "framework": session.framework.code,
        },
        _(
            "Accept or decline this invitation by %(closes)s, in « My certification », your space on the "
            "C2i platform. Once enrolled, you will submit your portfolio by %(deadline)s."
        )
        % {"closes": _day(session.enrolment_closes), "deadline": _moment(institution_session.portfolio_deadline)},
    ]
    if has_account:
        label, url = _("Answer the invitation"), absolute(my_space)
        after = [_("Sign in with this e-mail address (%(email)s) if you are asked to.") % {"email": invitation.email}]
    else:
        paragraphs.append(
            _(
                "You do not have an account on the platform yet: create it with this e-mail address "
                "(%(email)s); the invitation will then be shown to you."
            )
            % {"email": invitation.email}
        )
        label = _("Create my account and answer the invitation")
        url = absolute(f"{reverse('enrolment:register')}?{urlencode({'next': my_space})}")
        after = []
    after.append(
        _(
            "If you did not expect this invitation, ignore this message or decline it: you are enrolled only "
            "if you confirm it yourself."
        )
    )
    return Message(
        subject=_("C2i: invitation to enrol in the session « %(session)s »") % {"session": session.name},
        greeting=_hello(f"{invitation.first_names} {invitation.last_name}"),
        paragraphs=paragraphs,
        action_label=label,
        action_url=url,
        after=after,
    )


def send_invitations(invitation_ids: list[int]) -> int:
    """The import's invitations still waiting for an answer; the number sent."""
    from c2i.enrolment.models import Invitation

    invitations = (
        Invitation.objects.pending()
        .filter(pk__in=invitation_ids)
        .exclude(pk__in=_sent_ids(NotificationKind.INVITATION, invitation_ids))
        .select_related("institution_session__institution", "institution_session__session__framework")
        .order_by("pk")
    )
    return _run(((i.pk, i.email, partial(invitation_message, i)) for i in invitations), NotificationKind.INVITATION)


def invitations_created(invitation_ids: list[int]) -> None:
    """After an import's transaction: the invitations go out by the worker."""
    from c2i.notifications.tasks import send_invitations_task

    if invitation_ids:
        send_invitations_task.enqueue(list(invitation_ids))


# --- knowledge test results ---------------------------------------------------


def results_message(attempt: Any) -> Message:
    from c2i.assessment.scoring import format_percent
    from c2i.assessment.services.results import percent_text

    exam = attempt.exam
    institution_session = exam.institution_session
    lines = [
        _("Domain %(domain)s « %(title)s »: %(percent)s, %(outcome)s")
        % {
            "domain": r.domain.code,
            "title": r.domain.title,
            "percent": percent_text(r),  # a domain without a question left says so
            "outcome": _("positive") if r.positive else _("not positive"),
        }
        for r in attempt.domain_results.select_related("domain").order_by("domain__position", "domain__code")
    ]
    return Message(
        subject=_("C2i: your results of « %(exam)s » are published") % {"exam": exam.title},
        greeting=_hello(attempt.enrolment.candidate.full_name),
        paragraphs=[
            _("%(institution)s has published the results of the knowledge test « %(exam)s » (%(session)s). Yours:")
            % {
                "institution": institution_session.institution.name,
                "exam": exam.title,
                "session": institution_session.session.name,
            }
        ],
        details=lines,
        action_label=_("See my results"),
        action_url=absolute(reverse("assessment:my_exam", args=[exam.pk])),
        after=[
            _(
                "A domain's result is positive at %(threshold)s or more. These results are added to your "
                "portfolio; they count in the jury's decision but never validate a competency on their own."
            )
            % {"threshold": format_percent(50)}
        ],
    )


def send_results(exam_id: int) -> int:
    """Each candidate whose sitting's results are published: their own results."""
    from c2i.assessment.models import Attempt

    attempts = (
        Attempt.objects.filter(exam_id=exam_id, exam__results_published_at__isnull=False, closed_at__isnull=False)
        .filter(domain_results__evidence__isnull=False)
        .distinct()
        .select_related(
            "exam__institution_session__institution", "exam__institution_session__session", "enrolment__candidate"
        )
        .order_by("pk")
    )
    attempts = attempts.exclude(
        pk__in=_sent_ids(
            NotificationKind.EXAM_RESULTS, Attempt.objects.filter(exam_id=exam_id).values_list("pk", flat=True)
        )
    )
    return _run(
        ((a.pk, a.enrolment.candidate.email, partial(results_message, a)) for a in attempts),
        NotificationKind.EXAM_RESULTS,
    )


def results_published(exam_id: int) -> None:
    from c2i.notifications.tasks import send_results_task

    send_results_task.enqueue(exam_id)


# --- the jury's outcome -------------------------------------------------------


def _result_url(enrolment: Any) -> str:
    return absolute(reverse("deliberation:my_result", args=[enrolment.pk]))


def outcome_message(outcome: Any) -> Message:
    """Certified; not certified with validated domains (an attestation);
    deferred (ajourné, no document) or nothing validated (no document)."""
    from c2i.deliberation.models import OutcomeStatus

    enrolment = outcome.enrolment
    institution_session = enrolment.institution_session
    framework = institution_session.session.framework
    titles = {d.code: d.title for d in framework.domains.all()}
    validated = [code for code in outcome.validated_domains if code in titles]
    certified = outcome.status == OutcomeStatus.CERTIFIED and not outcome.deferred
    context = {
        "session": institution_session.session.name,
        "institution": institution_session.institution.name,
        "framework": framework.code,
        "url": absolute(reverse("credentials:mine")),
    }
    paragraphs = [_("The jury of the session « %(session)s » (%(institution)s) has published its results.") % context]
    details: list[str] = []
    after: list[str] = []
    if certified:
        subject = _("C2i: you are awarded the %(framework)s certificate") % context
        paragraphs.append(
            _("You are awarded the %(framework)s certificate: every domain is validated. Congratulations!") % context
        )
        paragraphs.append(
            _(
                "Your certificate is being issued: within a few minutes it will be in « My documents » (%(url)s), "
                "with its verification code."
            )
            % context
        )
    else:
        if outcome.deferred:
            subject = _("C2i: the jury has deferred you (ajourné)")
            paragraphs.append(
                _(
                    "The jury has deferred you (ajourné): you are not awarded the %(framework)s certificate in "
                    "this session."
                )
                % context
            )
        else:
            subject = _("C2i: the jury's outcome")
            paragraphs.append(_("You are not awarded the %(framework)s certificate in this session.") % context)
        if validated:
            paragraphs.append(_("These domains are validated:"))
            details = [_("%(domain)s « %(title)s »") % {"domain": code, "title": titles[code]} for code in validated]
            if outcome.deferred:
                after.append(_("No document is issued."))
            else:
                after.append(
                    _(
                        "Your attestation of validated domains is being issued: within a few minutes it will be in "
                        "« My documents » (%(url)s), with its verification code."
                    )
                    % context
                )
            after.append(
                _(
                    "The validated domains stay acquired: at a later session of the %(framework)s, you will not "
                    "have to prove them again."
                )
                % context
            )
        else:
            paragraphs.append(_("No domain is validated; no document is issued."))
        after.append(
            _(
                "Your result page explains the decision for each domain and competency, and what to do next "
                "(enrol in a later session)."
            )
        )
    return Message(
        subject=subject,
        greeting=_hello(enrolment.candidate.full_name),
        paragraphs=paragraphs,
        details=details,
        action_label=_("See my result"),
        action_url=_result_url(enrolment),
        after=after,
    )


def send_outcomes(institution_session_id: int) -> int:
    """Each candidate of a published deliberation (active enrolments): their outcome."""
    from c2i.deliberation.models import CandidateOutcome, Deliberation, DeliberationStatus
    from c2i.enrolment.models import EnrolmentStatus

    if not Deliberation.objects.filter(
        institution_session_id=institution_session_id, status=DeliberationStatus.PUBLISHED
    ).exists():
        return 0
    outcomes = (
        CandidateOutcome.objects.filter(
            institution_session_id=institution_session_id, enrolment__status=EnrolmentStatus.ACTIVE
        )
        .select_related(
            "enrolment__candidate",
            "enrolment__institution_session__institution",
            "enrolment__institution_session__session__framework",
        )
        .order_by("enrolment_id")
    )
    sent = _sent_ids(
        NotificationKind.JURY_OUTCOME,
        CandidateOutcome.objects.filter(institution_session_id=institution_session_id).values_list(
            "enrolment_id", flat=True
        ),
    )
    return _run(
        (
            (o.enrolment_id, o.enrolment.candidate.email, partial(outcome_message, o))
            for o in outcomes
            if o.enrolment_id not in sent
        ),
        NotificationKind.JURY_OUTCOME,
    )


def outcomes_published(institution_session_id: int) -> None:
    from c2i.notifications.tasks import send_outcomes_task

    send_outcomes_task.enqueue(institution_session_id)


# --- reminders before the portfolio deadline ----------------------------------


def reminder_message(enrolment: Any, now: dt.datetime | None = None) -> Message:
    institution_session = enrolment.institution_session
    framework = institution_session.session.framework
    deadline = institution_session.portfolio_deadline
    days = max(1, math.ceil((deadline - (now or timezone.now())) / dt.timedelta(days=1)))
    return Message(
        subject=ngettext(
            "C2i: %(days)d day to go to submit your portfolio",
            "C2i: %(days)d days to go to submit your portfolio",
            days,
        )
        % {"days": days},
        greeting=_hello(enrolment.candidate.full_name),
        paragraphs=[
            _(
                "Your portfolio for the session « %(session)s » (%(institution)s) is to be submitted by "
                "%(deadline)s, and you have not submitted it yet."
            )
            % {
                "session": institution_session.session.name,
                "institution": institution_session.institution.name,
                "deadline": _moment(deadline),
            },
            _(
                "Without a submitted portfolio, the jury cannot validate your competencies. Once submitted, you "
                "can still submit it again until the deadline: the jury reads the last one."
            ),
        ],
        action_label=_("Open my portfolio"),
        action_url=absolute(reverse("portfolio:mine", args=[framework.code])),
    )


def due_reminders(now: dt.datetime | None = None) -> list[tuple[int, int]]:
    """(institution session, step) pairs whose reminders are due now: the
    nearest step reached (a day missed by cron sends the nearer step only),
    for sessions whose deadline is ahead and whose deliberation is open."""
    from c2i.enrolment.models import InstitutionSession

    steps = sorted(settings.C2I_DEADLINE_REMINDER_DAYS)
    if not steps:
        return []
    now = now or timezone.now()
    sessions = InstitutionSession.objects.filter(
        portfolio_deadline__gt=now, portfolio_deadline__lte=now + dt.timedelta(days=steps[-1])
    ).exclude(deliberation__status__in=DELIBERATED)
    due = []
    for pk, deadline in sessions.values_list("pk", "portfolio_deadline").order_by("pk"):
        left = deadline - now
        step = next(s for s in steps if left <= dt.timedelta(days=s))
        due.append((pk, step))
    return due


def send_reminders(institution_session_id: int, step: int, now: dt.datetime | None = None) -> int:
    """Active enrolments of the session without a current submission: one
    reminder per (enrolment, step), and none once a nearer step was sent."""
    from c2i.enrolment.models import Enrolment, EnrolmentStatus
    from c2i.portfolio.models import SubmissionStatus

    now = now or timezone.now()
    enrolments = (
        Enrolment.objects.filter(
            institution_session_id=institution_session_id,
            institution_session__portfolio_deadline__gt=now,
            status=EnrolmentStatus.ACTIVE,
        )
        .exclude(institution_session__deliberation__status__in=DELIBERATED)
        .exclude(submissions__status=SubmissionStatus.SUBMITTED)
        .select_related("candidate", "institution_session__institution", "institution_session__session__framework")
        .order_by("pk")
    )
    done = set(
        SentNotification.objects.filter(
            kind=NotificationKind.DEADLINE_REMINDER,
            step__lte=step,
            object_id__in=Enrolment.objects.filter(institution_session_id=institution_session_id).values_list(
                "pk", flat=True
            ),
        ).values_list("object_id", flat=True)
    )
    return _run(
        ((e.pk, e.candidate.email, partial(reminder_message, e)) for e in enrolments if e.pk not in done),
        NotificationKind.DEADLINE_REMINDER,
        step=step,
    )


def enqueue_reminders(now: dt.datetime | None = None) -> list[tuple[int, int]]:
    """The daily command's work: the due reminders handed to the worker."""
    from c2i.notifications.tasks import send_reminders_task

    due = due_reminders(now)
    for institution_session_id, step in due:
        send_reminders_task.enqueue(institution_session_id, step)
    return due
