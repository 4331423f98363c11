"""Portfolio workflows (R7–R9). Each runs in a transaction, writes its audit
entry and raises `PortfolioError` (or `FileRefused`) with a code and a French
message. Access is decided before, by `c2i.portfolio.access`."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from c2i.accounts.models import AuditAction, User, audit
from c2i.enrolment import conflicts, freeze
from c2i.enrolment.models import Candidate, CandidateStatus, Enrolment, EnrolmentStatus
from c2i.frameworks.models import Competency, Framework
from c2i.lib.errors import DomainError
from c2i.portfolio import filetypes
from c2i.portfolio.models import (
    Evidence,
    EvidenceComment,
    EvidenceFile,
    EvidenceKind,
    Portfolio,
    Positioning,
    PositioningLevel,
    StoredFile,
    Submission,
    SubmissionStatus,
    SubmittedEvidence,
    SubmittedFile,
)


class PortfolioError(DomainError):
    pass


class FileRefused(PortfolioError):
    pass


class StaleEvidence(PortfolioError):
    """An edit made from a version of the item that is no longer the current
    one; `current` is the item as saved, for the page to show it."""

    def __init__(self, current: Evidence) -> None:
        super().__init__(
            "stale",
            _(
                "« %(title)s » was changed in the meantime (in another tab or window, at %(time)s): your changes "
                "were not saved. They are kept in the form below, beside the saved version: check them, then "
                "save again."
            )
            % {"title": current.title, "time": timezone.localtime(current.updated_at).strftime("%H:%M:%S")},
        )
        self.current = current


# Why a file is refused, by `filetypes.Refused` code (and the size checks here).
FILE_REFUSALS = {
    "empty": gettext_lazy("the file is empty."),
    "executable": gettext_lazy("it is an executable program or a script; programs are not accepted."),
    "markup": gettext_lazy(
        "it is a web page (HTML, SVG or XML), which could run scripts in a reader's browser; save it as a PDF instead."
    ),
    "binary": gettext_lazy(
        "its content is not of an accepted type (PDF, ODT, ODS, ODP, DOCX, XLSX, PPTX, PNG, JPEG, UTF-8 text, ZIP)."
    ),
    "not_utf8": gettext_lazy("it looks like text but is not encoded in UTF-8; save it as UTF-8 or as a PDF."),
    "corrupt_zip": gettext_lazy("it is a damaged archive."),
    "odf_unsupported": gettext_lazy(
        "this OpenDocument type is not accepted (only text, spreadsheet and presentation)."
    ),
    "ooxml_unsupported": gettext_lazy("this Office document type is not accepted (only DOCX, XLSX and PPTX)."),
    "macros": gettext_lazy("it contains macros; save it without macros (DOCX, XLSX or PPTX)."),
    "extension_mismatch": gettext_lazy(
        "its name ends in %(extension)s but its content is %(detected)s; rename it or send the right file."
    ),
    "extension_unknown": gettext_lazy(
        "its name ends in %(extension)s, which is not accepted; its content is %(detected)s."
    ),
    "name_path": gettext_lazy("its name contains a path (/, \\ or ..); give the file a plain name."),
    "name_control": gettext_lazy("its name contains control or invisible characters; rename the file."),
    "name_empty": gettext_lazy("it has no name."),
    "too_large": gettext_lazy("it weighs %(size)s, more than the %(limit)s allowed per file."),
    "portfolio_full": gettext_lazy(
        "the portfolio would exceed its %(limit)s (%(used)s already used); remove files you no longer need."
    ),
}


def _refused(name: str, code: str, **params: Any) -> FileRefused:
    reason = str(FILE_REFUSALS[code]) % params if params else str(FILE_REFUSALS[code])
    shown = filetypes.sanitise_name(name) if name else "—"
    return FileRefused(code, _("« %(name)s » is refused: %(reason)s") % {"name": shown, "reason": reason})


def max_file_bytes() -> int:
    return int(settings.C2I_MAX_FILE_BYTES)


def max_portfolio_bytes() -> int:
    return int(settings.C2I_MAX_PORTFOLIO_BYTES)


def storage():  # type: ignore[no-untyped-def]
    return storages["default"]


def open_stored(name: str) -> IO[bytes]:
    """The stored file `name`, to read from its start as it is sent (a
    download, a ZIP being written): on the local disk the file itself; in
    object storage the object's body as it arrives from the store, where
    django-storages' own file would first copy the whole object."""
    opened = storage().open(name, "rb")
    s3_object = getattr(opened, "obj", None)  # django-storages' S3File: its boto3 object
    if s3_object is None:
        return cast(IO[bytes], opened)
    opened.close()
    return cast(IO[bytes], s3_object.get()["Body"])


def zip_stored(zf: zipfile.ZipFile, members: Iterable[tuple[str, str]]) -> None:
    """Copy the stored files into a ZIP being written, each `(path in the
    archive, stored name)`, a megabyte at a time from `open_stored` (a
    portfolio's copy, a person's data); a name the storage no longer has is
    left out."""
    store = storage()
    for path, name in members:
        if not store.exists(name):
            continue
        with contextlib.closing(open_stored(name)) as source, zf.open(path, "w") as target:
            while chunk := source.read(1024 * 1024):
                target.write(chunk)


def signed_url(name: str, disposition: str, content_type: str) -> str | None:
    """With C2I_S3_SIGNED_URLS, a signed URL of the object `name`, valid
    C2I_S3_URL_SECONDS, that has the store answer with the download's
    Content-Disposition and type; None otherwise (the file is then streamed). Access is checked
    before, by the caller."""
    store = storage()
    if not settings.C2I_S3_SIGNED_URLS or not hasattr(store, "bucket"):
        return None
    return str(
        store.url(
            name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
                "ResponseCacheControl": "private, no-store",
            },
        )
    )


@dataclass(frozen=True)
class Upload:
    """A file offered by a user: its name, its size and a way to read it, so
    that an oversize file is refused before its bytes are read."""

    name: str
    size: int
    read: Callable[[], bytes]

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Upload:
        return cls(name, len(data), lambda: data)

    @classmethod
    def from_django(cls, uploaded: Any) -> Upload:
        def read() -> bytes:
            uploaded.seek(0)
            return bytes(uploaded.read())

        return cls(str(uploaded.name or ""), int(uploaded.size or 0), read)


@dataclass(frozen=True)
class CheckedFile:
    name: str
    data: bytes
    filetype: filetypes.FileType


def check_upload(upload: Upload) -> CheckedFile:
    """Name, size, then content: the first reason to refuse, in French."""
    try:
        name = filetypes.check_name(upload.name)
    except filetypes.Refused as refusal:
        raise _refused(upload.name, refusal.code) from refusal
    if upload.size > max_file_bytes():
        raise _refused(name, "too_large", size=filesizeformat(upload.size), limit=filesizeformat(max_file_bytes()))
    data = upload.read()
    if len(data) > max_file_bytes():  # the announced size may lie
        raise _refused(name, "too_large", size=filesizeformat(len(data)), limit=filesizeformat(max_file_bytes()))
    try:
        filetype = filetypes.detect(data, name)
    except filetypes.Refused as refusal:
        raise _refused(name, refusal.code, **refusal.params) from refusal
    return CheckedFile(filetypes.name_with_extension(name, filetype), data, filetype)


@contextlib.contextmanager
def _cleanup_on_error() -> Iterator[list[str]]:
    """Files written to storage inside the block are removed if it fails:
    a refused or failed upload leaves nothing on disk."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            storage().delete(name)
        raise


def _store(evidence: Evidence, files: Sequence[CheckedFile], actor: User | None, written: list[str]) -> list[Any]:
    """Rows and bytes of already checked files; the caller holds the portfolio lock."""
    used = evidence.portfolio.stored_bytes()
    incoming = sum(len(f.data) for f in files)
    if used + incoming > max_portfolio_bytes():
        raise _refused(
            files[-1].name,
            "portfolio_full",
            limit=filesizeformat(max_portfolio_bytes()),
            used=filesizeformat(used),
        )
    stored = []
    for checked in files:
        blob = StoredFile(filetype=checked.filetype.key, size=len(checked.data))
        blob.sha256 = hashlib.sha256(checked.data).hexdigest()
        real_name = storage().save(blob.storage_name, ContentFile(checked.data))
        written.append(real_name)
        blob.storage_name = real_name
        blob.save()
        item_file = EvidenceFile.objects.create(
            evidence=evidence, blob=blob, original_name=checked.name, uploaded_by=actor
        )
        audit(
            actor,
            AuditAction.PORTFOLIO_FILE_ADD,
            item_file,
            evidence=evidence.pk,
            portfolio=evidence.portfolio_id,
            name=checked.name,
            type=checked.filetype.key,
            size=len(checked.data),
            sha256=blob.sha256,
        )
        stored.append(item_file)
    return stored


def _release(blobs: Iterable[StoredFile]) -> None:
    """Delete the blobs nothing refers to any more (neither a living item nor
    a snapshot); their bytes go once the transaction is committed."""
    for blob in blobs:
        if blob.is_referenced():
            continue
        name = blob.storage_name
        blob.delete()
        transaction.on_commit(lambda name=name: storage().delete(name))  # type: ignore[misc]


def _lock(portfolio: Portfolio) -> Portfolio:
    return Portfolio.objects.select_for_update().select_related("candidate", "framework").get(pk=portfolio.pk)


# --- the portfolio ------------------------------------------------------------


def frameworks_of(candidate: Candidate) -> QuerySet[Framework]:
    """The frameworks a candidate may keep a portfolio for: those of their
    enrolments (active or not, so that a later attempt finds it again)."""
    enrolled = Enrolment.objects.filter(
        candidate=candidate, status__in=[EnrolmentStatus.ACTIVE, EnrolmentStatus.WITHDRAWN]
    ).values("session__framework_id")
    return Framework.objects.filter(
        Q(pk__in=enrolled) | Q(pk__in=Portfolio.objects.filter(candidate=candidate).values("framework_id"))
    )


@transaction.atomic
def open_portfolio(candidate: Candidate, framework: Framework, actor: User | None) -> Portfolio:
    portfolio, created = Portfolio.objects.get_or_create(candidate=candidate, framework=framework)
    if created:
        audit(actor, AuditAction.PORTFOLIO_CREATE, portfolio, framework=framework.code)
    return portfolio


def active_enrolments(portfolio: Portfolio) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(
            candidate_id=portfolio.candidate_id,
            session__framework_id=portfolio.framework_id,
            status=EnrolmentStatus.ACTIVE,
        )
        .select_related("candidate", "institution_session__institution", "session")
        .order_by("institution_session__portfolio_deadline")
    )


def final_practical_allowed(portfolio: Portfolio) -> bool:
    """R8: a continuing-education candidate, or a student whose enrolment has
    the particular-curriculum flag set by the institution."""
    if portfolio.candidate.status == CandidateStatus.CONTINUING:
        return True
    return any(e.final_practical_allowed for e in active_enrolments(portfolio))


def r8_refusal() -> PortfolioError:
    return PortfolioError(
        "r8_final_practical",
        _(
            "Productions from final practical activities (kind d) are accepted only from continuing-education "
            "candidates, or from students of a particular curriculum who received no specific training (set by "
            "the institution on the enrolment). Choose another kind of evidence."
        ),
    )


# --- evidence items -----------------------------------------------------------


@dataclass(frozen=True)
class EvidenceDraft:
    """What a candidate writes about an item of kind a, c or d: the same
    fields for a new item and for an edit. Checked by the service, not here."""

    kind: str
    title: str
    competencies: Sequence[Competency]
    context: str = ""
    activity_date: dt.date | None = None
    link: str = ""
    reflection: str = ""

    def __post_init__(self) -> None:
        # Any sequence (a list, a queryset) is accepted and kept as a tuple.
        object.__setattr__(self, "competencies", tuple(self.competencies))

    def competency_codes(self) -> list[str]:
        return sorted(c.code for c in self.competencies)

    def apply_to(self, evidence: Evidence) -> None:
        """The item's own fields, trimmed as they are stored (competencies aside)."""
        evidence.kind = self.kind
        evidence.title = self.title.strip()
        evidence.context = self.context.strip()
        evidence.activity_date = self.activity_date
        evidence.link = self.link
        evidence.reflection = self.reflection.strip()


def _check_item(portfolio: Portfolio, draft: EvidenceDraft) -> None:
    kind = draft.kind
    if kind not in EvidenceKind.values:
        raise PortfolioError("kind_unknown", _("Unknown kind of evidence."))
    if kind == EvidenceKind.TEST_RESULT:
        raise PortfolioError(
            "kind_b_system",
            _("Knowledge-test results (kind b) are added by the platform from the test itself, not by hand."),
        )
    if kind == EvidenceKind.FINAL_PRACTICAL and not final_practical_allowed(portfolio):
        raise r8_refusal()
    if not draft.title.strip():
        raise PortfolioError("title_required", _("Give the item a title."))
    _check_competencies(portfolio, draft.competencies)
    if kind == EvidenceKind.EXTERNAL and not draft.reflection.strip():
        raise PortfolioError(
            "reflection_required",
            _("An external production needs your commentary: say what you did and what it shows."),
        )
    if draft.link and not draft.link.lower().startswith(("https://", "http://")):
        raise PortfolioError("link_scheme", _("The link must start with https:// or http://."))


def _check_competencies(portfolio: Portfolio, competencies: Sequence[Competency]) -> None:
    if not competencies:
        raise PortfolioError("competency_required", _("Choose at least one competency the item supports."))
    for competency in competencies:
        if competency.domain.framework_id != portfolio.framework_id or competency.retired:
            raise PortfolioError(
                "competency_foreign",
                _("The competency %(code)s is not a current competency of %(framework)s.")
                % {"code": competency.code, "framework": portfolio.framework.code},
            )


def create_evidence(
    portfolio: Portfolio, actor: User | None, draft: EvidenceDraft, uploads: Sequence[Upload] = ()
) -> Evidence:
    """A candidate's new item (kinds a, c, d), with its files: all or nothing."""
    checked = [check_upload(u) for u in uploads]
    with _cleanup_on_error() as written, transaction.atomic():
        portfolio = _lock(portfolio)
        _check_item(portfolio, draft)
        if not checked and not draft.link:
            raise PortfolioError("content_required", _("Add at least one file or a link to the production."))
        evidence = Evidence(portfolio=portfolio, created_by=actor)
        draft.apply_to(evidence)
        evidence.save()
        evidence.competencies.set(draft.competencies)
        audit(
            actor,
            AuditAction.PORTFOLIO_EVIDENCE_CREATE,
            evidence,
            portfolio=portfolio.pk,
            kind=draft.kind,
            title=evidence.title,
            competencies=draft.competency_codes(),
        )
        _store(evidence, checked, actor, written)
        portfolio.save(update_fields=["updated_at"])
    return evidence


def _check_editable(evidence: Evidence) -> None:
    if evidence.is_system:
        raise PortfolioError(
            "kind_b_system", _("A knowledge-test result (kind b) is written by the platform and cannot be changed.")
        )


@transaction.atomic
def update_evidence(
    evidence: Evidence, actor: User | None, draft: EvidenceDraft, version: int | None = None
) -> Evidence:
    """Change the living item; submitted snapshots keep their own copy (R9).
    `version` is the item's version the form was filled from: if the item
    was saved since (another tab), nothing is changed and the refusal says
    so (None: no check)."""
    portfolio = _lock(evidence.portfolio)
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    _check_editable(evidence)
    if version is not None and version != evidence.version:
        raise StaleEvidence(evidence)
    _check_item(portfolio, draft)
    before = {"kind": evidence.kind, "title": evidence.title, "competencies": evidence_codes(evidence)}
    draft.apply_to(evidence)
    evidence.version += 1
    evidence.save()
    evidence.competencies.set(draft.competencies)
    audit(
        actor,
        AuditAction.PORTFOLIO_EVIDENCE_UPDATE,
        evidence,
        portfolio=portfolio.pk,
        before=before,
        after={"kind": draft.kind, "title": evidence.title, "competencies": draft.competency_codes()},
    )
    portfolio.save(update_fields=["updated_at"])
    return evidence


def evidence_codes(evidence: Evidence) -> list[str]:
    return sorted(evidence.competencies.values_list("code", flat=True))


@transaction.atomic
def delete_evidence(evidence: Evidence, actor: User | None) -> None:
    portfolio = _lock(evidence.portfolio)
    _check_editable(evidence)
    blobs = [f.blob for f in evidence.files.select_related("blob")]
    audit(
        actor,
        AuditAction.PORTFOLIO_EVIDENCE_DELETE,
        evidence,
        portfolio=portfolio.pk,
        kind=evidence.kind,
        title=evidence.title,
        competencies=evidence_codes(evidence),
        files=[f.original_name for f in evidence.files.all()],
        comments=evidence.comments.count(),
    )
    evidence.delete()
    _release(blobs)
    portfolio.save(update_fields=["updated_at"])


def add_files(evidence: Evidence, uploads: Sequence[Upload], actor: User | None) -> list[EvidenceFile]:
    """Files for an existing item: every one is checked before anything is stored."""
    _check_editable(evidence)
    if not uploads:
        raise PortfolioError("no_file", _("Choose a file to add."))
    checked = [check_upload(u) for u in uploads]
    with _cleanup_on_error() as written, transaction.atomic():
        _lock(evidence.portfolio)
        stored = _store(evidence, checked, actor, written)
        Portfolio.objects.filter(pk=evidence.portfolio_id).update(updated_at=timezone.now())
    return stored


@transaction.atomic
def remove_file(item_file: EvidenceFile, actor: User | None) -> None:
    evidence = item_file.evidence
    _lock(evidence.portfolio)
    _check_editable(evidence)
    audit(
        actor,
        AuditAction.PORTFOLIO_FILE_REMOVE,
        item_file,
        evidence=evidence.pk,
        portfolio=evidence.portfolio_id,
        name=item_file.original_name,
        sha256=item_file.blob.sha256,
    )
    blob = item_file.blob
    item_file.delete()
    _release([blob])
    Portfolio.objects.filter(pk=evidence.portfolio_id).update(updated_at=timezone.now())


@transaction.atomic
def add_test_result_evidence(
    portfolio: Portfolio, title: str, competencies: Sequence[Competency], summary: str, actor: User | None
) -> Evidence:
    """A knowledge-test result (R7 b), written by the platform (the test app
    calls it when a sitting is scored). It never suffices alone (R10)."""
    portfolio = _lock(portfolio)
    competencies = list(competencies)
    _check_competencies(portfolio, competencies)
    evidence = Evidence.objects.create(
        portfolio=portfolio,
        kind=EvidenceKind.TEST_RESULT,
        title=title.strip(),
        summary=summary.strip(),
        created_by=actor,
    )
    evidence.competencies.set(competencies)
    audit(
        actor,
        AuditAction.PORTFOLIO_EVIDENCE_CREATE,
        evidence,
        portfolio=portfolio.pk,
        kind=EvidenceKind.TEST_RESULT,
        title=evidence.title,
        competencies=sorted(c.code for c in competencies),
    )
    portfolio.save(update_fields=["updated_at"])
    return evidence


@transaction.atomic
def update_test_result_evidence(
    evidence: Evidence, title: str, summary: str, actor: User | None, reason: str = ""
) -> Evidence:
    """A knowledge-test result (R7 b) rescored after a neutralisation: the
    platform rewrites its title and summary (the percentage). The trail keeps
    what it said before; submitted snapshots keep their own copy (R9)."""
    portfolio = _lock(evidence.portfolio)
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if evidence.kind != EvidenceKind.TEST_RESULT:
        raise PortfolioError("not_test_result", _("Only a knowledge-test result is rewritten by the platform."))
    title, summary = title.strip(), summary.strip()
    if (evidence.title, evidence.summary) == (title, summary):
        return evidence
    before = {"title": evidence.title, "summary": evidence.summary}
    evidence.title, evidence.summary = title, summary
    evidence.version += 1
    evidence.save(update_fields=["title", "summary", "version", "updated_at"])
    audit(
        actor,
        AuditAction.PORTFOLIO_EVIDENCE_UPDATE,
        evidence,
        portfolio=portfolio.pk,
        kind=EvidenceKind.TEST_RESULT,
        before=before,
        after={"title": title, "summary": summary},
        reason=reason,
    )
    portfolio.save(update_fields=["updated_at"])
    return evidence


# --- submission to the jury (R9) --------------------------------------------


def _deadline_text(enrolment: Enrolment) -> str:
    return timezone.localtime(enrolment.institution_session.portfolio_deadline).strftime("%d/%m/%Y %H:%M")


def _check_submission_window(enrolment: Enrolment, withdrawal: bool = False) -> None:
    closed = freeze.closed_at(enrolment.institution_session_id, lock=True)
    if closed is not None:
        raise PortfolioError(
            "deliberated",
            _(
                "The jury of this session deliberated on %(date)s: the portfolio submitted to it can no longer "
                "change. A correction goes only through the jury chair's rectification."
            )
            % {"date": freeze.date_text(closed)},
        )
    if enrolment.institution_session.deadline_passed():
        message = (
            _("The portfolio deadline (%(deadline)s) has passed: the submission can no longer be withdrawn.")
            if withdrawal
            else _("The portfolio deadline (%(deadline)s) has passed: submitting is no longer possible.")
        )
        raise PortfolioError("deadline_passed", message % {"deadline": _deadline_text(enrolment)})


@transaction.atomic
def submit_portfolio(portfolio: Portfolio, enrolment: Enrolment, actor: User | None) -> Submission:
    """Freeze the living portfolio for the jury of the enrolment's institution
    session. A current submission for the same enrolment is replaced."""
    portfolio = _lock(portfolio)
    enrolment = (
        Enrolment.objects.select_for_update()
        .select_related("candidate", "institution_session__institution", "session")
        .get(pk=enrolment.pk)
    )
    if enrolment.candidate_id != portfolio.candidate_id or enrolment.session.framework_id != portfolio.framework_id:
        raise PortfolioError("wrong_enrolment", _("This enrolment is not for this portfolio's framework."))
    if not enrolment.is_active:
        raise PortfolioError("not_active", _("Only an active enrolment can receive a portfolio."))
    _check_submission_window(enrolment)
    items = list(portfolio.items.prefetch_related("competencies", "files__blob"))
    if not items:
        raise PortfolioError("empty", _("The portfolio has no evidence item yet: there is nothing to submit."))
    if any(i.kind == EvidenceKind.FINAL_PRACTICAL for i in items) and not enrolment.final_practical_allowed:
        raise r8_refusal()
    hollow = [i.title for i in items if not i.is_system and not i.link and not i.files.all()]
    if hollow:
        raise PortfolioError(
            "item_without_content",
            _("These items have neither a file nor a link: %(titles)s. Complete or delete them first.")
            % {"titles": ", ".join(f"« {t} »" for t in hollow)},
        )
    previous = Submission.objects.filter(enrolment=enrolment, status=SubmissionStatus.SUBMITTED).first()
    if previous:
        previous.status = SubmissionStatus.REPLACED
        previous.ended_at = timezone.now()
        previous.ended_by = actor
        previous.save(update_fields=["status", "ended_at", "ended_by"])
    submission = Submission.objects.create(
        portfolio=portfolio, enrolment=enrolment, status=SubmissionStatus.SUBMITTED, submitted_by=actor
    )
    for position, item in enumerate(items, start=1):
        frozen = SubmittedEvidence.objects.create(
            submission=submission,
            source_id=item.pk,
            position=position,
            kind=item.kind,
            title=item.title,
            context=item.context,
            activity_date=item.activity_date,
            link=item.link,
            reflection=item.reflection,
            summary=item.summary,
        )
        frozen.competencies.set(item.competencies.all())
        for item_file in item.files.all():
            SubmittedFile.objects.create(item=frozen, blob=item_file.blob, original_name=item_file.original_name)
    audit(
        actor,
        AuditAction.PORTFOLIO_SUBMIT,
        submission,
        portfolio=portfolio.pk,
        enrolment=enrolment.pk,
        institution_session=enrolment.institution_session_id,
        items=len(items),
        replaces=previous.pk if previous else None,
    )
    return submission


@transaction.atomic
def withdraw_submission(submission: Submission, actor: User | None) -> Submission:
    submission = (
        Submission.objects.select_for_update().select_related("enrolment__institution_session").get(pk=submission.pk)
    )
    if not submission.is_current:
        raise PortfolioError("not_submitted", _("This version is no longer the submitted one."))
    _check_submission_window(submission.enrolment, withdrawal=True)
    submission.status = SubmissionStatus.WITHDRAWN
    submission.ended_at = timezone.now()
    submission.ended_by = actor
    submission.save(update_fields=["status", "ended_at", "ended_by"])
    audit(actor, AuditAction.PORTFOLIO_WITHDRAW_SUBMISSION, submission, portfolio=submission.portfolio_id)
    return submission


# --- assessors ----------------------------------------------------------------

MAX_TEXT = 5000


def _check_not_own(portfolio: Portfolio, author: User, refusal: str) -> None:
    if conflicts.is_own(author, portfolio.candidate_id):
        raise PortfolioError("own_portfolio", refusal)


@transaction.atomic
def add_comment(evidence: Evidence, author: User, body: str) -> EvidenceComment:
    _check_not_own(
        evidence.portfolio,
        author,
        _("This is your own portfolio: an assessor does not comment on their own evidence."),
    )
    body = body.strip()
    if not body:
        raise PortfolioError("comment_empty", _("Write a comment first."))
    if len(body) > MAX_TEXT:
        raise PortfolioError("comment_long", _("A comment holds at most %(n)s characters.") % {"n": MAX_TEXT})
    comment = EvidenceComment.objects.create(evidence=evidence, author=author, body=body)
    audit(author, AuditAction.PORTFOLIO_COMMENT, comment, evidence=evidence.pk, portfolio=evidence.portfolio_id)
    return comment


@transaction.atomic
def position(portfolio: Portfolio, competency: Competency, level: str, comment: str, author: User) -> Positioning:
    """An assessor's positioning of one competency: a new row each time, the
    history stays."""
    _check_not_own(portfolio, author, _("This is your own portfolio: an assessor does not position their own work."))
    _check_competencies(portfolio, [competency])
    if level not in PositioningLevel.values:
        raise PortfolioError("level_unknown", _("Choose a positioning."))
    if len(comment) > MAX_TEXT:
        raise PortfolioError("comment_long", _("A comment holds at most %(n)s characters.") % {"n": MAX_TEXT})
    positioning = Positioning.objects.create(
        portfolio=portfolio, competency=competency, level=level, comment=comment.strip(), author=author
    )
    audit(
        author,
        AuditAction.PORTFOLIO_POSITION,
        positioning,
        portfolio=portfolio.pk,
        competency=competency.code,
        level=level,
    )
    return positioning
