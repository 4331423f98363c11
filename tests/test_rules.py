"""The jury's rules engine (RULES.md R10–R16), on the real framework files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from c2i.deliberation.rules import (
    CandidateFile,
    Decision,
    DomainSpec,
    Outcome,
    Policy,
    Reason,
    check_evidence,
    deliberate,
)

DATA = Path(__file__).resolve().parent.parent / "c2i" / "frameworks" / "data"
V, NV = Decision.VALIDATED, Decision.NOT_VALIDATED


def load(code: str) -> Policy:
    return Policy.from_framework_json(json.loads((DATA / f"{code}.json").read_text(encoding="utf-8")))


C2I1 = load("C2i1")
C2I2E = load("C2i2e")
C2I2MS = load("C2i2ms")
C2I2MD = load("C2i2md")


def competencies(policy: Policy) -> list[str]:
    return [c for d in policy.domains for c in d.competencies]


def domain(policy: Policy, code: str) -> DomainSpec:
    return next(d for d in policy.domains if d.code == code)


def make_file(
    policy: Policy,
    nv: tuple[str, ...] = (),
    undecided: tuple[str, ...] = (),
    tests: Mapping[str, float | None] | None = None,
    default_test: float | None = 75.0,
    carried: tuple[str, ...] = (),
    extra: Mapping[str, Decision] | None = None,
) -> CandidateFile:
    """All competencies validated and every test at `default_test`, except as told."""
    decisions = {c: (NV if c in nv else V) for c in competencies(policy) if c not in undecided}
    decisions.update(extra or {})
    percents: dict[str, float | None] = {d.code: default_test for d in policy.domains}
    percents.update(tests or {})
    return CandidateFile(
        decisions=decisions,
        test_percent={k: v for k, v in percents.items() if v is not None},
        carried_over=frozenset(carried),
    )


def texts(outcome: Outcome) -> list[str]:
    return [r.text for r in outcome.reasons] + [r.text for d in outcome.domains for r in d.reasons]


def result(outcome: Outcome, code: str):
    return next(d for d in outcome.domains if d.code == code)


def assert_well_formed(policy: Policy, outcome: Outcome) -> None:
    """Every reason cites its rule, names known codes, and every part of the
    outcome is explained."""
    codes = {d.code for d in policy.domains}
    known = set(competencies(policy))
    assert outcome.reasons
    all_reasons: list[Reason] = list(outcome.reasons)
    for d in outcome.domains:
        assert d.reasons, d.code
        assert all(r.domain == d.code for r in d.reasons)
        all_reasons.extend(d.reasons)
    for r in all_reasons:
        assert r.rule in {"R10", "R11", "R12", "R13", "R14"}
        assert r.text.startswith(f"{r.rule} : ")
        assert r.domain is None or r.domain in codes
        assert set(r.competencies) <= known
        if r.domain:
            assert r.domain in r.text


# --- building policies ------------------------------------------------------


class TestPolicyFromFrameworkJson:
    def test_it_reads_c2i1(self) -> None:
        assert C2I1.framework == "C2i1"
        assert C2I1.kind == "all_competencies"
        assert [d.code for d in C2I1.domains] == ["D1", "D2", "D3", "D4", "D5"]
        assert domain(C2I1, "D3").competencies == ("D3.1", "D3.2", "D3.3", "D3.4", "D3.5")
        assert all(d.test_required for d in C2I1.domains)
        assert C2I1.pass_threshold_percent == 50.0
        assert C2I1.competency_count == 20

    def test_it_reads_c2i2e(self) -> None:
        assert C2I2E.kind == "threshold"
        assert C2I2E.min_validated_total == 23
        assert C2I2E.max_not_validated_per_domain == 2
        assert C2I2E.competency_count == 28
        assert not any(d.test_required for d in C2I2E.domains)

    def test_it_requires_c2i2ms_tests_per_domain(self) -> None:
        assert C2I2MS.kind == "all_competencies"
        assert [d.test_required for d in C2I2MS.domains] == [True] * 4

    @pytest.mark.parametrize("code", ["C2i1", "C2i2e", "C2i2md", "C2i2mead", "C2i2mi", "C2i2ms"])
    def test_it_matches_the_expected_counts(self, code: str) -> None:
        data = json.loads((DATA / f"{code}.json").read_text(encoding="utf-8"))
        policy = Policy.from_framework_json(data)
        assert len(policy.domains) == data["expected_counts"]["domains"]
        assert policy.competency_count == data["expected_counts"]["competencies"]

    @pytest.mark.parametrize("code", ["C2i1-2008", "C2i2-common"])
    def test_it_refuses_a_file_without_policy(self, code: str) -> None:
        data = json.loads((DATA / f"{code}.json").read_text(encoding="utf-8"))
        with pytest.raises(ValueError, match="règles de certification"):
            Policy.from_framework_json(data)

    def test_it_refuses_an_incomplete_framework(self) -> None:
        with pytest.raises(ValueError, match="R3 : le domaine D4 de C2i2forcom"):
            load("C2i2forcom")

    def test_it_accepts_competency_codes_as_strings(self) -> None:
        data = {"code": "X", "policy": {"kind": "all_competencies"}, "domains": [{"code": "D1", "competencies": ["a"]}]}
        assert Policy.from_framework_json(data).domains == (DomainSpec("D1", ("a",), False),)

    def test_it_refuses_an_unknown_test_scope(self) -> None:
        data = {
            "code": "X",
            "policy": {"kind": "all_competencies", "knowledge_test": {"required": True, "scope": "global"}},
            "domains": [{"code": "D1", "competencies": ["a"]}],
        }
        with pytest.raises(ValueError, match="R16"):
            Policy.from_framework_json(data)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"kind": "majority"}, "Type de règle inconnu"),
            ({"domains": ()}, "aucun domaine"),
            ({"domains": (DomainSpec("D1", ("a",)), DomainSpec("D1", ("b",)))}, "domaine en double"),
            ({"domains": (DomainSpec("D1", ("a",)), DomainSpec("D2", ("a",)))}, "compétence en double"),
            ({"pass_threshold_percent": 0.0}, "Seuil"),
            ({"kind": "threshold"}, "R13"),
            ({"kind": "threshold", "min_validated_total": 3, "max_not_validated_per_domain": 0}, "R13 : seuils"),
            ({"kind": "threshold", "min_validated_total": 1, "max_not_validated_per_domain": -1}, "R13 : seuils"),
        ],
    )
    def test_it_refuses_inconsistent_policies(self, changes: dict, message: str) -> None:
        base = Policy("X", "all_competencies", (DomainSpec("D1", ("a", "b")),))
        with pytest.raises(ValueError, match=message):
            replace(base, **changes)


# --- R10 ----------------------------------------------------------------------


class TestCheckEvidence:
    @pytest.mark.parametrize("kinds", [["a"], ["c"], ["d"], ["b", "a"], ["b", "c", "b"], ["a", "b", "c", "d"]])
    def test_it_accepts_evidence_other_than_the_test(self, kinds: list[str]) -> None:
        assert check_evidence("D1.2", kinds) is None

    @pytest.mark.parametrize("kinds", [["b"], ["b", "b"], ("b" for _ in range(3))])
    def test_it_refuses_the_knowledge_test_alone(self, kinds) -> None:
        assert check_evidence("D1.2", kinds) == Reason(
            "R10", "D1", ("D1.2",), "R10 : D1.2 ne peut être validée sur le seul contrôle de connaissances"
        )

    def test_it_refuses_no_evidence(self) -> None:
        reason = check_evidence("A3.4", [])
        assert reason is not None
        assert (reason.rule, reason.domain, reason.competencies) == ("R10", "A3", ("A3.4",))
        assert reason.text == "R10 : A3.4 ne peut être validée sans pièce du dossier qui s'y rapporte"

    def test_it_refuses_unknown_kinds(self) -> None:
        with pytest.raises(ValueError, match="Type de pièce inconnu : e"):
            check_evidence("D1.2", ["a", "e"])


# --- R11, R12, R14 on C2i1 ---------------------------------------------------------

ALL_C2I1 = ("D1", "D2", "D3", "D4", "D5")

C2I1_CASES = [
    # id, file arguments, status, validated domains
    ("everything", {}, "certified", ALL_C2I1),
    ("one competency NV", {"nv": ("D3.4",)}, "not_certified", ("D1", "D2", "D4", "D5")),
    ("two domains NV", {"nv": ("D1.1", "D5.3")}, "not_certified", ("D2", "D3", "D4")),
    ("every competency NV", {"nv": tuple(competencies(C2I1))}, "not_certified", ()),
    ("test 42.5", {"tests": {"D1": 42.5}}, "not_certified", ("D2", "D3", "D4", "D5")),
    ("test exactly 50", {"default_test": 50.0}, "certified", ALL_C2I1),
    ("test 49.99", {"tests": {"D4": 49.99}}, "not_certified", ("D1", "D2", "D3", "D5")),
    ("test 100 and 0", {"tests": {"D1": 100.0, "D2": 0.0}}, "not_certified", ("D1", "D3", "D4", "D5")),
    ("test not sat", {"tests": {"D2": None}}, "not_certified", ("D1", "D3", "D4", "D5")),
    ("no test at all", {"default_test": None}, "not_certified", ()),
    ("NV and failed test", {"nv": ("D2.1",), "tests": {"D2": 10.0}}, "not_certified", ("D1", "D3", "D4", "D5")),
    (
        "carried over, no decision",
        {"undecided": ("D1.1", "D1.2", "D1.3", "D1.4"), "carried": ("D1",)},
        "certified",
        ALL_C2I1,
    ),
    ("carried over, no test", {"tests": {"D1": None}, "carried": ("D1",)}, "certified", ALL_C2I1),
    (
        "carried over, NV decisions ignored",
        {"nv": ("D1.1", "D1.2"), "tests": {"D1": 10.0}, "carried": ("D1",)},
        "certified",
        ALL_C2I1,
    ),
    (
        "carried over, other domain NV",
        {"nv": ("D3.1",), "carried": ("D1", "D2")},
        "not_certified",
        ("D1", "D2", "D4", "D5"),
    ),
    ("everything carried over", {"default_test": None, "nv": ("D1.1",), "carried": ALL_C2I1}, "certified", ALL_C2I1),
    ("undecided", {"undecided": ("D2.3",)}, "incomplete", ("D1", "D3", "D4", "D5")),
    ("undecided and NV elsewhere", {"undecided": ("D2.3",), "nv": ("D3.4",)}, "incomplete", ("D1", "D4", "D5")),
    (
        "undecided with failed test",
        {"undecided": ("D2.3",), "tests": {"D2": 20.0}},
        "incomplete",
        ("D1", "D3", "D4", "D5"),
    ),
    ("nothing decided", {"undecided": tuple(competencies(C2I1))}, "incomplete", ()),
    ("undecided in carried domain only", {"undecided": ("D5.1",), "carried": ("D5",)}, "certified", ALL_C2I1),
]


class TestAllCompetencies:
    @pytest.mark.parametrize(
        ("args", "status", "validated"), [c[1:] for c in C2I1_CASES], ids=[c[0] for c in C2I1_CASES]
    )
    def test_it_decides_c2i1(self, args: dict, status: str, validated: tuple[str, ...]) -> None:
        outcome = deliberate(C2I1, make_file(C2I1, **args))
        assert outcome.status == status
        assert outcome.certified == {"certified": True, "not_certified": False, "incomplete": None}[status]
        assert outcome.validated_domains == validated
        assert_well_formed(C2I1, outcome)

    def test_it_names_the_not_validated_competency(self) -> None:
        outcome = deliberate(C2I1, make_file(C2I1, nv=("D3.4",)))
        d3 = result(outcome, "D3")
        assert d3.reasons == (Reason("R11", "D3", ("D3.4",), "R11 : D3 non validé — D3.4 non validée"),)
        assert outcome.reasons == (Reason("R12", None, (), "R12 : non certifié — domaine non validé : D3"),)

    def test_it_names_several_not_validated_competencies(self) -> None:
        outcome = deliberate(C2I1, make_file(C2I1, nv=("D3.4", "D3.2", "D1.1")))
        assert result(outcome, "D3").reasons[0].text == "R11 : D3 non validé — D3.2, D3.4 non validées"
        assert result(outcome, "D3").reasons[0].competencies == ("D3.2", "D3.4")
        assert outcome.reasons[0].text == "R12 : non certifié — domaines non validés : D1, D3"

    @pytest.mark.parametrize(
        ("percent", "text"),
        [
            (42.5, "R11 : D1 non validé — contrôle de connaissances à 42,5 % (seuil 50 %)"),
            (49.99, "R11 : D1 non validé — contrôle de connaissances à 49,99 % (seuil 50 %)"),
            (49.996, "R11 : D1 non validé — contrôle de connaissances à 49,996 % (seuil 50 %)"),
            (49.9999999999, "R11 : D1 non validé — contrôle de connaissances à moins de 50 % (seuil 50 %)"),
            (0.0, "R11 : D1 non validé — contrôle de connaissances à 0 % (seuil 50 %)"),
            (None, "R11 : D1 non validé — contrôle de connaissances non passé"),
        ],
    )
    def test_it_explains_a_failed_test(self, percent: float | None, text: str) -> None:
        outcome = deliberate(C2I1, make_file(C2I1, tests={"D1": percent}))
        d1 = result(outcome, "D1")
        assert not d1.validated
        assert d1.reasons == (Reason("R11", "D1", (), text),)

    def test_it_explains_a_validated_domain(self) -> None:
        outcome = deliberate(C2I1, make_file(C2I1, tests={"D5": 50.0}))
        assert result(outcome, "D5").reasons == (
            Reason(
                "R11",
                "D5",
                ("D5.1", "D5.2", "D5.3"),
                "R11 : D5 validé — toutes ses compétences sont validées, contrôle de connaissances à 50 % (seuil 50 %)",
            ),
        )
        assert outcome.reasons == (Reason("R12", None, (), "R12 : certifié — tous les domaines sont validés"),)

    def test_it_explains_a_validated_domain_without_test(self) -> None:
        outcome = deliberate(C2I2MD, make_file(C2I2MD, default_test=None))
        assert outcome.certified
        assert result(outcome, "D1").reasons[0].text == "R11 : D1 validé — toutes ses compétences sont validées"

    def test_it_explains_a_carried_over_domain(self) -> None:
        outcome = deliberate(C2I1, make_file(C2I1, undecided=("D1.1", "D1.2", "D1.3", "D1.4"), carried=("D1",)))
        d1 = result(outcome, "D1")
        assert (d1.validated, d1.carried_over, d1.undecided) == (True, True, ())
        assert d1.reasons == (Reason("R14", "D1", (), "R14 : D1 validé lors d'une session antérieure (capitalisé)"),)

    def test_it_says_decisions_on_a_carried_over_domain_are_ignored(self) -> None:
        outcome = deliberate(C2I1, make_file(C2I1, nv=("D1.2",), carried=("D1",)))
        assert result(outcome, "D1").reasons[1] == Reason(
            "R14",
            "D1",
            ("D1.1", "D1.2", "D1.3", "D1.4"),
            "R14 : décisions sur D1.1, D1.2, D1.3, D1.4 sans effet (D1 est capitalisé)",
        )

    def test_it_keeps_deciding_domains_while_incomplete(self) -> None:
        outcome = deliberate(C2I1, make_file(C2I1, undecided=("D2.3", "D2.4", "D4.1"), nv=("D3.4",)))
        assert outcome.certified is None
        assert outcome.reasons == (
            Reason(
                "R10",
                None,
                ("D2.3", "D2.4", "D4.1"),
                "R10 : délibération incomplète — 3 compétences sans décision du jury : D2.3, D2.4, D4.1",
            ),
        )
        d2 = result(outcome, "D2")
        assert (d2.validated, d2.undecided) == (False, ("D2.3", "D2.4"))
        assert d2.reasons == (
            Reason("R10", "D2", ("D2.3", "D2.4"), "R10 : D2 en attente — D2.3, D2.4 sans décision du jury"),
        )
        assert not result(outcome, "D3").validated
        assert result(outcome, "D1").validated

    def test_one_undecided_competency_is_singular(self) -> None:
        outcome = deliberate(C2I1, make_file(C2I1, undecided=("D2.3",)))
        assert outcome.reasons[0].text == "R10 : délibération incomplète — 1 compétence sans décision du jury : D2.3"

    def test_it_ignores_test_results_where_none_is_required(self) -> None:
        outcome = deliberate(C2I2MD, make_file(C2I2MD, default_test=5.0))
        assert outcome.certified

    def test_c2i2ms_requires_every_domain_test(self) -> None:
        outcome = deliberate(C2I2MS, make_file(C2I2MS, tests={"D4": None}))
        assert outcome.status == "not_certified"
        assert outcome.validated_domains == ("D1", "D2", "D3")


# --- R13, R14 on C2i2e ----------------------------------------------------------

ALL_C2I2E = ("A1", "A2", "A3", "B1", "B2", "B3", "B4")

C2I2E_CASES = [
    ("everything", {}, "certified", 28, ALL_C2I2E),
    ("exactly 23", {"nv": ("A1.1", "A1.2", "A3.1", "A3.2", "B2.5")}, "certified", 23, ("A2", "B1", "B3", "B4")),
    ("22", {"nv": ("A1.1", "A1.2", "A3.1", "A3.2", "B2.4", "B2.5")}, "not_certified", 22, ("A2", "B1", "B3", "B4")),
    (
        "23 with 3 NV in A1",
        {"nv": ("A1.1", "A1.2", "A1.3", "B2.4", "B2.5")},
        "not_certified",
        23,
        ("A2", "A3", "B1", "B3", "B4"),
    ),
    ("25 with 3 NV in A1", {"nv": ("A1.1", "A1.2", "A1.3")}, "not_certified", 25, ("A2", "A3", "B1", "B2", "B3", "B4")),
    ("26 with 2 NV in A2", {"nv": ("A2.1", "A2.3")}, "certified", 26, ("A1", "A3", "B1", "B2", "B3", "B4")),
    ("A2 all NV", {"nv": ("A2.1", "A2.2", "A2.3")}, "not_certified", 25, ("A1", "A3", "B1", "B2", "B3", "B4")),
    (
        "2 NV in every domain",
        {"nv": ("A1.1", "A1.2", "A2.1", "A2.2", "A3.1", "A3.2", "B1.1")},
        "not_certified",
        21,
        ("B2", "B3", "B4"),
    ),
    ("no test needed", {"default_test": None}, "certified", 28, ALL_C2I2E),
    (
        "carried A1 counts for 23",
        {
            "undecided": ("A1.1", "A1.2", "A1.3", "A1.4", "A1.5"),
            "nv": ("A3.1", "A3.2", "B2.1", "B2.2", "B3.1"),
            "carried": ("A1",),
        },
        "certified",
        23,
        ("A1", "A2", "B1", "B4"),
    ),
    (
        "carried A1, NV decisions ignored",
        {"nv": ("A1.1", "A1.2", "A1.3", "A3.1", "A3.2", "B2.1", "B2.2", "B3.1"), "carried": ("A1",)},
        "certified",
        23,
        ("A1", "A2", "B1", "B4"),
    ),
    (
        "same without carry-over",
        {"nv": ("A1.1", "A1.2", "A1.3", "A3.1", "A3.2", "B2.1", "B2.2", "B3.1")},
        "not_certified",
        20,
        ("A2", "B1", "B4"),
    ),
    ("undecided", {"undecided": ("B4.3",)}, "incomplete", None, ("A1", "A2", "A3", "B1", "B2", "B3")),
    ("undecided in carried domain", {"undecided": ("B4.3",), "carried": ("B4",)}, "certified", 28, ALL_C2I2E),
]


class TestThreshold:
    @pytest.mark.parametrize(
        ("args", "status", "count", "validated"), [c[1:] for c in C2I2E_CASES], ids=[c[0] for c in C2I2E_CASES]
    )
    def test_it_decides_c2i2e(self, args: dict, status: str, count: int | None, validated: tuple[str, ...]) -> None:
        outcome = deliberate(C2I2E, make_file(C2I2E, **args))
        assert outcome.status == status
        assert outcome.validated_domains == validated
        if count is not None:
            word = "compétence validée" if count <= 1 else "compétences validées"
            assert outcome.reasons[0] == Reason("R13", None, (), f"R13 : {count} {word} sur 28 (23 requises)")
        assert_well_formed(C2I2E, outcome)

    def test_it_explains_too_few_competencies(self) -> None:
        outcome = deliberate(C2I2E, make_file(C2I2E, nv=("A1.1", "A1.2", "A3.1", "A3.2", "B2.4", "B2.5")))
        assert [r.text for r in outcome.reasons] == [
            "R13 : 22 compétences validées sur 28 (23 requises)",
            "R13 : non certifié — moins de 23 compétences validées",
        ]

    def test_it_explains_too_many_not_validated_in_a_domain(self) -> None:
        outcome = deliberate(C2I2E, make_file(C2I2E, nv=("A2.1", "A2.2", "A2.3", "B1.1", "B1.2", "B1.3")))
        assert outcome.reasons == (
            Reason("R13", None, (), "R13 : 22 compétences validées sur 28 (23 requises)"),
            Reason("R13", "A2", ("A2.1", "A2.2", "A2.3"), "R13 : A2 — 3 compétences non validées (2 au plus)"),
            Reason("R13", "B1", ("B1.1", "B1.2", "B1.3"), "R13 : B1 — 3 compétences non validées (2 au plus)"),
            Reason(
                "R13",
                None,
                (),
                "R13 : non certifié — moins de 23 compétences validées ; plus de 2 compétences non validées en A2, B1",
            ),
        )

    def test_it_explains_a_certification(self) -> None:
        outcome = deliberate(C2I2E, make_file(C2I2E, nv=("A1.1", "A1.2", "A3.1", "A3.2", "B2.5")))
        assert [r.text for r in outcome.reasons] == [
            "R13 : 23 compétences validées sur 28 (23 requises)",
            "R13 : certifié — au moins 23 compétences validées sur 28 et au plus 2 non validées dans chaque domaine",
        ]
        # R13 interpretation: a domain with a not validated competency is not validated.
        assert result(outcome, "A1").reasons[0].text == "R11 : A1 non validé — A1.1, A1.2 non validées"

    def test_it_counts_carried_over_competencies(self) -> None:
        nothing = {c: NV for c in competencies(C2I2E)}
        outcome = deliberate(C2I2E, CandidateFile(nothing, {}, frozenset(ALL_C2I2E)))
        assert outcome.certified
        assert outcome.reasons[0].text == "R13 : 28 compétences validées sur 28 (23 requises)"


# --- errors --------------------------------------------------------------------


class TestDeliberateErrors:
    @pytest.mark.parametrize(
        ("file", "message"),
        [
            (CandidateFile({"Z9.9": V}, {}), "Compétences inconnues dans C2i1 : Z9.9"),
            (CandidateFile({}, {"A1": 60.0}), "Domaines inconnus dans C2i1 : A1"),
            (CandidateFile({}, {}, frozenset({"B4"})), "Domaines inconnus dans C2i1 : B4"),
            (CandidateFile({}, {"D1": 120.0}), "Pourcentage invalide pour D1"),
            (CandidateFile({}, {"D1": -1.0}), "Pourcentage invalide pour D1"),
            (CandidateFile({"D1.1": "OK"}, {}), r"Décision invalide : 'OK' \(V ou NV\)"),
        ],
    )
    def test_it_refuses_a_file_of_another_framework(self, file: CandidateFile, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            deliberate(C2I1, file)

    def test_it_accepts_plain_strings_as_decisions(self) -> None:
        decisions = {c: "V" for c in competencies(C2I1)}
        outcome = deliberate(C2I1, CandidateFile(decisions, {d: 50.0 for d in ALL_C2I1}))
        assert outcome.certified


# --- properties -------------------------------------------------------------------

POLICIES = [C2I1, C2I2E, C2I2MS, C2I2MD]
PERCENTS = st.one_of(
    st.none(),
    st.sampled_from([0.0, 49.99, 50.0, 50.01, 100.0]),
    st.floats(min_value=0, max_value=100, allow_nan=False),
)
SETTINGS = settings(max_examples=200, deadline=None)


@st.composite
def cases(draw, policies=POLICIES):
    policy = draw(st.sampled_from(policies))
    undecided_weight = draw(st.sampled_from([0, 0, 1, 3]))
    choices = [V] * 6 + [NV] * 2 + [None] * undecided_weight
    decisions = {}
    for code in competencies(policy):
        value = draw(st.sampled_from(choices))
        if value is not None:
            decisions[code] = value
    tests = {}
    for d in policy.domains:
        percent = draw(PERCENTS)
        if percent is not None:
            tests[d.code] = percent
    carried = draw(st.frozensets(st.sampled_from([d.code for d in policy.domains])))
    return policy, CandidateFile(decisions, tests, carried)


def reference_certified(policy: Policy, file: CandidateFile) -> bool | None:
    """RULES.md R11–R14 restated plainly, as an oracle."""
    live = [d for d in policy.domains if d.code not in file.carried_over]
    if any(c not in file.decisions for d in live for c in d.competencies):
        return None
    if policy.kind == "all_competencies":
        return all(
            all(file.decisions[c] == V for c in d.competencies)
            and (not d.test_required or file.test_percent.get(d.code, -1.0) >= 50)
            for d in live
        )
    total = sum(len(d.competencies) for d in policy.domains if d.code in file.carried_over)
    total += sum(1 for d in live for c in d.competencies if file.decisions[c] == V)
    worst = max((sum(1 for c in d.competencies if file.decisions[c] == NV) for d in live), default=0)
    return total >= 23 and worst <= 2


class TestProperties:
    @SETTINGS
    @given(cases())
    def test_it_agrees_with_the_rules_restated(self, case) -> None:
        policy, file = case
        outcome = deliberate(policy, file)
        assert outcome.certified == reference_certified(policy, file)
        assert_well_formed(policy, outcome)

    @SETTINGS
    @given(cases(), st.data())
    def test_no_compensation(self, case, data) -> None:
        """A domain's result depends on nothing outside it: a domain with a not
        validated competency or a failed test stays not validated whatever
        happens in the other domains."""
        policy, file = case
        target = data.draw(st.sampled_from([d for d in policy.domains if d.code not in file.carried_over] or [None]))
        assume(target is not None)  # every domain carried over: nothing to move
        before = result(deliberate(policy, file), target.code)
        others = [c for d in policy.domains if d is not target for c in d.competencies]
        decisions = dict(file.decisions)
        for code in others:
            decisions[code] = data.draw(st.sampled_from([V, V, NV]))
        tests = {d.code: 100.0 for d in policy.domains if d is not target}
        if target.code in file.test_percent:
            tests[target.code] = file.test_percent[target.code]
        carried = data.draw(st.frozensets(st.sampled_from([d.code for d in policy.domains if d is not target])))
        after = result(deliberate(policy, CandidateFile(decisions, tests, carried)), target.code)
        assert after == before
        failed = any(decisions.get(c) == NV for c in target.competencies) or (
            target.test_required and tests.get(target.code, -1.0) < policy.pass_threshold_percent
        )
        if failed:
            assert not after.validated

    @SETTINGS
    @given(cases(), st.data())
    def test_it_is_monotone(self, case, data) -> None:
        """Turning one NV into V, raising one test percentage or carrying one
        more domain over never turns certified into not certified, never
        un-validates a domain and never changes completeness."""
        policy, file = case
        move = data.draw(st.sampled_from(["decision", "test", "carry"]))
        decisions, tests, carried = dict(file.decisions), dict(file.test_percent), set(file.carried_over)
        if move == "decision":
            refused = [c for c, v in decisions.items() if v == NV]
            assume(refused)  # a file with no NV cannot move this way: hypothesis draws another
            decisions[data.draw(st.sampled_from(refused))] = V
        elif move == "test":
            code = data.draw(st.sampled_from([d.code for d in policy.domains]))
            low = tests.get(code, 0.0)
            tests[code] = data.draw(st.floats(min_value=low, max_value=100.0))
        else:
            code = data.draw(st.sampled_from([d.code for d in policy.domains]))
            # Carrying a domain over can only end an incomplete deliberation.
            carried.add(code)
        before = deliberate(policy, file)
        after = deliberate(policy, CandidateFile(decisions, tests, frozenset(carried)))
        if before.certified:
            assert after.certified
        assert set(before.validated_domains) <= set(after.validated_domains)
        if move != "carry":
            assert (before.status == "incomplete") == (after.status == "incomplete")
        elif before.status != "incomplete":
            assert after.status != "incomplete"

    @SETTINGS
    @given(cases())
    def test_carry_over_is_always_applied(self, case) -> None:
        policy, file = case
        outcome = deliberate(policy, file)
        for code in file.carried_over:
            assert code in outcome.validated_domains
            assert result(outcome, code).carried_over
            assert result(outcome, code).reasons[0].rule == "R14"
        assert [d.code for d in outcome.domains] == [d.code for d in policy.domains]
        assert list(outcome.validated_domains) == [
            d.code for d in policy.domains if d.code in outcome.validated_domains
        ]

    @SETTINGS
    @given(cases())
    def test_incomplete_iff_a_live_competency_is_undecided(self, case) -> None:
        policy, file = case
        undecided = [
            c
            for d in policy.domains
            if d.code not in file.carried_over
            for c in d.competencies
            if c not in file.decisions
        ]
        outcome = deliberate(policy, file)
        assert (outcome.status == "incomplete") == bool(undecided)
        assert (outcome.certified is None) == bool(undecided)
        assert [c for d in outcome.domains for c in d.undecided] == undecided

    @SETTINGS
    @given(cases())
    def test_a_validated_domain_has_everything_validated(self, case) -> None:
        policy, file = case
        outcome = deliberate(policy, file)
        for spec, res in zip(policy.domains, outcome.domains, strict=True):
            if res.validated and not res.carried_over:
                assert all(file.decisions[c] == V for c in spec.competencies)
                if spec.test_required:
                    assert file.test_percent[spec.code] >= 50.0
