"""Jury and deliberation workflows (RULES.md R10–R15). Each runs in a
transaction and raises `DeliberationError` with a code and a message; the
outcomes come from the pure engine `rules.py`.

Decisions are append-only (`CompetencyDecision`): a change is a new row
superseding the current one. While the deliberation is open any juror
decides; once the chair has closed it only a rectification (chair, reason,
audited) adds a row, and it re-issues the candidate's document.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from c2i.accounts.models import User, audit
from c2i.accounts.services import send_password_link
from c2i.credentials import services as credentials
from c2i.deliberation import grid, sources
from c2i.deliberation.models import (
    CandidateOutcome,
    CompetencyDecision,
    DecisionValue,
    Deliberation,
    DeliberationStatus,
    DomainCredit,
    JuryMember,
    OutcomeExplanation,
)
from c2i.deliberation.rules import CandidateFile, Decision, Outcome, Policy, check_evidence, deliberate
from c2i.enrolment import conflicts
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession
from c2i.frameworks.models import Framework
from c2i.lib import text as lib_text
from c2i.lib.errors import DomainError
from c2i.notifications import services as notifications

BATCH = 2000
DECISIONS = {d.value: d for d in Decision}


class DeliberationError(DomainError):
    pass


# --- framework policy -------------------------------------------------------


def policy_for(framework: Framework) -> Policy:
    """The engine's policy of a framework, from the database (the same shape
    as the framework files): retired competencies are left out."""
    domains = []
    for domain in framework.domains.order_by("position", "code").prefetch_related("competencies"):
        codes = [c.code for c in sorted(domain.competencies.all(), key=lambda c: (c.position, c.code)) if not c.retired]
        domains.append({"code": domain.code, "competencies": codes})
    try:
        return Policy.from_framework_json({"code": framework.code, "policy": framework.policy, "domains": domains})
    except ValueError as error:
        raise DeliberationError("policy", str(error)) from error


# --- jury -------------------------------------------------------------------


def get_deliberation(institution_session: InstitutionSession, *, lock: bool = False) -> Deliberation:
    deliberation, _created = Deliberation.objects.get_or_create(institution_session=institution_session)
    if lock:
        deliberation = Deliberation.objects.select_for_update().get(pk=deliberation.pk)
    return deliberation


def _check_open(deliberation: Deliberation) -> None:
    if not deliberation.is_open:
        raise DeliberationError(
            "closed",
            _("The deliberation is closed: decisions can no longer change; the chair may record a rectification."),
        )


def _check_jury_open(deliberation: Deliberation) -> None:
    """The jury that closed is the one its minutes name: it no longer changes."""
    if not deliberation.is_open:
        raise DeliberationError(
            "closed",
            _(
                "The deliberation is closed: the jury that deliberated is named in its minutes, its members "
                "can no longer change."
            ),
        )


def _user_for_email(email: str) -> tuple[User, bool]:
    """The account of this address, or a new one without password for an
    outside member (True: created)."""
    email = email.strip()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User(username=email.lower()[:150], email=email.lower())
    user.set_unusable_password()
    user.save()
    return user, True


@transaction.atomic
def add_jury_member(institution_session: InstitutionSession, email: str, is_chair: bool, actor: User) -> JuryMember:
    """Seat a person in the jury (the chair replaces the previous one). An
    outside member gets an account and, once this is committed, the e-mail
    that lets them choose its password."""
    _check_jury_open(get_deliberation(institution_session, lock=True))
    existing = User.objects.filter(email__iexact=email.strip()).first()
    held = conflicts.holdings(institution_session.pk, existing, email)
    if held:
        raise DeliberationError(
            "juror_is_candidate",
            _(
                "%(name)s (%(email)s) is a candidate of this session (enrolment: %(status)s): a candidate "
                "cannot sit on the jury that judges them. Choose another person, or withdraw the enrolment first."
            )
            % {"name": held[0].name, "email": email.strip(), "status": held[0].state},
        )
    user, created = _user_for_email(email)
    if created:
        with translation.override("fr"):
            invitation = _(
                "%(institution)s has made you a member of the jury of the session %(session)s on the C2i platform."
            ) % {"institution": institution_session.institution.name, "session": institution_session.session.name}
        transaction.on_commit(lambda: send_password_link(user, invitation))
    member = JuryMember.objects.filter(institution_session=institution_session, user=user).first()
    if member is not None and member.is_chair == is_chair:
        raise DeliberationError("already_member", _("%(email)s already sits in this jury.") % {"email": user.email})
    if is_chair:
        JuryMember.objects.filter(institution_session=institution_session, is_chair=True).update(is_chair=False)
    if member is None:
        member = JuryMember.objects.create(institution_session=institution_session, user=user, is_chair=is_chair)
    else:
        member.is_chair = is_chair
        member.save(update_fields=["is_chair"])
    audit(actor, "jury.member", member, user=user.pk, chair=is_chair, institution_session=institution_session.pk)
    return member


@transaction.atomic
def remove_jury_member(member: JuryMember, actor: User) -> None:
    _check_jury_open(get_deliberation(member.institution_session, lock=True))
    audit(actor, "jury.remove", member, user=member.user_id, institution_session=member.institution_session_id)
    member.delete()


def command_actor(institution_session: InstitutionSession) -> User:
    """Who a grid recorded from the command line is recorded as: the chair."""
    chair = JuryMember.objects.filter(institution_session=institution_session, is_chair=True).first()
    if chair is None:
        raise DeliberationError("no_chair", _("The jury of this session has no chair: set it first."))
    return chair.user


def _check_not_candidate(institution_session: InstitutionSession, actor: User) -> None:
    """A juror who is a candidate of the session (enrolled after being seated)
    neither decides nor acts for the jury."""
    if conflicts.is_candidate_of(actor, institution_session.pk):
        raise DeliberationError(
            "juror_is_candidate",
            _(
                "You are a candidate of this session: you can neither decide on its candidates nor act for its "
                "jury. Ask its correspondent to give your seat to someone else."
            ),
        )


def _check_not_own(enrolment: Enrolment, actor: User) -> None:
    if conflicts.is_own(actor, enrolment.candidate_id):
        raise DeliberationError("own_enrolment", _("No one decides on their own enrolment: this is yours."))


def _check_chair(institution_session: InstitutionSession, actor: User) -> None:
    if not JuryMember.objects.filter(institution_session=institution_session, user=actor, is_chair=True).exists():
        raise DeliberationError("not_chair", _("Only the chair of the jury may do this."))


# --- reading the current state ----------------------------------------------


def active_enrolments(institution_session: InstitutionSession) -> QuerySet[Enrolment]:
    return institution_session.enrolments.filter(status=EnrolmentStatus.ACTIVE)


def current_decision_rows(enrolment_ids: Iterable[int]) -> dict[tuple[int, str], CompetencyDecision]:
    """The current row (superseded by none) per (enrolment, competency)."""
    rows = CompetencyDecision.objects.filter(enrolment_id__in=list(enrolment_ids), superseded_by__isnull=True)
    return {(r.enrolment_id, r.competency_code): r for r in rows}


def _decision_stream(institution_session_id: int) -> Iterator[tuple[int, str, str]]:
    """Every decision row of the session in id order: a later row overrides
    an earlier one, so the last value seen is the current one."""
    return (
        CompetencyDecision.objects.filter(institution_session_id=institution_session_id)
        .order_by("id")
        .values_list("enrolment_id", "competency_code", "value")
        .iterator(chunk_size=BATCH)
    )


def carried_over_many(
    framework_id: int, enrolments: Sequence[tuple[int, str]], institution_session_id: int | None = None
) -> dict[int, dict[str, str]]:
    """R14: {enrolment id: {domain code: name of the session where it was
    validated}} from the ledger, for (enrolment id, identity key) pairs (all
    the active enrolments of `institution_session_id` when given). A credit
    earned by the enrolment itself is not a carry-over."""
    keys: Any = {key for _id, key in enrolments}
    if not keys:
        return {}
    if institution_session_id is not None:
        keys = Enrolment.objects.filter(
            institution_session_id=institution_session_id, status=EnrolmentStatus.ACTIVE
        ).values("identity_key")
    credits: dict[str, list[tuple[int, str, str]]] = {}
    rows = (
        DomainCredit.objects.filter(framework_id=framework_id, identity_key__in=keys, revoked_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("identity_key", "enrolment_id", "domain_code", "institution_session__session__name")
    )
    for key, enrolment_id, code, session_name in rows:
        credits.setdefault(key, []).append((enrolment_id, code, session_name))
    result: dict[int, dict[str, str]] = {}
    for enrolment_id, key in enrolments:
        mine: dict[str, str] = {}
        for source, code, session_name in credits.get(key, ()):
            if source != enrolment_id:
                mine.setdefault(code, session_name)
        if mine:
            result[enrolment_id] = mine
    return result


def carried_over_for(candidate: Any, framework: Framework, exclude_enrolment: int | None = None) -> dict[str, str]:
    """{domain code: session name} carried over for a candidate in a framework."""
    return carried_over_many(framework.pk, [(exclude_enrolment or 0, candidate.identity_key)]).get(
        exclude_enrolment or 0, {}
    )


@dataclass(frozen=True)
class Computed:
    outcome: Outcome
    carried_over: Mapping[str, str]
    test_percent: Mapping[str, float]


def _decision_texts(institution_session_id: int, enrolment_ids: list[int] | None) -> dict[int, str]:
    """Each enrolment's decision rows as one text « code:value,… » in id order
    (a later row overrides an earlier one; an empty value withdraws). On
    PostgreSQL the database aggregates (10,000 texts cross the wire instead of
    280,000 rows); elsewhere the rows are streamed and joined here."""
    if connection.vendor == "postgresql":
        table = CompetencyDecision._meta.db_table
        sql = (
            f"SELECT enrolment_id, string_agg(competency_code || ':' || value, ',' ORDER BY id) "  # noqa: S608
            f"FROM {table} WHERE institution_session_id = %s"
        )
        params: list[Any] = [institution_session_id]
        if enrolment_ids is not None:
            sql += " AND enrolment_id = ANY(%s)"
            params.append(enrolment_ids)
        with connection.cursor() as cursor:
            cursor.execute(sql + " GROUP BY enrolment_id", params)
            return dict(cursor.fetchall())
    parts: dict[int, list[str]] = {}
    rows: Iterable[tuple[int, str, str]] = _decision_stream(institution_session_id)
    if enrolment_ids is not None:
        rows = (
            CompetencyDecision.objects.filter(enrolment_id__in=enrolment_ids)
            .order_by("id")
            .values_list("enrolment_id", "competency_code", "value")
        )
    for enrolment_id, code, value in rows:
        parts.setdefault(enrolment_id, []).append(f"{code}:{value}")
    return {pk: ",".join(p) for pk, p in parts.items()}


def _parse_decisions(text: str, known: set[str]) -> dict[str, Decision]:
    decisions: dict[str, Decision] = {}
    for pair in text.split(",") if text else ():
        code, _sep, value = pair.partition(":")
        if code not in known:
            continue
        if value:
            decisions[code] = DECISIONS[value]
        else:
            decisions.pop(code, None)
    return decisions


def compute_outcomes(
    institution_session: InstitutionSession, enrolment_ids: Iterable[int] | None = None
) -> dict[int, Computed]:
    """Compute and store the outcome of the session's active enrolments (all,
    or those given): one query for the decisions (aggregated per enrolment),
    one for the enrolments, one for the test results, one for the ledger; the
    engine once per distinct candidate file; then a bulk upsert of
    `CandidateOutcome` (the chair's deferral mark is kept)."""
    framework = institution_session.session.framework
    policy = policy_for(framework)
    known = {c for d in policy.domains for c in d.competencies}
    enrolments_qs = active_enrolments(institution_session)
    wanted = None if enrolment_ids is None else list(enrolment_ids)
    if wanted is not None:
        enrolments_qs = enrolments_qs.filter(pk__in=wanted)
    enrolments = list(enrolments_qs.values_list("pk", "identity_key"))
    texts = _decision_texts(institution_session.pk, wanted)
    if wanted is None:  # the whole session: filter by session, not by 10,000 ids
        tests = sources.test_percentages_for_session(institution_session.pk)
        carried = carried_over_many(framework.pk, enrolments, institution_session_id=institution_session.pk)
    else:
        tests = sources.test_percentages_many(wanted)
        carried = carried_over_many(framework.pk, enrolments)
    now = timezone.now()
    parsed: dict[str, dict[str, Decision]] = {}
    memo: dict[Any, tuple[Outcome, _Stored]] = {}
    results: dict[int, Computed] = {}
    rows: list[tuple[int, _Stored, str]] = []
    carried_json: dict[frozenset[str], str] = {}
    for enrolment_id, _key in enrolments:
        text = texts.get(enrolment_id, "")
        mine = parsed.get(text)
        if mine is None:
            mine = parsed[text] = _parse_decisions(text, known)
        percents = tests.get(enrolment_id, {})
        carry = carried.get(enrolment_id, {})
        carry_set = frozenset(carry)
        # Many candidates share the same file (all validated, one given
        # competency not validated…): deliberate and serialise once per file.
        memo_key = (text, frozenset(percents.items()) if percents else None, carry_set)
        known_outcome = memo.get(memo_key)
        if known_outcome is None:
            outcome = deliberate(policy, CandidateFile(mine, percents, carry_set))
            known_outcome = memo[memo_key] = (outcome, _Stored.of(outcome))
        if carry_set not in carried_json:
            carried_json[carry_set] = json.dumps(sorted(carry_set))
        results[enrolment_id] = Computed(known_outcome[0], carry, percents)
        rows.append((enrolment_id, known_outcome[1], carried_json[carry_set]))
    _upsert_outcomes(institution_session.pk, rows, now)
    return results


@dataclass(frozen=True)
class _Stored:
    """An outcome as stored: its status, its JSON columns and the digest of
    its reasons, serialised once per distinct outcome."""

    status: str
    validated: str
    reasons: str
    digest: str

    @classmethod
    def of(cls, outcome: Outcome) -> _Stored:
        reasons = json.dumps(grid.reason_texts(outcome), ensure_ascii=False)
        digest = hashlib.sha1(reasons.encode(), usedforsecurity=False).hexdigest()
        return cls(outcome.status, json.dumps(list(outcome.validated_domains)), reasons, digest)


OUTCOME_COLUMNS = ("status", "validated_domains", "carried_over", "explanation_id", "computed_at")


def _upsert_outcomes(institution_session_id: int, rows: Sequence[tuple[int, _Stored, str]], now: Any) -> None:
    """Insert or update the outcomes, keeping the deferral mark. On
    PostgreSQL: the session's first compute COPYs straight into the table;
    later ones COPY into a temporary table, then one INSERT … ON CONFLICT
    (10,000 rows in a fraction of the ORM's time); elsewhere `bulk_create`."""
    if not rows:
        return
    explanations = {stored.digest: stored.reasons for _pk, stored, _carried in rows}
    if connection.vendor != "postgresql":
        # as the PostgreSQL path: an unchanged outcome is not rewritten
        current = {
            pk: (status, json.dumps(validated), json.dumps(carried), explanation)
            for pk, status, validated, carried, explanation in CandidateOutcome.objects.filter(
                institution_session_id=institution_session_id
            ).values_list("enrolment_id", "status", "validated_domains", "carried_over", "explanation_id")
        }
        rows = [
            (pk, stored, carried)
            for pk, stored, carried in rows
            if current.get(pk) != (stored.status, stored.validated, carried, stored.digest)
        ]
        OutcomeExplanation.objects.bulk_create(
            [OutcomeExplanation(digest=d, reasons=json.loads(r)) for d, r in explanations.items()],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        CandidateOutcome.objects.bulk_create(
            [
                CandidateOutcome(
                    enrolment_id=enrolment_id,
                    institution_session_id=institution_session_id,
                    status=stored.status,
                    validated_domains=json.loads(stored.validated),
                    carried_over=json.loads(carried),
                    explanation_id=stored.digest,
                    computed_at=now,
                )
                for enrolment_id, stored, carried in rows
            ],
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["enrolment"],
            update_fields=["status", "validated_domains", "carried_over", "explanation", "computed_at"],
        )
        return
    table = CandidateOutcome._meta.db_table
    with connection.cursor() as cursor:
        _store_explanations(cursor, explanations)
        if not CandidateOutcome.objects.filter(institution_session_id=institution_session_id).exists():
            # The session's first compute (the largest): straight into the table.
            try:
                with (
                    transaction.atomic(),
                    connection.wrap_database_errors,
                    cursor.cursor.copy(
                        f"COPY {table} (enrolment_id, institution_session_id, {', '.join(OUTCOME_COLUMNS)}, deferred) "
                        "FROM STDIN"
                    ) as copy,
                ):
                    copy.write(_copy_lines(institution_session_id, rows, now))
                return
            except IntegrityError:
                pass  # another compute of the session stored outcomes meanwhile: upsert below
        columns = ", ".join(OUTCOME_COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in OUTCOME_COLUMNS)
        compared = ("status", "validated_domains", "carried_over", "explanation_id")
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS c2i_outcome_load "
            "(enrolment_id bigint, status text, validated_domains jsonb, carried_over jsonb, explanation_id text)"
        )
        cursor.execute("TRUNCATE c2i_outcome_load")
        with cursor.cursor.copy(
            "COPY c2i_outcome_load (enrolment_id, status, validated_domains, carried_over, explanation_id) FROM STDIN"
        ) as copy:
            for enrolment_id, stored, carried in rows:
                copy.write_row((enrolment_id, stored.status, stored.validated, carried, stored.digest))
        cursor.execute(
            f"INSERT INTO {table} (enrolment_id, institution_session_id, {columns}, deferred) "  # noqa: S608
            f"SELECT enrolment_id, %s, status, validated_domains, carried_over, explanation_id, %s, false "
            f"FROM c2i_outcome_load ON CONFLICT (enrolment_id) DO UPDATE SET {updates} "
            # an unchanged outcome is not rewritten (a recompute after a few decisions)
            f"WHERE ({', '.join(f'{table}.{c}' for c in compared)}) "
            f"IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in compared)})",
            [institution_session_id, now],
        )
        cursor.execute("TRUNCATE c2i_outcome_load")


def _copy_lines(institution_session_id: int, rows: Sequence[tuple[int, _Stored, str]], now: Any) -> str:
    """The outcome rows in COPY's text format, each distinct outcome and
    carry-over written once and reused (a per-value `write_row` took most
    of the write's time)."""
    fields: dict[tuple[_Stored, str], str] = {}  # (outcome, carried over) -> the middle of a line
    tail = f"\t{_copy_text(now.isoformat())}\tf\n"
    lines = []
    for enrolment_id, stored, carried in rows:
        key = (stored, carried)
        middle = fields.get(key)
        if middle is None:
            values = (stored.status, stored.validated, carried, stored.digest)
            middle = fields[key] = "\t".join(_copy_text(v) for v in values)
        lines.append(f"{enrolment_id}\t{institution_session_id}\t{middle}{tail}")
    return "".join(lines)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A text value for COPY's text format: backslash, tab, newline and
    carriage return escaped."""
    return value.translate(_COPY_ESCAPES)


def _store_explanations(cursor: Any, explanations: dict[str, str]) -> None:
    """PostgreSQL: store the reasons not stored yet (most are, after a
    session's first compute), through COPY (no quoting in Python)."""
    table = OutcomeExplanation._meta.db_table
    cursor.execute(f"SELECT digest FROM {table} WHERE digest = ANY(%s)", [list(explanations)])  # noqa: S608
    missing = explanations.keys() - {digest for (digest,) in cursor.fetchall()}
    if not missing:
        return
    cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS c2i_explanation_load (digest text, reasons jsonb)")
    cursor.execute("TRUNCATE c2i_explanation_load")
    with cursor.cursor.copy("COPY c2i_explanation_load (digest, reasons) FROM STDIN") as copy:
        for digest in missing:
            copy.write_row((digest, explanations[digest]))
    cursor.execute(
        f"INSERT INTO {table} (digest, reasons) SELECT digest, reasons FROM c2i_explanation_load "  # noqa: S608
        "ON CONFLICT (digest) DO NOTHING"
    )
    cursor.execute("TRUNCATE c2i_explanation_load")


# --- decisions --------------------------------------------------------------


def _competency_codes(institution_session: InstitutionSession) -> list[str]:
    return [c for d in policy_for(institution_session.session.framework).domains for c in d.competencies]


def _new_row(
    enrolment: Enrolment,
    code: str,
    value: str,
    actor: User,
    current: CompetencyDecision | None,
    evidence: Sequence[int] = (),
    comment: str = "",
    reason: str = "",
) -> CompetencyDecision:
    return CompetencyDecision(
        enrolment=enrolment,
        institution_session_id=enrolment.institution_session_id,
        competency_code=code,
        value=value,
        evidence=list(evidence),
        comment=comment,
        decided_by=actor,
        supersedes=current,
        rectification_reason=reason,
    )


def _check_value(value: str) -> str:
    if value not in DecisionValue.values:
        raise DeliberationError("bad_value", _("A decision is V (validated), NV (not validated) or empty."))
    return value


def _cited(enrolment: Enrolment, code: str, value: str, evidence_ids: Iterable[int]) -> list[int]:
    """R10: the evidence items cited for a validation; refused with the rule's
    message when none of them is other than a knowledge-test result."""
    if value != DecisionValue.VALIDATED:
        return []
    items = {e[0]: e for e in sources.submitted_evidence(enrolment).get(code, [])}
    chosen = [int(i) for i in evidence_ids]
    strangers = [i for i in chosen if i not in items]
    if strangers:
        raise DeliberationError(
            "evidence_unknown",
            _("The cited items are not in the candidate's submitted portfolio for %(code)s.") % {"code": code},
        )
    refusal = check_evidence(code, [items[i][1] for i in chosen])
    if refusal is not None:
        raise DeliberationError("R10", refusal.text)
    return chosen


def stale_text(code: str, current: CompetencyDecision | None) -> str:
    """Why a decision taken on a stale view is refused: who decided what in
    the meantime."""
    if current is None:
        return _("The decision on %(code)s changed in the meantime: reload the page, then decide again.") % {
            "code": code
        }
    return _(
        "%(who)s recorded a decision on %(code)s in the meantime (%(value)s, at %(time)s): yours was not "
        "recorded. Read the current decision, then decide again."
    ) % {
        "who": current.decided_by.get_full_name() or current.decided_by.email,
        "code": code,
        "value": current.get_value_display(),
        "time": timezone.localtime(current.decided_at).strftime("%H:%M:%S"),
    }


def _is_stale(seen: int | None, current: CompetencyDecision | None) -> bool:
    """`seen`: the id of the current decision the juror had before them (0:
    none), None when the caller has no view to compare (a file, a command)."""
    return seen is not None and (current.pk if current is not None else 0) != seen


def _comment_text(comment: str) -> str:
    """A juror's comment as stored: the free-text rule of `c2i.lib.text`
    (invisible controls removed, length limited). The candidate page sends it
    without a form, so the service applies the rule."""
    try:
        return lib_text.clean_free_text(comment, _("Comment"))
    except ValidationError as error:
        raise DeliberationError("too_long", error.messages[0]) from error


def _record(
    enrolment: Enrolment,
    code: str,
    value: str,
    actor: User,
    evidence_ids: Iterable[int],
    comment: str,
    reason: str = "",
    seen: int | None = None,
) -> CompetencyDecision | None:
    if code not in _competency_codes(enrolment.institution_session):
        raise DeliberationError("unknown_competency", _("Unknown competency: %(code)s.") % {"code": code})
    _check_value(value)
    comment = _comment_text(comment)
    cited = _cited(enrolment, code, value, evidence_ids)
    current = current_decision_rows([enrolment.pk]).get((enrolment.pk, code))
    if current is not None and (current.value, current.evidence, current.comment) == (value, cited, comment):
        return None
    if _is_stale(seen, current):
        raise DeliberationError("stale", stale_text(code, current))
    if current is None and not value:
        return None
    row = _new_row(enrolment, code, value, actor, current, cited, comment.strip(), reason)
    row.save()
    return row


def _enrolment_in(institution_session: InstitutionSession, enrolment: Enrolment) -> Enrolment:
    if enrolment.institution_session_id != institution_session.pk or not enrolment.is_active:
        raise DeliberationError("not_candidate", _("This enrolment is not a candidate of this session."))
    return enrolment


@transaction.atomic
def record_decision(
    enrolment: Enrolment,
    competency_code: str,
    value: str,
    actor: User,
    evidence_ids: Iterable[int] = (),
    comment: str = "",
    seen: int | None = None,
) -> Computed:
    """A juror's decision on one competency while the deliberation is open.
    `seen` is the id of the current decision the juror decided from (0: none):
    if another has been recorded since, the decision is refused, naming it
    (the deliberation row is locked, so two jurors are compared in turn)."""
    institution_session = enrolment.institution_session
    _check_open(get_deliberation(institution_session, lock=True))
    _enrolment_in(institution_session, enrolment)
    _check_not_own(enrolment, actor)
    _check_not_candidate(institution_session, actor)
    row = _record(enrolment, competency_code, value, actor, evidence_ids, comment, seen=seen)
    if row is not None:
        audit(actor, "deliberation.decide", row, enrolment=enrolment.pk, competency=competency_code, value=value)
    return compute_outcomes(institution_session, [enrolment.pk])[enrolment.pk]


@dataclass(frozen=True)
class Cell:
    """One cell of a grid: the candidate's enrolment, a competency, a value
    (V, NV or empty), how to name it in an error and, from the grid page, the
    id of the decision the juror saw in it (0: none; None: not known)."""

    enrolment_id: int
    competency_code: str
    value: str
    label: str
    seen: int | None = None


@transaction.atomic
def record_cells(institution_session: InstitutionSession, cells: Sequence[Cell], actor: User, source: str) -> int:
    """Record the cells that differ from the current decisions (grid page or
    grid import), all or nothing. A V cell cites every item of the submitted
    portfolio for that competency that is not a test result; with none, R10
    refuses it, naming the cell; so is a cell whose decision changed since the
    juror saw it (`Cell.seen`). Returns the number of rows written."""
    _check_open(get_deliberation(institution_session, lock=True))
    _check_not_candidate(institution_session, actor)
    known = set(_competency_codes(institution_session))
    enrolment_ids = {c.enrolment_id for c in cells}
    enrolments = {e.pk: e for e in active_enrolments(institution_session).filter(pk__in=enrolment_ids)}
    current = current_decision_rows(enrolment_ids)
    evidence = sources.submitted_evidence_many(enrolment_ids)
    errors: list[str] = []
    stale = False
    rows = []
    for cell in cells:
        enrolment = enrolments.get(cell.enrolment_id)
        if enrolment is None:
            errors.append(_("%(cell)s: not a candidate of this session.") % {"cell": cell.label})
            continue
        if cell.competency_code not in known or cell.value not in DecisionValue.values:
            errors.append(_("%(cell)s: unknown competency or value.") % {"cell": cell.label})
            continue
        previous = current.get((cell.enrolment_id, cell.competency_code))
        if (previous.value if previous else "") == cell.value:
            continue
        if _is_stale(cell.seen, previous):
            errors.append(f"{cell.label} : {stale_text(cell.competency_code, previous)}")
            stale = True
            continue
        cited: list[int] = []
        if cell.value == DecisionValue.VALIDATED:
            items = evidence.get(cell.enrolment_id, {}).get(cell.competency_code, [])
            refusal = check_evidence(cell.competency_code, [kind for _i, kind, _t in items])
            if refusal is not None:
                errors.append(f"{cell.label} : {refusal.text}")
                continue
            cited = [i for i, kind, _t in items if kind != "b"]
        rows.append(_new_row(enrolment, cell.competency_code, cell.value, actor, previous, cited))
    if errors:
        raise DeliberationError("stale" if stale else "grid", "\n".join(errors))
    CompetencyDecision.objects.bulk_create(rows, batch_size=BATCH)
    if rows:
        audit(
            actor,
            "deliberation.grid",
            get_deliberation(institution_session),
            source=source,
            decisions=len(rows),
            enrolments=len({r.enrolment_id for r in rows}),
        )
        compute_outcomes(institution_session, {r.enrolment_id for r in rows})
    return len(rows)


def import_grid(institution_session: InstitutionSession, data: bytes, filename: str, actor: User) -> int:
    """Record a CSV grid into the session (see `grid.py`): the whole file or nothing."""
    policy = policy_for(institution_session.session.framework)
    rows = grid.read_grid(data, filename, policy)
    candidates = active_enrolments(institution_session).values_list("pk", "candidate__ine", "candidate__email")
    matched = grid.match_candidates(rows, candidates)
    cells = [
        Cell(matched[row.line], code, value, grid.where(row.line, column, code))
        for row in rows
        for code, (value, column) in row.cells.items()
    ]
    return record_cells(institution_session, cells, actor, "csv")


def export_grid(institution_session: InstitutionSession) -> tuple[list[str], list[list[str]]]:
    """The session's grid: current decisions, test results (where required),
    carried-over domains; the same columns the import reads."""
    policy = policy_for(institution_session.session.framework)
    enrolments = list(
        active_enrolments(institution_session)
        .select_related("candidate")
        .order_by("candidate__last_name", "candidate__first_names", "pk")
    )
    decisions: dict[int, dict[str, str]] = {e.pk: {} for e in enrolments}
    for enrolment_id, code, value in _decision_stream(institution_session.pk):
        if enrolment_id in decisions:
            decisions[enrolment_id][code] = value
    tests = sources.test_percentages_many(decisions)
    carried = carried_over_many(institution_session.session.framework_id, [(e.pk, e.identity_key) for e in enrolments])
    needs_tests = any(d.test_required for d in policy.domains)
    header = grid.header_for(policy, tests=needs_tests, carried=True)
    rows = [
        grid.export_row(
            policy,
            grid.identifier(e.candidate.ine, e.candidate.email, e.pk),
            e.candidate.full_name,
            decisions[e.pk],
            tests.get(e.pk, {}) if needs_tests else None,
            carried.get(e.pk, {}),
        )
        for e in enrolments
    ]
    return header, rows


# --- deferral, closing, publication, rectification --------------------------


@transaction.atomic
def set_deferred(enrolment: Enrolment, deferred: bool, actor: User) -> None:
    """The chair marks an undecided candidate as deferred (ajourné), which lets
    the deliberation close without their decisions."""
    institution_session = enrolment.institution_session
    _check_open(get_deliberation(institution_session, lock=True))
    _check_chair(institution_session, actor)
    _check_not_candidate(institution_session, actor)
    _enrolment_in(institution_session, enrolment)
    compute_outcomes(institution_session, [enrolment.pk])
    CandidateOutcome.objects.filter(enrolment=enrolment).update(deferred=deferred)
    audit(actor, "deliberation.defer", enrolment, deferred=deferred)


def _sync_credits(institution_session: InstitutionSession, computed: Mapping[int, Computed], reason: str = "") -> None:
    """R14: the ledger holds, for each enrolment, the domains it validated
    itself (carried-over ones stay credited to their own session)."""
    framework_id = institution_session.session.framework_id
    existing: dict[tuple[int, str], DomainCredit] = {
        (c.enrolment_id, c.domain_code): c
        for c in DomainCredit.objects.filter(enrolment_id__in=list(computed), revoked_at__isnull=True)
    }
    keys = dict(Enrolment.objects.filter(pk__in=list(computed)).values_list("pk", "identity_key"))
    now = timezone.now()
    new = []
    for enrolment_id, result in computed.items():
        earned = {d.code for d in result.outcome.domains if d.validated and not d.carried_over}
        for code in sorted(earned):
            if (enrolment_id, code) not in existing:
                new.append(
                    DomainCredit(
                        identity_key=keys[enrolment_id],
                        framework_id=framework_id,
                        domain_code=code,
                        institution_session=institution_session,
                        enrolment_id=enrolment_id,
                    )
                )
        for (owner, code), credit in existing.items():
            if owner == enrolment_id and code not in earned:
                credit.revoked_at = now
                credit.revoked_reason = reason
                credit.save(update_fields=["revoked_at", "revoked_reason"])
    DomainCredit.objects.bulk_create(new, batch_size=BATCH)


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _running_sittings(institution_session: InstitutionSession, now: Any) -> QuerySet[Any]:
    from c2i.assessment.models import Attempt

    return Attempt.objects.filter(
        exam__institution_session=institution_session, submitted_at__isnull=True, deadline__gt=now
    )


def close_blockers(institution_session: InstitutionSession, now: Any = None) -> list[str]:
    """What is not over yet in the session, in French sentences: the
    portfolio deadline, the knowledge test's window and its sittings, the
    jury's date. Closing before them needs the chair's reason (docs/lifecycle.md)."""
    from c2i.assessment.models import Exam

    now = now or timezone.now()
    blockers = []
    if institution_session.portfolio_deadline > now:
        blockers.append(
            _("The portfolio deadline (%(when)s) has not passed.")
            % {"when": _when(institution_session.portfolio_deadline)}
        )
    closes = [
        c for c in Exam.objects.filter(institution_session=institution_session).values_list("closes_at", flat=True)
    ]
    if not closes and institution_session.test_closes is not None:
        closes = [institution_session.test_closes]
    for moment in closes:
        if moment > now:
            blockers.append(_("The knowledge test window closes on %(when)s.") % {"when": _when(moment)})
    running = _running_sittings(institution_session, now).count()
    if running:
        blockers.append(_("%(n)s knowledge-test sitting(s) are still running.") % {"n": running})
    if institution_session.jury_date > timezone.localtime(now).date():
        blockers.append(
            _("The date of the jury (%(date)s) has not come yet.")
            % {"date": institution_session.jury_date.strftime("%d/%m/%Y")}
        )
    return blockers


def _end_running_sittings(institution_session: InstitutionSession, actor: User, now: Any) -> int:
    """A sitting still running when the jury closes ends then, scored as it stands."""
    from c2i.assessment.services import finish_attempt

    ended = 0
    for attempt in _running_sittings(institution_session, now):
        finish_attempt(attempt, actor, now=now)
        ended += 1
    return ended


@transaction.atomic
def close_deliberation(institution_session: InstitutionSession, actor: User, reason: str = "") -> Deliberation:
    """The chair closes: every candidate decided or deferred; the outcomes are
    final, the validated domains enter the R14 ledger, the session's
    enrolments and submitted portfolios are frozen. Before the portfolio
    deadline, the end of the test or the jury's date (`close_blockers`) only
    with the chair's reason, kept on the deliberation, in the minutes and the
    audit trail."""
    deliberation = get_deliberation(institution_session, lock=True)
    _check_open(deliberation)
    _check_chair(institution_session, actor)
    _check_not_candidate(institution_session, actor)
    now = timezone.now()
    try:
        reason = lib_text.clean_free_text(reason or "", _("Reason")).strip()
    except ValidationError as error:
        raise DeliberationError("too_long", error.messages[0]) from error
    blockers = close_blockers(institution_session, now)
    computed = compute_outcomes(institution_session)
    deferred = set(
        CandidateOutcome.objects.filter(institution_session=institution_session, deferred=True).values_list(
            "enrolment_id", flat=True
        )
    )
    blocking = [pk for pk, c in computed.items() if c.outcome.certified is None and pk not in deferred]
    if blocking:
        names = [
            e.candidate.full_name
            for e in Enrolment.objects.filter(pk__in=blocking[:10]).select_related("candidate").order_by("pk")
        ]
        raise DeliberationError(
            "undecided",
            _(
                "%(n)s candidate(s) still have competencies without a decision (%(names)s): decide them "
                "or mark them as deferred before closing."
            )
            % {"n": len(blocking), "names": ", ".join(names) + ("…" if len(blocking) > 10 else "")},
        )
    if blockers and not reason:
        raise DeliberationError(
            "too_early",
            _(
                "The deliberation cannot close yet: %(blockers)s To close it now, give the reason; it is "
                "written into the minutes."
            )
            % {"blockers": " ".join(blockers)},
        )
    ended = _end_running_sittings(institution_session, actor, now)
    if ended:  # their scores may change the outcomes
        computed = compute_outcomes(institution_session)
    _sync_credits(institution_session, computed)
    deliberation.status = DeliberationStatus.CLOSED
    deliberation.closed_at = now
    deliberation.closed_by = actor
    deliberation.close_reason = reason if blockers else ""
    deliberation.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
    audit(
        actor,
        "deliberation.close",
        deliberation,
        candidates=len(computed),
        deferred=len(deferred),
        early=blockers,
        reason=deliberation.close_reason,
        sittings_ended=ended,
    )
    return deliberation


@transaction.atomic
def publish_deliberation(institution_session: InstitutionSession, actor: User) -> Deliberation:
    """The chair publishes a closed deliberation: the documents are issued (R15)."""
    deliberation = get_deliberation(institution_session, lock=True)
    _check_chair(institution_session, actor)
    _check_not_candidate(institution_session, actor)
    if deliberation.status != DeliberationStatus.CLOSED:
        raise DeliberationError("not_closed", _("Only a closed, unpublished deliberation can be published."))
    deliberation.status = DeliberationStatus.PUBLISHED
    deliberation.published_at = timezone.now()
    deliberation.published_by = actor
    deliberation.save(update_fields=["status", "published_at", "published_by"])
    audit(actor, "deliberation.publish", deliberation)
    # not robust: a failure to hand the documents over propagates (the batch page records production failures)
    transaction.on_commit(lambda: credentials.enqueue_session_documents(institution_session, actor))
    transaction.on_commit(lambda: notifications.outcomes_published(institution_session.pk))  # e-mails, by the worker
    return deliberation


@transaction.atomic
def rectify(
    enrolment: Enrolment,
    competency_code: str,
    value: str,
    reason: str,
    actor: User,
    evidence_ids: Iterable[int] = (),
) -> Computed:
    """After closing: the chair's correction of one decision, with a reason.
    A new decision row (the old one stays), the outcome and the ledger
    recomputed, the candidate's document re-issued if documents were issued."""
    institution_session = enrolment.institution_session
    deliberation = get_deliberation(institution_session, lock=True)
    if deliberation.is_open:
        raise DeliberationError("open", _("The deliberation is open: change the decision directly."))
    _check_chair(institution_session, actor)
    _enrolment_in(institution_session, enrolment)
    _check_not_own(enrolment, actor)
    _check_not_candidate(institution_session, actor)
    reason = reason.strip()
    if not reason:
        raise DeliberationError("reason", _("A rectification needs its reason."))
    if not value:
        raise DeliberationError("bad_value", _("A rectification validates or does not validate the competency."))
    row = _record(enrolment, competency_code, value, actor, evidence_ids, "", reason)
    if row is None:
        raise DeliberationError("unchanged", _("This is already the decision recorded."))
    computed = compute_outcomes(institution_session, [enrolment.pk])
    _sync_credits(institution_session, computed, reason)
    result = computed[enrolment.pk]
    audit(
        actor,
        "deliberation.rectify",
        row,
        enrolment=enrolment.pk,
        competency=competency_code,
        value=value,
        reason=reason,
        supersedes=row.supersedes_id,
        outcome=result.outcome.status,
    )
    if deliberation.status == DeliberationStatus.PUBLISHED:
        transaction.on_commit(lambda: credentials.reissue_document(enrolment, actor, reason))
    return result
