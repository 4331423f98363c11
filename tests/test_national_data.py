"""The synthetic national data set (`generate_national_data`, issue 15): the
counts asked for, realistic shapes, outcomes the jury's engine agrees with,
the real pages reading it, determinism, and the refusal to run twice."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from c2i.assessment.models import DomainResult
from c2i.credentials.models import IssuedDocument
from c2i.deliberation.models import CandidateOutcome, CompetencyDecision, DomainCredit, JuryMember
from c2i.deliberation.rules import CandidateFile, Decision, deliberate
from c2i.deliberation.services.outcomes import compute_outcomes
from c2i.deliberation.services.policy import policy_for
from c2i.demo import national
from c2i.demo.national import NationalDataError, Params, generate
from c2i.enrolment.models import Candidate, Enrolment, EnrolmentStatus, InstitutionSession, Session
from c2i.institutions.models import Institution
from c2i.lib.identifiers import validate_ine, validate_uai

PARAMS = Params(enrolments=300, years=2, seed=7)


@pytest.fixture(scope="class")
def data_set(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """One small national data set for the class, rolled back at its end
    (it replaces the demonstration data the test database holds)."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = generate(PARAMS, replace=True, out=lambda _line: None)
        yield summary
        transaction.set_rollback(True)


def fingerprint() -> list[tuple[str, str, str, str]]:
    rows = CandidateOutcome.objects.order_by("enrolment__candidate__last_name", "enrolment__candidate__first_names")
    docs = dict(IssuedDocument.objects.values_list("holder_name", "code"))
    return [
        (
            o.enrolment.candidate.full_name,
            o.enrolment.session.name,
            o.status,
            docs.get(o.enrolment.candidate.full_name, ""),
        )
        for o in rows.select_related("enrolment__candidate", "enrolment__session")
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_writes_through_copy_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    summary = generate(Params(enrolments=200, years=1, seed=3), replace=True, out=lambda _line: None)
    assert Enrolment.objects.count() == 200
    assert summary.counts["deliberation.CompetencyDecision"] == CompetencyDecision.objects.count() > 0
    # the sequences follow the ids written: a row made by the ORM afterwards gets a fresh id
    top = Candidate.objects.order_by("-pk").first()
    assert top is not None
    new = Candidate.objects.create(
        email="apres@example.fr",
        last_name="Après",
        first_names="Anne",
        birth_date=top.birth_date,
        birth_place="Caen",
        status="continuing",
    )
    assert new.pk > top.pk
    assert national.check_references([Candidate, Enrolment, CompetencyDecision]) == []


@pytest.mark.django_db
class TestNationalDataSet:
    def test_it_writes_the_enrolments_asked_for_over_the_years(self, data_set) -> None:
        assert Enrolment.objects.count() == 300
        years = {s.start.year for s in Session.objects.all()}
        assert len(years) == 2
        frameworks = set(Session.objects.values_list("framework__code", flat=True))
        assert {"C2i1", "C2i2ms", "C2i2e"} <= frameworks
        assert national.marker() == PARAMS
        assert data_set.counts["enrolment.Enrolment"] == 300

    def test_it_has_about_eighty_institutions_of_very_different_sizes(self, data_set) -> None:
        assert Institution.objects.count() == national.INSTITUTIONS
        for uai in Institution.objects.values_list("uai", flat=True):
            validate_uai(uai)
        sizes = sorted(
            Enrolment.objects.values("institution_session__institution")
            .annotate(n=Count("id"))
            .values_list("n", flat=True)
        )
        assert sizes[-1] >= 8 * sizes[len(sizes) // 2]

    def test_it_has_students_with_a_valid_ine_and_continuing_education_learners(self, data_set) -> None:
        statuses = Counter(Candidate.objects.values_list("status", flat=True))
        assert statuses["student"] > statuses["continuing"] > 0
        for ine in Candidate.objects.filter(status="student").values_list("ine", flat=True)[:50]:
            assert validate_ine(ine)  # raises when the INE is not valid
        assert not Candidate.objects.filter(status="continuing").exclude(ine="").exists()

    def test_it_has_tests_for_the_frameworks_that_require_one(self, data_set) -> None:
        tested = set(
            DomainResult.objects.values_list("attempt__exam__institution_session__session__framework__code", flat=True)
        )
        assert tested == {"C2i1", "C2i2ms"}

    def test_candidates_come_back_with_domains_carried_over_and_succeed(self, data_set) -> None:
        carried = CandidateOutcome.objects.exclude(carried_over=[])
        assert carried.exists()
        assert carried.filter(status="certified").exists()
        for outcome in carried.select_related("enrolment"):
            earlier = DomainCredit.objects.filter(identity_key=outcome.enrolment.identity_key).exclude(
                enrolment=outcome.enrolment
            )
            assert set(outcome.carried_over) <= set(earlier.values_list("domain_code", flat=True))

    def test_the_engine_agrees_with_the_stored_outcomes(self, data_set) -> None:
        # the real service, on each framework's last sessions: same status and validated domains
        # (on an earlier one, `carried_over_many` would also count domains its candidates
        # validated at a later session, which the stored outcome of its day rightly ignores)
        last = {}
        for session in Session.objects.order_by("start"):
            last[session.framework_id] = session.pk
        for institution_session in InstitutionSession.objects.filter(session_id__in=last.values()):
            stored = {
                o.enrolment_id: (o.status, o.validated_domains)
                for o in CandidateOutcome.objects.filter(institution_session=institution_session)
            }
            computed = compute_outcomes(institution_session)
            assert {pk: (c.outcome.status, list(c.outcome.validated_domains)) for pk, c in computed.items()} == stored
        # and the pure rules, by hand, for a few candidates (carried-over ones included)
        sample = list(CandidateOutcome.objects.exclude(carried_over=[])[:3]) + list(
            CandidateOutcome.objects.filter(carried_over=[])[:5]
        )
        for outcome in sample:
            enrolment = outcome.enrolment
            decisions = {
                code: Decision(value)
                for code, value in CompetencyDecision.objects.filter(enrolment=enrolment).values_list(
                    "competency_code", "value"
                )
            }
            percents = dict(
                DomainResult.objects.filter(attempt__enrolment=enrolment).values_list("domain__code", "percent")
            )
            result = deliberate(
                policy_for(enrolment.session.framework),
                CandidateFile(decisions, percents, frozenset(outcome.carried_over)),
            )
            assert result.status == outcome.status
            assert list(result.validated_domains) == outcome.validated_domains

    def test_outcomes_and_documents_follow_the_rules(self, data_set) -> None:
        statuses = Counter(CandidateOutcome.objects.values_list("status", flat=True))
        assert statuses["certified"] and statuses["not_certified"] and statuses["incomplete"]
        assert not CandidateOutcome.objects.filter(status="incomplete", deferred=False).exists()
        certified = CandidateOutcome.objects.filter(status="certified").values_list("enrolment_id", flat=True)
        assert set(IssuedDocument.objects.filter(kind="certificate").values_list("enrolment_id", flat=True)) == set(
            certified
        )
        for document in IssuedDocument.objects.filter(kind="attestation")[:30]:
            assert document.validated_domains
            assert document.enrolment.jury_outcome.status == "not_certified"
        # no compensation: a certified C2i1 candidate passed every domain's test
        c2i1 = CandidateOutcome.objects.filter(status="certified", enrolment__session__framework__code="C2i1")
        for outcome in c2i1[:20]:
            tests = DomainResult.objects.filter(attempt__enrolment=outcome.enrolment)
            kept = set(outcome.carried_over)
            assert all(r.positive for r in tests if r.domain.code not in kept)
        # no withdrawn enrolment has an outcome
        assert not CandidateOutcome.objects.filter(enrolment__status=EnrolmentStatus.WITHDRAWN).exists()

    def test_the_real_pages_read_it(self, data_set) -> None:
        institution_session = (
            InstitutionSession.objects.annotate(n=Count("enrolments")).order_by("-n").select_related("session").first()
        )
        assert institution_session is not None
        chair = JuryMember.objects.get(institution_session=institution_session, is_chair=True).user
        client = Client()
        client.force_login(chair)
        for name in ("deliberation:session", "deliberation:grid"):
            response = client.get(reverse(name, args=[institution_session.pk]))
            assert response.status_code == 200, name
        enrolment = institution_session.enrolments.filter(jury_outcome__isnull=False).first()
        assert enrolment is not None and enrolment.candidate.user is not None
        page = client.get(reverse("deliberation:candidate", args=[institution_session.pk, enrolment.pk]))
        assert page.status_code == 200
        candidate = Client()
        candidate.force_login(enrolment.candidate.user)
        assert candidate.get(reverse("deliberation:my_result", args=[enrolment.pk])).status_code == 200
        assert candidate.get(reverse("enrolment:my_space")).status_code == 200

    def test_it_refuses_to_run_twice_with_a_clear_message(self, data_set) -> None:
        # the same parameters: nothing to do (a benchmark keeps its data set)
        said: list[str] = []
        assert generate(PARAMS, out=said.append).reused
        assert "rien à faire" in said[0]
        # other parameters on a database that holds enrolments: refused, nothing written
        with pytest.raises(NationalDataError) as refused:
            generate(Params(enrolments=300, years=2, seed=8), out=lambda _line: None)
        assert "--replace" in str(refused.value)
        assert "--enrolments 300 --years 2 --seed 7" in str(refused.value)
        with pytest.raises(CommandError, match="déjà des données de certification"):
            call_command("generate_national_data", "--enrolments", "10", "--years", "1")
        assert Enrolment.objects.count() == 300

    def test_it_is_deterministic_with_a_seed(self, data_set) -> None:
        small = Params(enrolments=120, years=1, seed=11)
        generate(small, replace=True, out=lambda _line: None)
        first = fingerprint()
        generate(small, replace=True, out=lambda _line: None)
        assert fingerprint() == first
        assert Enrolment.objects.count() == 120
        generate(Params(enrolments=120, years=1, seed=12), replace=True, out=lambda _line: None)
        assert fingerprint() != first
