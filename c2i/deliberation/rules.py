"""The jury's rules engine: RULES.md R10–R16. Pure: no Django import.

`deliberate()` takes a framework's `Policy` and one candidate's `CandidateFile`
(the jury's decision on each competency, the knowledge-test percentage of each
domain, the domains carried over from earlier sessions) and returns an
`Outcome` whose every part carries its reasons: the rule, the domain, the
competencies and a French sentence, so that the jury page can explain the
whole result, positive parts included.

Interpretations (keep the jury help page in step):

- R10: a competency is validated only on at least one piece of evidence that
  is not a knowledge-test result (kind "b"); `check_evidence()` applies it to
  one competency, before a decision is recorded. `deliberate()` trusts the
  decisions it receives.
- R11: a domain is validated when all its competencies are validated and,
  where the framework requires a knowledge test (R16), the domain's
  percentage is at least the threshold (50 %; exactly 50 % passes). A missing
  test result is not positive. No compensation: nothing outside the domain is
  looked at.
- R12 (all-competencies frameworks): certified iff every domain is validated.
- R13 (threshold frameworks, C2i2e): certified iff at least
  `min_validated_total` competencies are validated and at most
  `max_not_validated_per_domain` are not validated in each domain. The
  domains listed as validated (attestation, carry-over) are only those whose
  competencies are all validated (R11).
- R14: a carried-over domain counts as validated without decisions; its
  competencies count as validated for R13; decisions recorded on them are
  ignored (and said to be). The session it was validated in is the caller's
  business (it is not pure data).
- Status "incomplete" while a competency of a domain that is not carried over
  has no decision; `certified` is then None, and the domain results still say
  what is decided. A missing knowledge-test result does not make the file
  incomplete: it is a failed test (R11).
- Unknown competency or domain codes (a file built for another framework) and
  percentages outside 0–100 raise `ValueError`: a programming error, not a
  jury outcome.
- Percentages are shown rounded half-up to 2 decimals with a decimal comma
  (`format_percent`); when that rounding would show a failed result as the
  threshold itself (49,996 % → « 50 % »), more decimals are shown.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from c2i.assessment.scoring import format_percent

ALL_COMPETENCIES = "all_competencies"
THRESHOLD = "threshold"
KINDS = (ALL_COMPETENCIES, THRESHOLD)

CERTIFIED = "certified"
NOT_CERTIFIED = "not_certified"
INCOMPLETE = "incomplete"

EVIDENCE_KINDS = frozenset({"a", "b", "c", "d"})
KNOWLEDGE_TEST_KIND = "b"


class Decision(StrEnum):
    VALIDATED = "V"
    NOT_VALIDATED = "NV"


@dataclass(frozen=True)
class DomainSpec:
    code: str
    competencies: tuple[str, ...]
    test_required: bool = False


@dataclass(frozen=True)
class Policy:
    framework: str
    kind: str
    domains: tuple[DomainSpec, ...]
    min_validated_total: int | None = None
    max_not_validated_per_domain: int | None = None
    pass_threshold_percent: float = 50.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Type de règle inconnu pour {self.framework} : « {self.kind} ».")
        if not self.domains:
            raise ValueError(f"Le référentiel {self.framework} n'a aucun domaine.")
        codes = [d.code for d in self.domains]
        if len(set(codes)) != len(codes):
            raise ValueError(f"Le référentiel {self.framework} a des codes de domaine en double.")
        competencies = [c for d in self.domains for c in d.competencies]
        if len(set(competencies)) != len(competencies):
            raise ValueError(f"Le référentiel {self.framework} a des codes de compétence en double.")
        for domain in self.domains:
            if not domain.competencies:
                # R3: an incomplete framework cannot be deliberated on.
                raise ValueError(f"R3 : le domaine {domain.code} de {self.framework} n'a aucune compétence.")
        if not 0 < self.pass_threshold_percent <= 100:
            raise ValueError(f"Seuil du contrôle de connaissances invalide : {self.pass_threshold_percent}.")
        if self.kind == THRESHOLD:
            if self.min_validated_total is None or self.max_not_validated_per_domain is None:
                raise ValueError(
                    f"R13 : {self.framework} doit fixer le nombre minimal de compétences validées "
                    "et le nombre maximal de compétences non validées par domaine."
                )
            if not 0 < self.min_validated_total <= len(competencies) or self.max_not_validated_per_domain < 0:
                raise ValueError(f"R13 : seuils invalides pour {self.framework}.")
        # A policy is a cache key for every candidate file of a session: hashed once.
        fields = (self.framework, self.kind, self.domains, self.min_validated_total, self.max_not_validated_per_domain)
        object.__setattr__(self, "_hash", hash((*fields, self.pass_threshold_percent)))

    def __hash__(self) -> int:
        return self.__dict__["_hash"]  # type: ignore[no-any-return]

    @classmethod
    def from_framework_json(cls, data: Mapping[str, Any]) -> Policy:
        """The policy of a framework file of `c2i/frameworks/data` (or a dict of
        the same shape): `policy.kind`, the R13 thresholds, and R16: when
        `policy.knowledge_test.required`, every domain requires its test
        (scope "per_domain", the only one the texts define)."""
        framework = str(data.get("code") or "?")
        policy = data.get("policy")
        if not policy:
            raise ValueError(f"Le référentiel {framework} ne définit pas de règles de certification.")
        test = policy.get("knowledge_test") or {}
        required = bool(test.get("required", False))
        if required and test.get("scope", "per_domain") != "per_domain":
            raise ValueError(f"R16 : portée du contrôle de connaissances non prise en charge : {test.get('scope')}.")
        domains = tuple(
            DomainSpec(
                code=str(domain["code"]),
                competencies=tuple(str(c["code"] if isinstance(c, Mapping) else c) for c in domain["competencies"]),
                test_required=required,
            )
            for domain in data.get("domains") or ()
        )
        return cls(
            framework=framework,
            kind=str(policy.get("kind")),
            domains=domains,
            min_validated_total=policy.get("min_validated_total"),
            max_not_validated_per_domain=policy.get("max_not_validated_per_domain"),
            pass_threshold_percent=float(test.get("pass_threshold_percent", 50)),
        )

    @property
    def competency_count(self) -> int:
        return sum(len(d.competencies) for d in self.domains)


@dataclass(frozen=True)
class CandidateFile:
    decisions: Mapping[str, Decision]
    test_percent: Mapping[str, float]
    carried_over: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Reason:
    rule: str
    domain: str | None
    competencies: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class DomainResult:
    code: str
    validated: bool
    carried_over: bool
    undecided: tuple[str, ...]
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Outcome:
    status: str
    domains: tuple[DomainResult, ...]
    reasons: tuple[Reason, ...]

    @property
    def certified(self) -> bool | None:
        if self.status == INCOMPLETE:
            return None
        return self.status == CERTIFIED

    @property
    def validated_domains(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.domains if d.validated)


# --- R10 -------------------------------------------------------------------


def check_evidence(competency: str, evidence_kinds: Iterable[str]) -> Reason | None:
    """R10: the refusal to validate `competency` when none of its evidence
    items is of a kind other than "b" (a knowledge-test result), else None."""
    kinds = set(evidence_kinds)
    unknown = kinds - EVIDENCE_KINDS
    if unknown:
        raise ValueError(f"Type de pièce inconnu : {', '.join(sorted(unknown))} (a, b, c ou d).")
    if kinds - {KNOWLEDGE_TEST_KIND}:
        return None
    domain = competency.rpartition(".")[0] or None
    if kinds:
        text = f"R10 : {competency} ne peut être validée sur le seul contrôle de connaissances"
    else:
        text = f"R10 : {competency} ne peut être validée sans pièce du dossier qui s'y rapporte"
    return Reason("R10", domain, (competency,), text)


# --- R11–R14 ---------------------------------------------------------------


def _join(codes: Iterable[str]) -> str:
    return ", ".join(codes)


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n <= 1 else plural}"


def _percent_below(value: float, threshold: float) -> str:
    """A failed percentage, never displayed as the threshold itself."""
    for decimals in range(2, 7):
        shown = format_percent(value, decimals)
        if shown != format_percent(threshold, decimals):
            return shown
    return f"moins de {format_percent(threshold)}"


@functools.cache
def _codes(policy: Policy) -> tuple[frozenset[str], frozenset[str]]:
    """The policy's competency and domain codes, computed once per policy."""
    return frozenset(c for d in policy.domains for c in d.competencies), frozenset(d.code for d in policy.domains)


def _check_file(policy: Policy, file: CandidateFile) -> dict[str, Decision]:
    competencies, domains = _codes(policy)
    unknown = sorted(set(file.decisions) - competencies)
    if unknown:
        raise ValueError(f"Compétences inconnues dans {policy.framework} : {_join(unknown)}.")
    unknown = sorted((set(file.test_percent) | set(file.carried_over)) - domains)
    if unknown:
        raise ValueError(f"Domaines inconnus dans {policy.framework} : {_join(unknown)}.")
    for code, percent in file.test_percent.items():
        if not 0 <= percent <= 100:
            raise ValueError(f"Pourcentage invalide pour {code} : {percent}.")
    try:
        return {code: _DECISIONS[value] for code, value in file.decisions.items()}
    except KeyError as error:
        raise ValueError(f"Décision invalide : {error.args[0]!r} (V ou NV).") from None


_DECISIONS = {d.value: d for d in Decision}  # "V" and Decision.VALIDATED alike (a StrEnum hashes as its value)


def _carried_over(domain: DomainSpec, decisions: Mapping[str, Decision]) -> DomainResult:
    reasons = [Reason("R14", domain.code, (), f"R14 : {domain.code} validé lors d'une session antérieure (capitalisé)")]
    ignored = tuple(c for c in domain.competencies if c in decisions)
    if ignored:
        reasons.append(
            Reason(
                "R14",
                domain.code,
                ignored,
                f"R14 : décisions sur {_join(ignored)} sans effet ({domain.code} est capitalisé)",
            )
        )
    return DomainResult(domain.code, True, True, (), tuple(reasons))


def _domain(
    policy: Policy, domain: DomainSpec, decisions: Mapping[str, Decision], percent: float | None
) -> DomainResult:
    # A domain's result depends only on its own decisions and test, and on the
    # test's threshold (R11: no compensation), so a session's thousands of
    # files share a few hundred domain results: computed once each.
    values = tuple(decisions.get(c) for c in domain.competencies)
    return _domain_result(domain, values, percent, policy.pass_threshold_percent)


@functools.lru_cache(maxsize=65536)
def _domain_result(
    domain: DomainSpec, values: tuple[Decision | None, ...], percent: float | None, threshold: float
) -> DomainResult:
    decisions = {c: v for c, v in zip(domain.competencies, values, strict=True) if v is not None}
    code = domain.code
    undecided = tuple(c for c in domain.competencies if c not in decisions)
    refused = tuple(c for c in domain.competencies if decisions.get(c) == Decision.NOT_VALIDATED)
    test_ok = not domain.test_required or (percent is not None and percent >= threshold)
    reasons: list[Reason] = []
    if refused:
        word = "non validée" if len(refused) == 1 else "non validées"
        reasons.append(Reason("R11", code, refused, f"R11 : {code} non validé — {_join(refused)} {word}"))
    if not test_ok:
        if percent is None:
            detail = "contrôle de connaissances non passé"
        else:
            detail = (
                f"contrôle de connaissances à {_percent_below(percent, threshold)} (seuil {format_percent(threshold)})"
            )
        reasons.append(Reason("R11", code, (), f"R11 : {code} non validé — {detail}"))
    if undecided:
        reasons.append(
            Reason("R10", code, undecided, f"R10 : {code} en attente — {_join(undecided)} sans décision du jury")
        )
    validated = not refused and not undecided and test_ok
    if validated:
        text = f"R11 : {code} validé — toutes ses compétences sont validées"
        if domain.test_required:
            assert percent is not None
            text += f", contrôle de connaissances à {format_percent(percent)} (seuil {format_percent(threshold)})"
        reasons.append(Reason("R11", code, domain.competencies, text))
    return DomainResult(code, validated, False, undecided, tuple(reasons))


# --- R12, R13 --------------------------------------------------------------


def _all_competencies(results: tuple[DomainResult, ...]) -> tuple[str, list[Reason]]:
    failed = [r.code for r in results if not r.validated]
    if not failed:
        return CERTIFIED, [Reason("R12", None, (), "R12 : certifié — tous les domaines sont validés")]
    word = "domaine non validé" if len(failed) == 1 else "domaines non validés"
    return NOT_CERTIFIED, [Reason("R12", None, (), f"R12 : non certifié — {word} : {_join(failed)}")]


def _threshold(policy: Policy, decisions: Mapping[str, Decision], carried: frozenset[str]) -> tuple[str, list[Reason]]:
    assert policy.min_validated_total is not None and policy.max_not_validated_per_domain is not None
    required, cap = policy.min_validated_total, policy.max_not_validated_per_domain
    validated = 0
    reasons: list[Reason] = []
    over: list[str] = []
    for domain in policy.domains:
        if domain.code in carried:
            validated += len(domain.competencies)
            continue
        refused_list = []
        for c in domain.competencies:
            value = decisions.get(c)
            if value is Decision.VALIDATED:
                validated += 1
            elif value is Decision.NOT_VALIDATED:
                refused_list.append(c)
        refused = tuple(refused_list)
        if len(refused) > cap:
            over.append(domain.code)
            count = _count(len(refused), "compétence non validée", "compétences non validées")
            reasons.append(Reason("R13", domain.code, refused, f"R13 : {domain.code} — {count} ({cap} au plus)"))
    total = policy.competency_count
    count_text = (
        f"R13 : {_count(validated, 'compétence validée', 'compétences validées')} sur {total} ({required} requises)"
    )
    reasons.insert(0, Reason("R13", None, (), count_text))
    if validated >= required and not over:
        conclusion = (
            f"R13 : certifié — au moins {required} compétences validées sur {total} "
            f"et au plus {cap} non validées dans chaque domaine"
        )
        reasons.append(Reason("R13", None, (), conclusion))
        return CERTIFIED, reasons
    causes = []
    if validated < required:
        causes.append(f"moins de {required} compétences validées")
    if over:
        causes.append(f"plus de {cap} compétences non validées en {_join(over)}")
    reasons.append(Reason("R13", None, (), f"R13 : non certifié — {' ; '.join(causes)}"))
    return NOT_CERTIFIED, reasons


def deliberate(policy: Policy, file: CandidateFile) -> Outcome:
    """The jury's outcome for one candidate file (R11–R14), with its reasons."""
    decisions = _check_file(policy, file)
    carried = frozenset(file.carried_over)
    results = tuple(
        _carried_over(domain, decisions)
        if domain.code in carried
        else _domain(policy, domain, decisions, file.test_percent.get(domain.code))
        for domain in policy.domains
    )
    undecided = tuple(c for r in results for c in r.undecided)
    if undecided:
        count = _count(len(undecided), "compétence", "compétences")
        text = f"R10 : délibération incomplète — {count} sans décision du jury : {_join(undecided)}"
        return Outcome(INCOMPLETE, results, (Reason("R10", None, undecided, text),))
    if policy.kind == THRESHOLD:
        status, reasons = _threshold(policy, decisions, carried)
    else:
        status, reasons = _all_competencies(results)
    return Outcome(status, results, tuple(reasons))
