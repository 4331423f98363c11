"""The exam day's pages: the invigilator's (sign-in with a room's code and
password, the room's live list, the actions) and the correspondent's rooms of
an exam (codes, passwords, placement). The rules are in
`c2i.assessment.services.invigilation`.

Who reaches a room page: a grant for that room in the session, or a staff
account of the institution. Someone holding neither is sent to the sign-in
page (302); a grant for another room, or a staff account of another
institution, gets 404 (nothing said about the room)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from c2i.accounts.access import AuthenticatedRequest, role_required, roles
from c2i.assessment import access
from c2i.assessment.models import ExamRoom, IncidentKind, Seat
from c2i.assessment.services import invigilation as inv
from c2i.assessment.views import live_list
from c2i.assessment.views.common import posted
from c2i.enrolment.models import Enrolment, EnrolmentStatus
from c2i.lib.errors import DomainError
from c2i.lib.forms import Form
from c2i.lib.pages import page

CORRESPONDENTS = ("is_correspondent", "is_admin")
REFRESH_SECONDS = 5


# --- forms ------------------------------------------------------------------------


class SignInForm(Form):
    code = forms.CharField(label=gettext_lazy("Room code"), max_length=12)
    password = forms.CharField(label=gettext_lazy("Password"), max_length=128, widget=forms.PasswordInput)
    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=150,
        help_text=gettext_lazy("Written next to each of your actions in the audit trail."),
    )


class ResumeForm(Form):
    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes given back"),
        min_value=0,
        max_value=600,
        help_text=gettext_lazy("Pre-filled with the time the connection was lost, rounded up."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class EndForm(Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("E.g. suspected cheating, illness. The candidate reads it."),
    )


class ReasonForm(Form):
    reason = forms.CharField(label=gettext_lazy("Reason (optional)"), max_length=300, required=False)


class IncidentForm(Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of incident"), choices=IncidentKind.choices)
    time = forms.TimeField(label=gettext_lazy("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    seat = forms.TypedChoiceField(
        label=gettext_lazy("Candidate (optional)"), coerce=int, required=False, empty_value=None
    )
    text = forms.CharField(label=gettext_lazy("Report"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, room: ExamRoom, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seats = Seat.objects.filter(room=room).select_related("enrolment__candidate")
        people = sorted(
            ((s.pk, f"{s.enrolment.candidate.last_name} {s.enrolment.candidate.first_names}") for s in seats),
            key=lambda p: p[1].casefold(),
        )
        self.fields["seat"].choices = [("", _("No one in particular")), *people]  # type: ignore[attr-defined]


class RoomForm(Form):
    name = forms.CharField(label=gettext_lazy("Room name"), max_length=100)
    capacity = forms.IntegerField(label=gettext_lazy("Seats"), min_value=1, max_value=500, required=False)
    separate = forms.BooleanField(label=gettext_lazy("Separate room (adjustments)"), required=False)
    admission_required = forms.BooleanField(
        label=gettext_lazy("The invigilator lets each candidate in"), required=False, initial=True
    )


# --- access -------------------------------------------------------------------------


def _sign_in_url(request: HttpRequest) -> str:
    return reverse("assessment:invigilation_sign_in")


def invigilated(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pass the room's `Invigilator` to the view, or answer as the module says."""

    @wraps(view)
    def wrapper(request: HttpRequest, room_pk: int, **kwargs: Any) -> HttpResponse:
        try:
            who = inv.invigilator_for(request, room_pk)
        except inv.NoGrant:
            return redirect(_sign_in_url(request))
        except ExamRoom.DoesNotExist:
            raise Http404 from None
        return view(request, who, **kwargs)

    return wrapper


def _seat(who: inv.Invigilator, seat_pk: int) -> Seat:
    try:
        return inv._seat_in(who.room, seat_pk)
    except Seat.DoesNotExist:
        raise Http404 from None


def _room_url(who: inv.Invigilator) -> str:
    return reverse("assessment:invigilation_room", args=[who.room.pk])


# --- the invigilator's pages -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            room = inv.sign_in(request, data["code"], data["password"], data["name"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("You watch the room « %(room)s ».") % {"room": room.name})
            return redirect("assessment:invigilation_room", room_pk=room.pk)
    return page(
        request,
        "assessment/invigilation/sign_in.html",
        _("Invigilation: sign in to your room"),
        status=400 if form.errors else 200,
        form=form,
        granted=inv.granted_room(request),
        staff_rooms=_staff_rooms(request),
    )


def _staff_rooms(request: HttpRequest) -> list[ExamRoom]:
    """The rooms a staff account opens without a code: those of its
    institutions' tests not closed yet."""
    if not request.user.is_authenticated:
        return []
    r = roles(request.user)
    if not (r.is_admin or r.is_correspondent):
        return []
    rooms = ExamRoom.objects.select_related("exam").filter(exam__closes_at__gte=timezone.now())
    if not r.is_admin:
        rooms = rooms.filter(exam__institution_session__institution_id__in=r.correspondent_of)
    return list(rooms.order_by("exam__opens_at", "name")[:50])


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    inv.sign_out(request)
    messages.info(request, _("You left the invigilation of the room."))
    return redirect("assessment:invigilation_sign_in")


def _rows_context(request: HttpRequest, who: inv.Invigilator) -> dict[str, Any]:
    """The rows as the page shows them, written by `live_list`, and their tag."""
    now = timezone.now()
    token = get_token(request)
    html, tag = live_list.render(inv.room_rows(who.room, now), who.room.pk, live_list.secret_of(request))
    return {
        "room": who.room,
        "rows_html": mark_safe(live_list.with_token(html, token)),
        "tag": tag,
        "now": now,
    }  # every part escaped in live_list


@require_GET
@invigilated
def room(request: HttpRequest, who: inv.Invigilator) -> HttpResponse:
    exam = who.room.exam
    return page(
        request,
        "assessment/invigilation/room.html",
        f"{who.room.name} — {exam.title}",
        who=who,
        exam=exam,
        refresh_seconds=REFRESH_SECONDS,
        incident_form=IncidentForm(room=who.room, initial={"time": timezone.localtime().strftime("%H:%M")}),
        **_rows_context(request, who),
    )


@require_GET
@invigilated
def room_list(request: HttpRequest, who: inv.Invigilator) -> HttpResponse:
    """The rows of the live list, fetched every few seconds by invigilation.js
    (most refreshes are served before this view: `InvigilationListFastPath`);
    304 when they show what the tag the script sends back says."""
    context = _rows_context(request, who)
    response: HttpResponse
    if live_list.etag_matches(request.headers.get("If-None-Match", ""), context["tag"]):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(context["rows_html"])
    return live_list.conditional_headers(response, context["tag"])


def _action_page(
    request: HttpRequest, who: inv.Invigilator, seat: Seat, title: str, form: Form, button: str
) -> HttpResponse:
    return page(
        request,
        "assessment/invigilation/action.html",
        title,
        [(_room_url(who), who.room.name)],
        status=400 if form.errors else 200,
        who=who,
        seat=seat,
        form=form,
        button=button,
    )


def _done(request: HttpRequest, who: inv.Invigilator, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(_room_url(who))


def _candidate(seat: Seat) -> str:
    c = seat.enrolment.candidate
    return f"{c.last_name} {c.first_names}"


@require_http_methods(["GET", "POST"])
@invigilated
def admit(request: HttpRequest, who: inv.Invigilator, seat_pk: int) -> HttpResponse:
    seat = _seat(who, seat_pk)
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        inv.admit(who, seat, form.cleaned_data["reason"])
        return _done(request, who, _("%(name)s may start the test.") % {"name": _candidate(seat)})
    title = _("Let %(name)s in") % {"name": _candidate(seat)}
    return _action_page(request, who, seat, title, form, _("Let in"))


@require_http_methods(["GET", "POST"])
@invigilated
def resume(request: HttpRequest, who: inv.Invigilator, seat_pk: int) -> HttpResponse:
    seat = _seat(who, seat_pk)
    form = ResumeForm(posted(request), initial={"minutes": inv.minutes_lost(seat)})
    if request.method == "POST" and form.is_valid():
        try:
            inv.resume(who, seat, form.cleaned_data["minutes"], form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return _done(request, who, _("%(name)s may resume the test.") % {"name": _candidate(seat)})
    title = _("Let %(name)s resume") % {"name": _candidate(seat)}
    return _action_page(request, who, seat, title, form, _("Authorise the resume"))


@require_http_methods(["GET", "POST"])
@invigilated
def end_early(request: HttpRequest, who: inv.Invigilator, seat_pk: int) -> HttpResponse:
    seat = _seat(who, seat_pk)
    form = EndForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            inv.end_early(who, seat, form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return _done(request, who, _("The sitting of %(name)s is ended and scored.") % {"name": _candidate(seat)})
    title = _("End the sitting of %(name)s") % {"name": _candidate(seat)}
    return _action_page(request, who, seat, title, form, _("End the sitting"))


@require_http_methods(["GET", "POST"])
@invigilated
def answer_help(request: HttpRequest, who: inv.Invigilator, seat_pk: int) -> HttpResponse:
    seat = _seat(who, seat_pk)
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            inv.answer_help(who, seat, form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(_room_url(who))
        return _done(request, who, _("%(name)s is told you are coming.") % {"name": _candidate(seat)})
    title = _("Answer the call of %(name)s") % {"name": _candidate(seat)}
    return _action_page(request, who, seat, title, form, _("I am coming"))


@require_http_methods(["GET", "POST"])
@invigilated
def incident(request: HttpRequest, who: inv.Invigilator) -> HttpResponse:
    initial = {"time": timezone.localtime().strftime("%H:%M"), "seat": request.GET.get("seat") or ""}
    form = IncidentForm(posted(request), room=who.room, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        seat = _seat(who, data["seat"]) if data["seat"] else None
        occurred = timezone.make_aware(dt.datetime.combine(timezone.localdate(), data["time"]))
        try:
            inv.report_incident(who, data["kind"], occurred, data["text"], seat)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return _done(request, who, _("The incident is reported; it goes into the jury's minutes."))
    return page(
        request,
        "assessment/invigilation/incident.html",
        _("Report an incident"),
        [(_room_url(who), who.room.name)],
        status=400 if form.errors else 200,
        who=who,
        form=form,
    )


# --- the correspondent's rooms of an exam --------------------------------------------------


def _room_of(exam: Any, pk: Any) -> ExamRoom:
    room = ExamRoom.objects.select_related("exam").filter(exam=exam, pk=pk or 0).first() if str(pk).isdigit() else None
    if room is None:
        raise Http404
    return room


@require_http_methods(["GET", "POST"])
@role_required(*CORRESPONDENTS)
def exam_rooms(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The exam's rooms: create, change, delete (before the first sitting),
    set a password (shown once), place the candidates."""
    exam = access.get_exam_for_correspondent(request.user, pk)
    form = RoomForm(None, initial={"admission_required": True})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                form = RoomForm(request.POST)
                if not form.is_valid():
                    raise DomainError("form", _("Check the room's fields."))
                d = form.cleaned_data
                created = inv.create_room(
                    exam,
                    request.user,
                    d["name"],
                    capacity=d["capacity"],
                    separate=d["separate"],
                    admission_required=d["admission_required"],
                )
                return _show_once(request, exam, created, inv.set_password(created, request.user))
            elif action == "update":
                room = _room_of(exam, request.POST.get("room"))
                edit = RoomForm(request.POST)
                if not edit.is_valid():
                    raise DomainError("form", _("Check the room's fields."))
                d = edit.cleaned_data
                inv.update_room(
                    room,
                    request.user,
                    d["name"],
                    capacity=d["capacity"],
                    separate=d["separate"],
                    admission_required=d["admission_required"],
                )
                messages.success(request, _("The room is saved."))
                return redirect("assessment:exam_rooms", pk=exam.pk)
            elif action == "delete":
                inv.delete_room(_room_of(exam, request.POST.get("room")), request.user)
                messages.success(request, _("The room is deleted."))
                return redirect("assessment:exam_rooms", pk=exam.pk)
            elif action == "password":
                room = _room_of(exam, request.POST.get("room"))
                return _show_once(request, exam, room, inv.set_password(room, request.user))
            elif action == "place":
                placement = inv.place_unseated(exam, request.user)
                messages.success(
                    request,
                    ngettext(
                        "%(placed)s candidate placed; %(left)s without a seat.",
                        "%(placed)s candidates placed; %(left)s without a seat.",
                        placement.placed,
                    )
                    % {"placed": placement.placed, "left": placement.left},
                )
                return redirect("assessment:exam_rooms", pk=exam.pk)
            elif action == "seat":
                room = _room_of(exam, request.POST.get("room"))
                enrolment_pk = request.POST.get("enrolment", "")
                enrolment = Enrolment.objects.filter(
                    pk=int(enrolment_pk) if enrolment_pk.isdigit() else 0,
                    institution_session_id=exam.institution_session_id,
                    status=EnrolmentStatus.ACTIVE,
                ).first()
                if enrolment is None:
                    raise DomainError("enrolment", _("Choose a candidate of the session."))
                inv.seat_candidate(room, enrolment, request.user)
                messages.success(request, _("The candidate is placed."))
                return redirect("assessment:exam_rooms", pk=exam.pk)
            else:
                raise DomainError("action", _("Unknown action."))
        except DomainError as error:
            messages.error(request, error.message)
            status = 400
    once = request.session.pop(SHOWN_KEY, None) if request.method == "GET" else None
    shown = None
    if isinstance(once, dict) and (room_shown := exam.rooms.filter(pk=int(once.get("room") or 0)).first()) is not None:
        shown = (room_shown, str(once.get("password", "")))
    return _rooms_page(request, exam, form, shown, status)


SHOWN_KEY = "invigilation_password_shown"


def _show_once(request: AuthenticatedRequest, exam: Any, room: ExamRoom, password: str) -> HttpResponse:
    """The new password goes through the session to the next page, which
    shows it and forgets it: a reload shows it no more (and sets no other)."""
    request.session[SHOWN_KEY] = {"room": room.pk, "password": password}
    return redirect("assessment:exam_rooms", pk=exam.pk)


def _rooms_page(
    request: AuthenticatedRequest, exam: Any, form: RoomForm, shown: tuple[ExamRoom, str] | None, status: int
) -> HttpResponse:
    rooms = list(exam.rooms.all())
    seats = Seat.objects.filter(exam=exam).select_related("enrolment__candidate", "room")
    by_room: dict[int, list[Seat]] = {r.pk: [] for r in rooms}
    for s in seats:
        by_room.setdefault(s.room_id, []).append(s)
    for r in rooms:
        r.seated = sorted(
            by_room[r.pk], key=lambda s: (s.enrolment.candidate.last_name, s.enrolment.candidate.first_names)
        )  # type: ignore[attr-defined]
        r.started = r.attempts.exists()  # type: ignore[attr-defined]
    seated_ids = {s.enrolment_id for s in seats}
    unseated = [
        e
        for e in exam.institution_session.enrolments.filter(status=EnrolmentStatus.ACTIVE)
        .select_related("candidate")
        .order_by("candidate__last_name", "candidate__first_names")
        if e.pk not in seated_ids
    ]
    return page(
        request,
        "assessment/exam_rooms.html",
        _("Rooms of %(exam)s") % {"exam": exam.title},
        [
            (reverse("enrolment:correspondent"), _("C2i correspondent")),
            (reverse("assessment:exams"), _("Knowledge tests")),
            (exam.get_absolute_url(), exam.title),
        ],
        status=status,
        exam=exam,
        rooms=rooms,
        form=form,
        shown=shown,
        unseated=unseated,
        by_code=exam.institution_session.institution.invigilation_by_code,
        sign_in_url=request.build_absolute_uri(reverse("assessment:invigilation_sign_in")),
    )
