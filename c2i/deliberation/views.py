from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from c2i.accounts import access as accounts_access
from c2i.accounts.access import AuthenticatedRequest
from c2i.deliberation import access, confirmations, services, sources
from c2i.deliberation.forms import CandidateFilterForm, GridImportForm, JuryMemberForm, RectificationForm
from c2i.deliberation.grid import split_refusal
from c2i.deliberation.minutes import render_minutes
from c2i.deliberation.models import CandidateOutcome, CompetencyDecision, DecisionValue, JuryMember
from c2i.deliberation.results import void_text
from c2i.enrolment import conflicts
from c2i.enrolment.access import get_institution_session_for_staff
from c2i.enrolment.models import InstitutionSession
from c2i.lib.confirm import CONFIRM_METHODS, confirmation_page
from c2i.lib.errors import DomainError
from c2i.lib.pages import page, paginate
from c2i.lib.tabular import csv_response

JURY_ROLES = ("is_jury", "is_admin")
GRID_PAGE = 50
SESSION_PAGE = 50
HOME_PAGE = 50


def help_view(request: HttpRequest) -> HttpResponse:
    return page(request, "deliberation/help.html", _("Jury help: the rules as the platform applies them"))


def _error(request: HttpRequest, error: DomainError) -> None:
    for line in error.message.splitlines():
        messages.error(request, line)


# --- correspondent: the jury's composition ------------------------------------


@accounts_access.role_required("is_correspondent", "is_admin")
def jury_setup(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution_session = get_institution_session_for_staff(request.user, pk, manage=True)
    form = JuryMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_jury_member(
                institution_session, form.cleaned_data["email"], form.cleaned_data["is_chair"], request.user
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The jury is updated."))
            return redirect("deliberation:jury_setup", pk=pk)
    members = list(JuryMember.objects.filter(institution_session=institution_session).select_related("user"))
    return page(
        request,
        "deliberation/jury_setup.html",
        _("Jury of %(session)s") % {"session": institution_session},
        [
            (reverse("enrolment:correspondent"), _("C2i correspondent")),
            (institution_session.get_absolute_url(), str(institution_session)),
        ],
        status=400 if form.errors else 200,
        institution_session=institution_session,
        members=members,
        candidates={m.pk for m in members if conflicts.is_candidate_of(m.user, institution_session.pk)},
        form=form,
    )


@require_http_methods(CONFIRM_METHODS)
@accounts_access.role_required("is_correspondent", "is_admin")
def jury_remove(request: AuthenticatedRequest, pk: int, member_pk: int) -> HttpResponse:
    """GET: what the removal does; POST: the removal."""
    institution_session = get_institution_session_for_staff(request.user, pk, manage=True)
    member = get_object_or_404(
        JuryMember.objects.select_related("user", "institution_session"),
        pk=member_pk,
        institution_session=institution_session,
    )
    if request.method != "POST":
        crumbs = [
            (reverse("enrolment:correspondent"), _("C2i correspondent")),
            (institution_session.get_absolute_url(), str(institution_session)),
            (
                reverse("deliberation:jury_setup", args=[pk]),
                _("Jury of %(session)s") % {"session": institution_session},
            ),
        ]
        return confirmation_page(request, confirmations.remove_member(member), crumbs)
    try:
        services.remove_jury_member(member, request.user)
    except DomainError as error:
        _error(request, error)
    else:
        messages.success(request, _("The member is removed from the jury."))
    return redirect("deliberation:jury_setup", pk=pk)


# --- the jury -----------------------------------------------------------------


@login_required
def jury_home(request: AuthenticatedRequest) -> HttpResponse:
    r = accounts_access.roles(request.user)
    void = list(access.void_seats(request.user))
    if not (r.is_jury or r.is_admin or void):
        raise PermissionDenied
    seated = JuryMember.objects.filter(institution_session_id=OuterRef("pk"))
    sessions = (
        access.sessions_for_jury(request.user)
        .filter(Exists(seated))
        .order_by("-session__start", "institution__name", "pk")
    )
    page_obj, querystring = paginate(request, sessions, HOME_PAGE)  # the administrator sees every jury
    return page(
        request,
        "deliberation/jury_home.html",
        _("Jury"),
        sessions=page_obj,
        page_obj=page_obj,
        querystring=querystring,
        chair_of=r.chair_of,
        void_seats=void,
    )


def _crumbs(institution_session: InstitutionSession | None = None) -> list[tuple[str, str]]:
    crumbs = [(reverse("deliberation:home"), _("Jury"))]
    if institution_session is not None:
        crumbs.append((reverse("deliberation:session", args=[institution_session.pk]), str(institution_session)))
    return crumbs


@accounts_access.role_required(*JURY_ROLES)
def session_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The session's candidates, a page at a time (a national session has
    thousands), narrowed by name and state; each page reads its own rows only."""
    institution_session = access.get_session_for_jury(request.user, pk)
    deliberation = services.get_deliberation(institution_session)
    counts = services.list_counts(institution_session)
    form = CandidateFilterForm(request.GET or None, counts=counts)
    name, state = "", ""
    if form.is_bound and form.is_valid():
        name, state = form.cleaned_data["q"], form.cleaned_data["state"]
    page_obj, querystring = paginate(request, services.candidate_list(institution_session, name, state), SESSION_PAGE)
    enrolments = services.enrolments_in_order(page_obj.object_list)
    ids = [e.pk for e in enrolments]
    outcomes = {o.enrolment_id: o for o in CandidateOutcome.objects.filter(enrolment_id__in=ids)}
    submitted = sources.submissions(ids)
    tests = sources.test_percentages_many(ids)
    void = sources.void_tests_many(ids)  # every question neutralised: said, never a percentage
    carried = services.carried_over_many(
        institution_session.session.framework_id, [(e.pk, e.identity_key) for e in enrolments]
    )
    rows = [
        {
            "enrolment": e,
            "outcome": outcomes.get(e.pk),
            "submitted": submitted.get(e.pk),
            "tests": sorted(tests.get(e.pk, {}).items()),
            "void_tests": [void_text(c) for c in void.get(e.pk, [])],
            "carried": sorted(carried.get(e.pk, {}).items()),
        }
        for e in enrolments
    ]
    return page(
        request,
        "deliberation/session.html",
        str(institution_session),
        _crumbs(),
        institution_session=institution_session,
        deliberation=deliberation,
        rows=rows,
        counts=counts,
        filter_form=form,
        filtered=bool(name or state),
        page_obj=page_obj,
        querystring=querystring,
        members=JuryMember.objects.filter(institution_session=institution_session).select_related("user"),
        is_juror=access.is_juror(request.user, institution_session),
        is_chair=access.is_chair(request.user, institution_session),
        import_form=GridImportForm(),
    )


def _candidate_context(institution_session: InstitutionSession, enrolment: Any) -> dict[str, Any]:
    policy = services.policy_for(institution_session.session.framework)
    current = {code: row for (_e, code), row in services.current_decision_rows([enrolment.pk]).items()}
    evidence = sources.submitted_evidence(enrolment)
    positionings = sources.positionings(enrolment)
    titles = dict(
        institution_session.session.framework.domains.values_list("competencies__code", "competencies__title")
    )
    domains = [
        {
            "code": d.code,
            "competencies": [
                {
                    "code": c,
                    "title": titles.get(c, ""),
                    "decision": current.get(c),
                    "evidence": evidence.get(c, []),
                    "positioning": positionings.get(c),
                }
                for c in d.competencies
            ],
        }
        for d in policy.domains
    ]
    history = CompetencyDecision.objects.filter(enrolment=enrolment).select_related("decided_by").order_by("-id")[:50]
    return {
        "domains": domains,
        "outcome": CandidateOutcome.objects.filter(enrolment=enrolment).first(),
        "submitted": sources.submissions([enrolment.pk]).get(enrolment.pk),
        "tests": sorted(sources.test_percentages(enrolment).items()),
        "void_tests": [void_text(c) for c in sources.void_tests(enrolment)],
        "carried": sorted(
            services.carried_over_many(
                institution_session.session.framework_id, [(enrolment.pk, enrolment.identity_key)]
            )
            .get(enrolment.pk, {})
            .items()
        ),
        "history": history,
    }


def _seen(value: str | None) -> int | None:
    """The id of the decision a juror's page showed (0: none); None when the
    form did not say (an older page): then nothing is compared."""
    return int(value) if value is not None and value.isdigit() else None


@accounts_access.role_required(*JURY_ROLES)
def candidate_view(request: AuthenticatedRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    institution_session = access.get_session_for_jury(request.user, pk)
    enrolment = access.get_candidate(institution_session, enrolment_pk)
    status = 200
    if request.method == "POST":
        access.require_juror(request.user, institution_session)
        code = request.POST.get("competency", "")
        try:
            evidence_ids = [int(i) for i in request.POST.getlist("evidence")]
            services.record_decision(
                enrolment,
                code,
                request.POST.get("value", ""),
                request.user,
                evidence_ids,
                request.POST.get("comment", ""),
                seen=_seen(request.POST.get("seen")),
            )
        except ValueError:
            messages.error(request, _("Unreadable evidence selection."))
            status = 400
        except DomainError as error:
            _error(request, error)
            status = 409 if error.code == "stale" else 400
        else:
            messages.success(request, _("Decision on %(code)s recorded.") % {"code": code})
            return redirect(f"{request.path}#c-{code}")
    return page(
        request,
        "deliberation/candidate.html",
        enrolment.candidate.full_name,
        _crumbs(institution_session),
        status=status,
        institution_session=institution_session,
        deliberation=services.get_deliberation(institution_session),
        enrolment=enrolment,
        is_juror=access.is_juror(request.user, institution_session),
        is_chair=access.is_chair(request.user, institution_session),
        rectification_form=RectificationForm(),
        **_candidate_context(institution_session, enrolment),
    )


@require_POST
@accounts_access.role_required(*JURY_ROLES)
def rectify_view(request: AuthenticatedRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    institution_session = access.get_session_for_jury(request.user, pk)
    enrolment = access.get_candidate(institution_session, enrolment_pk)
    access.require_chair(request.user, institution_session)
    form = RectificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the competency, the new decision and the reason."))
    else:
        try:
            services.rectify(
                enrolment,
                form.cleaned_data["competency"],
                form.cleaned_data["value"],
                form.cleaned_data["reason"],
                request.user,
                [int(i) for i in request.POST.getlist("evidence") if i.isdigit()],
            )
        except DomainError as error:
            _error(request, error)
        else:
            messages.success(request, _("Rectification recorded."))
    return redirect("deliberation:candidate", pk=pk, enrolment_pk=enrolment_pk)


@require_POST
@accounts_access.role_required(*JURY_ROLES)
def defer_view(request: AuthenticatedRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    institution_session = access.get_session_for_jury(request.user, pk)
    enrolment = access.get_candidate(institution_session, enrolment_pk)
    access.require_chair(request.user, institution_session)
    deferred = request.POST.get("deferred") == "1"
    try:
        services.set_deferred(enrolment, deferred, request.user)
    except DomainError as error:
        _error(request, error)
    else:
        messages.success(request, _("Candidate deferred.") if deferred else _("Deferral withdrawn."))
    back = reverse("deliberation:session", args=[pk])
    return redirect(f"{back}?{request.GET.urlencode()}" if request.GET else back)  # the page and filters it came from


def _grid_cells(request: AuthenticatedRequest, names: dict[int, str]) -> list[services.Cell]:
    """The cells this juror changed: `c-<enrolment>-<code>` differs from the
    value the page showed (`o-…`); `s-…` is the id of the decision shown."""
    cells = []
    for key in request.POST:
        if not key.startswith("c-"):
            continue
        value = request.POST.get(key, "")
        _prefix, enrolment_id, code = key.split("-", 2)
        if not enrolment_id.isdigit():
            continue
        if request.POST.get(f"o-{enrolment_id}-{code}", "") == value:
            continue  # unchanged by this juror
        label = f"« {names.get(int(enrolment_id), enrolment_id)} », {code}"
        seen = _seen(request.POST.get(f"s-{enrolment_id}-{code}"))
        cells.append(services.Cell(int(enrolment_id), code, value, label, seen))
    return cells


def _grid_cell(
    code: str, current: CompetencyDecision | None, kept: services.Cell | None, refusal: str = ""
) -> dict[str, Any]:
    """A cell of the grid page: the decision recorded (`value`, `id`) and what
    its select shows — the juror's refused change, unless another juror
    decided this cell meanwhile; `refusal`: why this cell refused the grid."""
    value, pk = (current.value, current.pk) if current is not None else ("", 0)
    stale = kept is not None and kept.seen is not None and kept.seen != pk
    shown = kept.value if kept is not None and not stale else value
    return {"code": code, "value": value, "id": pk, "shown": shown, "stale": stale, "refusal": refusal}


def _cell_html(enrolment_pk: int, name: str, cell: dict[str, Any], editable: bool) -> str:
    """The inside of a grid cell: the value and decision id the page showed,
    the select, the refusal. Written here rather than in the template: a page
    has 50 candidates × every competency (1,000 cells), which the template
    language renders ten times slower."""
    key = f"{enrolment_pk}-{escape(cell['code'])}"
    label = f"{escape(name)} {escape(cell['code'])}"
    if cell["stale"]:
        label += f" ({escape(_('decided meanwhile by another juror'))})"
    select = f'<select class="fr-select c2i-cell" id="cell-{key}" name="c-{key}" aria-label="{label}"'
    if cell["refusal"]:
        select += f' aria-invalid="true" aria-describedby="cell-{key}-error"'
    select += ">" if editable else " disabled>"
    shown = cell["shown"]
    options = "".join(
        f'<option value="{v}"{" selected" if shown == v or (not v and not shown) else ""}>{v}</option>'
        for v in ("", "V", "NV")
    )
    html = (
        f'<input type="hidden" name="o-{key}" value="{escape(cell["value"])}">'
        f'<input type="hidden" name="s-{key}" value="{cell["id"]}">{select}{options}</select>'
    )
    if cell["refusal"]:
        html = (
            '<div class="fr-select-group fr-select-group--error fr-mb-0">'
            f'{html}<p class="fr-error-text c2i-cell__error" id="cell-{key}-error">{escape(cell["refusal"])}</p></div>'
        )
    return mark_safe(html)  # every value above is escaped


@accounts_access.role_required(*JURY_ROLES)
def grid_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution_session = access.get_session_for_jury(request.user, pk)
    policy = services.policy_for(institution_session.session.framework)
    codes = [c for d in policy.domains for c in d.competencies]
    page_obj, querystring = paginate(request, services.candidate_list(institution_session), GRID_PAGE)
    enrolments = services.enrolments_in_order(page_obj.object_list)
    status = 200
    kept: dict[tuple[int, str], services.Cell] = {}  # the juror's changes, shown again after a refusal
    refused: dict[tuple[int, str], tuple[str, str]] = {}  # the cells that refused them: (line, why)
    refusal_lines: list[str] = []  # the refusal, line by line, as the alert lists it
    if request.method == "POST":
        access.require_juror(request.user, institution_session)
        cells = _grid_cells(request, {e.pk: e.candidate.full_name for e in enrolments})
        try:
            written = services.record_cells(institution_session, cells, request.user, "grid page")
        except DomainError as error:
            refusal_lines = error.message.splitlines()
            labels = {(c.enrolment_id, c.competency_code): c.label for c in cells}
            refused, _others = split_refusal(refusal_lines, labels)
            status = 409 if error.code == "stale" else 400
            kept = {(c.enrolment_id, c.competency_code): c for c in cells}
        else:
            messages.success(request, _("%(n)s decision(s) recorded.") % {"n": written})
            return redirect(f"{request.path}?page={page_obj.number}")
    ids = [e.pk for e in enrolments]
    current = services.current_decision_rows(ids)
    outcomes = {o.enrolment_id: o for o in CandidateOutcome.objects.filter(enrolment_id__in=ids)}
    deliberation = services.get_deliberation(institution_session)
    is_juror = access.is_juror(request.user, institution_session)
    editable = is_juror and deliberation.is_open
    rows = []
    for e in enrolments:
        row_cells = [
            _grid_cell(c, current.get((e.pk, c)), kept.get((e.pk, c)), refused.get((e.pk, c), ("", ""))[1])
            for c in codes
        ]
        for cell in row_cells:
            cell["html"] = _cell_html(e.pk, e.candidate.full_name, cell, editable)
        rows.append({"enrolment": e, "outcome": outcomes.get(e.pk), "cells": row_cells})
    line_cells = {line: f"cell-{key[0]}-{key[1]}" for key, (line, _why) in refused.items()}
    return page(
        request,
        "deliberation/grid.html",
        _("Grid — %(session)s") % {"session": institution_session},
        _crumbs(institution_session),
        status=status,
        institution_session=institution_session,
        deliberation=deliberation,
        codes=codes,
        rows=rows,
        refusal=[(line, line_cells.get(line, "")) for line in refusal_lines],
        refused_count=len(refused),
        refusal_stale=status == 409,
        page_obj=page_obj,
        querystring=querystring,
        choices=DecisionValue.choices,
        is_juror=is_juror,
    )


@accounts_access.role_required(*JURY_ROLES)
def grid_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution_session = access.get_session_for_jury(request.user, pk)
    header, rows = services.export_grid(institution_session)
    return csv_response(f"grille-{institution_session.session.framework.code}-{institution_session.pk}", header, rows)


@require_POST
@accounts_access.role_required(*JURY_ROLES)
def grid_import(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution_session = access.get_session_for_jury(request.user, pk)
    access.require_juror(request.user, institution_session)
    form = GridImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file."))
        return redirect("deliberation:session", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        written = services.import_grid(institution_session, upload.read(), upload.name, request.user)
    except DomainError as error:
        _error(request, error)
        messages.error(request, _("Nothing was recorded."))
    else:
        messages.success(request, _("%(n)s decision(s) recorded from the grid.") % {"n": written})
    return redirect("deliberation:session", pk=pk)


def _chair_session(request: AuthenticatedRequest, pk: int) -> InstitutionSession:
    """The session of a chair's action (close, publish): refused to members."""
    institution_session = access.get_session_for_jury(request.user, pk)
    access.require_chair(request.user, institution_session)
    return institution_session


@require_http_methods(CONFIRM_METHODS)
@accounts_access.role_required(*JURY_ROLES)
def close_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: what closing does, with the counts and what blocks it; POST: the
    closing (with the chair's reason when the calendar is not over). A refusal
    shows the page again, the reason as typed."""
    institution_session = _chair_session(request, pk)
    reason = request.POST.get("reason", "")
    if request.method != "POST":
        return confirmation_page(request, confirmations.close(institution_session), _crumbs(institution_session))
    try:
        services.close_deliberation(institution_session, request.user, reason=reason)
    except DomainError as error:
        on_reason = error.code in ("too_early", "too_long")
        confirmation = confirmations.close(
            institution_session,
            reason=reason,
            error="" if on_reason else error.message,
            reason_error=error.message if on_reason else "",
        )
        return confirmation_page(request, confirmation, _crumbs(institution_session), status=400)
    messages.success(request, _("The deliberation is closed; the minutes are available."))
    return redirect("deliberation:session", pk=pk)


@require_http_methods(CONFIRM_METHODS)
@accounts_access.role_required(*JURY_ROLES)
def publish_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: what publishing issues, counted; POST: the publication."""
    institution_session = _chair_session(request, pk)
    if request.method != "POST":
        return confirmation_page(request, confirmations.publish(institution_session), _crumbs(institution_session))
    try:
        services.publish_deliberation(institution_session, request.user)
    except DomainError as error:
        _error(request, error)
    else:
        messages.success(request, _("The results are published; the documents are being issued."))
    return redirect("deliberation:session", pk=pk)


@login_required
def minutes_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    r = accounts_access.roles(request.user)
    institution_session = get_object_or_404(
        InstitutionSession.objects.select_related("session__framework", "institution"), pk=pk
    )
    if not (r.is_admin or pk in r.jury_of or institution_session.institution_id in r.correspondent_of):
        # jurors and correspondents elsewhere: 404 (nothing leaks); other roles: 403
        raise Http404 if (r.is_jury or r.is_correspondent) else PermissionDenied
    deliberation = services.get_deliberation(institution_session)
    response = HttpResponse(render_minutes(institution_session, deliberation), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="proces-verbal-{institution_session.pk}.pdf"'
    return response


# --- the candidate: their result ------------------------------------------------


@accounts_access.role_required("is_candidate")
def my_result(request: AuthenticatedRequest, enrolment_id: int) -> HttpResponse:
    from c2i.deliberation.results import candidate_result

    enrolment = access.get_own_enrolment(request.user, enrolment_id)
    result = candidate_result(enrolment)
    return page(
        request,
        "deliberation/my_result.html",
        _("My result — %(session)s") % {"session": enrolment.session.name},
        [(reverse("enrolment:my_space"), _("My certification"))],
        result=result,
        enrolment=enrolment,
    )
