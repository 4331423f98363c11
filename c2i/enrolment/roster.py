"""The list of an institution session's people, for its staff and its exports.

Two sources, never mixed: an enrolment shows the candidate's own record (the
candidate confirmed an enrolment with this institution); an invitation that
is not confirmed shows only what the institution typed (issue 10: nothing
stored about a person reaches an institution they have not confirmed an
enrolment with).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import BigIntegerField, Case, CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, Lower
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


# The columns of a line, in `Line`'s order, as both sides of the union name them,
# then the sort keys.
_COLUMNS = [
    "l_last_name",
    "l_first_names",
    "l_birth_date",
    "l_birth_place",
    "l_email",
    "l_ine",
    "l_candidate_status",
    "l_special_curriculum",
    "l_state",
    "l_since",
    "l_enrolment_id",
    "l_extra_time_percent",
    "l_larger_text",
    "l_separate_room",
    "l_adjustments_note",
]
_SORT = ["k_last_name", "k_first_names", "l_state"]

# A session of 16,000 enrolments among a million candidates: the page is
# sorted and cut by the database on keys read per enrolment (a correlated
# subquery: an index lookup each, whatever the planner's cost settings), and
# only the page's rows are joined to their candidates (docs/performance.md,
# « Pages on a nation's data »). A join would make PostgreSQL's default costs
# read the whole candidate table for each page, or each search.
_SEPARATOR = "\t"  # between the last name and the first names of a key: sorts before any letter


def _candidate() -> QuerySet[Candidate]:
    return Candidate.objects.filter(pk=OuterRef("candidate_id")).order_by()


def _sources(
    institution_session: InstitutionSession, q: str, state: str, candidate_status: str
) -> tuple[QuerySet[Enrolment], QuerySet[Invitation]]:
    """The session's enrolments and unconfirmed invitations that the filters
    keep (an enrolment's candidate tested by a correlated subquery, not a join)."""
    enrolments = Enrolment.objects.filter(institution_session=institution_session)
    invitations = Invitation.objects.filter(institution_session=institution_session).exclude(
        state=InvitationStatus.CONFIRMED
    )
    if q or candidate_status:
        # the same test of a person on an invitation and on an enrolment's candidate
        match = Q()
        if q:
            match &= Q(last_name__icontains=q) | Q(first_names__icontains=q) | Q(email__icontains=q) | Q(ine__iexact=q)
        if candidate_status:
            match &= Q(status=candidate_status)
        invitations = invitations.filter(match)
        enrolments = enrolments.alias(l_match=Subquery(_candidate().filter(match).values("pk")[:1])).filter(
            l_match__isnull=False
        )
    if state in INVITATION_STATES:
        enrolments = enrolments.none()
        invitations = invitations.filter(state=INVITATION_STATES[state])
    elif state:
        enrolments = enrolments.filter(status=state)
        invitations = invitations.none()
    return enrolments, invitations


def _invitation_state() -> Case:
    return Case(
        When(state=InvitationStatus.PENDING, then=Value("invited")), default=Value("declined"), output_field=CharField()
    )


def _rows(enrolments: QuerySet[Enrolment], invitations: QuerySet[Invitation]) -> QuerySet[Any]:
    """The lines of these enrolments and invitations, as rows of `_COLUMNS`,
    the sort keys, and the kind ("e" or "i") and id of their object, in one
    query (a union, not ordered)."""
    of_enrolments = (
        enrolments.order_by()
        .annotate(
            l_last_name=F("candidate__last_name"),
            l_first_names=F("candidate__first_names"),
            l_birth_date=F("candidate__birth_date"),
            l_birth_place=F("candidate__birth_place"),
            l_email=F("candidate__email"),
            l_ine=F("candidate__ine"),
            l_candidate_status=F("candidate__status"),
            l_special_curriculum=F("special_curriculum"),
            l_state=F("status"),
            l_since=Coalesce("confirmed_at", "created_at"),
            l_enrolment_id=F("pk"),
            l_extra_time_percent=F("extra_time_percent"),
            l_larger_text=F("larger_text"),
            l_separate_room=F("separate_room"),
            l_adjustments_note=F("adjustments_note"),
            k_last_name=Lower("candidate__last_name"),
            k_first_names=Lower("candidate__first_names"),
            r_kind=Value("e"),
            r_id=F("pk"),
        )
        .values_list(*_COLUMNS, *_SORT[:2], "r_kind", "r_id")
    )
    of_invitations = (
        invitations.order_by()
        .annotate(
            l_last_name=F("last_name"),
            l_first_names=F("first_names"),
            l_birth_date=F("birth_date"),
            l_birth_place=F("birth_place"),
            l_email=F("email"),
            l_ine=F("ine"),
            l_candidate_status=F("status"),
            l_special_curriculum=F("special_curriculum"),
            l_state=_invitation_state(),
            l_since=Coalesce("answered_at", "created_at"),
            l_enrolment_id=Value(None, output_field=BigIntegerField()),
            l_extra_time_percent=F("extra_time_percent"),
            l_larger_text=F("larger_text"),
            l_separate_room=F("separate_room"),
            l_adjustments_note=F("adjustments_note"),
            k_last_name=Lower("last_name"),
            k_first_names=Lower("first_names"),
            r_kind=Value("i"),
            r_id=F("pk"),
        )
        .values_list(*_COLUMNS, *_SORT[:2], "r_kind", "r_id")
    )
    return of_enrolments.union(of_invitations, all=True)


def lines(
    institution_session: InstitutionSession, *, q: str = "", state: str = "", candidate_status: str = ""
) -> QuerySet[Any]:
    """All the session's lines, filtered, by name, as one query (rows of
    `_COLUMNS`, for `to_lines`): the exports, which read them all."""
    return _rows(*_sources(institution_session, q, state, candidate_status)).order_by(*_SORT)


def to_lines(rows: Iterable[Sequence[Any]]) -> list[Line]:
    """The `Line`s of rows of `lines` (the sort keys and ids dropped)."""
    return [Line(*row[: len(_COLUMNS)]) for row in rows]


def roster(
    institution_session: InstitutionSession, *, q: str = "", state: str = "", candidate_status: str = ""
) -> list[Line]:
    """The session's enrolments and unconfirmed invitations, filtered, by name
    (all of them: the exports and the API; the page shows a page of `Lines`)."""
    return to_lines(lines(institution_session, q=q, state=state, candidate_status=candidate_status))


def counts(institution_session: InstitutionSession) -> dict[str, int]:
    """How many lines are in each state (the page's summary)."""
    result = {value: 0 for value, _label in STATES}
    # order_by(): no join of the candidates for Meta.ordering, the index (institution_session, status) answers
    by_status = institution_session.enrolments.order_by().values_list("status").annotate(n=Count("id"))
    by_state = institution_session.invitations.order_by().values_list("state").annotate(n=Count("id"))
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


class Lines:
    """A session's lines for a `Paginator`, one page at a time: counted by
    two counts, the page's keys sorted and cut by the database, then only the
    page's rows read (four queries, two for a search, whatever the session's size)."""

    def __init__(
        self, institution_session: InstitutionSession, *, q: str = "", state: str = "", candidate_status: str = ""
    ) -> None:
        self._enrolments, self._invitations = _sources(institution_session, q, state, candidate_status)
        # a search tests each enrolment's candidate: it is done once, for the
        # count and the page (all the keys read, a few bytes a line)
        self._all: list[Any] | None = None
        self._searched = bool(q or candidate_status)

    def count(self) -> int:
        if self._searched:
            self._all = list(self._keys())
            return len(self._all)
        return self._enrolments.order_by().count() + self._invitations.order_by().count()

    def __len__(self) -> int:
        return self.count()

    def _keys(self) -> QuerySet[Any]:
        key = Concat(Lower("last_name"), Value(_SEPARATOR), Lower("first_names"), output_field=CharField())
        of_enrolments = (
            self._enrolments.order_by()
            .annotate(
                l_kind=Value("e"),
                l_id=F("pk"),
                l_key=Subquery(_candidate().annotate(k=key).values("k")[:1], output_field=CharField()),
                l_state=F("status"),
            )
            .values_list("l_kind", "l_id", "l_key", "l_state")
        )
        of_invitations = (
            self._invitations.order_by()
            .annotate(l_kind=Value("i"), l_id=F("pk"), l_key=key, l_state=_invitation_state())
            .values_list("l_kind", "l_id", "l_key", "l_state")
        )
        return of_enrolments.union(of_invitations, all=True).order_by("l_key", "l_state", "l_id")

    def __getitem__(self, key: slice) -> list[Line]:
        keys = self._all[key] if self._all is not None else list(self._keys()[key])
        wanted = {kind: [pk for k, pk, _key, _state in keys if k == kind] for kind in ("e", "i")}
        rows = _rows(Enrolment.objects.filter(pk__in=wanted["e"]), Invitation.objects.filter(pk__in=wanted["i"]))
        by_key = {(row[-2], row[-1]): row for row in rows}
        ordered = [by_key[kind, pk] for kind, pk, _key, _state in keys]
        return to_lines(ordered)
