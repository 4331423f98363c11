"""The draw of a candidate's questions (R17): per domain, spread over the
domain's competencies, from validated questions with 4 or 5 options only
(R18), options shuffled, reproducible from the stored seed."""

from collections import Counter

import pytest

from c2i.assessment import services
from c2i.assessment.models import Question, QuestionKind, QuestionStatus
from c2i.frameworks.models import Competency
from tests.assessment_support import demo_exam, new_candidates, start, start_for

pytestmark = pytest.mark.django_db


class TestDraw:
    def test_it_draws_twelve_questions_in_each_domain_spread_over_competencies(self, demo) -> None:
        attempt = start(demo)
        items = list(attempt.items.select_related("question__competency", "domain"))
        assert len(items) == 60
        assert Counter(i.domain.code for i in items) == {d: 12 for d in ("D1", "D2", "D3", "D4", "D5")}
        for domain in ("D1", "D2", "D3", "D4", "D5"):
            per_competency = Counter(i.question.competency.code for i in items if i.domain.code == domain)
            total = Competency.objects.filter(domain__code=domain, domain__framework__code="C2i1").count()
            assert len(per_competency) == total  # every competency is represented
            assert max(per_competency.values()) - min(per_competency.values()) <= 1
        assert all(i.question.competency.domain_id == i.domain_id for i in items)

    def test_it_draws_only_validated_multiple_choice_questions(self, demo) -> None:
        # make some D1 questions unavailable in every way but one
        d1 = list(Question.objects.filter(framework__code="C2i1", competency__domain__code="D1").order_by("id")[:2])
        Question.objects.filter(pk=d1[0].pk).update(status=QuestionStatus.IN_REVIEW)
        Question.objects.filter(pk=d1[1].pk).update(status=QuestionStatus.RETIRED)
        excluded = {d1[0].pk, d1[1].pk}
        excluded |= set(Question.objects.filter(kind=QuestionKind.TRUEFALSE).values_list("pk", flat=True))
        excluded |= set(Question.objects.exclude(status=QuestionStatus.VALIDATED).values_list("pk", flat=True))
        for user in new_candidates(demo.institution_session("a"), 6):
            drawn = set(start_for(user, demo_exam(demo)).items.values_list("question_id", flat=True))
            assert not drawn & excluded
            assert Question.objects.filter(pk__in=drawn).exclude(status=QuestionStatus.VALIDATED).count() == 0

    def test_true_false_questions_stay_in_the_bank_and_are_never_drawn(self, demo) -> None:
        tf = Question.objects.get(kind=QuestionKind.TRUEFALSE, framework__code="C2i1")
        assert tf.status == QuestionStatus.VALIDATED and not tf.is_drawable
        bank = services.bank_for(tf.framework, demo_exam(demo).ordered_domains())
        assert tf.pk not in {q.id for q in bank}

    def test_options_are_shuffled_and_each_drawn_once(self, demo) -> None:
        attempt = start(demo)
        orders = [list(i.option_order) for i in attempt.items.all()]
        assert all(sorted(order) == list(range(len(order))) for order in orders)
        assert any(order != sorted(order) for order in orders)
        assert len(set(attempt.items.values_list("question_id", flat=True))) == 60

    def test_a_draw_is_reproduced_from_its_seed(self, demo) -> None:
        attempt = start(demo)
        stored = [(i.question_id, tuple(i.option_order)) for i in attempt.items.order_by("position")]
        again = [(q.question_id, q.option_order) for q in services.redraw(attempt)]
        assert again == stored

    def test_two_candidates_get_different_draws(self, demo) -> None:
        first = start(demo, "candidat-a1")
        second = start(demo, "candidat-a2")
        assert first.seed != second.seed
        assert list(first.items.values_list("question_id", flat=True)) != list(
            second.items.values_list("question_id", flat=True)
        )

    def test_a_bank_that_became_too_small_refuses_to_start_with_r17(self, demo) -> None:
        d2 = Question.objects.filter(
            framework__code="C2i1", competency__domain__code="D2", status=QuestionStatus.VALIDATED, option_count__gte=4
        ).order_by("id")
        Question.objects.filter(pk__in=list(d2.values_list("pk", flat=True)[:2])).update(status=QuestionStatus.RETIRED)
        with pytest.raises(services.AssessmentError) as error:
            start(demo)
        assert error.value.code == "bank_too_small" and "R17" in error.value.message and "D2" in error.value.message
