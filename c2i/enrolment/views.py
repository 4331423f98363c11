from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from c2i.accounts import access
from c2i.accounts.access import AuthenticatedRequest
from c2i.enrolment import importing
from c2i.enrolment.forms import EnrolmentFilterForm, ImportForm, InstitutionSessionForm
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession, Session
from c2i.enrolment.services import (
    EnrolmentError,
    confirm_invitation,
    decline_invitation,
    enrol,
    open_institution_session,
    withdraw,
)
from c2i.frameworks.models import Framework
from c2i.lib.errors import DomainError
from c2i.lib.pages import page
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
    r = access.roles(request.user)
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
    r = access.roles(request.user)
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
        _("You are enrolled in %(session)s at %(institution)s.")
        % {"session": institution_session.session.name, "institution": institution_session.institution.name},
    )
    return redirect("enrolment:my_space")


@access.role_required("is_candidate")
def my_space(request: AuthenticatedRequest) -> HttpResponse:
    candidate = access.get_candidate(request.user)
    enrolments = candidate.enrolments.select_related("institution_session__institution", "session__framework").order_by(
        "-created_at"
    )
    return page(
        request,
        "enrolment/my_space.html",
        _("My certification"),
        candidate=candidate,
        invitations=[e for e in enrolments if e.status == EnrolmentStatus.INVITED],
        enrolments=[e for e in enrolments if e.status != EnrolmentStatus.INVITED],
    )


def _candidate_action(request: AuthenticatedRequest, pk: int, action, done: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    enrolment = access.get_candidate_enrolment(request.user, pk)
    try:
        action(enrolment, request.user)
    except EnrolmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("enrolment:my_space")


@require_POST
@access.role_required("is_candidate")
def withdraw_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _candidate_action(request, pk, withdraw, _("Your enrolment is withdrawn; the place is free."))


@require_POST
@access.role_required("is_candidate")
def confirm_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _candidate_action(request, pk, confirm_invitation, _("Your enrolment is confirmed."))


@require_POST
@access.role_required("is_candidate")
def decline_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _candidate_action(request, pk, decline_invitation, _("The invitation is declined."))


# --- correspondent ----------------------------------------------------------


@access.role_required("is_correspondent", "is_admin")
def correspondent_home(request: AuthenticatedRequest) -> HttpResponse:
    institutions = access.correspondent_institutions(request.user).order_by("name")
    today = timezone.localdate()
    opened = (
        InstitutionSession.objects.filter(institution__in=institutions)
        .select_related("session__framework", "institution")
        .annotate(active=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE)))
        .annotate(invited=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.INVITED)))
    )
    openable = []
    for institution in institutions[:20]:
        done = {s.session_id for s in opened if s.institution_id == institution.pk}
        for session in Session.objects.filter(end__gte=today).select_related("framework").exclude(pk__in=done):
            openable.append(
                (institution, session, institution.accreditation_for(session.framework_id, session.start, session.end))
            )
    return page(
        request,
        "enrolment/correspondent_home.html",
        _("C2i correspondent"),
        institutions=institutions,
        opened=opened,
        openable=openable,
    )


@access.role_required("is_correspondent", "is_admin")
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


def _filtered_enrolments(institution_session: InstitutionSession, form: EnrolmentFilterForm):  # type: ignore[no-untyped-def]
    qs = institution_session.enrolments.select_related("candidate").order_by(
        "candidate__last_name", "candidate__first_names"
    )
    if form.is_valid():
        if q := form.cleaned_data["q"].strip():
            qs = qs.filter(
                Q(candidate__last_name__icontains=q)
                | Q(candidate__first_names__icontains=q)
                | Q(candidate__email__icontains=q)
                | Q(candidate__ine__iexact=q)
            )
        if status := form.cleaned_data["status"]:
            qs = qs.filter(status=status)
        if cstatus := form.cleaned_data["candidate_status"]:
            qs = qs.filter(candidate__status=cstatus)
    return qs


EXPORT_HEADER = [
    "nom",
    "prenoms",
    "date_naissance",
    "lieu_naissance",
    "email",
    "ine",
    "statut",
    "cursus_particulier",
    "inscription",
    "date_inscription",
]


def _export_rows(enrolments):  # type: ignore[no-untyped-def]
    for e in enrolments:
        c = e.candidate
        yield [
            c.last_name,
            c.first_names,
            c.birth_date.strftime("%d/%m/%Y"),
            c.birth_place,
            c.email,
            c.ine,
            "etudiant" if c.status == "student" else "formation_continue",
            "oui" if e.special_curriculum else "non",
            e.get_status_display(),
            timezone.localtime(e.confirmed_at or e.created_at).strftime("%d/%m/%Y %H:%M"),
        ]


@login_required
def institution_session_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution_session = access.get_institution_session_for_staff(request.user, pk)
    manage = access.can_manage_institution_session(request.user, institution_session)
    form = EnrolmentFilterForm(request.GET or None)
    enrolments = _filtered_enrolments(institution_session, form)
    export = request.GET.get("export")
    if export and not manage:
        raise PermissionDenied  # exports are the correspondents' (personal data of the whole session)
    if export in ("csv", "xlsx"):
        name = f"inscriptions-{institution_session.institution.uai}-{institution_session.session_id}"
        rows = _export_rows(enrolments)
        if export == "csv":
            return csv_response(name, EXPORT_HEADER, rows)
        return xlsx_response(name, EXPORT_HEADER, rows, _("Enrolments"))
    counts = dict(
        institution_session.enrolments.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    crumbs = (
        [(reverse("enrolment:correspondent"), _("C2i correspondent"))]
        if manage
        else [(reverse("enrolment:staff_sessions"), _("My sessions"))]
    )
    return page(
        request,
        "enrolment/institution_session.html",
        str(institution_session),
        crumbs,
        institution_session=institution_session,
        enrolments=enrolments,
        form=form,
        manage=manage,
        counts=counts,
        import_form=ImportForm(),
        querystring=request.GET.urlencode(),
    )


@require_POST
@login_required
def import_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution_session = access.get_institution_session_for_staff(request.user, pk, manage=True)
    form = ImportForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
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
            if report.imported:
                messages.success(
                    request,
                    _(
                        "%(invited)s invitation(s) created, %(already)s already invited or enrolled, "
                        "%(rejected)s line(s) rejected."
                    )
                    % {"invited": report.invited, "already": report.already, "rejected": report.wrong_lines},
                )
                if not report.errors:
                    return redirect(institution_session.get_absolute_url())
    return page(
        request,
        "enrolment/import_report.html",
        _("Import candidates"),
        [
            (reverse("enrolment:correspondent"), _("C2i correspondent")),
            (institution_session.get_absolute_url(), str(institution_session)),
        ],
        status=200 if report and report.imported else 400,
        institution_session=institution_session,
        form=form,
        report=report,
    )


@access.role_required("is_assessor", "is_jury", "is_correspondent", "is_admin")
def staff_sessions(request: AuthenticatedRequest) -> HttpResponse:
    sessions = access.institution_sessions_for_staff(request.user).annotate(
        active=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE))
    )
    return page(
        request,
        "enrolment/staff_sessions.html",
        _("My sessions"),
        sessions=sessions,
        jury_of=access.roles(request.user).jury_of,
    )
