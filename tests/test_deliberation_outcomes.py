"""Storing a session's outcomes (`services.compute_outcomes`): the first
compute writes every active candidate's outcome (straight COPY on
PostgreSQL), later ones rewrite only what changed and keep the chair's
deferral mark; each stored outcome, with its reasons, is what the rules
engine says."""

from __future__ import annotations

import pytest
from django.db import connection

from c2i.deliberation import grid, services
from c2i.deliberation.models import CandidateOutcome
from tests.deliberation_support import codes, publish_session_tests, submit_all

pytestmark = pytest.mark.django_db


def decide(demo):
    """A's C2i1 session: every active candidate submitted, tested at 75 %, all
    V, but candidat-a2 has D1.1 NV."""
    institution_session = demo.institution_session("a")
    publish_session_tests(institution_session)
    a2 = demo.user("candidat-a2").pk
    cells = []
    for enrolment in services.active_enrolments(institution_session).select_related("candidate"):
        submit_all(enrolment)
        for code in codes("C2i1"):
            value = "NV" if enrolment.candidate.user_id == a2 and code == "D1.1" else "V"
            cells.append(services.Cell(enrolment.pk, code, value, code))
    services.record_cells(institution_session, cells, demo.user("jury-a"), "test")
    return institution_session


def stored(institution_session):
    rows = CandidateOutcome.objects.filter(institution_session=institution_session).select_related("explanation")
    return {o.enrolment_id: o for o in rows}


class TestComputeOutcomes:
    def test_the_first_compute_stores_what_the_engine_says(self, demo) -> None:
        institution_session = decide(demo)
        CandidateOutcome.objects.filter(institution_session=institution_session).delete()
        computed = services.compute_outcomes(institution_session)
        outcomes = stored(institution_session)
        active = set(services.active_enrolments(institution_session).values_list("pk", flat=True))
        assert set(outcomes) == set(computed) == active and len(active) > 2
        for pk, result in computed.items():
            row = outcomes[pk]
            assert row.status == result.outcome.status
            assert row.validated_domains == list(result.outcome.validated_domains)
            assert row.carried_over == sorted(result.carried_over)
            assert row.explanation.reasons == grid.reason_texts(result.outcome)
            assert not row.deferred
        a2 = demo.user("candidat-a2").candidate.enrolments.get(institution_session=institution_session).pk
        assert outcomes[a2].status == "not_certified" and "D1" not in outcomes[a2].validated_domains
        assert any("D1.1" in text for text in outcomes[a2].explanation.reasons)
        assert {o.status for pk, o in outcomes.items() if pk != a2} == {"certified"}

    def test_a_recompute_rewrites_only_what_changed_and_keeps_the_deferral(self, demo) -> None:
        institution_session = decide(demo)
        before = stored(institution_session)
        a2 = demo.user("candidat-a2").candidate.enrolments.get(institution_session=institution_session).pk
        other = next(pk for pk in before if pk != a2)
        CandidateOutcome.objects.filter(enrolment_id=other).update(deferred=True)
        services.record_cells(
            institution_session, [services.Cell(a2, "D1.1", "V", "D1.1")], demo.user("jury-a"), "test"
        )
        services.compute_outcomes(institution_session)
        after = stored(institution_session)
        assert after[a2].status == "certified" and after[a2].computed_at > before[a2].computed_at
        assert after[other].deferred and after[other].computed_at == before[other].computed_at

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
    def test_an_outcome_stored_meanwhile_turns_the_copy_into_an_upsert(self, demo) -> None:
        institution_session = decide(demo)
        rows = stored(institution_session)
        CandidateOutcome.objects.filter(institution_session=institution_session).delete()
        # as if another compute had stored one outcome after this one looked:
        # the session has no outcome filed under it, but the enrolment has one
        first = min(rows)
        CandidateOutcome.objects.create(
            enrolment_id=first, institution_session=demo.institution_session("b"), status="incomplete"
        )
        services.compute_outcomes(institution_session)
        assert CandidateOutcome.objects.get(enrolment_id=first).status == rows[first].status
        assert set(stored(institution_session)) == set(rows) - {first}
