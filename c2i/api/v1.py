"""`/api/v1/`: the API for institutions (issue 14).

Public (no token): frameworks, the directory, national sessions, the
verification of a code or a credential. With a token (`c2i.api.auth`), under
`/etablissement/`: the token's institution, its sessions and enrolments
(scope `read`), bulk invitations (`invite`), test results, jury outcomes and
documents of its sessions (`results`). Lists are paginated
(`c2i.api.pagination`); refusals have one format (`c2i.api.errors`).
docs/api.md says it for the clients."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ConfigDict

from c2i.accounts.models import AuditAction, audit
from c2i.api import public
from c2i.api.auth import token_auth, token_of
from c2i.api.errors import ApiError, ErrorOut, RowErrorOut, body, responses
from c2i.api.models import ApiToken, Scope
from c2i.api.pagination import DEFAULT_LIMIT, Limit, Offset, page
from c2i.api.public import FrameworkDetailOut, FrameworkOut, InstitutionOut, SessionOut
from c2i.api.text import Line
from c2i.assessment.models import Exam
from c2i.assessment.services.results import result_rows
from c2i.credentials import services as credentials
from c2i.credentials.api import CREDENTIAL_BODY, CredentialOut, VerificationOut
from c2i.credentials.models import IssuedDocument
from c2i.deliberation.models import CandidateOutcome, Deliberation, DeliberationStatus
from c2i.enrolment import importing, roster
from c2i.enrolment.models import InstitutionSession
from c2i.frameworks.models import Framework
from c2i.lib import ratelimit, tabular
from c2i.lib.errors import DomainError

router = Router()
MAX_ID = 2_147_483_647
SessionId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant de la session de l'établissement.")]
STATES = Literal["", "active", "withdrawn", "invited", "declined"]
MAX_ROWS = 1000


# --- public ----------------------------------------------------------------------------------------


class SessionPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[SessionOut]


@router.get("/referentiels", response={200: list[FrameworkOut], **responses(422)}, tags=["v1 public"])
def v1_frameworks(request: HttpRequest) -> list[Framework]:
    """The frameworks (C2i1, C2i2 …)."""
    return public.frameworks()


@router.get("/referentiels/{code}", response={200: FrameworkDetailOut, **responses(404, 422)}, tags=["v1 public"])
def v1_framework(request: HttpRequest, code: Annotated[str, Path(max_length=30)]) -> dict:
    """One framework with its domains and competencies."""
    return public.framework(code)


@router.get("/etablissements", response={200: list[InstitutionOut], **responses(404, 422)}, tags=["v1 public"])
def v1_institutions(
    request: HttpRequest, referentiel: Annotated[str, Line(30)] = "", lieu: Annotated[str, Line(80)] = ""
) -> list[dict]:
    """The directory: accredited institutions, nearest to a town or postcode first."""
    return public.institutions(referentiel, lieu)


@router.get("/sessions", response={200: SessionPage, **responses(422)}, tags=["v1 public"])
def v1_sessions(
    request: HttpRequest,
    referentiel: Annotated[str, Line(30)] = "",
    ouvertes: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict:
    """National sessions, newest first, with the institutions organising each
    (`ouvertes=true`: those whose enrolment is open today)."""
    return page(public.sessions(referentiel, ouvertes), limit, offset)


def _limited() -> ApiError:
    return ApiError(
        429, "rate_limited", _("Too many verifications from your connection: please try again in a few minutes.")
    )


@router.post(
    "/verifier/credential",
    response={200: CredentialOut, **responses(422, 429)},
    openapi_extra=CREDENTIAL_BODY,
    tags=["v1 public"],
)
def v1_verify_credential(request: HttpRequest) -> dict:
    """Check an Open Badges 3.0 credential issued by the platform: its signature and its document's status."""
    if not ratelimit.allow(request, "verify"):
        raise _limited()
    try:
        credential: Any = json.loads(request.body)
    except ValueError:
        credential = None
    check = credentials.verify_credential(credential)
    return {
        "signature": check.signature.code,
        "signature_valid": check.signature.ok,
        "signature_message": check.signature.reason,
        "document": credentials.public_fields(check.lookup) if check.lookup else None,
    }


@router.get("/verifier/{code}", response={200: VerificationOut, **responses(400, 404, 422, 429)}, tags=["v1 public"])
def v1_verify_code(request: HttpRequest, code: Annotated[str, Path(max_length=40)]) -> dict:
    """The public facts of the document with this verification code and its status
    (valid, revoked, replaced); an unknown code: 404, a mistyped one: 400."""
    if not ratelimit.allow(request, "verify"):
        raise _limited()
    result = credentials.lookup(code)
    if result.status == credentials.UNKNOWN:
        raise ApiError(404, "unknown_code", str(result.message), "code")
    if result.status in (credentials.MISTYPED, credentials.MALFORMED):
        raise ApiError(400, str(result.status), str(result.message), "code")
    return credentials.public_fields(result)


# --- the token's institution -------------------------------------------------------------------


class InstitutionRef(Schema):
    name: str
    uai: str


class MeOut(Schema):
    institution: InstitutionRef
    token: str
    scopes: list[str]


class MySessionOut(Schema):
    id: int
    session_id: int
    name: str
    framework: str
    jury_date: dt.date
    portfolio_deadline: dt.datetime
    test_opens: dt.datetime | None
    test_closes: dt.datetime | None
    capacity: int | None
    place: str
    counts: dict[str, int] = Field(description="Lines by state: active, withdrawn, invited, declined.")


class MySessionPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[MySessionOut]


class EnrolmentOut(Schema):
    enrolment_id: int | None = Field(description="None for an invitation not confirmed.")
    session: int
    session_name: str
    state: str = Field(description="active, withdrawn, invited or declined.")
    last_name: str
    first_names: str
    birth_date: dt.date
    birth_place: str
    email: str
    ine: str
    candidate_status: str
    special_curriculum: bool
    since: dt.datetime
    extra_time_percent: int
    larger_text: bool
    separate_room: bool
    adjustments_note: str


class EnrolmentPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[EnrolmentOut]


@router.get(
    "/etablissement", response={200: MeOut, **responses(401, 403, 422)}, tags=["v1 établissement"], auth=token_auth
)
def v1_me(request: HttpRequest) -> dict:
    """The token's institution, name and scopes (any scope)."""
    token = token_of(request)
    return {
        "institution": {"name": token.institution.name, "uai": token.institution.uai},
        "token": token.name,
        "scopes": token.scopes,
    }


def _sessions_of(token: ApiToken) -> Any:
    return (
        InstitutionSession.objects.filter(institution=token.institution)
        .select_related("session__framework")
        .order_by("-session__start", "pk")
    )


def _session_of(token: ApiToken, session_id: int) -> InstitutionSession:
    """A session of the token's institution; another institution's: 404, as on the pages."""
    found = _sessions_of(token).filter(pk=session_id).first()
    if found is None:
        raise ApiError(404, "not_found", _("No session of your institution has this number."), "session")
    return found


@router.get(
    "/etablissement/sessions",
    response={200: MySessionPage, **responses(401, 403, 422)},
    tags=["v1 établissement"],
    auth=token_auth,
)
def v1_my_sessions(request: HttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> dict:
    """The sessions the institution organises (scope `read`)."""
    token = token_of(request, Scope.READ)
    result = page(_sessions_of(token), limit, offset)
    result["results"] = [
        {
            "id": i.pk,
            "session_id": i.session_id,
            "name": i.session.name,
            "framework": i.session.framework.code,
            "jury_date": i.jury_date,
            "portfolio_deadline": i.portfolio_deadline,
            "test_opens": i.test_opens,
            "test_closes": i.test_closes,
            "capacity": i.capacity,
            "place": i.place,
            "counts": roster.counts(i),
        }
        for i in result["results"]
    ]
    return result


def _lines(token: ApiToken, session: int | None, statut: str, recherche: str) -> list[tuple[InstitutionSession, Any]]:
    chosen = [_session_of(token, session)] if session else list(_sessions_of(token))
    return [(i, line) for i in chosen for line in roster.roster(i, q=recherche, state=statut)]


def _enrolment(i: InstitutionSession, line: roster.Line) -> dict:
    return {
        "enrolment_id": line.enrolment_id,
        "session": i.pk,
        "session_name": i.session.name,
        "state": line.state,
        "last_name": line.last_name,
        "first_names": line.first_names,
        "birth_date": line.birth_date,
        "birth_place": line.birth_place,
        "email": line.email,
        "ine": line.ine,
        "candidate_status": line.candidate_status,
        "special_curriculum": line.special_curriculum,
        "since": line.since,
        "extra_time_percent": line.extra_time_percent,
        "larger_text": line.larger_text,
        "separate_room": line.separate_room,
        "adjustments_note": line.adjustments_note,
    }


SessionFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Une session de l'établissement.")]
Search = Annotated[str, Line(100)]


@router.get(
    "/etablissement/inscriptions",
    response={200: EnrolmentPage, **responses(401, 403, 404, 422)},
    tags=["v1 établissement"],
    auth=token_auth,
)
def v1_enrolments(
    request: HttpRequest,
    session: SessionFilter = None,
    statut: STATES = "",
    recherche: Search = "",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict:
    """The institution's enrolments and unconfirmed invitations (scope `read`),
    by session, state (`statut`) and a text searched in names, e-mail and INE
    (`recherche`). An invitation shows only what the institution typed."""
    token = token_of(request, Scope.READ)
    result = page(_lines(token, session, statut, recherche), limit, offset)
    result["results"] = [_enrolment(i, line) for i, line in result["results"]]
    return result


EXPORT_HEADER = ["session", *roster.EXPORT_HEADER]  # the page's export, each line with its session


def _export_media_type() -> str:
    # the one writer decides what it writes (c2i.lib.tabular)
    return tabular.csv_response("x", [], [])["Content-Type"].split(";")[0]


@router.get(
    "/etablissement/inscriptions/export",
    response={**responses(401, 403, 404, 422)},
    tags=["v1 établissement"],
    openapi_extra={
        "responses": {
            "200": {
                "description": "CSV (séparateur « ; », UTF-8 avec BOM), formules neutralisées.",
                "content": {_export_media_type(): {"schema": {"type": "string"}}},
            }
        }
    },
    auth=token_auth,
)
def v1_enrolments_export(
    request: HttpRequest, session: SessionFilter = None, statut: STATES = "", recherche: Search = ""
) -> HttpResponse:
    """The same lines as a CSV file (scope `read`); the same filters, no pagination."""
    token = token_of(request, Scope.READ)
    rows = [[i.session.name, *roster.export_row(line)] for i, line in _lines(token, session, statut, recherche)]
    return tabular.csv_response(f"inscriptions-{token.institution.uai}", EXPORT_HEADER, rows)


# --- bulk invitations ----------------------------------------------------------------------------


class InvitationRow(Schema):
    """One candidate, as a line of the candidates' import (its columns, its checks)."""

    model_config = ConfigDict(extra="forbid")

    nom: Annotated[str, Line(100)] = ""
    prenoms: Annotated[str, Line(150)] = ""
    date_naissance: Annotated[str, Line(20)] = Field("", description="JJ/MM/AAAA or AAAA-MM-JJ.")
    lieu_naissance: Annotated[str, Line(120)] = ""
    email: Annotated[str, Line(254)] = ""
    ine: Annotated[str, Line(20)] = ""
    statut: Annotated[str, Line(30)] = Field("", description="etudiant or formation_continue.")
    cursus_particulier: bool = False
    temps_supplementaire: Annotated[str, Line(20)] = Field("", description="33, « 33 % » or tiers-temps; empty: none.")
    gros_caracteres: bool = False
    salle_separee: bool = False
    reference_amenagement: Annotated[str, Line(200)] = ""


class InvitationsIn(Schema):
    rows: list[InvitationRow] = Field(min_length=1, max_length=MAX_ROWS)
    partial: bool = Field(
        False, description="false (default): nothing is invited while a row is wrong; true: the right rows are."
    )


class InvitationsOut(Schema):
    imported: bool
    rows: int
    invited: int
    already: int = Field(description="Rows that changed nothing (already invited or enrolled here).")
    errors: list[RowErrorOut]
    notices: list[RowErrorOut]


ROW_FIELDS = list(InvitationRow.model_fields)


def _import_text(rows: list[InvitationRow]) -> bytes:
    """The rows as the import reads a file: its header, one line a row (the API's
    texts hold no line break: `Line` refuses control characters)."""

    def cell(value: Any) -> str:
        text = ("oui" if value else "non") if isinstance(value, bool) else str(value)
        return '"' + text.replace('"', '""') + '"'

    lines = [";".join(ROW_FIELDS)] + [";".join(cell(getattr(r, f)) for f in ROW_FIELDS) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _row_error(error: importing.LineError) -> dict:
    # line 1 is the header: the first row (index 0) is line 2
    return {"row": error.line - 2, "field": error.column or None, "code": "invalid_row", "message": error.message}


@router.post(
    "/etablissement/sessions/{session_id}/invitations",
    response={200: InvitationsOut, **responses(400, 401, 403, 404, 409, 422)},
    tags=["v1 établissement"],
    auth=token_auth,
)
def v1_invite(request: HttpRequest, session_id: SessionId, payload: InvitationsIn) -> Status:
    """Invite candidates to a session (scope `invite`), as the candidates' import
    does, through the same service: each row is checked as a line of the file.
    By default all or nothing: while a row is wrong nothing is stored and the
    answer (422) lists every wrong row (`errors`: index from 0, field,
    message); with `partial: true` the right rows are invited and the wrong
    ones listed. A row already invited or enrolled here changes nothing
    (`notices`). Each accepted request is audited with the token's name."""
    token = token_of(request, Scope.INVITE)
    institution_session = _session_of(token, session_id)
    try:
        report = importing.import_candidates(
            institution_session,
            _import_text(payload.rows),
            f"api:{token.name}",
            token.created_by,
            only_valid=payload.partial,
        )
    except DomainError as error:
        raise ApiError(409, error.code, error.message) from error
    errors = [_row_error(e) for e in report.errors]
    if not report.imported:
        wrong = report.wrong_lines
        raise ApiError(
            422,
            "invalid_rows",
            ngettext(
                "%(count)s row is wrong: nothing was stored.", "%(count)s rows are wrong: nothing was stored.", wrong
            )
            % {"count": wrong},
            None,
            errors,
        )
    audit(
        token.created_by,
        AuditAction.API_INVITE,
        institution_session,
        token=token.name,
        token_id=token.pk,
        invited=report.invited,
        already=report.already,
        rejected=len(errors),
    )
    return Status(
        200,
        {
            "imported": True,
            "rows": report.rows,
            "invited": report.invited,
            "already": report.already,
            "errors": errors,
            "notices": [{**_row_error(n), "code": "unchanged"} for n in report.notices],
        },
    )


# --- results -------------------------------------------------------------------------------------


class DomainScoreOut(Schema):
    domain: str
    percent: float
    positive: bool
    questions: int
    neutralised: int


class AttemptResultOut(Schema):
    enrolment_id: int
    last_name: str
    first_names: str
    ine: str
    started_at: dt.datetime
    submitted_at: dt.datetime | None
    scored: bool
    score: float | None
    domains: list[DomainScoreOut]


class ExamOut(Schema):
    title: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    results_published_at: dt.datetime | None


class ResultsPage(Schema):
    exam: ExamOut | None
    count: int
    limit: int
    offset: int
    results: list[AttemptResultOut]


OBJECT = {**responses(401, 403, 404, 422)}


@router.get(
    "/etablissement/sessions/{session_id}/resultats",
    response={200: ResultsPage, **OBJECT},
    tags=["v1 établissement"],
    auth=token_auth,
)
def v1_exam_results(
    request: HttpRequest, session_id: SessionId, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict:
    """The knowledge test's sittings of a session and their scores by domain (scope `results`)."""
    token = token_of(request, Scope.RESULTS)
    institution_session = _session_of(token, session_id)
    exam = Exam.objects.filter(institution_session=institution_session).first()
    rows = result_rows(exam) if exam is not None else []
    result = page(rows, limit, offset)
    result["exam"] = (
        {
            "title": exam.title,
            "opens_at": exam.opens_at,
            "closes_at": exam.closes_at,
            "results_published_at": exam.results_published_at,
        }
        if exam is not None
        else None
    )
    result["results"] = [
        {
            "enrolment_id": row.attempt.enrolment_id,
            "last_name": row.attempt.enrolment.candidate.last_name,
            "first_names": row.attempt.enrolment.candidate.first_names,
            "ine": row.attempt.enrolment.candidate.ine,
            "started_at": row.attempt.started_at,
            "submitted_at": row.attempt.submitted_at,
            "scored": row.attempt.closed_at is not None,
            "score": row.attempt.score,
            "domains": [
                {
                    "domain": code,
                    "percent": r.percent,
                    "positive": r.positive,
                    "questions": r.questions,
                    "neutralised": r.neutralised,
                }
                for code, r in row.by_domain.items()
            ],
        }
        for row in result["results"]
    ]
    return result


class OutcomeOut(Schema):
    enrolment_id: int
    last_name: str
    first_names: str
    ine: str
    status: str = Field(description="certified, not_certified or incomplete.")
    validated_domains: list[str]
    carried_over: list[str]
    deferred: bool


class OutcomesPage(Schema):
    deliberation: str = Field(description="none, open, closed or published; outcomes once closed.")
    closed_at: dt.datetime | None
    published_at: dt.datetime | None
    count: int
    limit: int
    offset: int
    results: list[OutcomeOut]


@router.get(
    "/etablissement/sessions/{session_id}/deliberation",
    response={200: OutcomesPage, **OBJECT},
    tags=["v1 établissement"],
    auth=token_auth,
)
def v1_jury_outcomes(
    request: HttpRequest, session_id: SessionId, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict:
    """The jury's outcomes of a session (scope `results`), once the jury has
    closed its deliberation: an open deliberation's outcomes may still change."""
    token = token_of(request, Scope.RESULTS)
    institution_session = _session_of(token, session_id)
    deliberation = Deliberation.objects.filter(institution_session=institution_session).first()
    final = deliberation is not None and deliberation.status != DeliberationStatus.OPEN
    outcomes = (
        CandidateOutcome.objects.filter(institution_session=institution_session)
        .select_related("enrolment__candidate")
        .order_by("enrolment__candidate__last_name", "enrolment__candidate__first_names", "pk")
        if final
        else CandidateOutcome.objects.none()
    )
    result = page(outcomes, limit, offset)
    result.update(
        deliberation=deliberation.status if deliberation is not None else "none",
        closed_at=deliberation.closed_at if deliberation is not None else None,
        published_at=deliberation.published_at if deliberation is not None else None,
        results=[
            {
                "enrolment_id": o.enrolment_id,
                "last_name": o.enrolment.candidate.last_name,
                "first_names": o.enrolment.candidate.first_names,
                "ine": o.enrolment.candidate.ine,
                "status": o.status,
                "validated_domains": list(o.validated_domains),
                "carried_over": list(o.carried_over),
                "deferred": o.deferred,
            }
            for o in result["results"]
        ],
    )
    return result


class DocumentOut(Schema):
    enrolment_id: int
    kind: str = Field(description="certificate or attestation.")
    code: str
    holder_name: str
    status: str = Field(description="valid, revoked or replaced.")
    issued_at: dt.datetime
    replaced_by: str | None
    verification_url: str


class DocumentsPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[DocumentOut]


@router.get(
    "/etablissement/sessions/{session_id}/documents",
    response={200: DocumentsPage, **OBJECT},
    tags=["v1 établissement"],
    auth=token_auth,
)
def v1_documents(request: HttpRequest, session_id: SessionId, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> dict:
    """The certificates and attestations issued for a session (scope `results`), each with its verification code."""
    token = token_of(request, Scope.RESULTS)
    institution_session = _session_of(token, session_id)
    documents = (
        IssuedDocument.objects.filter(enrolment__institution_session=institution_session)
        .select_related("replaced_by")
        .order_by("holder_name", "pk")
    )
    result = page(documents, limit, offset)
    result["results"] = [
        {
            "enrolment_id": d.enrolment_id,
            "kind": d.kind,
            "code": d.code,
            "holder_name": d.holder_name,
            "status": d.status,
            "issued_at": d.issued_at,
            "replaced_by": d.replaced_by.code if d.replaced_by else None,
            "verification_url": credentials.verification_url(d.code),
        }
        for d in result["results"]
    ]
    return result


__all__ = ["ErrorOut", "body", "router"]
