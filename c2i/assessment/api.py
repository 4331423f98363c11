"""The knowledge test's JSON API (session authentication, CSRF token), used by
`static/c2i/exam.js`. Saving an answer is the hot path of an exam: one
indexed update, no template, no other query once the session is loaded."""

from __future__ import annotations

import json
from typing import Annotated

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from c2i.assessment import access, services
from c2i.assessment.models import Attempt, AttemptQuestion
from c2i.lib.net import client_ip

router = Router(auth=django_auth, tags=["épreuves"])


class AnswerIn(Schema):
    ticked: list[Annotated[int, Field(ge=0, le=9)]] = Field(
        max_length=5, description="The ticked options, as their indexes in the order shown (0 = first)."
    )
    seq: int | None = Field(
        None, ge=1, le=2**62, description="Increases with each click; an older answer never replaces a newer one."
    )


class AnswerOut(Schema):
    saved: bool
    status: str
    seq: int


class ErrorOut(Schema):
    status: str
    detail: str


class ItemOut(Schema):
    position: int
    ticked: list[int] | None
    answered_at: str | None


class AttemptOut(Schema):
    id: int
    over: bool
    seconds_left: int
    deadline: str
    questions: list[ItemOut]


def _networks(request: HttpRequest, attempt_id: int) -> list[str] | None:
    """The attempt's allowed ranges, from the session once the page has put
    them there; None when the attempt is not the user's."""
    cache = request.session.get(access.NETWORKS_KEY) or {}
    networks = cache.get(str(attempt_id))
    if networks is not None:
        return list(networks)
    attempt = Attempt.objects.select_related("exam").filter(pk=attempt_id, user_id=int(request.user.pk or 0)).first()
    if attempt is None:
        return None
    networks = attempt.exam.network_texts()
    request.session[access.NETWORKS_KEY] = {**cache, str(attempt_id): networks}
    return networks


ERRORS = {
    services.NOT_FOUND: (404, _("No such question in your sittings.")),
    services.OVER: (409, _("The test is over: nothing is accepted after the end (R19).")),
    services.BAD_OPTION: (422, _("No such option.")),
}


def _save(request: HttpRequest, attempt_id: int, position: int, ticked: list[int], seq: int | None) -> tuple[int, dict]:
    """Shared by the API and the page's JSON posts: the address check (ranges
    cached in the session by the page), then one update (services.save_answer)."""
    networks = _networks(request, attempt_id)
    if networks is None:
        return 404, {"status": services.NOT_FOUND, "detail": str(ERRORS[services.NOT_FOUND][1])}
    if networks and not access.address_allowed(networks, client_ip(request)):
        return 403, {"status": "network", "detail": str(_("Not from the rooms set for this test."))}
    result = services.save_answer(attempt_id, int(request.user.pk or 0), position, ticked, seq)
    if result.status in ERRORS:
        code, detail = ERRORS[result.status]
        return code, {"status": result.status, "detail": str(detail)}
    return 200, {"saved": True, "status": result.status, "seq": result.seq}


def valid_answer(data: object) -> tuple[list[int], int | None] | None:
    """The same rules as `AnswerIn`, without pydantic (the hot path)."""
    if not isinstance(data, dict):
        return None
    ticked, seq = data.get("ticked"), data.get("seq")
    if not isinstance(ticked, list) or len(ticked) > 5:
        return None
    if not all(type(i) is int and 0 <= i <= 9 for i in ticked):
        return None
    if seq is not None and not (type(seq) is int and 1 <= seq <= 2**62):
        return None
    return ticked, seq


def answer_json(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    """The page's answers (exam.js), posted as JSON to the answer form's own
    URL with the CSRF token, that `middleware.AnswerFastPath` did not store:
    session authentication, three queries, and the reason in the answer."""
    if not request.user.is_authenticated:
        return JsonResponse({"status": "unauthenticated", "detail": str(_("Log in again."))}, status=401)
    try:
        valid = valid_answer(json.loads(request.body))
    except ValueError:
        valid = None
    if valid is None:
        return JsonResponse({"status": services.BAD_OPTION, "detail": str(ERRORS[services.BAD_OPTION][1])}, status=422)
    code, body = _save(request, attempt_id, position, *valid)
    return JsonResponse(body, status=code)


@router.post(
    "/passages/{attempt_id}/reponses/{position}",
    response={200: AnswerOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    url_name="save_answer",
    summary="Save an answer",
)
def save_answer(request: HttpRequest, attempt_id: int, position: int, payload: AnswerIn) -> Status:
    """Store the set of ticked options of one question (the last write wins,
    unless older by `seq`). 409 once the sitting is over."""
    code, body = _save(request, attempt_id, position, payload.ticked, payload.seq)
    return Status(code, AnswerOut(**body) if code == 200 else ErrorOut(**body))


@router.get("/passages/{attempt_id}", response={200: AttemptOut, 404: ErrorOut}, url_name="attempt_state")
def attempt_state(request: HttpRequest, attempt_id: int) -> Status:
    """Where the sitting stands: time left and the answers stored (never
    which options are correct)."""
    attempt = Attempt.objects.filter(pk=attempt_id, user_id=int(request.user.pk or 0)).first()
    if attempt is None:
        return Status(404, ErrorOut(status=services.NOT_FOUND, detail=str(ERRORS[services.NOT_FOUND][1])))
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
            seconds_left=attempt.seconds_left(now),
            deadline=attempt.deadline.isoformat(),
            questions=[ItemOut(position=p, ticked=t, answered_at=a.isoformat() if a else None) for p, t, a in items],
        ),
    )
