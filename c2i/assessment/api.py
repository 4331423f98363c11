"""The knowledge test's JSON API (session authentication, CSRF token), used by
`static/c2i/exam.js`. Saving an answer is the hot path of an exam: one
indexed update, no template, no other query once the session is loaded
(`c2i.assessment.answering`, which the page's answers go through too)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth
from pydantic import BaseModel, model_validator

from c2i.assessment import answering
from c2i.assessment.models import Attempt, AttemptQuestion
from c2i.assessment.services import presence

router = Router(auth=django_auth, tags=["épreuves"])


# Checked by `answering.read_answer`, as every other answer is (a pydantic
# model rather than ninja's Schema, so that the check is given the JSON object
# itself); the limits below only describe it in the OpenAPI schema.
class AnswerIn(BaseModel):
    """One answer: the options ticked, and its sequence number."""

    ticked: list[int] = Field(
        description="The ticked options, as their indexes in the order shown (0 = first).",
        json_schema_extra={
            "maxItems": answering.MAX_TICKED,
            "items": {"type": "integer", "minimum": 0, "maximum": answering.MAX_OPTION},
        },
    )
    seq: int | None = Field(
        None,
        description="Increases with each click; an older answer never replaces a newer one.",
        json_schema_extra={"minimum": 1, "maximum": answering.MAX_SEQ},
    )

    @model_validator(mode="before")
    @classmethod
    def _read(cls, data: Any) -> Any:
        if answering.read_answer(data) is None:
            raise ValueError(str(answering.ERRORS[answering.BAD_OPTION][1]))
        return data


class AnswerOut(Schema):
    saved: bool
    status: str
    seq: int


class AnswerErrorOut(Schema):
    """The API's one error format (`c2i.api.errors`: code, message, field), with
    `status` and `detail`, which exam.js reads (the same words)."""

    code: str
    message: str
    field: str | None = None
    status: str | None = None
    detail: Any = None  # a text; a list for a request the schema refuses (422)


def _error(body: dict[str, Any]) -> AnswerErrorOut:
    return AnswerErrorOut(code=body["status"], message=body["detail"], field=None, **body)


class ItemOut(Schema):
    position: int
    ticked: list[int] | None
    answered_at: str | None


class AttemptOut(Schema):
    id: int
    over: bool
    paused: bool = Field(description="Paused after a lost connection: answers wait for the invigilator's resume.")
    seconds_left: int
    deadline: str
    questions: list[ItemOut]


def answer_json(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    """The page's answers (exam.js), posted as JSON to the answer form's own
    URL with the CSRF token, that `middleware.AnswerFastPath` did not store:
    session authentication, three queries, and the reason in the answer."""
    if not request.user.is_authenticated:
        return JsonResponse({"status": "unauthenticated", "detail": str(_("Log in again."))}, status=401)
    try:
        answer = answering.read_answer(json.loads(request.body))
    except ValueError:
        answer = None
    code, body = answering.answer_request(request, attempt_id, position, answer)
    return JsonResponse(body, status=code)


@router.post(
    "/passages/{attempt_id}/reponses/{position}",
    response={
        200: AnswerOut,
        401: AnswerErrorOut,
        403: AnswerErrorOut,
        404: AnswerErrorOut,
        409: AnswerErrorOut,
        422: AnswerErrorOut,
        423: AnswerErrorOut,
    },
    url_name="save_answer",
    summary="Save an answer",
)
def save_answer(request: HttpRequest, attempt_id: int, position: int, payload: AnswerIn) -> Status:
    """Store the set of ticked options of one question (the last write wins,
    unless older by `seq`). 409 once the sitting is over; 423 while it is
    paused (a lost connection: the invigilator must let it resume)."""
    code, body = answering.answer_request(request, attempt_id, position, answering.Answer(payload.ticked, payload.seq))
    return Status(code, AnswerOut(**body) if code == 200 else _error(body))


@router.get(
    "/passages/{attempt_id}",
    response={200: AttemptOut, 401: AnswerErrorOut, 404: AnswerErrorOut},
    url_name="attempt_state",
)
def attempt_state(request: HttpRequest, attempt_id: int) -> Status:
    """Where the sitting stands: time left and the answers stored (never
    which options are correct)."""
    attempt = Attempt.objects.filter(pk=attempt_id, user_id=int(request.user.pk or 0)).first()
    if attempt is None:
        return Status(404, _error(answering.refusal(answering.NOT_FOUND)[1]))
    now = timezone.now()
    items = (
        AttemptQuestion.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list("position", "ticked", "answered_at")
    )
    return Status(
        200,
        AttemptOut(
            id=attempt.pk,
            over=attempt.is_over(now),
            paused=presence.state_of(attempt, now) == presence.PAUSED_STATE,
            seconds_left=attempt.seconds_left(now),
            deadline=attempt.deadline.isoformat(),
            questions=[ItemOut(position=p, ticked=t, answered_at=a.isoformat() if a else None) for p, t, a in items],
        ),
    )
