from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from c2i.accounts.access import AuthenticatedRequest, role_required, roles
from c2i.accounts.forms import RegistrationCodeForm
from c2i.accounts.views import retry_after, safe_next
from c2i.enrolment import access, adjustments, confirmations, importing, listings, roster
from c2i.enrolment.forms import (
    AdjustmentsForm,
    EnrolmentFilterForm,
    ImportForm,
    InstitutionSessionForm,
    RegistrationForm,
)
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession, Invitation, Session
from c2i.enrolment.registration import (
    REGISTRATION_CODE_SECONDS,
    REGISTRATION_CODE_TRIES,
    finish_registration,
    start_registration,
)
from c2i.enrolment.services import (
    EnrolmentError,
    confirm_invitation,
    decline_invitation,
    enrol,
    open_institution_session,
    withdraw,
)
from c2i.frameworks.models import Framework
from c2i.lib import ratelimit
from c2i.lib.confirm import CONFIRM_METHODS, confirmation_page
from c2i.lib.errors import DomainError
from c2i.lib.pages import page, paginate
from c2i.lib.tabular import csv_response, xlsx_response

# --- public and candidate ---------------------------------------------------


def session_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    sessions = (
        Session.objects.select_related("framework")
        .filter(end__gte=today)
        .annotate(institutions=Count("institution_sessions"))
    )
    framework = None
    if code := request.GET.get("referentiel"):
        framework = Framework.objects.filter(code=code).first()
        sessions = sessions.filter(framework=framework) if framework else sessions.none()
    return page(
        request,
        "enrolment/session_list.html",
        _("Certification sessions"),
        sessions=sessions.order_by("framework__code", "start"),
        frameworks=Framework.objects.filter(sessions__end__gte=today).distinct(),
        framework=framework,
        today=today,
    )


def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(Session.objects.select_related("framework"), pk=pk)
    institution_sessions = (
        session.institution_sessions.select_related("institution")
        .annotate(active=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE)))
        .order_by("institution__name")
    )
    r = roles(request.user)
    mine = None
    if r.candidate_id:
        mine = (
            Enrolment.objects.filter(candidate_id=r.candidate_id, session=session, status=EnrolmentStatus.ACTIVE)
            .select_related("institution_session__institution")
            .first()
        )
    return page(
        request,
        "enrolment/session_detail.html",
        session.name,
        [(reverse("enrolment:sessions"), _("Sessions"))],
        session=session,
        institution_sessions=institution_sessions,
        open_now=session.enrolment_open_on(timezone.localdate()),
        mine=mine,
    )


@require_POST
@login_required
def enrol_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution_session = get_object_or_404(InstitutionSession.objects.select_related("session", "institution"), pk=pk)
    r = roles(request.user)
    if not r.is_candidate:
        messages.error(request, _("Only a candidate account can enrol. Create one first."))
        return redirect(institution_session.session.get_absolute_url())
    try:
        enrol(access.get_candidate(request.user), institution_session, request.user)
    except EnrolmentError as error:
        messages.error(request, error.message)
        return redirect(institution_session.session.get_absolute_url())
    messages.success(
        request,
        _("Your enrolment in %(session)s is confirmed (institution: %(institution)s).")
        % {"session": institution_session.session.name, "institution": institution_session.institution.name},
    )
    return redirect("enrolment:my_space")


@role_required("is_candidate")
def my_space(request: AuthenticatedRequest) -> HttpResponse:
    from c2i.enrolment import freeze

    candidate = access.get_candidate(request.user)
    enrolments = list(
        candidate.enrolments.select_related("institution_session__institution", "session__framework").order_by(
            "-created_at"
        )
    )
    invitations = list(
        Invitation.objects.addressed_to(request.user)
        .pending()
        .select_related("institution_session__institution", "institution_session__session")
        .order_by("-created_at")
    )
    # whether each session's jury has deliberated: asked once for the page, not once per row
    freeze.mark_deliberated([e.institution_session for e in enrolments] + [i.institution_session for i in invitations])
    return page(
        request,
        "enrolment/my_space.html",
        _("My certification"),
        candidate=candidate,
        invitations=invitations,
        enrolments=enrolments,
    )


def _my_space_crumbs() -> list[tuple[str, str]]:
    return [(reverse("enrolment:my_space"), _("My certification"))]


@require_http_methods(CONFIRM_METHODS)
@role_required("is_candidate")
def withdraw_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: what withdrawing means; POST: the withdrawal."""
    enrolment = access.get_candidate_enrolment(request.user, pk)
    if request.method != "POST":
        return confirmation_page(request, confirmations.withdraw(enrolment), _my_space_crumbs())
    try:
        withdraw(enrolment, request.user)
    except EnrolmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your enrolment is withdrawn; the place is free."))
    return redirect("enrolment:my_space")


def _invitation_action(request: AuthenticatedRequest, pk: int, action, done: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    """Answer an invitation sent to the signed-in candidate's own address
    (any other answers 404: nothing tells it exists)."""
    invitation = get_object_or_404(Invitation.objects.addressed_to(request.user), pk=pk)
    if request.method != "POST" and action is decline_invitation:
        return confirmation_page(request, confirmations.decline(invitation), _my_space_crumbs())
    try:
        action(invitation, request.user)
    except EnrolmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("enrolment:my_space")


@require_POST
@role_required("is_candidate")
def confirm_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _invitation_action(request, pk, confirm_invitation, _("Your enrolment is confirmed."))


@require_http_methods(CONFIRM_METHODS)
@role_required("is_candidate")
def decline_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _invitation_action(request, pk, decline_invitation, _("The invitation is declined."))


# --- correspondent ----------------------------------------------------------


# The long lists of the correspondent's pages, a page at a time (a national
# institution has hundreds of sessions over the years, a session thousands of
# enrolments: docs/performance.md, « Pages on a nation's data »).
SESSIONS_PAGE = 25
ROSTER_PAGE = 50


@role_required("is_correspondent", "is_admin")
def correspondent_home(request: AuthenticatedRequest) -> HttpResponse:
    institutions = access.correspondent_institutions(request.user).order_by("name")
    opened = InstitutionSession.objects.filter(institution__in=institutions).select_related(
        "session__framework", "institution"
    )
    current, querystring = paginate(request, listings.with_counts(opened, invited=True), SESSIONS_PAGE)
    return page(
        request,
        "enrolment/correspondent_home.html",
        _("C2i correspondent"),
        institutions=institutions,
        opened=current,
        querystring=querystring,
        openable=listings.openable(list(institutions[:20]), timezone.localdate()),
    )


@role_required("is_correspondent", "is_admin")
def open_session_view(request: AuthenticatedRequest, institution_pk: int, session_pk: int) -> HttpResponse:
    institution = access.get_institution_for_correspondent(request.user, institution_pk)
    session = get_object_or_404(Session.objects.select_related("framework"), pk=session_pk)
    form = InstitutionSessionForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        try:
            obj = open_institution_session(request.user, session, institution, **form.cleaned_data)
        except EnrolmentError as error:
            form.add_error(None, error.message)
        except DomainError as error:  # pragma: no cover - defensive
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The session is open at your institution."))
            return redirect(obj.get_absolute_url())
    return page(
        request,
        "enrolment/open_session.html",
        _("Open %(session)s at %(institution)s") % {"session": session.name, "institution": institution.name},
        [(reverse("enrolment:correspondent"), _("C2i correspondent"))],
        form=form,
        session=session,
        institution=institution,
    )


def _filters(form: EnrolmentFilterForm) -> dict[str, str]:
    if not form.is_valid():
        return {}
    return {
        "q": form.cleaned_data["q"].strip(),
        "state": form.cleaned_data["status"],
        "candidate_status": form.cleaned_data["candidate_status"],
    }


@login_required
def institution_session_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution_session = access.get_institution_session_for_staff(request.user, pk)
    manage = access.can_manage_institution_session(request.user, institution_session)
    form = EnrolmentFilterForm(request.GET or None)
    export = request.GET.get("export")
    if export and not manage:
        raise PermissionDenied  # exports are the correspondents' (personal data of the whole session)
    filters = _filters(form)
    if export in ("csv", "xlsx"):
        name = f"inscriptions-{institution_session.institution.uai}-{institution_session.session_id}"
        rows = (roster.export_row(line) for line in roster.roster(institution_session, **filters))
        if export == "csv":
            return csv_response(name, roster.EXPORT_HEADER, rows)
        return xlsx_response(name, roster.EXPORT_HEADER, rows, _("Enrolments"))
    crumbs = (
        [(reverse("enrolment:correspondent"), _("C2i correspondent"))]
        if manage
        else [(reverse("enrolment:staff_sessions"), _("My sessions"))]
    )
    current, querystring = paginate(request, roster.Lines(institution_session, **filters), ROSTER_PAGE)
    filters_query = request.GET.copy()
    for key in ("page", "export"):
        filters_query.pop(key, None)
    return page(
        request,
        "enrolment/institution_session.html",
        str(institution_session),
        crumbs,
        institution_session=institution_session,
        lines=current,
        form=form,
        manage=manage,
        counts=roster.counts(institution_session),
        import_form=ImportForm(),
        querystring=filters_query.urlencode(),
        page_querystring=querystring,
    )


@login_required
def import_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET: the import form (a reload of the report lands here, not on a
    405); POST: the import and its report, said once on the page."""
    institution_session = access.get_institution_session_for_staff(request.user, pk, manage=True)
    posted = request.method == "POST"
    form = ImportForm(request.POST, request.FILES) if posted else ImportForm()
    report = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = importing.import_candidates(
                institution_session,
                upload.read(),
                upload.name,
                request.user,
                only_valid=form.cleaned_data["only_valid"],
            )
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            if report.imported and not report.errors and not report.notices:  # else the report page says it
                messages.success(
                    request,
                    _(
                        "%(invited)s invitation(s) created, %(already)s already invited or enrolled, "
                        "%(rejected)s line(s) rejected."
                    )
                    % {"invited": report.invited, "already": report.already, "rejected": report.wrong_lines},
                )
                return redirect(institution_session.get_absolute_url())
    return page(
        request,
        "enrolment/import_report.html",
        _("Import candidates"),
        [
            (reverse("enrolment:correspondent"), _("C2i correspondent")),
            (institution_session.get_absolute_url(), str(institution_session)),
        ],
        status=400 if posted and not (report and report.imported) else 200,
        institution_session=institution_session,
        form=form,
        report=report,
    )


@role_required("is_correspondent", "is_admin")
def adjustments_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An enrolment's exam adjustments (« aménagements d'épreuve »), for
    every test of its session: GET the form, POST the change."""
    enrolment = access.get_enrolment_to_manage(request.user, pk)
    initial = {
        "extra_time_percent": enrolment.extra_time_percent,
        "larger_text": enrolment.larger_text,
        "separate_room": enrolment.separate_room,
        "note": enrolment.adjustments_note,
    }
    posted = request.method == "POST"
    form = AdjustmentsForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            adjustments.set_adjustments(
                enrolment,
                extra_time_percent=data["extra_time_percent"],
                larger_text=data["larger_text"],
                separate_room=data["separate_room"],
                note=data["note"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("The exam adjustments of %(name)s are saved.") % {"name": enrolment.candidate.full_name},
            )
            return redirect(enrolment.institution_session.get_absolute_url())
    institution_session = enrolment.institution_session
    return page(
        request,
        "enrolment/adjustments.html",
        _("Exam adjustments of %(name)s") % {"name": enrolment.candidate.full_name},
        [
            (reverse("enrolment:correspondent"), _("C2i correspondent")),
            (institution_session.get_absolute_url(), str(institution_session)),
        ],
        status=400 if posted else 200,
        enrolment=enrolment,
        form=form,
        refusal=adjustments.refusal(enrolment),
        labels=adjustments.enrolment_labels(enrolment),
    )


@role_required("is_assessor", "is_jury", "is_correspondent", "is_admin")
def staff_sessions(request: AuthenticatedRequest) -> HttpResponse:
    sessions, querystring = paginate(
        request, listings.with_counts(access.institution_sessions_for_staff(request.user)), SESSIONS_PAGE
    )
    return page(
        request,
        "enrolment/staff_sessions.html",
        _("My sessions"),
        sessions=sessions,
        querystring=querystring,
        jury_of=roles(request.user).jury_of,
    )


# --- self-registration (R6) ---------------------------------------------------


REGISTRATION_KEY = "c2i_registration"  # session: the registration awaiting its e-mail's code


def register(request: HttpRequest) -> HttpResponse:
    """Self-registration, first step: the same answer whatever the address
    and the INE (`registration.start_registration`); rate-limited per client
    address."""
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = ratelimit.hit(
            ratelimit.address_key(request, "registration"),
            settings.C2I_REGISTRATIONS_PER_ADDRESS,
            settings.C2I_REGISTRATION_WINDOW,
        )
        if wait:
            minutes = ratelimit.minutes(wait)
            form.add_error(
                None,
                ngettext(
                    "Too many registrations from your connection: please try again in %(minutes)d minute.",
                    "Too many registrations from your connection: please try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            response = page(request, "enrolment/register.html", _("Create a candidate account"), form=form)
            return retry_after(response, wait)
        data = dict(form.cleaned_data)
        email, password = data.pop("email"), data.pop("password1")
        data.pop("password2")
        pending = start_registration(email=email, password=password, **data)
        pending["next"] = safe_next(request, request.GET.get("next"), reverse("enrolment:sessions"))
        request.session[REGISTRATION_KEY] = pending
        return redirect("enrolment:register_code")
    return page(request, "enrolment/register.html", _("Create a candidate account"), form=form)


def register_code(request: HttpRequest) -> HttpResponse:
    """Self-registration, second step: the code of the e-mail creates the
    account and signs the person in. Five wrong codes, and the form is to be
    filled in again."""
    pending = request.session.get(REGISTRATION_KEY)
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    if not isinstance(pending, dict):
        return redirect("enrolment:register")
    form = RegistrationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = finish_registration(pending, form.cleaned_data["code"])
        except DomainError as error:
            pending["tries"] = pending.get("tries", 0) + 1
            if error.code != "code_wrong" or pending["tries"] >= REGISTRATION_CODE_TRIES:
                del request.session[REGISTRATION_KEY]
                messages.error(request, error.message if error.code != "code_wrong" else _too_many_codes())
                return redirect("enrolment:register")
            request.session[REGISTRATION_KEY] = pending
            form.add_error("code", error.message)
        else:
            del request.session[REGISTRATION_KEY]
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account is created. You can now enrol in a certification session."))
            return redirect(pending.get("next") or reverse("enrolment:sessions"))
    return page(
        request,
        "enrolment/register_code.html",
        _("Confirm your e-mail address"),
        form=form,
        email=pending["email"],
        minutes=REGISTRATION_CODE_SECONDS // 60,
    )


def _too_many_codes() -> str:
    return _("Too many wrong codes: please fill in the registration form again to receive a new one.")
