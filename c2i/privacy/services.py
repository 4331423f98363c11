"""Erasure of a candidate's personal data (RGPD art. 17) and its requests.

What the law allows to erase is erased or anonymised; what the platform must
keep to answer for its certifications stays, without the person's identity
except on the documents issued to them (docs/privacy.md):

- erased: the account's identity (name, e-mail, phone, password, logins,
  two-factor devices), the candidate's identity (names, birth date and place,
  INE, e-mail), invitations typed by institutions, the living portfolio
  (items, files, comments, positionings), the snapshots submitted to juries
  (texts and files), extra-time reasons and the exam adjustments' references, the details of the audit entries
  about the person;
- kept, attached to an anonymous record: enrolments, exam attempts (answers
  and scores), jury decisions and outcomes, carried-over domains, and the
  audit entries themselves (the chain stays whole);
- kept as issued: certificates and attestations (holder's name, PDF), so that
  the public verification page shows exactly what it showed before.

An erasure waits while an enrolment is under way (no published deliberation)
and during the appeal period after publication (C2I_RETENTION_APPEAL_DAYS).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, AuditEntry, Membership, User, audit
from c2i.lib.errors import DomainError
from c2i.privacy.export import owned_objects
from c2i.privacy.models import ErasureRequest, ErasureStatus

ERASED_BIRTH_DATE = dt.date(1900, 1, 1)  # the field is required; the value says nothing
ERASED_LAST_NAME = "Anonyme"
# How an erased candidate record looks (for the retention, which skips them).
ERASED_CANDIDATE = {"last_name": ERASED_LAST_NAME, "email": "", "birth_date": ERASED_BIRTH_DATE}


class PrivacyError(DomainError):
    pass


# --- requests ----------------------------------------------------------------------


@transaction.atomic
def request_erasure(user: User) -> ErasureRequest:
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(user=user)
    except IntegrityError as error:
        raise PrivacyError(
            "already_requested", _("You have already asked for the erasure of your data: it is being handled.")
        ) from error
    audit(user, AuditAction.PRIVACY_ERASURE_REQUEST, request)
    return request


@transaction.atomic
def refuse_erasure(request: ErasureRequest, actor: User | None, reason: str) -> ErasureRequest:
    reason = reason.strip()
    if not reason:
        raise PrivacyError("reason", _("A refusal needs its reason: the candidate reads it."))
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_pending:
        raise PrivacyError("not_pending", _("This request has already been answered."))
    request.status = ErasureStatus.REFUSED
    request.handled_at = timezone.now()
    request.handled_by = actor if actor is not None and actor.is_authenticated else None
    request.answer = reason
    request.save(update_fields=["status", "handled_at", "handled_by", "answer"])
    audit(actor, AuditAction.PRIVACY_ERASURE_REFUSE, request)
    return request


def carry_out(request: ErasureRequest, actor: User | None) -> ErasureReport:
    """Erase the data of the request's account (see `erase`) and answer the request."""
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_pending:
            raise PrivacyError("not_pending", _("This request has already been answered."))
        report = erase(request.user, actor)
        request.status = ErasureStatus.DONE
        request.handled_at = timezone.now()
        request.handled_by = actor if actor is not None and actor.is_authenticated else None
        request.answer = report.summary()
        request.save(update_fields=["status", "handled_at", "handled_by", "answer"])
    return report


# --- erasure -------------------------------------------------------------------------


@dataclass
class ErasureReport:
    user_id: int | None
    candidate_id: int | None
    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # storage names deleted once committed

    def summary(self) -> str:
        return ", ".join(f"{name}: {n}" for name, n in sorted(self.counts.items()))


def blockers(user: User, now: dt.datetime | None = None) -> list[str]:
    """Why the data of this account cannot be erased yet (empty: it can)."""
    from c2i.deliberation.models import JuryMember
    from c2i.enrolment.models import Candidate

    reasons = []
    if (
        user.is_superuser
        or Membership.objects.filter(user=user).exists()
        or JuryMember.objects.filter(user=user).exists()
    ):
        reasons.append(
            _(
                "This account also holds staff roles (correspondent, tutor, reviewer, jury, administrator): "
                "remove them first."
            )
        )
    candidate = Candidate.objects.filter(user=user).first()
    if candidate is not None:
        reasons += candidate_blockers(candidate, now)
    return reasons


def candidate_blockers(candidate, now: dt.datetime | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """An enrolment under way, or results that can still be appealed."""
    from c2i.deliberation.models import Deliberation, DeliberationStatus
    from c2i.enrolment.models import EnrolmentStatus

    now = now or timezone.now()
    appeal = dt.timedelta(days=settings.C2I_RETENTION_APPEAL_DAYS)
    reasons = []
    active = candidate.enrolments.filter(status=EnrolmentStatus.ACTIVE).select_related(
        "institution_session__institution", "session"
    )
    for enrolment in active:
        deliberation = Deliberation.objects.filter(institution_session=enrolment.institution_session_id).first()
        names = {"session": enrolment.session.name, "institution": enrolment.institution_session.institution.name}
        if deliberation is None or deliberation.status != DeliberationStatus.PUBLISHED or not deliberation.published_at:
            reasons.append(
                _(
                    "The enrolment in %(session)s (%(institution)s) is under way: the data can be erased once the "
                    "jury has published its results and the appeal period has passed, or after a withdrawal."
                )
                % names
            )
        elif deliberation.published_at + appeal > now:
            reasons.append(
                _(
                    "The results of %(session)s (%(institution)s) can still be appealed: the data can be erased "
                    "from %(date)s."
                )
                % {**names, "date": date_format(timezone.localdate(deliberation.published_at + appeal), "j F Y")}
            )
    return reasons


def erase(user: User, actor: User | None) -> ErasureReport:
    """Erase or anonymise the personal data of an account and of its
    candidate record (module docstring); refused while `blockers` says so."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        reasons = blockers(user)
        if reasons:
            raise PrivacyError("erasure_blocked", " ".join(reasons))
        return _erase(user, _candidate_of(user), actor)


def erase_candidate(candidate, actor: User | None) -> ErasureReport:  # type: ignore[no-untyped-def]
    """The same for a candidate record, with its account if it has one."""
    if candidate.user_id is not None:
        return erase(candidate.user, actor)
    with transaction.atomic():
        reasons = candidate_blockers(candidate)
        if reasons:
            raise PrivacyError("erasure_blocked", " ".join(reasons))
        return _erase(None, candidate, actor)


def _candidate_of(user: User):  # type: ignore[no-untyped-def]
    from c2i.enrolment.models import Candidate

    return Candidate.objects.select_for_update().filter(user=user).first()


def _erase(user: User | None, candidate, actor: User | None) -> ErasureReport:  # type: ignore[no-untyped-def]
    report = ErasureReport(user.pk if user else None, candidate.pk if candidate else None)
    owned = owned_objects(candidate) if candidate is not None else {}
    email = user.email if user is not None else candidate.email
    if candidate is not None:
        _erase_candidate(candidate, report)
    _erase_invitations(email, candidate, report)
    _prune_audit_details(user, owned, report)
    if user is not None:
        _erase_account(user, report)
    audit(actor, AuditAction.PRIVACY_ERASE, user or candidate, candidate=report.candidate_id, **report.counts)
    files = list(report.files)
    transaction.on_commit(lambda: delete_files(files))
    return report


def _erase_candidate(candidate, report: ErasureReport) -> None:  # type: ignore[no-untyped-def]
    from c2i.assessment.models import ExtraTime
    from c2i.deliberation.models import DomainCredit
    from c2i.portfolio.models import Evidence, Positioning, StoredFile, SubmittedEvidence, SubmittedFile

    portfolios = list(candidate.portfolios.all())
    blobs = set(
        StoredFile.objects.filter(evidence_files__evidence__portfolio__in=portfolios).values_list("pk", flat=True)
    )
    blobs |= set(
        StoredFile.objects.filter(submitted_files__item__submission__portfolio__in=portfolios).values_list(
            "pk", flat=True
        )
    )
    report.counts["snapshot_files"] = SubmittedFile.objects.filter(item__submission__portfolio__in=portfolios).delete()[
        0
    ]
    snapshot_items = SubmittedEvidence.objects.filter(submission__portfolio__in=portfolios)
    report.counts["snapshot_items"] = snapshot_items.count()
    snapshot_items.delete()
    report.counts["portfolio_items"] = Evidence.objects.filter(portfolio__in=portfolios).count()
    Evidence.objects.filter(portfolio__in=portfolios).delete()  # their files, comments
    report.counts["positionings"] = Positioning.objects.filter(portfolio__in=portfolios).delete()[0]
    for portfolio in portfolios:
        if not portfolio.submissions.exists():
            portfolio.delete()
    for blob in StoredFile.objects.filter(pk__in=blobs):
        if not blob.is_referenced():
            report.files.append(blob.storage_name)
            blob.delete()
    report.counts["files"] = len(report.files)
    report.counts["extra_time"] = ExtraTime.objects.filter(enrolment__candidate=candidate).delete()[0]
    # the exam adjustments' reference may name a disability service's opinion: the note goes,
    # the adjustment itself stays with the sitting it explains (its deadline)
    report.counts["adjustment_notes"] = candidate.enrolments.exclude(adjustments_note="").update(adjustments_note="")

    old_key = candidate.identity_key
    candidate.email = ""
    candidate.last_name = ERASED_LAST_NAME
    candidate.first_names = f"n° {candidate.pk}"
    candidate.birth_date = ERASED_BIRTH_DATE
    candidate.birth_place = ""
    candidate.ine = ""
    candidate.save()  # a new identity key, copied onto the enrolments (R5)
    # R14 credits follow the identity; they keep following the anonymous record.
    DomainCredit.objects.filter(identity_key=old_key).update(identity_key=candidate.identity_key)


def _erase_invitations(email: str, candidate, report: ErasureReport) -> None:  # type: ignore[no-untyped-def]
    from c2i.enrolment.models import Invitation

    where = Q(email__iexact=email) if email else Q(pk__in=[])
    if candidate is not None:
        where |= Q(enrolment__candidate=candidate)
    report.counts["invitations"] = Invitation.objects.filter(where).delete()[0]


def _prune_audit_details(user: User | None, owned: dict[str, list[int]], report: ErasureReport) -> None:
    """The entries stay (the chain proves them); their details may name files
    or typed values, and go. The chain hashes the details through their
    digest, so it stays whole."""
    where = Q(actor=user) if user is not None else Q(pk__in=[])
    for object_type, ids in owned.items():
        where |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    report.counts["audit_details"] = (
        AuditEntry.objects.filter(where, details_pruned_at__isnull=True)
        .exclude(details={})
        .update(details={}, details_pruned_at=timezone.now())
    )


def _erase_account(user: User, report: ErasureReport) -> None:
    try:
        from django_otp import devices_for_user
    except ImportError:  # pragma: no cover - django-otp not installed
        devices_for_user = None
    if devices_for_user is not None:
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        report.counts["two_factor_devices"] = len(devices)
    _erase_institution_identities(user, report)
    user.username = f"efface-{user.pk}"
    user.email = f"efface-{user.pk}@invalid"
    user.first_name = ""
    user.last_name = ""
    user.phone = ""
    user.is_active = False
    user.last_login = None
    user.set_unusable_password()
    user.save()  # ends every session of the account


def _erase_institution_identities(user: User, report: ErasureReport) -> None:
    """The identities institutions vouched for (their INE, student number)
    go; the refused sign-ins made with them keep their reason and how they
    were settled, not the attributes received."""
    from c2i.sso.models import ExternalIdentity, SignInConflict

    identities = list(ExternalIdentity.objects.filter(user=user).values_list("provider_id", "subject"))
    conflicts = 0
    for provider_id, subject in identities:
        conflicts += SignInConflict.objects.filter(provider_id=provider_id, subject=subject).update(
            subject=f"efface-{user.pk}", attributes={}
        )
    report.counts["institution_identities"] = ExternalIdentity.objects.filter(user=user).delete()[0]
    report.counts["institution_sign_in_conflicts"] = conflicts


def delete_files(names: list[str]) -> None:
    """Once the erasure is committed: its files, from the disk or the bucket.
    A file the store refuses to delete is logged (its name, no personal data)
    and the others are still deleted."""
    from django.core.files.storage import storages

    for name in names:
        try:
            storages["default"].delete(name)
        except Exception:  # any backend's failure: the next files still go
            logging.getLogger(__name__).exception("erased file %s could not be deleted from the storage", name)
