"""Import of candidates by a correspondent (R6: it creates invitations).

An invitation keeps what the institution typed; it is matched with no stored
person (nothing about anyone is disclosed to the importer) and is linked to
an account only when the person it is addressed to confirms it.

Columns (header row, French names; order free; case and accents ignored):

| column | required | content |
|---|---|---|
| nom | yes | last name |
| prenoms | yes | first names |
| date_naissance | yes | JJ/MM/AAAA or AAAA-MM-JJ |
| lieu_naissance | yes | town (and country) of birth |
| email | yes | the candidate's e-mail address (the invitation goes there) |
| ine | no | national student identifier, checked (see c2i.lib.identifiers) |
| statut | yes | `etudiant` or `formation_continue` |
| cursus_particulier | no | `oui`/`non` (R8 flag) |
| temps_supplementaire | no | extra time, % of each test's duration: `33`, `33 %`, `tiers-temps`; empty = none |
| gros_caracteres | no | `oui`/`non` (also `1`/`0`, `vrai`/`faux`); empty = non |
| salle_separee | no | `oui`/`non` (also `1`/`0`, `vrai`/`faux`); empty = non |
| reference_amenagement | no | the adjustments' reference (the disability service's opinion; no medical detail) |

The last four are the exam adjustments (« aménagements d'épreuve »): they go
with the invitation and become the enrolment's when the candidate confirms
it (`adjustments.py`); the correspondent changes them on the enrolment's page.

All-or-nothing by default: while any line is wrong nothing is imported, and
every wrong line is reported with its number, column and reason.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from c2i.accounts.models import AuditAction, User, audit
from c2i.enrolment import adjustments
from c2i.enrolment.models import CandidateStatus, EnrolmentStatus, InstitutionSession, Invitation
from c2i.enrolment.signals import invitations_created
from c2i.lib.errors import DomainError
from c2i.lib.identifiers import IdentifierError, identity_key, validate_ine
from c2i.lib.tabular import read_rows
from c2i.lib.text import clean_name

COLUMNS = {
    "nom": "last_name",
    "prenoms": "first_names",
    "prenom": "first_names",
    "date_naissance": "birth_date",
    "lieu_naissance": "birth_place",
    "email": "email",
    "courriel": "email",
    "ine": "ine",
    "statut": "status",
    "cursus_particulier": "special_curriculum",
    "temps_supplementaire": "extra_time_percent",
    "temps_sup": "extra_time_percent",
    "gros_caracteres": "larger_text",
    "salle_separee": "separate_room",
    "salle_a_part": "separate_room",
    "reference_amenagement": "adjustments_note",
    "reference_amenagements": "adjustments_note",
}
# The documented name of each column, for messages about a column the file lacks.
LABELS = {
    "last_name": "nom",
    "first_names": "prenoms",
    "birth_date": "date_naissance",
    "birth_place": "lieu_naissance",
    "email": "email",
    "ine": "ine",
    "status": "statut",
    "special_curriculum": "cursus_particulier",
    "extra_time_percent": "temps_supplementaire",
    "larger_text": "gros_caracteres",
    "separate_room": "salle_separee",
    "adjustments_note": "reference_amenagement",
}
ADJUSTMENT_FIELDS = ["extra_time_percent", "larger_text", "separate_room", "adjustments_note"]
REQUIRED = ["last_name", "first_names", "birth_date", "birth_place", "email", "status"]
STATUS_VALUES = {
    "etudiant": CandidateStatus.STUDENT,
    "etudiante": CandidateStatus.STUDENT,
    "student": CandidateStatus.STUDENT,
    "formation_continue": CandidateStatus.CONTINUING,
    "formation continue": CandidateStatus.CONTINUING,
    "fc": CandidateStatus.CONTINUING,
    "continuing": CandidateStatus.CONTINUING,
}
# Names refuse invisible characters (U+202E …) and are stored composed (NFC),
# spaces collapsed; their limits are the candidate's fields.
NAME_LIMITS = {"last_name": 100, "first_names": 150, "birth_place": 120}
YES = {"oui", "o", "1", "x", "yes", "vrai"}
NO = {"", "non", "n", "0", "no", "faux"}


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().strip().lower()
    return text.replace(" ", "_").replace("-", "_").replace("'", "")


@dataclass
class LineError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("Line %(line)s, column « %(column)s »: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[LineError] = field(default_factory=list)
    invited: int = 0
    already: int = 0
    imported: bool = False
    notices: list[LineError] = field(default_factory=list)  # lines that changed nothing, and why
    valid_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def wrong_lines(self) -> int:
        """Lines with at least one error (a line may have several)."""
        return len({e.line for e in self.errors})


def parse_date(value: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def _parse_row(
    line: int, header: list[str], cells: list[str], errors: list[LineError], labels: dict[str, str]
) -> dict[str, Any] | None:
    """One candidate line; its errors are reported under the column names the file uses."""
    raw = {header[i]: (cells[i] if i < len(cells) else "") for i in range(len(header)) if header[i]}
    row: dict[str, Any] = {"line": line}
    before = len(errors)

    def err(field_name: str, message: str) -> None:
        errors.append(LineError(line, labels.get(field_name, field_name), message))

    for name in REQUIRED:
        if not raw.get(name, "").strip():
            err(name, _("value required"))
    for name, limit in NAME_LIMITS.items():
        if raw.get(name):
            try:
                row[name] = clean_name(raw[name], max_length=limit)
            except ValidationError as error:
                err(name, error.messages[0])
    if raw.get("birth_date"):
        try:
            born = parse_date(raw["birth_date"])
            if not dt.date(1900, 1, 1) <= born <= dt.date.today():
                err("birth_date", _("implausible date %(value)s") % {"value": raw["birth_date"]})
            row["birth_date"] = born
        except ValueError:
            err("birth_date", _("« %(value)s » is not a date (JJ/MM/AAAA)") % {"value": raw["birth_date"]})
    if raw.get("email"):
        try:
            validate_email(raw["email"])
            row["email"] = raw["email"].strip().lower()
        except ValidationError:
            err("email", _("« %(value)s » is not an e-mail address") % {"value": raw["email"]})
    row["ine"] = ""
    if raw.get("ine"):
        try:
            row["ine"] = validate_ine(raw["ine"]).value
        except IdentifierError as error:
            err("ine", error.message)
    if raw.get("status"):
        status = STATUS_VALUES.get(_key(raw["status"]).replace("_", " ")) or STATUS_VALUES.get(_key(raw["status"]))
        if status is None:
            err(
                "status", _("« %(value)s »: expected « etudiant » or « formation_continue »") % {"value": raw["status"]}
            )
        row["status"] = status
    for name in ("special_curriculum", "larger_text", "separate_room"):
        flag = _key(raw.get(name, ""))
        if flag in YES:
            row[name] = True
        elif flag in NO:
            row[name] = False
        else:
            err(name, _("expected « oui » or « non »"))
    try:
        row["extra_time_percent"] = adjustments.parse_percent(raw.get("extra_time_percent", ""))
    except ValueError:
        err(
            "extra_time_percent",
            _(
                "« %(value)s »: expected a percentage of the test's duration between 0 and 200 "
                "(« 33 », « 33 %% » or « tiers-temps »)"
            )
            % {"value": raw["extra_time_percent"]},
        )
    try:
        row["adjustments_note"] = clean_name(raw.get("adjustments_note", ""), max_length=adjustments.NOTE_LENGTH)
    except ValidationError as error:
        err("adjustments_note", error.messages[0])
    return row if len(errors) == before else None


def parse_file(data: bytes, filename: str) -> ImportReport:
    report = ImportReport()
    rows = iter(read_rows(data, filename))
    first = next(rows, None)
    if first is None:
        raise DomainError("empty_file", _("The file is empty."))
    header_line, header_cells = first
    header = [COLUMNS.get(_key(c), "") for c in header_cells]
    labels = {**LABELS, **{field: cell for field, cell in zip(header, header_cells, strict=True) if field}}
    unknown = [c for c, h in zip(header_cells, header, strict=True) if not h and c]
    missing = [n for n in REQUIRED if n not in header]
    if missing:
        raise DomainError(
            "bad_header",
            _("Line %(line)s (header): missing column(s) %(missing)s. Expected: %(expected)s.")
            % {
                "line": header_line,
                "missing": ", ".join(LABELS[m] for m in missing),
                "expected": "nom, prenoms, date_naissance, lieu_naissance, email, ine, statut, cursus_particulier"
                " (temps_supplementaire, gros_caracteres, salle_separee, reference_amenagement: optional)",
            },
        )
    if unknown:
        report.errors.append(
            LineError(header_line, unknown[0], _("unknown column (ignored columns are refused to avoid mistakes)"))
        )
    seen: dict[str, int] = {}
    for line, cells in rows:
        report.rows += 1
        row = _parse_row(line, header, cells, report.errors, labels)
        if row is None:
            continue
        key = identity_key(row["ine"] or None, row["last_name"], row["first_names"], row["birth_date"])
        if key in seen:
            report.errors.append(LineError(line, "", _("same candidate as line %(other)s") % {"other": seen[key]}))
            continue
        seen[key] = line
        row["identity_key"] = key
        report.valid_rows.append(row)
    if report.rows == 0:
        raise DomainError("no_rows", _("The file has a header but no candidate line."))
    return report


def _already_here(institution_session: InstitutionSession, row: dict[str, Any]) -> str | None:
    """Why a line changes nothing, looking only at this institution session:
    its pending invitations (what this institution typed) and the candidates
    who confirmed an enrolment in it. No other stored person is looked at, so
    that an import tells nothing about anyone (issue 10)."""
    same_person = Q(email=row["email"]) | Q(identity_key=row["identity_key"])
    pending = (
        Invitation.objects.pending()
        .filter(same_person, institution_session=institution_session)
        .select_related("created_by")
        .first()
    )
    if pending is not None:
        return _(
            "an invitation to this person (same e-mail address or identity) is already waiting for their "
            "answer in this session, imported on %(date)s by %(who)s; this line changes nothing."
        ) % {
            "date": timezone.localtime(pending.created_at).strftime("%d/%m/%Y %H:%M"),
            "who": (pending.created_by.get_full_name() or pending.created_by.username)
            if pending.created_by
            else _("the platform"),
        }
    enrolled = Q(candidate__email__iexact=row["email"]) | Q(identity_key=row["identity_key"])
    if row["ine"]:
        enrolled |= Q(candidate__ine=row["ine"])
    if institution_session.enrolments.filter(enrolled, status=EnrolmentStatus.ACTIVE).exists():
        return _("this person is already enrolled in this session; this line changes nothing.")
    return None


def _check_not_deliberated(institution_session: InstitutionSession) -> None:
    """Nobody is invited to a session whose jury has deliberated (docs/lifecycle.md)."""
    from c2i.enrolment import freeze

    closed = freeze.closed_at(institution_session.pk)
    if closed is not None:
        raise DomainError(
            "deliberated",
            _("The jury of this session deliberated on %(date)s: no one can be invited to it any more.")
            % {"date": freeze.date_text(closed)},
        )


def import_candidates(
    institution_session: InstitutionSession, data: bytes, filename: str, actor: User | None, *, only_valid: bool = False
) -> ImportReport:
    """Invite the file's candidates (R6). Imports into one session run one after
    the other (the session's row is locked), so that each sees what the
    previous one invited: no line is invited twice, and a line another import
    already invited is reported to the one that came second. The database's
    constraints on pending invitations are the last word."""
    report = parse_file(data, filename)
    if report.errors and not only_valid:
        return report
    invited: list[int] = []
    try:
        with transaction.atomic():
            InstitutionSession.objects.select_for_update().get(pk=institution_session.pk)
            _check_not_deliberated(institution_session)
            for row in report.valid_rows:
                reason = _already_here(institution_session, row)
                if reason is not None:
                    report.already += 1
                    report.notices.append(LineError(row["line"], "", reason))
                    continue
                invitation = Invitation.objects.create(
                    institution_session=institution_session,
                    created_by=actor,
                    special_curriculum=bool(row.get("special_curriculum")),
                    **{
                        k: row[k]
                        for k in (
                            "email",
                            "last_name",
                            "first_names",
                            "birth_date",
                            "birth_place",
                            "ine",
                            "status",
                            *ADJUSTMENT_FIELDS,
                        )
                    },
                )
                invited.append(invitation.pk)
                report.invited += 1
            audit(
                actor,
                AuditAction.ENROLMENT_IMPORT,
                institution_session,
                filename=filename,
                invited=report.invited,
                already=report.already,
                rejected=len(report.errors),
            )
            # the e-mails, by the worker (notifications' receiver)
            transaction.on_commit(lambda: invitations_created.send(None, invitation_ids=invited))
    except IntegrityError as error:
        raise DomainError(
            "import_conflict",
            _(
                "Another import into this session was being saved at the same moment and invited some of the "
                "same people; nothing from your file was imported. Send it again: the lines already invited "
                "will be reported as such."
            ),
        ) from error
    report.imported = True
    return report
