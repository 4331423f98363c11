"""Import of candidates by a correspondent (R6: it creates invitations).

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
from django.db import transaction
from django.utils.translation import gettext as _

from c2i.accounts.models import User, audit
from c2i.enrolment.models import Candidate, CandidateStatus, Enrolment, EnrolmentStatus, InstitutionSession
from c2i.enrolment.services import invite
from c2i.enrolment.tabular import read_rows
from c2i.lib.errors import DomainError
from c2i.lib.identifiers import IdentifierError, identity_key, validate_ine
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
}
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
    flag = _key(raw.get("special_curriculum", ""))
    if flag in YES:
        row["special_curriculum"] = True
    elif flag in NO:
        row["special_curriculum"] = False
    else:
        err("special_curriculum", _("expected « oui » or « non »"))
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
                "expected": "nom, prenoms, date_naissance, lieu_naissance, email, ine, statut, cursus_particulier",
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


def _find_or_create_candidate(row: dict[str, Any]) -> Candidate:
    candidate = None
    if row["ine"]:
        candidate = Candidate.objects.filter(ine=row["ine"]).first()
    if candidate is None:
        candidate = Candidate.objects.filter(identity_key=row["identity_key"]).first()
    if candidate is None:
        candidate = Candidate.objects.filter(email__iexact=row["email"]).first()
    if candidate is None:
        user = User.objects.filter(email__iexact=row["email"]).first()
        candidate = Candidate(
            user=user if user is not None and not hasattr(user, "candidate") else None,
            **{k: row[k] for k in ("email", "last_name", "first_names", "birth_date", "birth_place", "ine", "status")},
        )
        candidate.save()
    return candidate


def import_candidates(
    institution_session: InstitutionSession, data: bytes, filename: str, actor: User | None, *, only_valid: bool = False
) -> ImportReport:
    report = parse_file(data, filename)
    if report.errors and not only_valid:
        return report
    with transaction.atomic():
        for row in report.valid_rows:
            candidate = _find_or_create_candidate(row)
            existing = Enrolment.objects.filter(
                candidate=candidate,
                institution_session=institution_session,
                status__in=[EnrolmentStatus.INVITED, EnrolmentStatus.ACTIVE],
            ).exists()
            enrolment = invite(candidate, institution_session, actor)
            if row.get("special_curriculum") and not enrolment.special_curriculum:
                enrolment.special_curriculum = True
                enrolment.save(update_fields=["special_curriculum"])
            if existing:
                report.already += 1
            else:
                report.invited += 1
        audit(
            actor,
            "enrolment.import",
            institution_session,
            filename=filename,
            invited=report.invited,
            rejected=len(report.errors),
        )
    report.imported = True
    return report
