"""The candidate's result page: what the jury decided on one enrolment, said
to a student (issue 11, point 4).

Before the chair publishes: only that the results are not published yet and
when the jury meets. After: per domain and competency the jury's decision and
its comment, the knowledge-test percentage where the framework has a test
(R16), why each domain is or is not validated, what is kept for a later
session (R14) and what to do next.

Nothing is decided here: the outcome is the one the deliberation stored
(`CandidateOutcome`), and each domain's explanation is read from the rules
engine's own domain result (`rules.deliberate`, the same function that
computed it) and its reasons' structure (which competencies were refused,
whether the test failed), then said in plain French without rule codes: the
rule codes are for the staff pages and the jury's help.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from c2i.assessment.scoring import format_percent
from c2i.deliberation import rules, sources
from c2i.deliberation.models import CandidateOutcome, Deliberation, DeliberationStatus, OutcomeStatus
from c2i.deliberation.services.outcomes import carried_over_many, current_decision_rows
from c2i.deliberation.services.policy import policy_for
from c2i.enrolment.models import Enrolment, EnrolmentStatus, Session

VALIDATED, NOT_VALIDATED, CARRIED_OVER, UNDECIDED = "validated", "not_validated", "carried_over", "undecided"
WITHDRAWN, PENDING, PUBLISHED = "withdrawn", "pending", "published"


@dataclass(frozen=True)
class CompetencyLine:
    code: str
    title: str
    decision: str  # "V", "NV", "" (no decision) or CARRIED_OVER
    comment: str


@dataclass(frozen=True)
class DomainLine:
    code: str
    title: str
    state: str  # VALIDATED, NOT_VALIDATED, CARRIED_OVER or UNDECIDED
    carried_from: str
    test_required: bool
    test_percent: str  # « 62,5 % »; empty without a result
    test_passed: bool | None  # None: no test required, or no result
    explanation: str
    competencies: tuple[CompetencyLine, ...]

    @property
    def kept(self) -> bool:
        return self.state in (VALIDATED, CARRIED_OVER)

    @property
    def has_comments(self) -> bool:
        return any(c.comment for c in self.competencies)


@dataclass(frozen=True)
class CandidateResult:
    enrolment: Enrolment
    state: str  # WITHDRAWN, PENDING or PUBLISHED
    framework_code: str
    jury_date: Any  # the planned date (before publication)
    closed_on: Any  # the day the jury closed (after publication)
    status: str  # an OutcomeStatus value ("" before publication)
    deferred: bool
    summary: str
    threshold_summary: str  # C2i2e (R13): the competencies counted
    domains: tuple[DomainLine, ...]
    test_required: bool
    threshold: str
    document: Any  # the valid IssuedDocument, if any
    without_document: bool
    next_sessions: tuple[Session, ...]

    @property
    def certified(self) -> bool:
        return self.status == OutcomeStatus.CERTIFIED

    @property
    def kept(self) -> tuple[DomainLine, ...]:
        return tuple(d for d in self.domains if d.kept)

    @property
    def missing(self) -> tuple[DomainLine, ...]:
        return tuple(d for d in self.domains if not d.kept)


def _codes(codes: tuple[str, ...]) -> str:
    if len(codes) == 1:
        return codes[0]
    return _("%(codes)s and %(code)s") % {"codes": ", ".join(codes[:-1]), "code": codes[-1]}


def void_text(code: str) -> str:
    """A domain whose every question was neutralised in the sitting: no
    result (R11: counted as a test not passed), said as such, never hidden."""
    return _("%(domain)s: no question left after neutralisation — result not available") % {"domain": code}


def _explain(
    domain: rules.DomainResult, spec: rules.DomainSpec, percent: float | None, threshold: float, void: bool = False
) -> str:
    """The engine's reasons for one domain, said to a student."""
    if domain.carried_over:
        return _("This domain was validated in an earlier session: it is kept, without a new assessment.")
    shown = format_percent(percent) if percent is not None else ""
    if domain.validated:
        if spec.test_required:
            return _(
                "This domain is validated: the jury validated all its competencies and your knowledge-test "
                "result (%(percent)s) reaches the threshold of %(threshold)s."
            ) % {"percent": shown, "threshold": format_percent(threshold)}
        return _("This domain is validated: the jury validated all its competencies.")
    refused: tuple[str, ...] = ()
    test_failed = False
    for reason in domain.reasons:
        if reason.rule == "R11" and reason.competencies:
            refused = reason.competencies
        elif reason.rule == "R11":
            test_failed = True
    causes = []
    if refused:
        causes.append(
            ngettext(
                "competency %(codes)s was not validated",
                "competencies %(codes)s were not validated",
                len(refused),
            )
            % {"codes": _codes(refused)}
        )
    if test_failed and percent is None and void:
        causes.append(void_text(domain.code))
    elif test_failed and percent is None:
        causes.append(_("you have no knowledge-test result for this domain"))
    elif test_failed and percent is not None:
        causes.append(
            _("your knowledge-test result (%(percent)s) is below the threshold of %(threshold)s")
            % {"percent": rules._percent_below(percent, threshold), "threshold": format_percent(threshold)}
        )
    if domain.undecided:
        causes.append(
            ngettext(
                "the jury did not decide on competency %(codes)s",
                "the jury did not decide on competencies %(codes)s",
                len(domain.undecided),
            )
            % {"codes": _codes(domain.undecided)}
        )
    text = _(" and ").join(causes)
    if refused:
        return _("This domain is not validated because %(causes)s; there is no compensation between competencies.") % {
            "causes": text
        }
    return _("This domain is not validated because %(causes)s.") % {"causes": text}


def _state(domain: rules.DomainResult) -> str:
    if domain.carried_over:
        return CARRIED_OVER
    if domain.validated:
        return VALIDATED
    if domain.undecided and not any(r.rule == "R11" for r in domain.reasons):
        return UNDECIDED
    return NOT_VALIDATED


def _next_sessions(enrolment: Enrolment) -> tuple[Session, ...]:
    today = timezone.localdate()
    return tuple(
        Session.objects.filter(framework_id=enrolment.session.framework_id, enrolment_closes__gte=today)
        .exclude(pk=enrolment.session_id)
        .order_by("enrolment_opens", "start")[:3]
    )


def _summary(framework: str, status: str, deferred: bool, kept: int, total: int) -> str:
    if status == OutcomeStatus.CERTIFIED:
        return _("The jury awards you the %(framework)s.") % {"framework": framework}
    if deferred or status == OutcomeStatus.INCOMPLETE:
        return _(
            "The jury deferred its decision on your file: it did not decide on all your competencies. "
            "The domains already validated are kept."
        )
    return ngettext(
        "You do not obtain the %(framework)s at this session: %(kept)s domain out of %(total)s is validated.",
        "You do not obtain the %(framework)s at this session: %(kept)s domains out of %(total)s are validated.",
        kept,
    ) % {"framework": framework, "kept": kept, "total": total}


def _threshold_summary(policy: rules.Policy, outcome: rules.Outcome, decisions: dict[str, rules.Decision]) -> str:
    """C2i2e (R13): the competencies counted, as the engine counts them."""
    if policy.kind != rules.THRESHOLD:
        return ""
    carried = {d.code for d in outcome.domains if d.carried_over}
    validated = sum(
        1
        for spec in policy.domains
        for c in spec.competencies
        if spec.code in carried or decisions.get(c) == rules.Decision.VALIDATED
    )
    return _(
        "%(validated)s competencies validated out of %(total)s. The certificate needs at least %(required)s, "
        "with at most %(cap)s not validated in each domain."
    ) % {
        "validated": validated,
        "total": policy.competency_count,
        "required": policy.min_validated_total,
        "cap": policy.max_not_validated_per_domain,
    }


def candidate_result(enrolment: Enrolment) -> CandidateResult:
    """What the result page of `enrolment` says."""
    from c2i.credentials.models import DocumentStatus, IssuedDocument
    from c2i.credentials.services import gets_document

    institution_session = enrolment.institution_session
    framework = institution_session.session.framework
    deliberation = Deliberation.objects.filter(institution_session=institution_session).first()
    published = deliberation is not None and deliberation.status == DeliberationStatus.PUBLISHED
    outcome = CandidateOutcome.objects.filter(enrolment=enrolment).first() if published else None
    state = WITHDRAWN if enrolment.status == EnrolmentStatus.WITHDRAWN else PUBLISHED if outcome else PENDING
    empty = CandidateResult(
        enrolment=enrolment,
        state=state,
        framework_code=framework.code,
        jury_date=institution_session.jury_date,
        closed_on=None,
        status="",
        deferred=False,
        summary="",
        threshold_summary="",
        domains=(),
        test_required=False,
        threshold="",
        document=None,
        without_document=False,
        next_sessions=_next_sessions(enrolment),
    )
    if state != PUBLISHED or outcome is None or deliberation is None:
        return empty

    policy = policy_for(framework)
    known = {c for d in policy.domains for c in d.competencies}
    rows = {code: row for (_e, code), row in current_decision_rows([enrolment.pk]).items() if code in known}
    decisions = {code: rules.Decision(row.value) for code, row in rows.items() if row.value}
    domain_codes = {d.code for d in policy.domains}
    percents = {code: p for code, p in sources.test_percentages(enrolment).items() if code in domain_codes}
    void = set(sources.void_tests(enrolment)) - set(percents)
    carried = frozenset(outcome.carried_over) & domain_codes
    engine = rules.deliberate(policy, rules.CandidateFile(decisions, percents, carried))
    carried_from = carried_over_many(framework.pk, [(enrolment.pk, enrolment.identity_key)]).get(enrolment.pk, {})
    titles = {d.code: d.title for d in framework.domains.all()}
    competency_titles = dict(framework.domains.values_list("competencies__code", "competencies__title"))
    specs = {d.code: d for d in policy.domains}
    threshold = policy.pass_threshold_percent
    domains = []
    for result in engine.domains:
        spec = specs[result.code]
        percent = percents.get(result.code)
        lines = tuple(
            CompetencyLine(
                code=c,
                title=competency_titles.get(c) or "",
                decision=CARRIED_OVER if result.carried_over else decisions.get(c, ""),
                comment="" if result.carried_over or c not in rows else rows[c].comment,
            )
            for c in spec.competencies
        )
        domains.append(
            DomainLine(
                code=result.code,
                title=titles.get(result.code, ""),
                state=_state(result),
                carried_from=carried_from.get(result.code, "") if result.carried_over else "",
                test_required=spec.test_required and not result.carried_over,
                test_percent=format_percent(percent) if percent is not None else "",
                test_passed=None if not spec.test_required or percent is None else percent >= threshold,
                explanation=_explain(result, spec, percent, threshold, result.code in void),
                competencies=lines,
            )
        )
    kept = sum(1 for d in domains if d.kept)
    document = IssuedDocument.objects.filter(enrolment=enrolment, status=DocumentStatus.VALID).first()
    final = not outcome.deferred and outcome.status != OutcomeStatus.INCOMPLETE
    closing = deliberation.closed_at or deliberation.published_at
    return CandidateResult(
        **{
            **empty.__dict__,
            "closed_on": timezone.localdate(closing) if closing else institution_session.jury_date,
            "status": outcome.status,
            "deferred": outcome.deferred,
            "summary": _summary(framework.code, outcome.status, outcome.deferred, kept, len(domains)),
            "threshold_summary": _threshold_summary(policy, engine, decisions),
            "domains": tuple(domains),
            "test_required": any(s.test_required for s in policy.domains),
            "threshold": format_percent(threshold),
            "document": document,
            "without_document": final and not gets_document(outcome.status, outcome.validated_domains),
        }
    )
