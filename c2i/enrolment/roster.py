"""The list of an institution session's people, for its staff and its exports.

Two sources, never mixed: an enrolment shows the candidate's own record (the
candidate confirmed an enrolment with this institution); an invitation that
is not confirmed shows only what the institution typed (issue 10: nothing
stored about a person reaches an institution they have not confirmed an
enrolment with).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from c2i.enrolment import adjustments
from c2i.enrolment.models import (
    Candidate,
    CandidateStatus,
    Enrolment,
    EnrolmentStatus,
    InstitutionSession,
    Invitation,
    InvitationStatus,
)

# The states a line can be in, as the filter offers them (the values are those
# the page's links have always used).
STATES = [
    (EnrolmentStatus.ACTIVE.value, EnrolmentStatus.ACTIVE.label),
    (EnrolmentStatus.WITHDRAWN.value, EnrolmentStatus.WITHDRAWN.label),
    ("invited", InvitationStatus.PENDING.label),
    ("declined", InvitationStatus.DECLINED.label),
]
INVITATION_STATES = {"invited": InvitationStatus.PENDING, "declined": InvitationStatus.DECLINED}


@dataclass(frozen=True)
class Line:
    last_name: str
    first_names: str
    birth_date: dt.date
    birth_place: str
    email: str
    ine: str
    candidate_status: str
    special_curriculum: bool
    state: str  # one of STATES' values
    since: dt.datetime
    enrolment_id: int | None = None  # None for an invitation
    # the exam adjustments (adjustments.py): the enrolment's, or those the invitation typed
    extra_time_percent: int = 0
    larger_text: bool = False
    separate_room: bool = False
    adjustments_note: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_name.upper()}"

    @property
    def candidate_status_display(self) -> str:
        return str(CandidateStatus(self.candidate_status).label)

    @property
    def state_display(self) -> str:
        return str(dict(STATES)[self.state])

    @property
    def is_invitation(self) -> bool:
        return self.state in INVITATION_STATES

    @property
    def adjustment_labels(self) -> list[str]:
        return adjustments.labels(self.extra_time_percent, self.larger_text, self.separate_room)


def _of_enrolment(e: Enrolment) -> Line:
    c: Candidate = e.candidate
    return Line(
        c.last_name,
        c.first_names,
        c.birth_date,
        c.birth_place,
        c.email,
        c.ine,
        c.status,
        e.special_curriculum,
        e.status,
        e.confirmed_at or e.created_at,
        e.pk,
        e.extra_time_percent,
        e.larger_text,
        e.separate_room,
        e.adjustments_note,
    )


def _of_invitation(i: Invitation) -> Line:
    state = "invited" if i.state == InvitationStatus.PENDING else "declined"
    return Line(
        i.last_name,
        i.first_names,
        i.birth_date,
        i.birth_place,
        i.email,
        i.ine,
        i.status,
        i.special_curriculum,
        state,
        i.answered_at or i.created_at,
        None,
        i.extra_time_percent,
        i.larger_text,
        i.separate_room,
        i.adjustments_note,
    )


def roster(
    institution_session: InstitutionSession, *, q: str = "", state: str = "", candidate_status: str = ""
) -> list[Line]:
    """The session's enrolments and unconfirmed invitations, filtered, by name."""
    enrolments = institution_session.enrolments.select_related("candidate")
    invitations = institution_session.invitations.exclude(state=InvitationStatus.CONFIRMED)
    if q:
        enrolments = enrolments.filter(
            Q(candidate__last_name__icontains=q)
            | Q(candidate__first_names__icontains=q)
            | Q(candidate__email__icontains=q)
            | Q(candidate__ine__iexact=q)
        )
        invitations = invitations.filter(
            Q(last_name__icontains=q) | Q(first_names__icontains=q) | Q(email__icontains=q) | Q(ine__iexact=q)
        )
    if state in INVITATION_STATES:
        enrolments = enrolments.none()
        invitations = invitations.filter(state=INVITATION_STATES[state])
    elif state:
        enrolments = enrolments.filter(status=state)
        invitations = invitations.none()
    if candidate_status:
        enrolments = enrolments.filter(candidate__status=candidate_status)
        invitations = invitations.filter(status=candidate_status)
    lines = [_of_enrolment(e) for e in enrolments] + [_of_invitation(i) for i in invitations]
    return sorted(lines, key=lambda line: (line.last_name.casefold(), line.first_names.casefold(), line.state))


def counts(institution_session: InstitutionSession) -> dict[str, int]:
    """How many lines are in each state (the page's summary)."""
    result = {value: 0 for value, _label in STATES}
    by_status = institution_session.enrolments.values_list("status").annotate(n=Count("id"))
    by_state = institution_session.invitations.values_list("state").annotate(n=Count("id"))
    named: dict[str, str] = {state.value: value for value, state in INVITATION_STATES.items()}
    result.update(dict(by_status.values_list("status", "n")))
    for state, n in by_state.values_list("state", "n"):
        if state in named:
            result[named[state]] = n
    return result


# The session's enrolments as a file, one format for the correspondent's page
# and the API: the candidates' import's column names and values.
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
    # the exam adjustments, under the import's column names
    "temps_supplementaire",
    "gros_caracteres",
    "salle_separee",
    "reference_amenagement",
]


def export_row(line: Line) -> list[object]:
    yes_no = {True: "oui", False: "non"}
    return [
        line.last_name,
        line.first_names,
        line.birth_date.strftime("%d/%m/%Y"),
        line.birth_place,
        line.email,
        line.ine,
        "etudiant" if line.candidate_status == "student" else "formation_continue",
        yes_no[line.special_curriculum],
        line.state_display,
        timezone.localtime(line.since).strftime("%d/%m/%Y %H:%M"),
        line.extra_time_percent,
        yes_no[line.larger_text],
        yes_no[line.separate_room],
        line.adjustments_note,
    ]
