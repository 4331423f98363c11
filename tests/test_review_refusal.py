"""A reviewer's refused opinion (issue 11, « values survive a refused
submission »): refusing a question without a remark sends back the question's
page with the verdict still chosen and the remark field marked, not a redirect
that forgets both."""

from __future__ import annotations

import html
import re

import pytest

from c2i.assessment.models import QuestionStatus, Review
from tests.test_assessment_bank import new_question

pytestmark = pytest.mark.django_db


class TestRefusedReview:
    def test_it_keeps_the_verdict_and_says_what_is_missing(self, demo) -> None:
        question = new_question(demo.user("correspondant-a"), QuestionStatus.IN_REVIEW)
        response = demo.client("relecteur").post(
            f"/banque/questions/{question.pk}/avis/", {"verdict": "refuse", "remark": "  "}
        )
        assert response.status_code == 400
        page = html.unescape(response.content.decode())
        refuse = re.search(r'<input type="radio" name="verdict" value="refuse"[^>]*>', page)
        assert refuse is not None and " checked" in refuse.group(0)
        approve = re.search(r'<input type="radio" name="verdict" value="approve"[^>]*>', page)
        assert approve is not None and " checked" not in approve.group(0)
        assert "Indiquez pourquoi vous refusez la question." in page
        assert "fr-input-group--error" in page
        assert not Review.objects.filter(question=question).exists()
