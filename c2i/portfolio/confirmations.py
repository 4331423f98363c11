"""What the candidate is asked to confirm on their portfolio: deleting an
item, removing a file, withdrawing a submission — and what follows."""

from __future__ import annotations

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from c2i.lib.confirm import Confirmation
from c2i.portfolio.models import Evidence, EvidenceFile, Portfolio, Submission, SubmissionStatus


def _submitted_note(portfolio: Portfolio) -> list[str]:
    if Submission.objects.filter(portfolio=portfolio, status=SubmissionStatus.SUBMITTED).exists():
        return [_("The version you submitted to the jury does not change: it keeps what it held.")]
    return []


def delete_evidence(evidence: Evidence) -> Confirmation:
    files = evidence.files.count()
    comments = evidence.comments.count()
    codes = sorted(evidence.competencies.values_list("code", flat=True))
    # competencies this item is the only non-test evidence of (R10 wants one)
    covered_elsewhere = set(
        Evidence.objects.filter(portfolio_id=evidence.portfolio_id, competencies__code__in=codes)
        .exclude(pk=evidence.pk)
        .exclude(kind="b")
        .values_list("competencies__code", flat=True)
    )
    left_bare = [c for c in codes if c not in covered_elsewhere]
    consequences = [
        _("The item « %(title)s » is deleted from your portfolio, with %(files)s and %(comments)s.")
        % {
            "title": evidence.title,
            "files": ngettext("%(n)s file", "%(n)s files", files) % {"n": files},
            "comments": ngettext("%(n)s tutor comment", "%(n)s tutor comments", comments) % {"n": comments},
        }
    ]
    if left_bare and evidence.kind != "b":
        consequences.append(
            ngettext(
                "Competency %(codes)s will have no evidence left other than a test result.",
                "Competencies %(codes)s will have no evidence left other than a test result.",
                len(left_bare),
            )
            % {"codes": ", ".join(left_bare)}
        )
    consequences += _submitted_note(evidence.portfolio)
    return Confirmation(
        blocked=_("This result was written by the platform from your knowledge test: it cannot be deleted.")
        if evidence.is_system
        else "",
        title=_("Delete the item « %(title)s »?") % {"title": evidence.title},
        consequences=consequences,
        confirm_label=_("Confirm the deletion"),
        cancel_url=evidence.get_absolute_url(),
        danger=True,
    )


def remove_file(item_file: EvidenceFile) -> Confirmation:
    evidence = item_file.evidence
    consequences = [
        _("The file « %(name)s » (%(size)s) is removed from the item « %(title)s ».")
        % {"name": item_file.original_name, "size": filesizeformat(item_file.blob.size), "title": evidence.title}
    ]
    if evidence.kind != "b" and not evidence.link and evidence.files.count() == 1:
        consequences.append(_("The item will then have neither a file nor a link: add one before submitting."))
    consequences += _submitted_note(evidence.portfolio)
    return Confirmation(
        title=_("Remove the file « %(name)s »?") % {"name": item_file.original_name},
        consequences=consequences,
        confirm_label=_("Confirm the removal"),
        cancel_url=evidence.get_absolute_url(),
        danger=True,
    )


def withdraw_submission(submission: Submission) -> Confirmation:
    institution_session = submission.institution_session
    return Confirmation(
        blocked="" if submission.is_current else _("This version is no longer the submitted one."),
        title=_("Withdraw your submission to the jury?"),
        lead=_("%(session)s — %(institution)s")
        % {
            "session": institution_session.session.name,
            "institution": institution_session.institution.name,
        },
        consequences=[
            _("The jury no longer sees your portfolio for this session: until you submit again, it has none."),
            _("You can submit again until %(deadline)s.")
            % {"deadline": date_filter(timezone.localtime(institution_session.portfolio_deadline), "d/m/Y H:i")},
            _("Your living portfolio and its items do not change."),
        ],
        confirm_label=_("Confirm the withdrawal"),
        cancel_url=reverse("portfolio:mine", args=[submission.portfolio.framework.code]) + "#deposit",
        irreversible=False,
    )
