"""Helpers of the knowledge-test tests: the demo exam of A's C2i1 session,
sittings started through the service, extra candidates, and answers written
in terms of the options' own positions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from django.utils import timezone

from c2i.accounts.models import User
from c2i.assessment import services
from c2i.assessment.models import Attempt, AttemptQuestion, Exam, Option
from c2i.enrolment.models import Enrolment, EnrolmentStatus, InstitutionSession
from tests.persona_support import new_candidate


def demo_exam(demo: Any) -> Exam:
    return Exam.objects.get(institution_session=demo.institution_session("a"))


def enrolment_of(demo: Any, username: str) -> Enrolment:
    return Enrolment.objects.get(candidate=demo.candidate(username), status=EnrolmentStatus.ACTIVE)


def start(demo: Any, username: str = "candidat-a1", exam: Exam | None = None, **kwargs: Any) -> Attempt:
    exam = exam or demo_exam(demo)
    enrolment = Enrolment.objects.get(
        candidate=demo.candidate(username), institution_session=exam.institution_session, status=EnrolmentStatus.ACTIVE
    )
    return services.start_attempt(exam, enrolment, demo.user(username), **kwargs)


def new_candidates(institution_session: InstitutionSession, count: int, prefix: str = "qcm") -> list[User]:
    """Candidates with an account, actively enrolled (bypassing the capacity)."""
    return [
        new_candidate(
            institution_session,
            first_names=f"Prénom{n}",
            last_name=f"Nom{prefix}{n}",
            email=f"{prefix}-{n}@example.fr",
            birth_date=dt.date(2000, 1, 1) + dt.timedelta(days=n),
        ).user
        for n in range(count)
    ]


def start_for(user: User, exam: Exam) -> Attempt:
    enrolment = Enrolment.objects.get(candidate__user=user, institution_session=exam.institution_session)
    return services.start_attempt(exam, enrolment, user)


def items(attempt: Attempt) -> list[AttemptQuestion]:
    return list(attempt.items.order_by("position"))


def correct_positions(item: AttemptQuestion) -> set[int]:
    return set(Option.objects.filter(question_id=item.question_id, fraction__gt=0).values_list("position", flat=True))


def shown(item: AttemptQuestion, positions: set[int]) -> list[int]:
    """The shown indexes of the options at these positions of the question."""
    order = list(item.option_order)
    return sorted(order.index(p) for p in positions)


def right_answer(item: AttemptQuestion) -> list[int]:
    return shown(item, correct_positions(item))


def page_answer(
    client: Client, attempt: Attempt, position: int, ticked: list[int], seq: int | None = None, **headers: Any
) -> Any:
    """What exam.js sends: JSON to the question form's own URL."""
    url = f"/mon-espace/epreuves/passages/{attempt.pk}/reponses/{position}/"
    return _post_answer(client, url, ticked, seq, headers)


def api_answer(
    client: Client, attempt: Attempt, position: int, ticked: list[int], seq: int | None = None, **headers: Any
) -> Any:
    return _post_answer(client, f"/api/epreuves/passages/{attempt.pk}/reponses/{position}", ticked, seq, headers)


def _post_answer(client: Client, url: str, ticked: list[int], seq: int | None, headers: dict[str, Any]) -> Any:
    body: dict[str, Any] = {"ticked": ticked}
    if seq is not None:
        body["seq"] = seq
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def expire(attempt: Attempt, seconds_ago: int = 1) -> Attempt:
    """Move the sitting's end into the past, as time would."""
    past = timezone.now() - dt.timedelta(seconds=seconds_ago)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=past)
    AttemptQuestion.objects.filter(attempt=attempt).update(open_until=past)
    attempt.refresh_from_db()
    return attempt


# --- the access matrix (tests/test_access_matrix.py) ---------------------------


def matrix_exam(demo: Any) -> int:
    return demo_exam(demo).pk


def matrix_attempt(demo: Any) -> int:
    """candidat-a1's sitting of the demo exam, started if needed."""
    existing = Attempt.objects.filter(exam=demo_exam(demo), user=demo.user("candidat-a1")).first()
    return (existing or start(demo)).pk


def matrix_question(demo: Any, which: str) -> int:
    """ "validated": one of the national bank's (by the admin); "pending" and
    "refused": the questions correspondant-a wrote (demo data)."""
    from c2i.assessment.models import Question, QuestionStatus

    if which == "validated":
        found = Question.objects.filter(status=QuestionStatus.VALIDATED, author__username="admin")
    else:
        status = QuestionStatus.IN_REVIEW if which == "pending" else QuestionStatus.REFUSED
        found = Question.objects.filter(status=status, author__username="correspondant-a")
    return found.order_by("id").first().pk
