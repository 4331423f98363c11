"""A person's copy of everything the platform stores about them (RGPD art. 15
and 20): `personal-data.json` and the files (portfolio files, issued
documents), in one ZIP.

Each record is written with all its stored fields (a field added to a model
later appears without a change here), except secrets that protect the person
or others: the password hash, invitation tokens, two-factor secrets, and the
answer key of the question bank (the candidate gets their own ticks and
scores, not the right answers: the bank is reused)."""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from c2i.accounts.models import AuditEntry, Membership, Session, User
from c2i.portfolio import filetypes
from c2i.portfolio.services import zip_stored
from c2i.privacy.models import ErasureRequest

SECRET_FIELDS = {"password", "invitation_token", "key", "token", "session_key", "session_data", "seed"}
FORMAT_VERSION = 1


def record(obj: models.Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Every stored field of a row (a relation as its id), secrets left out."""
    skip = SECRET_FIELDS | set(exclude)
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in skip:
            continue
        value = field.value_from_object(obj)
        if isinstance(value, FieldFile):
            value = value.name or ""
        data[field.attname] = value
    return data


class _Files:
    """The files to put in the archive: (path in the archive, storage name)."""

    def __init__(self) -> None:
        self.members: dict[str, str] = {}
        self._paths: dict[str, str] = {}  # storage name → path: a file shared by a snapshot is stored once

    def add(self, folder: str, storage_name: str, original_name: str) -> str:
        if storage_name in self._paths:
            return self._paths[storage_name]
        path = f"{folder}/{len(self.members) + 1:03d}-{filetypes.sanitise_name(original_name)}"
        self.members[path] = storage_name
        self._paths[storage_name] = path
        return path


def personal_data(user: User) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON document and the files (archive path → storage name) of a person."""
    from c2i.enrolment.models import Candidate

    files = _Files()
    candidate = Candidate.objects.filter(user=user).first()
    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "platform": settings.SITE_URL,
        "account": _account(user),
        "candidate": record(candidate) if candidate else None,
        "invitations": _invitations(user, candidate),
        "enrolments": [_enrolment(e, files) for e in candidate.enrolments.order_by("id")] if candidate else [],
        "portfolios": [_portfolio(p, files) for p in candidate.portfolios.order_by("id")] if candidate else [],
        "erasure_requests": [record(r) for r in ErasureRequest.objects.filter(user=user).order_by("id")],
        "audit_trail": _audit(user, candidate),
    }
    return data, files.members


def _account(user: User) -> dict[str, Any]:
    account = record(user, exclude={"is_superuser", "is_staff"})
    account["has_password"] = user.has_usable_password()
    account["roles"] = [
        {"role": m.role, "institution": m.institution.name if m.institution else None}
        for m in Membership.objects.filter(user=user).select_related("institution")
    ]
    account["open_sessions"] = [{"expires": s.expire_date} for s in Session.objects.filter(user=user)]
    account["two_factor_devices"] = _devices(user)
    account["institution_identities"], account["institution_sign_in_conflicts"] = _institution_identities(user)
    return account


def _institution_identities(user: User) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What institutions' identity providers said of the person (issue 14):
    their identities, and the refused sign-ins made with them."""
    from c2i.sso.models import ExternalIdentity, SignInConflict

    identities = list(ExternalIdentity.objects.filter(user=user).select_related("provider__institution"))
    subjects = {(i.provider_id, i.subject) for i in identities}
    conflicts = [
        c
        for c in SignInConflict.objects.filter(subject__in={s for _p, s in subjects}).order_by("id")
        if (c.provider_id, c.subject) in subjects
    ]
    return (
        [{**record(i), "institution": i.provider.institution.name} for i in identities],
        [record(c, exclude={"resolved_by"}) for c in conflicts],
    )


def _devices(user: User) -> list[dict[str, Any]]:
    try:
        from django_otp import devices_for_user
    except ImportError:  # pragma: no cover - django-otp not installed
        return []
    return [
        {"kind": type(d).__name__, "name": d.name, "confirmed": d.confirmed}
        for d in devices_for_user(user, confirmed=None)
    ]


def _invitations(user: User, candidate: Any) -> list[dict[str, Any]]:
    from c2i.enrolment.models import Invitation

    where = Q(email__iexact=user.email)
    if candidate is not None:
        where |= Q(enrolment__candidate=candidate)
    return [
        {
            **record(i),
            "institution": i.institution_session.institution.name,
            "session": i.institution_session.session.name,
        }
        for i in Invitation.objects.filter(where).select_related(
            "institution_session__institution", "institution_session__session"
        )
    ]


def _enrolment(enrolment: Any, files: _Files) -> dict[str, Any]:
    from c2i.assessment.models import ExtraTime, Incident, Seat
    from c2i.deliberation.models import CandidateOutcome

    data = record(enrolment)
    data["institution"] = enrolment.institution_session.institution.name
    data["session"] = enrolment.session.name
    data["extra_time"] = [record(t, exclude={"enrolment"}) for t in ExtraTime.objects.filter(enrolment=enrolment)]
    data["exam_seats"] = [
        {**record(s, exclude={"enrolment"}), "room": s.room.name}
        for s in Seat.objects.filter(enrolment=enrolment).select_related("room")
    ]
    data["exam_incidents"] = [
        record(i, exclude={"enrolment", "reported_by_user"})
        for i in Incident.objects.filter(enrolment=enrolment).order_by("id")
    ]
    data["submissions"] = [_submission(s, files) for s in enrolment.submissions.order_by("id")]
    data["exam_attempts"] = [_attempt(a) for a in enrolment.attempts.select_related("exam").order_by("id")]
    data["jury_decisions"] = [record(d, exclude={"decided_by"}) for d in enrolment.decisions.order_by("id")]
    outcome = CandidateOutcome.objects.filter(enrolment=enrolment).first()
    data["jury_outcome"] = {**record(outcome), "reasons": outcome.reasons} if outcome else None
    data["domain_credits"] = [record(c) for c in enrolment.domain_credits.order_by("id")]
    data["documents"] = [_document(d, files) for d in enrolment.documents.order_by("id")]
    return data


def _submission(submission: Any, files: _Files) -> dict[str, Any]:
    data = record(submission)
    data["items"] = []
    for item in submission.items.prefetch_related("competencies", "files__blob"):
        entry = record(item)
        entry["competencies"] = [c.code for c in item.competencies.all()]
        entry["files"] = [
            {**record(f), "archive_path": files.add("portfolio-soumis", f.blob.storage_name, f.original_name)}
            for f in item.files.all()
        ]
        data["items"].append(entry)
    return data


def _attempt(attempt: Any) -> dict[str, Any]:
    data = record(attempt)
    data["exam"] = attempt.exam.title
    data["questions"] = [
        {
            "position": q.position,
            "question": q.question_id,
            "domain": q.domain_id,
            "options_shown": q.n_options,
            "ticked": q.ticked,
            "answered_at": q.answered_at,
        }
        for q in attempt.items.order_by("position")
    ]
    data["domain_results"] = [record(r) for r in attempt.domain_results.all()]
    data["invigilator_notices"] = [record(n, exclude={"attempt"}) for n in attempt.notices.all()]
    return data


def _document(document: Any, files: _Files) -> dict[str, Any]:
    data = record(document)
    if document.pdf:
        data["archive_path"] = files.add("documents", document.pdf.name, f"{document.kind}-{document.code}.pdf")
    return data


def _portfolio(portfolio: Any, files: _Files) -> dict[str, Any]:
    data = record(portfolio)
    data["framework"] = portfolio.framework.code
    data["evidence"] = []
    for item in portfolio.items.prefetch_related("competencies", "files__blob", "comments__author"):
        entry = record(item)
        entry["competencies"] = [c.code for c in item.competencies.all()]
        entry["files"] = [
            {
                **record(f),
                "type": f.blob.filetype,
                "size": f.blob.size,
                "sha256": f.blob.sha256,
                "archive_path": files.add("portfolio", f.blob.storage_name, f.original_name),
            }
            for f in item.files.all()
        ]
        entry["comments"] = [
            {"author": c.author.get_full_name(), "body": c.body, "at": c.at} for c in item.comments.all()
        ]
        data["evidence"].append(entry)
    data["positionings"] = [
        {**record(p, exclude={"author"}), "author": p.author.get_full_name()}
        for p in portfolio.positionings.select_related("author")
    ]
    return data


def _audit(user: User, candidate: Any) -> list[dict[str, Any]]:
    """The trail's entries written by the person or about their records."""
    where = Q(actor=user)
    if candidate is not None:
        for object_type, ids in owned_objects(candidate).items():
            where |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    return [
        record(e, exclude={"prev_hash", "entry_hash", "details_digest"})
        for e in AuditEntry.objects.filter(where).order_by("id")
    ]


def owned_objects(candidate: Any) -> dict[str, list[int]]:
    """The candidate's records the audit trail may name, by `object_type`."""
    from c2i.assessment.models import Attempt
    from c2i.credentials.models import IssuedDocument
    from c2i.enrolment.models import Invitation
    from c2i.portfolio.models import Evidence, EvidenceComment, EvidenceFile, Submission

    addresses = [a for a in {candidate.email, candidate.user.email if candidate.user_id else ""} if a]
    invitations = Invitation.objects.filter(
        Q(enrolment__candidate=candidate) | Q(email__in=[a.lower() for a in addresses])
    )
    enrolments = list(candidate.enrolments.values_list("id", flat=True))
    portfolios = list(candidate.portfolios.values_list("id", flat=True))
    return {
        "enrolment.candidate": [candidate.pk],
        "enrolment.enrolment": enrolments,
        "enrolment.invitation": list(invitations.values_list("id", flat=True)),
        "portfolio.portfolio": portfolios,
        "portfolio.evidence": list(Evidence.objects.filter(portfolio__in=portfolios).values_list("id", flat=True)),
        "portfolio.evidencefile": list(
            EvidenceFile.objects.filter(evidence__portfolio__in=portfolios).values_list("id", flat=True)
        ),
        "portfolio.evidencecomment": list(
            EvidenceComment.objects.filter(evidence__portfolio__in=portfolios).values_list("id", flat=True)
        ),
        "portfolio.submission": list(Submission.objects.filter(portfolio__in=portfolios).values_list("id", flat=True)),
        "assessment.attempt": list(Attempt.objects.filter(enrolment__in=enrolments).values_list("id", flat=True)),
        "credentials.issueddocument": list(
            IssuedDocument.objects.filter(enrolment__in=enrolments).values_list("id", flat=True)
        ),
    }


def archive(user: User) -> IO[bytes]:
    """A temporary file holding the ZIP, positioned at its start."""
    data, members = personal_data(user)
    result = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    with zipfile.ZipFile(result, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "personal-data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2, sort_keys=True)
        )
        zf.writestr("LISEZ-MOI.txt", README)
        zip_stored(zf, members.items())
    result.seek(0)
    return result


README = """Vos données personnelles sur la plateforme C2i

personal-data.json : tout ce que la plateforme conserve à votre sujet (compte,
dossier de candidat, invitations, inscriptions, portfolio avec ses pièces et
les commentaires des tuteurs, épreuves de connaissances et vos réponses,
décisions et résultat du jury, documents délivrés, journal des actions qui
vous concernent). Les dates sont en UTC (ISO 8601).

portfolio/ : les fichiers de votre portfolio ; portfolio-soumis/ : ceux des
portfolios soumis au jury ; documents/ : vos certificats et attestations (PDF).

Ne sont pas inclus : votre mot de passe (il n'est conservé que sous une forme
chiffrée irréversible), les secrets de la double authentification et les
réponses attendues des questions de la banque (elles restent confidentielles).
Les règles de conservation sont décrites dans la page « Données personnelles ».
"""
