"""Portfolio pages: the candidate's space, the institution's follow-up
(assessors and correspondents), the jury's reading of submitted versions.
Every object comes through `c2i.portfolio.access`."""

from __future__ import annotations

import unicodedata
from typing import Any, cast
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from c2i.accounts.access import AuthenticatedRequest, role_required, roles
from c2i.enrolment import conflicts
from c2i.enrolment.access import institution_sessions_for_staff
from c2i.enrolment.models import Enrolment
from c2i.lib.confirm import CONFIRM_METHODS, confirmation_page
from c2i.lib.pages import page
from c2i.portfolio import access, confirmations, export, filetypes, services
from c2i.portfolio.forms import CommentForm, EvidenceForm, FileForm, PositioningForm, Progress, StaffFilterForm
from c2i.portfolio.models import (
    Evidence,
    EvidenceFile,
    Portfolio,
    StoredFile,
    Submission,
    SubmissionStatus,
    SubmittedEvidence,
    SubmittedFile,
)
from c2i.portfolio.progress import build_overview, carried_over_domains, competency_total, covered_counts
from c2i.portfolio.progress import portfolio_overview as overview_of

CANDIDATE = ("is_candidate",)
STAFF = ("is_assessor", "is_correspondent")


def _my_space_crumbs(portfolio: Portfolio | None = None) -> list[tuple[str, str]]:
    crumbs = [(reverse("enrolment:my_space"), _("My certification"))]
    if portfolio is not None:
        crumbs.append((portfolio.get_absolute_url(), _("My portfolio")))
    return crumbs


def _uploads(files: list[Any]) -> list[services.Upload]:
    return [services.Upload.from_django(f) for f in files]


# --- the candidate ------------------------------------------------------------


@role_required(*CANDIDATE)
def mine(request: AuthenticatedRequest, code: str) -> HttpResponse:
    from c2i.enrolment import freeze

    portfolio = access.get_own_portfolio(request.user, code)
    enrolments = list(services.active_enrolments(portfolio))
    freeze.mark_deliberated(e.institution_session for e in enrolments)  # once, not once per enrolment
    submissions = list(
        portfolio.submissions.select_related("institution_session__session", "institution_session__institution")
    )
    current = {s.enrolment_id: s for s in submissions if s.is_current}
    return page(
        request,
        "portfolio/mine.html",
        _("My portfolio — %(framework)s") % {"framework": portfolio.framework.code},
        _my_space_crumbs(),
        portfolio=portfolio,
        overview=overview_of(portfolio),
        items=portfolio.items.prefetch_related("competencies", "files", "comments"),
        deposits=[(e, current.get(e.pk)) for e in enrolments],
        history=[s for s in submissions if not s.is_current],
        used=portfolio.stored_bytes(),
        limit=services.max_portfolio_bytes(),
    )


def _evidence_form_page(
    request: AuthenticatedRequest,
    portfolio: Portfolio,
    form: EvidenceForm,
    evidence: Evidence | None,
    status: int,
    saved: Evidence | None = None,
) -> HttpResponse:
    title = _("Edit « %(title)s »") % {"title": evidence.title} if evidence else _("Add an evidence item")
    return page(
        request,
        "portfolio/evidence_form.html",
        title,
        _my_space_crumbs(portfolio),
        status=status,
        portfolio=portfolio,
        form=form,
        evidence=evidence,
        saved=saved,
        r8_allowed=services.final_practical_allowed(portfolio),
    )


@role_required(*CANDIDATE)
def evidence_add(request: AuthenticatedRequest, code: str) -> HttpResponse:
    portfolio = access.get_own_portfolio(request.user, code)
    form = EvidenceForm(request.POST or None, request.FILES or None, framework=portfolio.framework)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                evidence = services.create_evidence(
                    portfolio, request.user, form.draft(), uploads=_uploads(form.cleaned_data.get("files") or [])
                )
            except services.FileRefused as error:
                form.add_error("files", error.message)
            except services.PortfolioError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The item « %(title)s » is added.") % {"title": evidence.title})
                return redirect(evidence.get_absolute_url())
    return _evidence_form_page(request, portfolio, form, None, status)


@role_required(*CANDIDATE)
def evidence_detail(request: AuthenticatedRequest, code: str, pk: int) -> HttpResponse:
    portfolio = access.get_own_portfolio(request.user, code)
    evidence = access.get_own_evidence(request.user, portfolio, pk)
    return _evidence_page(request, portfolio, evidence, FileForm(), 200)


def _evidence_page(
    request: AuthenticatedRequest, portfolio: Portfolio, evidence: Evidence, file_form: FileForm, status: int
) -> HttpResponse:
    return page(
        request,
        "portfolio/evidence_detail.html",
        evidence.title,
        _my_space_crumbs(portfolio),
        status=status,
        portfolio=portfolio,
        item=evidence,
        file_form=file_form,
        comments=evidence.comments.select_related("author"),
    )


@role_required(*CANDIDATE)
def evidence_edit(request: AuthenticatedRequest, code: str, pk: int) -> HttpResponse:
    portfolio = access.get_own_portfolio(request.user, code)
    evidence = access.get_own_evidence(request.user, portfolio, pk)
    if evidence.is_system:
        raise PermissionDenied
    initial = {
        "kind": evidence.kind,
        "title": evidence.title,
        "context": evidence.context,
        "activity_date": evidence.activity_date,
        "competencies": list(evidence.competencies.all()),
        "link": evidence.link,
        "reflection": evidence.reflection,
        "version": evidence.version,
    }
    form = EvidenceForm(request.POST or None, initial=initial, framework=portfolio.framework, with_files=False)
    status = 200
    saved = None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.update_evidence(evidence, request.user, form.draft(), version=form.cleaned_data.get("version"))
            except services.StaleEvidence as error:
                # The candidate's text stays in the form, now based on the
                # saved version, which the page shows beside it.
                saved = error.current
                data = request.POST.copy()
                data["version"] = str(saved.version)
                form = EvidenceForm(data, framework=portfolio.framework, with_files=False)
                form.is_valid()
                form.add_error(None, error.message)
                status = 409
            except services.PortfolioError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The item is updated."))
                return redirect(evidence.get_absolute_url())
    return _evidence_form_page(request, portfolio, form, evidence, status, saved)


@require_http_methods(CONFIRM_METHODS)
@role_required(*CANDIDATE)
def evidence_delete(request: AuthenticatedRequest, code: str, pk: int) -> HttpResponse:
    """GET: what the deletion takes away; POST: the deletion."""
    portfolio = access.get_own_portfolio(request.user, code)
    evidence = access.get_own_evidence(request.user, portfolio, pk)
    if request.method != "POST":
        crumbs = [*_my_space_crumbs(portfolio), (evidence.get_absolute_url(), evidence.title)]
        return confirmation_page(request, confirmations.delete_evidence(evidence), crumbs)
    try:
        services.delete_evidence(evidence, request.user)
    except services.PortfolioError as error:
        messages.error(request, error.message)
        return redirect(evidence.get_absolute_url())
    messages.success(request, _("The item « %(title)s » is deleted.") % {"title": evidence.title})
    return redirect(portfolio.get_absolute_url())


@require_POST
@role_required(*CANDIDATE)
def file_add(request: AuthenticatedRequest, code: str, pk: int) -> HttpResponse:
    portfolio = access.get_own_portfolio(request.user, code)
    evidence = access.get_own_evidence(request.user, portfolio, pk)
    form = FileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            stored = services.add_files(evidence, _uploads(form.cleaned_data["files"]), request.user)
        except services.PortfolioError as error:
            form.add_error("files", error.message)
        else:
            messages.success(
                request,
                _("Added: %(names)s.") % {"names": ", ".join(f"« {f.original_name} »" for f in stored)},
            )
            return redirect(evidence.get_absolute_url())
    return _evidence_page(request, portfolio, evidence, form, 400)


@require_http_methods(CONFIRM_METHODS)
@role_required(*CANDIDATE)
def file_delete(request: AuthenticatedRequest, code: str, pk: int) -> HttpResponse:
    """GET: which file goes and what the item keeps; POST: the removal."""
    portfolio = access.get_own_portfolio(request.user, code)
    item_file = get_object_or_404(EvidenceFile.objects.select_related("evidence", "blob"), pk=pk)
    evidence = access.get_own_evidence(request.user, portfolio, item_file.evidence_id)
    if request.method != "POST":
        crumbs = [*_my_space_crumbs(portfolio), (evidence.get_absolute_url(), evidence.title)]
        return confirmation_page(request, confirmations.remove_file(item_file), crumbs)
    try:
        services.remove_file(item_file, request.user)
    except services.PortfolioError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The file « %(name)s » is removed.") % {"name": item_file.original_name})
    return redirect(evidence.get_absolute_url())


@require_POST
@role_required(*CANDIDATE)
def submit(request: AuthenticatedRequest, code: str) -> HttpResponse:
    portfolio = access.get_own_portfolio(request.user, code)
    enrolment = Enrolment.objects.filter(
        pk=_int(request.POST.get("enrolment")), candidate_id=portfolio.candidate_id
    ).first()
    if enrolment is None:
        raise Http404
    try:
        submission = services.submit_portfolio(portfolio, enrolment, request.user)
    except services.PortfolioError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Your portfolio is submitted to the jury of %(session)s at %(institution)s. You can keep "
                "working on it: the jury sees the submitted version until you submit again."
            )
            % {
                "session": submission.institution_session.session.name,
                "institution": submission.institution_session.institution.name,
            },
        )
    return redirect(portfolio.get_absolute_url())


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_http_methods(CONFIRM_METHODS)
@role_required(*CANDIDATE)
def withdraw_submission(request: AuthenticatedRequest, code: str, pk: int) -> HttpResponse:
    """GET: what the withdrawal means for the jury; POST: the withdrawal."""
    portfolio = access.get_own_portfolio(request.user, code)
    submission = get_object_or_404(
        Submission.objects.select_related("institution_session__session", "institution_session__institution"),
        pk=pk,
        portfolio=portfolio,
    )
    if request.method != "POST":
        return confirmation_page(request, confirmations.withdraw_submission(submission), _my_space_crumbs(portfolio))
    try:
        services.withdraw_submission(submission, request.user)
    except services.PortfolioError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The submission is withdrawn; you can submit again before the deadline."))
    return redirect(portfolio.get_absolute_url())


@role_required(*CANDIDATE)
def export_zip(request: AuthenticatedRequest, code: str) -> HttpResponse:
    portfolio = access.get_own_portfolio(request.user, code)
    archive = export.portfolio_zip(portfolio)
    name = f"dossier-{portfolio.framework.code}-{portfolio.candidate.last_name}.zip"
    response = FileResponse(archive, content_type="application/zip")
    _attachment(response, name)
    return cast(HttpResponse, response)


# --- files ----------------------------------------------------------------------


def _ascii_fallback(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = "".join(ch if ch.isalnum() or ch in " .-_()" else "_" for ch in plain)
    return " ".join(plain.split()) or "fichier"


def _disposition(name: str) -> str:
    """`attachment` with the sanitised name, in ASCII and in RFC 5987 form for the accents."""
    name = filetypes.sanitise_name(name)
    return f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def _attachment(response: HttpResponseBase, name: str) -> None:
    """`Content-Disposition: attachment` (`_disposition`); no sniffing, no scripts."""
    response["Content-Disposition"] = _disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"


def _file_response(blob: StoredFile, name: str) -> HttpResponse:
    """A file whose access was checked: streamed from the storage (local disk
    or object store) as it is read, or, with C2I_S3_SIGNED_URLS, a redirection
    to a signed URL of the object that expires in C2I_S3_URL_SECONDS."""
    if not services.storage().exists(blob.storage_name):
        raise Http404
    url = services.signed_url(blob.storage_name, _disposition(name), blob.type.content_type)
    if url is not None:
        redirection = redirect(url)
        redirection["Cache-Control"] = "private, no-store"
        return redirection
    response = FileResponse(services.open_stored(blob.storage_name), content_type=blob.type.content_type)
    if "Content-Length" not in response:  # an object's body does not tell its size
        response["Content-Length"] = str(blob.size)
    _attachment(response, name)
    return cast(HttpResponse, response)  # streamed; the view decorators expect an HttpResponse


@role_required(*CANDIDATE, *STAFF)
def file_download(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item_file = access.get_file_for_user(request.user, pk)
    return _file_response(item_file.blob, item_file.original_name)


# --- assessors and correspondents -------------------------------------------


@role_required(*STAFF)
def staff_list(request: AuthenticatedRequest) -> HttpResponse:
    r = roles(request.user)
    sessions = institution_sessions_for_staff(request.user).filter(institution_id__in=r.staff_institutions)
    form = StaffFilterForm(request.GET or None, sessions=sessions)
    followed = (
        access.followed_enrolments(r.staff_institutions)
        .select_related("candidate", "session__framework", "institution_session__institution")
        .order_by("candidate__last_name", "candidate__first_names")
    )
    chosen = form.cleaned_data if form.is_valid() else {}
    if chosen.get("session"):
        followed = followed.filter(institution_session_id=chosen["session"])
    enrolments = list(followed)
    portfolios = {
        (p.candidate_id, p.framework_id): p
        for p in access.portfolios_for_staff(request.user).filter(candidate_id__in={e.candidate_id for e in enrolments})
    }
    counts = covered_counts(portfolios.values())
    totals: dict[int, int] = {}
    current = {
        s.enrolment_id: s
        for s in Submission.objects.filter(enrolment__in=enrolments, status=SubmissionStatus.SUBMITTED)
    }
    rows = []
    for e in enrolments:
        framework = e.session.framework
        if framework.pk not in totals:
            totals[framework.pk] = competency_total(framework)
        portfolio = portfolios.get((e.candidate_id, framework.pk))
        covered = counts.get(portfolio.pk, 0) if portfolio else 0
        total = totals[framework.pk]
        state = Progress.NONE if covered == 0 else Progress.COMPLETE if covered >= total else Progress.PARTIAL
        submission = current.get(e.pk)
        if chosen.get("progress") and chosen["progress"] != state:
            continue
        if chosen.get("submitted") and (chosen["submitted"] == "yes") != (submission is not None):
            continue
        rows.append(
            {
                "enrolment": e,
                "portfolio": portfolio,
                "covered": covered,
                "total": total,
                "percent": round(100 * covered / total) if total else 0,
                "submission": submission,
            }
        )
    return page(
        request,
        "portfolio/staff_list.html",
        _("Candidates' portfolios"),
        [(reverse("enrolment:staff_sessions"), _("My sessions"))],
        form=form,
        rows=rows,
    )


@role_required(*STAFF)
def staff_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _staff_page(request, access.get_portfolio_for_staff(request.user, pk))


def _staff_page(
    request: AuthenticatedRequest,
    portfolio: Portfolio,
    positioning_form: PositioningForm | None = None,
    comment_form: tuple[int, CommentForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    can_assess = access.can_assess(request.user, portfolio)
    items = portfolio.items.prefetch_related(
        "competencies", "files", Prefetch("comments", queryset=_comments_queryset())
    )
    return page(
        request,
        "portfolio/staff_detail.html",
        str(portfolio.candidate),
        [
            (reverse("enrolment:staff_sessions"), _("My sessions")),
            (reverse("portfolio:staff_list"), _("Candidates' portfolios")),
        ],
        status=status,
        portfolio=portfolio,
        overview=overview_of(portfolio),
        items=items,
        can_assess=can_assess,
        own=conflicts.is_own(request.user, portfolio.candidate_id),
        positioning_form=positioning_form or PositioningForm(framework=portfolio.framework),
        comment_form=comment_form,
        enrolments=services.active_enrolments(portfolio),
        submissions=portfolio.submissions.select_related("institution_session__session").filter(
            institution_session__institution_id__in=roles(request.user).staff_institutions
        ),
    )


def _comments_queryset() -> Any:
    from c2i.portfolio.models import EvidenceComment

    return EvidenceComment.objects.select_related("author")


def _assessed_portfolio(request: AuthenticatedRequest, pk: int) -> Portfolio:
    portfolio = access.get_portfolio_for_staff(request.user, pk)
    if not access.assesses(request.user, portfolio):
        raise PermissionDenied  # correspondents read, assessors comment and position
    return portfolio  # their own portfolio: the service refuses, saying why


def _refusal(request: AuthenticatedRequest, form: Any, field: str | None, error: services.PortfolioError) -> None:
    """A refused comment or positioning: on its form, or as the page's message
    when the page shows no form (the assessor's own portfolio)."""
    if error.code == "own_portfolio":
        messages.error(request, error.message)
    else:
        form.add_error(field, error.message)


@require_POST
@role_required("is_assessor")
def comment(request: AuthenticatedRequest, pk: int, evidence_pk: int) -> HttpResponse:
    portfolio = _assessed_portfolio(request, pk)
    evidence = access.get_evidence_for_staff(request.user, portfolio, evidence_pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.add_comment(evidence, request.user, form.cleaned_data["body"])
        except services.PortfolioError as error:
            _refusal(request, form, "body", error)
        else:
            messages.success(request, _("Your comment is added; the candidate sees it."))
            return redirect(f"{portfolio.get_staff_url()}#item-{evidence.pk}")
    return _staff_page(request, portfolio, comment_form=(evidence.pk, form), status=400)


@require_POST
@role_required("is_assessor")
def position(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    portfolio = _assessed_portfolio(request, pk)
    form = PositioningForm(request.POST, framework=portfolio.framework)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.position(portfolio, data["competency"], data["level"], data["comment"], request.user)
        except services.PortfolioError as error:
            _refusal(request, form, None, error)
        else:
            messages.success(request, _("Positioning recorded for %(code)s.") % {"code": data["competency"].code})
            return redirect(f"{portfolio.get_staff_url()}#competencies")
    return _staff_page(request, portfolio, positioning_form=form, status=400)


# --- the jury: submitted versions (R9) --------------------------------------


@role_required("is_jury")
def jury_list(request: AuthenticatedRequest) -> HttpResponse:
    submissions = access.snapshots_for_jury(request.user).select_related("institution_session__institution")
    return page(
        request,
        "portfolio/jury_list.html",
        _("Submitted portfolios"),
        submissions=submissions.order_by(
            "institution_session__session__name", "portfolio__candidate__last_name", "portfolio__candidate__first_names"
        ),
    )


@role_required(*CANDIDATE, *STAFF, "is_jury")
def snapshot(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    submission = access.get_snapshot_for_user(request.user, pk)
    items = list(
        SubmittedEvidence.objects.filter(submission=submission).prefetch_related(
            "competencies", Prefetch("files", queryset=SubmittedFile.objects.select_related("item"))
        )
    )
    portfolio = submission.portfolio
    overview = build_overview(
        portfolio.framework, items, carried_over_domains(portfolio.candidate, portfolio.framework)
    )
    r = roles(request.user)
    if portfolio.candidate_id == r.candidate_id:
        crumbs = _my_space_crumbs(portfolio)
    elif submission.institution_session_id in r.jury_of:
        crumbs = [(reverse("portfolio:jury_list"), _("Submitted portfolios"))]
    else:
        crumbs = [
            (reverse("portfolio:staff_list"), _("Candidates' portfolios")),
            (portfolio.get_staff_url(), str(portfolio.candidate)),
        ]
    return page(
        request,
        "portfolio/snapshot.html",
        _("Submitted portfolio of %(candidate)s") % {"candidate": portfolio.candidate},
        crumbs,
        submission=submission,
        portfolio=portfolio,
        overview=overview,
        items=items,
    )


@role_required(*CANDIDATE, *STAFF, "is_jury")
def snapshot_file(request: AuthenticatedRequest, pk: int, file_pk: int) -> HttpResponse:
    submitted = access.get_snapshot_file_for_user(request.user, pk, file_pk)
    return _file_response(submitted.blob, submitted.original_name)
