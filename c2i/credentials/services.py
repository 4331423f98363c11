"""Issuing, rectifying, revoking and verifying certificates and attestations
(RULES.md R15).

The deliberation calls two functions (directly, after its transaction commits):
`enqueue_session_documents()` on publication and `reissue_document()` after a
rectification. What the deliberation decided is read in one place only,
`document_data()`.

Issuing renders the PDF first, outside any transaction (it is the slow part,
about 50 ms), writes it once under a random name, then records the row in a
short transaction; the partial unique constraint "one valid document per
enrolment" makes two workers racing on one enrolment harmless (the loser
deletes its file and keeps the winner's document). The file's name is
reserved (`PendingFile`) before it is written and released by the recording
transaction: a process killed in between leaves a name that the lease sweep
uses to delete the file.

A batch's part runs its enrolments in id order and moves its cursor with each
one (in the issuing transaction when a document is issued): a part run again
after its worker died resumes where the dead one stopped and counts each
enrolment once (`leases.py`, `BatchPart`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.credentials import badges, keys, leases
from c2i.credentials import status as bitstring
from c2i.credentials.document import ATTESTATION, CERTIFICATE, DocumentData, DomainLine
from c2i.credentials.models import (
    BatchPart,
    BatchState,
    DocumentBatch,
    DocumentStatus,
    IssuedDocument,
    SigningKeyRecord,
    StatusList,
)
from c2i.credentials.pdf import render_pdf
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession
from c2i.lib import codes
from c2i.lib.errors import DomainError

log = logging.getLogger(__name__)

CHUNK = 50  # enrolments loaded, and progress written, per round of a batch task


class CredentialError(DomainError):
    pass


# --- what the jury decided (the one coupling point with the deliberation) ----


def _framework_domains(framework: Any, memo: dict[str, Any]) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    key = f"framework:{framework.pk}"
    if key not in memo:
        memo[key] = [
            (
                d.code,
                d.title,
                tuple(
                    (c.code, c.title)
                    for c in sorted(d.competencies.all(), key=lambda c: (c.position, c.code))
                    if not c.retired
                ),
            )
            for d in framework.domains.order_by("position", "code").prefetch_related("competencies")
        ]
    return memo[key]


def gets_document(status: str, validated_domains: list[str] | tuple[str, ...]) -> bool:
    """R15 as the platform reads it (docs/rules.md): a certified candidate gets
    the certificate (even when, in C2i2e, no domain is whole); a candidate
    not certified gets an attestation only when it lists at least one
    validated domain, carried-over ones included. Otherwise: the result, and
    no verifiable document (an attestation of nothing attests nothing)."""
    from c2i.deliberation.models import OutcomeStatus

    return status == OutcomeStatus.CERTIFIED or bool(validated_domains)


def _closing_date(deliberation: Any, institution_session: InstitutionSession) -> dt.date:
    """The jury's date a document carries: the local day the deliberation was
    closed (the planned `jury_date` only for a deliberation recorded without
    its closing moment)."""
    moment = deliberation.closed_at or deliberation.published_at
    return timezone.localdate(moment) if moment is not None else institution_session.jury_date


def _final_outcome(enrolment: Enrolment, memo: dict[str, Any]) -> tuple[Any, dt.date] | None:
    """The enrolment's final outcome (certified or not, not deferred) and the
    date of the jury's closing, once the deliberation is closed; else None."""
    from c2i.deliberation.models import CandidateOutcome, Deliberation, DeliberationStatus, OutcomeStatus

    outcome = CandidateOutcome.objects.filter(enrolment_id=enrolment.pk).first()
    if (
        outcome is None
        or outcome.deferred
        or outcome.status not in (OutcomeStatus.CERTIFIED, OutcomeStatus.NOT_CERTIFIED)
    ):
        return None
    institution_session = enrolment.institution_session
    deliberation_key = f"deliberation:{institution_session.pk}"
    if deliberation_key not in memo:
        deliberation = Deliberation.objects.filter(
            institution_session_id=institution_session.pk,
            status__in=[DeliberationStatus.CLOSED, DeliberationStatus.PUBLISHED],
        ).first()
        memo[deliberation_key] = None if deliberation is None else _closing_date(deliberation, institution_session)
    if memo[deliberation_key] is None:
        return None
    return outcome, memo[deliberation_key]


def document_data(enrolment: Enrolment, memo: dict[str, Any] | None = None) -> DocumentData | None:
    """What the document of `enrolment` says, from its final outcome; None when
    there is none (deliberation not closed, candidate undecided or deferred)
    or when the outcome gets no document (`gets_document`: no validated
    domain). The verification code and URL are left empty: issuing fills
    them in. `memo` shares the framework's domains across the documents of a
    batch."""
    from c2i.deliberation.models import OutcomeStatus
    from c2i.deliberation.services.outcomes import carried_over_many

    memo = {} if memo is None else memo
    final = _final_outcome(enrolment, memo)
    if final is None:
        return None
    outcome, jury_date = final
    if not gets_document(outcome.status, outcome.validated_domains):
        return None
    institution_session = enrolment.institution_session
    session = institution_session.session
    framework = session.framework
    domains = _framework_domains(framework, memo)
    validated = set(outcome.validated_domains)
    carried: dict[str, str] = {}
    if outcome.carried_over:
        carried = carried_over_many(framework.pk, [(enrolment.pk, enrolment.identity_key)]).get(enrolment.pk, {})
    lines = tuple(
        DomainLine(code, title, competencies, carried.get(code, "") if code in outcome.carried_over else "")
        for code, title, competencies in domains
        if code in validated
    )
    institution = institution_session.institution
    return DocumentData(
        kind=CERTIFICATE if outcome.status == OutcomeStatus.CERTIFIED else ATTESTATION,
        holder_name=enrolment.candidate.full_name,
        holder_birth_date=enrolment.candidate.birth_date,
        framework_code=framework.code,
        framework_title=framework.title,
        institution_name=institution.name,
        institution_town=institution.town,
        session_name=session.name,
        jury_date=jury_date,
        issued_on=timezone.localdate(),
        validated_domains=lines,
        all_domains_count=len(domains),
        verification_code="",
        verification_url="",
    )


def without_document(enrolment: Enrolment, memo: dict[str, Any] | None = None) -> bool:
    """True when the enrolment's final outcome gets its result and no document."""
    final = _final_outcome(enrolment, {} if memo is None else memo)
    return final is not None and not gets_document(final[0].status, final[0].validated_domains)


def outcome_key(data: DocumentData) -> str:
    """What makes two documents of one enrolment say the same thing."""
    domains = ",".join(d.code + ("*" if d.carried_over_from else "") for d in data.validated_domains)
    digest = hashlib.sha256(f"{data.holder_name}|{data.framework_code}|{data.jury_date}".encode()).hexdigest()[:16]
    return f"{data.kind}:{domains}:{digest}"


def _snapshot(data: DocumentData) -> list[dict[str, Any]]:
    return [
        {
            "code": d.code,
            "title": d.title,
            "competencies": [list(c) for c in d.competencies],
            "carried_over_from": d.carried_over_from,
        }
        for d in data.validated_domains
    ]


def stored_data(document: IssuedDocument) -> DocumentData:
    """The `DocumentData` of an issued document, rebuilt from its snapshot."""
    return DocumentData(
        kind=document.kind,
        holder_name=document.holder_name,
        holder_birth_date=document.enrolment.candidate.birth_date,
        framework_code=document.framework_code,
        framework_title=document.framework_title,
        institution_name=document.institution_name,
        institution_town=document.institution_town,
        session_name=document.session_name,
        jury_date=document.jury_date,
        issued_on=timezone.localdate(document.issued_at),
        validated_domains=tuple(
            DomainLine(d["code"], d["title"], tuple(tuple(c) for c in d["competencies"]), d["carried_over_from"])  # type: ignore[misc]
            for d in document.validated_domains
        ),
        all_domains_count=document.all_domains_count,
        verification_code=document.code,
        verification_url=verification_url(document.code),
        replaces_code=document.replaces.code if hasattr(document, "replaces") else "",
    )


def verification_url(code: str) -> str:
    return f"{settings.SITE_URL}/verifier/{code}"


# --- issuing -----------------------------------------------------------------


def _unused_code() -> str:
    while True:
        code = codes.new_code()
        if not IssuedDocument.objects.filter(code=code).exists():
            return code


def _issue(
    enrolment: Enrolment,
    data: DocumentData,
    actor: User | None,
    replaces: IssuedDocument | None = None,
    reason: str = "",
    in_transaction: Callable[[], None] | None = None,
) -> IssuedDocument | None:
    """Render, store and record one document; None when another process
    recorded a valid document for this enrolment meanwhile. `in_transaction`
    runs in the recording transaction (a batch moves its cursor there)."""
    code = _unused_code()
    data = dataclasses.replace(
        data,
        verification_code=code,
        verification_url=verification_url(code),
        replaces_code=replaces.code if replaces else "",
    )
    content = ContentFile(render_pdf(data))
    name = f"documents/{secrets.token_hex(16)}.pdf"
    leases.reserve_file(name)
    saved = default_storage.save(name, content)
    if saved != name:  # a storage that renamed it
        leases.file_recorded(name)
        leases.reserve_file(saved)
        name = saved
    try:
        with transaction.atomic():
            leases.file_recorded(name)
            if in_transaction is not None:
                in_transaction()
            if replaces is not None:
                old = IssuedDocument.objects.select_for_update().get(pk=replaces.pk)
                if old.status != DocumentStatus.VALID:
                    raise IntegrityError("the document to replace is no longer valid")
                old.status = DocumentStatus.REPLACED
                old.save(update_fields=["status"])
            document = IssuedDocument.objects.create(
                enrolment=enrolment,
                kind=data.kind,
                code=code,
                holder_name=data.holder_name,
                framework_code=data.framework_code,
                framework_title=data.framework_title,
                institution_name=data.institution_name,
                institution_town=data.institution_town,
                session_name=data.session_name,
                jury_date=data.jury_date,
                validated_domains=_snapshot(data),
                all_domains_count=data.all_domains_count,
                outcome_key=outcome_key(data),
                pdf=name,
                reason=reason,
                issued_at=timezone.now(),
                issued_by=actor if actor is not None and actor.is_authenticated else None,
            )
            document.status_index = document.pk  # a database sequence: no two documents share a status bit
            document.credential = _signed_text(document, data)
            document.save(update_fields=["status_index", "credential"])
            if replaces is not None:
                old.replaced_by = document
                old.save(update_fields=["replaced_by"])
                audit(actor, AuditAction.DOCUMENTS_REPLACE, old, replaced_by=document.code, reason=reason)
                publish_status_of(old, actor)
            audit(actor, AuditAction.DOCUMENTS_ISSUE, document, code=code, kind=data.kind, replaces=data.replaces_code)
    except IntegrityError:
        leases.file_abandoned(name)
        return None
    return document


def _valid_document(enrolment: Enrolment) -> IssuedDocument | None:
    return IssuedDocument.objects.filter(enrolment_id=enrolment.pk, status=DocumentStatus.VALID).first()


ISSUED, REISSUED, SKIPPED, NONE = "issued", "reissued", "skipped", "none"
WITHOUT_DOCUMENT = "without_document"  # a final result that gets no document (`gets_document`)


def produce_document(
    enrolment: Enrolment,
    actor: User | None,
    *,
    reason: str = "",
    memo: dict[str, Any] | None = None,
    notify: bool = True,
    in_transaction: Callable[[], None] | None = None,
) -> tuple[str, IssuedDocument | None]:
    """Idempotent: the enrolment's valid document when it says what the outcome
    says (SKIPPED); otherwise a new one (ISSUED), replacing the previous one if
    any (REISSUED); NONE when there is no final outcome; WITHOUT_DOCUMENT when
    the final outcome gets no document (no validated domain): a document the
    enrolment still holds from an earlier outcome is then revoked, with the
    reason. `in_transaction` runs in the transaction that records a new
    document, and only then."""
    data = document_data(enrolment, memo)
    if data is None:
        if not without_document(enrolment, memo):
            return NONE, None
        current = _valid_document(enrolment)
        if current is not None:
            revoke_document(current, actor, reason or _("The jury's outcome no longer validates any domain."))
        return WITHOUT_DOCUMENT, None
    current = _valid_document(enrolment)
    if current is not None and current.outcome_key == outcome_key(data):
        return SKIPPED, current
    if current is not None and not reason:
        reason = _("The jury's outcome changed.")
    document = _issue(enrolment, data, actor, replaces=current, reason=reason, in_transaction=in_transaction)
    if document is None:  # another worker was faster
        return SKIPPED, _valid_document(enrolment)
    if notify:
        notify_holder(document, connection=(memo or {}).get("connection"))
    return (REISSUED if current is not None else ISSUED), document


def reissue_document(enrolment: Enrolment, actor: User | None, reason: str) -> IssuedDocument | None:
    """After a rectification of a published deliberation: a new document that
    replaces the current one when the outcome changed (the current one is kept,
    with status "replaced"). Returns the enrolment's valid document."""
    _action, document = produce_document(enrolment, actor, reason=reason)
    return document


@transaction.atomic
def revoke_document(document: IssuedDocument, actor: User | None, reason: str) -> IssuedDocument:
    reason = reason.strip()
    if not reason:
        raise CredentialError("reason", _("A revocation needs its reason."))
    document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if document.status != DocumentStatus.VALID:
        raise CredentialError("not_valid", _("Only a valid document can be revoked."))
    document.status = DocumentStatus.REVOKED
    document.revoked_at = timezone.now()
    document.revoked_reason = reason
    document.save(update_fields=["status", "revoked_at", "revoked_reason"])
    audit(actor, AuditAction.DOCUMENTS_REVOKE, document, code=document.code, reason=reason)
    publish_status_of(document, actor)
    return document


def notify_holder(document: IssuedDocument, connection: Any = None) -> None:
    """The e-mail notice to the holder (in French), with the verification link."""
    candidate = document.enrolment.candidate
    if not candidate.email:
        return
    with translation.override("fr"):
        kind = _("certificate") if document.is_certificate else _("attestation of validated domains")
        subject = _("C2i: your %(kind)s is available") % {"kind": kind}
        body = _(
            "Hello %(name)s,\n\n"
            "The jury of the session %(session)s (%(institution)s) has published its results. "
            "Your %(kind)s (%(framework)s) is available in your space: %(space)s\n\n"
            "Its verification code is %(code)s. Anyone you show it to can check it at:\n%(url)s\n\n"
            "The C2i platform"
        ) % {
            "name": document.holder_name,
            "session": document.session_name,
            "institution": document.institution_name,
            "kind": kind,
            "framework": document.framework_code,
            "space": f"{settings.SITE_URL}{reverse('credentials:mine')}",
            "code": document.code,
            "url": verification_url(document.code),
        }
    try:
        mail.EmailMessage(subject, body, to=[candidate.email], connection=connection).send()
    except Exception:  # the document is issued; a lost notice must not undo it
        log.exception("notice for document %s not sent", document.code)


# --- a session's batch ---------------------------------------------------------


def _final_outcomes(institution_session: InstitutionSession) -> QuerySet[Any]:
    from c2i.deliberation.models import CandidateOutcome, OutcomeStatus

    return CandidateOutcome.objects.filter(
        institution_session=institution_session,
        enrolment__status=EnrolmentStatus.ACTIVE,
        deferred=False,
        status__in=[OutcomeStatus.CERTIFIED, OutcomeStatus.NOT_CERTIFIED],
    )


def _final_rows(institution_session: InstitutionSession) -> list[tuple[int, str, list[str]]]:
    return list(
        _final_outcomes(institution_session)
        .order_by("enrolment_id")
        .values_list("enrolment_id", "status", "validated_domains")
    )


def final_enrolment_ids(institution_session: InstitutionSession) -> list[int]:
    """The enrolments that get a document (a final outcome that `gets_document`)."""
    return [pk for pk, status, domains in _final_rows(institution_session) if gets_document(status, domains)]


def issuance_counts(institution_session: InstitutionSession) -> dict[str, int]:
    """What publishing the session's closed deliberation would issue:
    certificates, attestations, results without document (no validated
    domain) and deferred candidates (nothing issued)."""
    from c2i.deliberation.models import CandidateOutcome, OutcomeStatus

    counts = {"certificates": 0, "attestations": 0, "without_document": 0, "deferred": 0}
    for _pk, status, domains in _final_rows(institution_session):
        if status == OutcomeStatus.CERTIFIED:
            counts["certificates"] += 1
        elif gets_document(status, domains):
            counts["attestations"] += 1
        else:
            counts["without_document"] += 1
    counts["deferred"] = CandidateOutcome.objects.filter(
        institution_session=institution_session, deferred=True, enrolment__status=EnrolmentStatus.ACTIVE
    ).count()
    return counts


def without_document_count(institution_session: InstitutionSession) -> int:
    return sum(not gets_document(status, domains) for _pk, status, domains in _final_rows(institution_session))


def is_published(institution_session: InstitutionSession) -> bool:
    """Whether the session's deliberation is published (documents exist only then, R15)."""
    from c2i.deliberation.models import Deliberation, DeliberationStatus

    return Deliberation.objects.filter(
        institution_session=institution_session, status=DeliberationStatus.PUBLISHED
    ).exists()


def enqueue_session_documents(institution_session: InstitutionSession, actor: User | None) -> DocumentBatch:
    """Hand the session's documents to the background worker(s): one batch
    record, split into C2I_DOCUMENT_TASKS tasks run in parallel. Refused
    until the deliberation is published."""
    if not is_published(institution_session):
        raise CredentialError("not_published", _("Documents are produced once the deliberation is published."))
    total = len(final_enrolment_ids(institution_session))
    parts = max(1, min(settings.C2I_DOCUMENT_TASKS, total))
    batch = DocumentBatch.objects.create(
        institution_session=institution_session,
        requested_by=actor if actor is not None and actor.is_authenticated else None,
        total=total,
        parts=parts,
    )
    BatchPart.objects.bulk_create([BatchPart(batch=batch, part=part) for part in range(parts)])
    audit(actor, AuditAction.DOCUMENTS_BATCH, batch, total=total, parts=parts)
    transaction.on_commit(lambda: _enqueue_parts(batch.pk, range(parts)))
    return batch


def _enqueue_parts(batch_id: int, parts: range | list[int], delay: float = 0) -> None:
    from c2i.credentials.tasks import produce_documents_task

    task = produce_documents_task
    if delay:
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
    for part in parts:
        task.enqueue(batch_id, part)


def _advance(row_id: int, after: int, enrolment_id: int, counter: str) -> bool:
    """Move the part's cursor from `after` to `enrolment_id` and count it, in
    one statement; False when another run of the part already did."""
    return bool(
        BatchPart.objects.filter(pk=row_id, cursor=after).update(
            cursor=enrolment_id, progress_at=timezone.now(), **{counter: F(counter) + 1}
        )
    )


def _produce_in_batch(row: BatchPart, after: int, enrolment: Enrolment, actor: User | None, memo: dict) -> bool:
    """One enrolment of a part; True when a document was issued."""

    def count_issue() -> None:
        _advance(row.pk, after, enrolment.pk, "done")

    try:
        # the publication's outcome e-mail (c2i/notifications) announces this document: no second notice
        action, _document = produce_document(enrolment, actor, memo=memo, notify=False, in_transaction=count_issue)
    except Exception:
        log.exception("document of enrolment %s not produced", enrolment.pk)
        _advance(row.pk, after, enrolment.pk, "failed")
        return False
    if action in (ISSUED, REISSUED):
        return True  # counted by count_issue, with the document
    _advance(row.pk, after, enrolment.pk, "skipped")
    return False


def _start_part(batch: DocumentBatch, part: int) -> BatchPart:
    now = timezone.now()
    row, _created = BatchPart.objects.get_or_create(batch=batch, part=part)
    if row.finished_at is not None:  # a late duplicate of a finished part
        return row
    BatchPart.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, progress_at=now)
    BatchPart.objects.filter(pk=row.pk, started_at__isnull=True).update(started_at=now)
    DocumentBatch.objects.filter(pk=batch.pk, state=BatchState.QUEUED).update(state=BatchState.RUNNING, started_at=now)
    row.refresh_from_db()
    return row


def _finish_part(batch_id: int, row_id: int) -> None:
    """Add the part's counts to its batch, once; the last part ends the batch."""
    now = timezone.now()
    with transaction.atomic():
        if not BatchPart.objects.filter(pk=row_id, finished_at__isnull=True).update(finished_at=now):
            return  # another run of this part finished it
        row = BatchPart.objects.get(pk=row_id)
        DocumentBatch.objects.filter(pk=batch_id).update(
            done=F("done") + row.done,
            skipped=F("skipped") + row.skipped,
            failed=F("failed") + row.failed,
            parts_done=F("parts_done") + 1,
        )
        DocumentBatch.objects.filter(pk=batch_id, parts_done__gte=F("parts"), state=BatchState.RUNNING).update(
            state=BatchState.DONE, finished_at=now
        )


def _fail_batch(batch_id: int, error: str) -> None:
    DocumentBatch.objects.filter(pk=batch_id).exclude(state=BatchState.DONE).update(
        state=BatchState.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def give_up_batch_part(batch_id: int, part: int) -> None:
    """The lease sweep gave up the part's task: its workers kept dying."""
    _fail_batch(
        batch_id,
        f"part {part + 1}: its background worker stopped {settings.C2I_TASK_MAX_ATTEMPTS} times; "
        "production given up (produce again to retry)",
    )


def run_batch_part(batch_id: int, part: int) -> int:
    """One task's share of a batch: the enrolments whose rank modulo `parts`
    is `part`, in id order, from the part's cursor on (a run after a dead
    worker resumes there). Returns the number of documents issued or re-issued.

    A worker being stopped (SystemExit, KeyboardInterrupt: a second signal)
    hands the part back to the queue at once; another error queues it again
    one lease later, up to C2I_TASK_MAX_ATTEMPTS runs, then fails the batch.
    A worker killed outright is the lease sweep's business."""
    batch = DocumentBatch.objects.select_related("institution_session", "requested_by").get(pk=batch_id)
    row = _start_part(batch, part)
    if row.finished_at is not None:
        return 0
    ids = [i for i in final_enrolment_ids(batch.institution_session)[part :: batch.parts] if i > row.cursor]
    after = row.cursor
    memo: dict[str, Any] = {}
    produced = 0
    try:
        with mail.get_connection() as connection:
            memo["connection"] = connection
            for start in range(0, len(ids), CHUNK):
                enrolments = (
                    Enrolment.objects.filter(pk__in=ids[start : start + CHUNK])
                    .select_related(
                        "candidate", "institution_session__session__framework", "institution_session__institution"
                    )
                    .order_by("pk")
                )
                for enrolment in enrolments:
                    produced += _produce_in_batch(row, after, enrolment, batch.requested_by, memo)
                    after = enrolment.pk
    except (SystemExit, KeyboardInterrupt):
        _enqueue_parts(batch_id, [part])
        raise
    except Exception as error:
        try:
            if row.attempts < settings.C2I_TASK_MAX_ATTEMPTS:
                DocumentBatch.objects.filter(pk=batch_id).update(error=str(error)[:2000])
                _enqueue_parts(batch_id, [part], delay=leases.lease_seconds())
            else:
                _fail_batch(batch_id, str(error))
        except DatabaseError:  # the database itself is gone: the lease sweep takes over
            log.exception("batch %s, part %s: interruption not recorded", batch_id, part)
        raise
    _finish_part(batch_id, row.pk)
    return produced


@dataclass(frozen=True)
class BatchProgress:
    """What the batch page says, from the parts and the documents themselves."""

    batch: DocumentBatch
    state: str  # queued, running, resuming, stalled, done, failed
    expected: int
    ready: int  # final enrolments that have a valid document now
    done: int
    skipped: int
    failed: int
    without_document: int  # final results that get no document (counted apart, never a failure)
    attempts: int  # the most runs of one part
    since: dt.datetime | None  # stalled: last progress; queued: requested at
    waiting_long: bool

    @property
    def processed(self) -> int:
        return self.done + self.skipped + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.expected else min(100, round(100 * self.processed / self.expected))

    @property
    def resumed(self) -> bool:
        return self.attempts > 1

    @property
    def active(self) -> bool:
        return self.state not in ("done", "failed")


def _parts_waiting(batch: DocumentBatch) -> set[int]:
    """Parts of the batch whose task waits in the queue."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        status=leases.READY, task_path="c2i.credentials.tasks.produce_documents_task"
    ).values_list("args_kwargs", flat=True)
    return {args["args"][1] for args in waiting if args.get("args", [None])[0] == batch.pk}


def batch_progress(batch: DocumentBatch) -> BatchProgress:
    parts = list(batch.part_rows.all())
    counts = [sum(getattr(p, name) for p in parts) for name in ("done", "skipped", "failed")]
    if not parts:  # a batch from before the parts existed
        counts = [batch.done, batch.skipped, batch.failed]
    ready = IssuedDocument.objects.filter(
        status=DocumentStatus.VALID, enrolment_id__in=_final_outcomes(batch.institution_session).values("enrolment_id")
    ).count()
    now = timezone.now()
    lease = dt.timedelta(seconds=leases.lease_seconds())
    started = [p for p in parts if p.attempts and not p.finished_at]
    moments = [p.progress_at or p.started_at for p in started]
    oldest = min((m for m in moments if m), default=batch.started_at or batch.created_at)
    since: dt.datetime | None = None
    if batch.state in (BatchState.DONE, BatchState.FAILED):
        state = str(batch.state)
    elif started and {p.part for p in started} & _parts_waiting(batch):
        state = "resuming"  # a part interrupted, queued again
    elif batch.state == BatchState.QUEUED:
        state, since = "queued", batch.created_at
    elif now - oldest > lease:
        state, since = "stalled", oldest
    else:
        state = "running"
    return BatchProgress(
        batch=batch,
        state=state,
        expected=batch.total,
        ready=ready,
        done=counts[0],
        skipped=counts[1],
        failed=counts[2],
        without_document=without_document_count(batch.institution_session),
        attempts=max((p.attempts for p in parts), default=0),
        since=since,
        waiting_long=state == "queued" and now - batch.created_at > lease,
    )


# --- verification --------------------------------------------------------------

VALID, REVOKED, REPLACED = DocumentStatus.VALID.value, DocumentStatus.REVOKED.value, DocumentStatus.REPLACED.value
UNKNOWN, MISTYPED, MALFORMED = "unknown", codes.MISTYPED, codes.MALFORMED


@dataclass(frozen=True)
class Lookup:
    status: str  # VALID, REVOKED, REPLACED, UNKNOWN, MISTYPED or MALFORMED
    code: str
    message: str
    document: IssuedDocument | None = None
    replacing_code: str = ""

    @property
    def found(self) -> bool:
        return self.document is not None


def lookup(text: str) -> Lookup:
    """The public answer for a typed code (normalised: separators, case, look-alikes)."""
    checked = codes.check(text)
    if checked.status == codes.MISTYPED:
        return Lookup(MISTYPED, checked.code, _("This code contains a typing error: check each character."))
    if checked.status != codes.VALID_FORMAT:
        return Lookup(
            MALFORMED,
            checked.code,
            _("A verification code has 15 letters and digits, for example 7KQ2H-XD94M-RC0W7."),
        )
    document = IssuedDocument.objects.select_related("replaced_by").filter(code=checked.code).first()
    if document is None:
        # The same answer for every unknown code: nothing to learn by trying.
        return Lookup(UNKNOWN, "", _("No document matches this code."))
    if document.status == DocumentStatus.REPLACED:
        replacing = document.replaced_by.code if document.replaced_by else ""
        return Lookup(
            REPLACED,
            document.code,
            _("This document was replaced by a rectification: see the document with code %(code)s.")
            % {"code": replacing},
            document,
            replacing,
        )
    if document.status == DocumentStatus.REVOKED:
        return Lookup(REVOKED, document.code, _("This document was revoked: it is no longer valid."), document)
    return Lookup(VALID, document.code, _("This document is authentic and valid."), document)


def public_fields(result: Lookup) -> dict[str, Any]:
    """Everything the public may know of a document, nothing more (no birth
    date, no e-mail, no jury reasons)."""
    answer: dict[str, Any] = {"status": result.status, "message": str(result.message)}
    document = result.document
    if document is None:
        return answer
    answer.update(
        code=document.code,
        kind=document.kind,
        holder_name=document.holder_name,
        framework=document.framework_code,
        framework_title=document.framework_title,
        institution=document.institution_name,
        session=document.session_name,
        jury_date=document.jury_date.isoformat(),
        issued_on=timezone.localdate(document.issued_at).isoformat(),
        validated_domains=[{"code": d["code"], "title": d["title"]} for d in document.validated_domains],
        replaced_by=result.replacing_code or None,
    )
    return answer


# --- the signing keys ----------------------------------------------------------


def key_store() -> keys.KeyStore:
    """The store the settings choose: the operator's secret when one is set
    (C2I_SIGNING_KEYS_FILE, a file mounted on every node, or C2I_SIGNING_KEYS,
    the same document in the environment), the only source then; else the
    folder C2I_KEYS_DIR of one machine."""
    path = str(settings.C2I_SIGNING_KEYS_FILE or "")
    text = str(settings.C2I_SIGNING_KEYS or "")
    if path and text:
        raise keys.KeyStoreError(
            "C2I_SIGNING_KEYS_FILE et C2I_SIGNING_KEYS sont définis tous deux : gardez-en un seul."
        )
    if path:
        return keys.SecretStore(path=path)
    if text:
        return keys.SecretStore(text=text)
    return keys.DirectoryStore(settings.C2I_KEYS_DIR)


def _key_record(key_id: str, public_key: Any, store: str, now: dt.datetime) -> SigningKeyRecord:
    record, _created = SigningKeyRecord.objects.get_or_create(
        key_id=key_id, defaults={"public_key": keys.multikey(public_key), "store": store, "created_at": now}
    )
    return record


def signing_key() -> keys.SigningKey:
    """The key that signs now. A folder makes its first key on first use
    (recorded and audited); a secret never makes one (`KeyStoreError` when it
    is missing or invalid: the operator deploys it)."""
    store = key_store()
    key, created = store.signing_key()
    if created:
        record = _key_record(key.key_id, key.public_key, store.kind, timezone.now())
        audit(None, AuditAction.SIGNING_KEY_CREATE, record, key_id=key.key_id, store=store.kind)
        log.warning("signing key %s created in %s", key.key_id, store.describe())
    return key


Deliver = Callable[[keys.Secret], None]


def _secret_store() -> keys.SecretStore | None:
    store = key_store()
    return store if isinstance(store, keys.SecretStore) else None


def rotate_signing_key(
    actor: User | None, deliver: Deliver | None = None
) -> tuple[keys.SigningKey, keys.Secret | None]:
    """A new current key, audited; the old public keys stay. In the folder:
    done. With a secret: the next secret document, handed to `deliver` (which
    writes it for the operator to deploy on every node) and returned; nothing
    changes until it is deployed. Returns (the new key, the document or None)."""
    secret_store, now = _secret_store(), timezone.now()
    previous: str | None
    try:
        if secret_store is not None:
            if deliver is None:
                raise CredentialError("key", _("With a secret key store, say where to write the new secret."))
            old = secret_store.secret()
            secret: keys.Secret | None = keys.rotated_secret(old, now)
            assert secret is not None
            key, previous, kind = secret.current, old.current_id, keys.SECRET
        else:
            store = keys.DirectoryStore(settings.C2I_KEYS_DIR)
            previous = store.signing_key()[0].key_id if store.public_keys() else None
            key, secret, kind = store.rotate(), None, keys.DIRECTORY
    except keys.KeyStoreError as error:
        raise CredentialError("key", str(error)) from None
    with transaction.atomic():
        if secret is not None and deliver is not None:
            deliver(secret)
        SigningKeyRecord.objects.filter(key_id=previous, rotated_at__isnull=True).update(rotated_at=now)
        record = _key_record(key.key_id, key.public_key, kind, now)
        audit(actor, AuditAction.SIGNING_KEY_ROTATE, record, key_id=key.key_id, store=kind, previous=previous)
    return key, secret


def withdrawal_secret(key_id: str, actor: User | None, deliver: Deliver) -> keys.Secret:
    """With a secret store: the next secret document, `key_id` withdrawn (its
    private key dropped), handed to `deliver` and audited. Once it is deployed
    on every node, `withdraw_key` signs again what the key had signed."""
    secret_store = _secret_store()
    if secret_store is None:
        raise CredentialError("key", _("The signing keys are in a folder: withdraw the key directly."))
    try:
        secret = keys.withdrawn_secret(secret_store.secret(), key_id, timezone.now())
    except keys.KeyStoreError as error:
        raise CredentialError("key", str(error)) from None
    with transaction.atomic():
        deliver(secret)
        entry = secret.entry(key_id)
        assert entry is not None
        record = _key_record(key_id, entry.public_key, keys.SECRET, timezone.now())
        audit(actor, AuditAction.SIGNING_KEY_WITHDRAW, record, key_id=key_id, store=keys.SECRET, step="secret_written")
    return secret


def export_signing_keys(actor: User | None, deliver: Deliver, new: bool = False) -> keys.Secret:
    """The secret document every node will read: the keys of the folder
    C2I_KEYS_DIR (the move from one machine to several), or with `new` a first
    key made for a new platform (recorded and audited)."""
    now = timezone.now()
    try:
        secret = keys.new_secret(now) if new else keys.secret_from_directory(settings.C2I_KEYS_DIR)
    except keys.KeyStoreError as error:
        raise CredentialError("key", str(error)) from None
    with transaction.atomic():
        deliver(secret)
        if new:
            key = secret.current
            record = _key_record(key.key_id, key.public_key, keys.SECRET, now)
            audit(actor, AuditAction.SIGNING_KEY_CREATE, record, key_id=key.key_id, store=keys.SECRET)
    return secret


# --- Open Badges 3.0 -----------------------------------------------------------


def issuer_id() -> str:
    """The issuer's profile, which is the keys' controller document too."""
    return keys.controller_url(settings.SITE_URL)


ISSUER_NAME = "Plateforme C2i"


def issuer_profile() -> dict[str, Any]:
    """The issuer's Open Badges profile, which is also the controller document
    of the signing keys (W3C Controlled Identifiers v1.0): every key, current
    and rotated out, as a Multikey whose `controller` is this document, listed
    in `assertionMethod` (keys.verification_methods)."""
    store = key_store()
    return {
        "@context": [badges.VC_V2_CONTEXT, badges.OB_V3_CONTEXT, keys.CID_CONTEXT],
        "id": issuer_id(),
        "type": ["Profile"],
        "name": ISSUER_NAME,
        "url": settings.SITE_URL,
        **keys.verification_methods(settings.SITE_URL, store.public_keys(), store.withdrawn()),
    }


def _signed_text(document: IssuedDocument, data: DocumentData) -> str:
    """The document's OpenBadgeCredential, signed with the current key (made on
    first use), as the exact text every download returns."""
    key = signing_key()
    credential = badges.build_credential(
        data,
        issuer_id=issuer_id(),
        issuer_name=ISSUER_NAME,
        credential_id=verification_url(document.code),
        achievement_id=f"{settings.SITE_URL}/referentiels/{document.framework_code}/",
        valid_from=document.issued_at,
        credential_status=bitstring.entry(settings.SITE_URL, document.status_index)
        if document.status_index is not None
        else None,
    )
    signed = badges.sign(credential, key.private_key, key.verification_method(settings.SITE_URL), timezone.now())
    return json.dumps(signed, ensure_ascii=False, indent=2)


def credential_bytes(document: IssuedDocument) -> bytes:
    """The signed credential, the same bytes at every download. Signed when the
    document was issued; a document issued before that was stored is signed on
    its first download (two racing downloads store one of their signatures and
    both return it)."""
    if not document.credential:
        if document.status_index is None:
            IssuedDocument.objects.filter(pk=document.pk, status_index__isnull=True).update(status_index=document.pk)
            document.status_index = document.pk
        text = _signed_text(document, stored_data(document))
        IssuedDocument.objects.filter(pk=document.pk, credential="").update(credential=text)
        document.credential = IssuedDocument.objects.values_list("credential", flat=True).get(pk=document.pk)
    return document.credential.encode("utf-8")


def signed_credential(document: IssuedDocument) -> dict[str, Any]:
    """The document's signed OpenBadgeCredential (`credential_bytes`, parsed)."""
    result: dict[str, Any] = json.loads(credential_bytes(document))
    return result


# --- the Bitstring Status List -------------------------------------------------


def _status_range(number: int) -> tuple[int, int]:
    return number * bitstring.LIST_SIZE, (number + 1) * bitstring.LIST_SIZE


def publish_status_list(number: int, actor: User | None) -> StatusList:
    """Regenerate and sign again status list `number` from the documents'
    statuses (a bit set for each revoked or replaced document), audited.
    Callers run it in the transaction that changes a status: the list's row
    is locked, so two revocations at once publish one after the other and
    the second list includes the first."""
    with transaction.atomic():
        StatusList.objects.get_or_create(number=number)
        row = StatusList.objects.select_for_update().get(number=number)
        low, high = _status_range(number)
        revoked = list(
            IssuedDocument.objects.filter(status_index__gte=low, status_index__lt=high)
            .exclude(status=DocumentStatus.VALID)
            .order_by("status_index")
            .values_list("status_index", flat=True)
        )
        now = timezone.now()
        credential = bitstring.list_credential(
            settings.SITE_URL,
            number,
            issuer_id=issuer_id(),
            valid_from=now,
            revoked_bits=[index - low for index in revoked if index is not None],
        )
        key = signing_key()
        signed = badges.sign(credential, key.private_key, key.verification_method(settings.SITE_URL), now)
        row.credential = json.dumps(signed, ensure_ascii=False, indent=2)
        row.updated_at = now
        row.save(update_fields=["credential", "updated_at"])
        audit(actor, AuditAction.DOCUMENTS_STATUS_LIST, row, number=number, revoked=len(revoked))
    return row


def publish_status_of(document: IssuedDocument, actor: User | None) -> None:
    """Publish the status list that holds `document` (a revocation, a replacement)."""
    if document.status_index is None:  # issued before the lists and never downloaded: give it its place
        IssuedDocument.objects.filter(pk=document.pk, status_index__isnull=True).update(status_index=document.pk)
        document.status_index = document.pk
    publish_status_list(bitstring.place(document.status_index)[0], actor)


def withdraw_key(key_id: str, actor: User | None) -> tuple[int, int]:
    """Withdraw a compromised signing key (keys.withdraw: it verifies nothing
    any more), then sign again with the current key every stored credential
    and status list it had signed. The holders download their credential
    anew (the one exception to "signed once"). Returns (documents, lists).

    With a secret store, the deployed secret must say the key is withdrawn
    already (`withdrawal_secret`, then the operator's deployment); running
    it again signs again what is left (nothing, the second time)."""
    try:
        store = key_store()
        public_key = store.public_keys().get(key_id)
        moment = store.withdraw(key_id, timezone.now())
    except keys.KeyStoreError as error:
        raise CredentialError("key", str(error)) from None
    assert public_key is not None  # withdraw() refuses an unknown key
    methods = [
        keys.verification_method(settings.SITE_URL, key_id),
        keys.legacy_verification_method(settings.SITE_URL, key_id, public_key),
    ]
    signed_by_it = Q()
    for method in methods:
        signed_by_it |= Q(credential__contains=json.dumps(method))
    documents = 0
    for pk in IssuedDocument.objects.filter(signed_by_it).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            document = IssuedDocument.objects.select_for_update().select_related("enrolment__candidate").get(pk=pk)
            if badges_method(document.credential) in methods:
                document.credential = _signed_text(document, stored_data(document))
                document.save(update_fields=["credential"])
                documents += 1
    lists = 0
    for number in StatusList.objects.filter(signed_by_it).values_list("number", flat=True):
        publish_status_list(number, actor)
        lists += 1
    record = _key_record(key_id, public_key, store.kind, timezone.now())
    if record.withdrawn_at is None:
        record.withdrawn_at = dt.datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        record.save(update_fields=["withdrawn_at"])
    audit(
        actor,
        AuditAction.SIGNING_KEY_WITHDRAW,
        record,
        key_id=key_id,
        store=store.kind,
        step="resigned",
        withdrawn=moment,
        documents=documents,
        lists=lists,
    )
    log.warning("signing key %s withdrawn: %s credentials and %s status lists signed again", key_id, documents, lists)
    return documents, lists


def badges_method(text: str) -> str:
    """The verification method a stored credential's proof names ("" when unreadable)."""
    try:
        return str(json.loads(text)["proof"]["verificationMethod"])
    except (ValueError, KeyError, TypeError):
        return ""


def status_list_bytes(number: int) -> bytes | None:
    """The signed status list credential `number` as served; None when no
    document has a place in it. A list never published yet (no revocation
    so far) is published on first request."""
    row = StatusList.objects.filter(number=number).exclude(credential="").first()
    if row is None:
        low, high = _status_range(number)
        if not IssuedDocument.objects.filter(pk__gte=low, pk__lt=high).exists():
            return None
        row = publish_status_list(number, None)
    return row.credential.encode("utf-8")


@dataclass(frozen=True)
class CredentialCheck:
    signature: badges.VerifyResult
    lookup: Lookup | None

    @property
    def ok(self) -> bool:
        return self.signature.ok and self.lookup is not None and self.lookup.status == VALID


def verify_credential(credential: Any) -> CredentialCheck:
    """The signature (any key the platform ever used) and the status of the
    document the credential names."""
    result = badges.verify(credential, key_store().resolver(settings.SITE_URL))
    if not result.ok:
        return CredentialCheck(result, None)
    prefix = f"{settings.SITE_URL}/verifier/"
    credential_id = credential.get("id", "")
    if not isinstance(credential_id, str) or not credential_id.startswith(prefix):
        return CredentialCheck(result, Lookup(UNKNOWN, "", _("No document matches this code.")))
    return CredentialCheck(result, lookup(credential_id.removeprefix(prefix)))
