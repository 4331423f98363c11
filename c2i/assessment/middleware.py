"""The exam's hot paths: an answer posted by the test page's script
(`AnswerFastPath`), the sitting's status its page asks every few seconds
(`StatusFastPath`), and the invigilator's live list
(`InvigilationListFastPath`, at the end of this module).

During a test, thousands of candidates save an answer every few seconds.
The regular view loads the session, then the user, then updates the row:
three queries and the whole middleware chain. `AnswerFastPath` stores the
answer in one statement, before any of that, with the same checks:

- Django's own CSRF check (token header and origin), as the regular path;
- the answer itself (`answering.read_answer`, the one check of every path);
- the rooms' address ranges of the exam, when it has some
  (`answering.NETWORKS`, the one cache of them, which the regular path reads too);
- one UPDATE (`answering.save_answers_in_sessions`) that stores the answer
  only if the login session is alive (`accounts.Session`, whose `user`
  column is the sitting's owner), the sitting not over, the options real and
  the answer not older than the stored one. Answers that arrive together in
  the process's threads share that statement and its commit
  (`answer_queue`).

It only ever answers the case where the answer is stored. Anything else
(no session cookie, a failed check, nothing stored: too late, stale, not
theirs, signed out) goes on to the regular view, which says why. While the
database cannot be reached, either path's answer becomes JSON 503 with
Retry-After (`lib.database.JsonWhenDatabaseDown`, before this one).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.core.exceptions import MiddlewareNotUsed
from django.db.models import Exists, OuterRef, Subquery
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseForbidden,
    HttpResponseNotModified,
    JsonResponse,
)
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.urls import reverse
from django.utils import timezone

from c2i.assessment import answer_queue, answering
from c2i.lib.net import client_ip

_SAMPLE = (918_273_645, 546_372_819)  # two ids that appear nowhere else in the answer URL


logger = logging.getLogger(__name__)


def _log_error(error: BaseException) -> None:
    logger.error("answers not stored by the fast path, left to the regular view", exc_info=error)


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, silent on refusal: the regular path then
    refuses the request again, and logs it once."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponseBase:
        return HttpResponseForbidden()


class AnswerFastPath:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if settings.SESSION_ENGINE != "c2i.accounts.sessions":
            raise MiddlewareNotUsed("the answer fast path needs the sessions of c2i.accounts")
        from c2i.assessment.views.taking import attempt_answer  # the regular view, for the CSRF check

        self.get_response = get_response
        self.view = attempt_answer
        self.csrf = _CsrfCheck(get_response)
        self.pattern: re.Pattern[str] | None = None
        self.queue = answer_queue.AnswerQueue(answering.save_answers_in_sessions, on_error=_log_error)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "POST" and request.content_type == "application/json":
            if self.pattern is None:
                sample = re.escape(reverse("assessment:answer", args=_SAMPLE))
                for n in _SAMPLE:
                    sample = sample.replace(str(n), r"(\d+)")
                self.pattern = re.compile(f"^{sample}$")
            match = self.pattern.match(request.path)
            if match is not None:
                response = self.save(request, int(match[1]), int(match[2]))
                if response is not None:
                    request.metrics_route = "assessment:answer"  # type: ignore[attr-defined] # never resolved
                    return response
        return self.get_response(request)

    def save(self, request: HttpRequest, attempt_id: int, position: int) -> HttpResponse | None:
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not session_key:
            return None
        self.csrf.process_request(request)
        if self.csrf.process_view(request, self.view, (), {}) is not None:
            return None
        try:
            answer = answering.read_answer(json.loads(request.body))
        except ValueError:
            return None
        if answer is None:
            return None
        networks = answering.NETWORKS.get(attempt_id)
        if networks is None or (networks and not answering.address_allowed(networks, client_ip(request))):
            return None
        seq = answer.seq if answer.seq is not None else answering.clock_seq(timezone.now())
        pending = answer_queue.PendingAnswer(attempt_id, position, sorted(set(answer.ticked)), seq, session_key)
        if not self.queue.store(pending):
            return None
        # the body JsonResponse would write, without its encoder
        body = b'{"saved": true, "status": "%s", "seq": %d}' % (answering.SAVED.encode(), seq)
        response = HttpResponse(body, content_type="application/json")
        response["Content-Length"] = str(len(body))  # as CommonMiddleware, which comes later, would
        return response


class InvigilationListFastPath:
    """The invigilator's live list (`/surveillance/salles/<room>/liste/`),
    fetched every 5 s by every room's page: served here, before the session,
    authentication and messages middleware, URL resolution and the view,
    when the request is the common case, an invigilator signed in with the
    room's code:

    - one statement (`invigilation.lean_rows`) reads the login session (alive),
      the room, its exam, the institution's switch and the room's rows;
    - the grant is checked exactly as `invigilation.invigilator_for` checks
      it (`invigilation.lean_grant`: this room, codes allowed, the password
      not changed since the sign-in) before anything is sent;
    - the rows are written by `live_list.render`, with their tag: the same
      tag in If-None-Match gives an empty 304.

    Anything else goes on to the regular view, which answers as it always
    did: no session or CSRF cookie, a signed-in account (staff rules:
    `is_staff_of`), no grant, a grant for another room or out of date (the
    regular view forgets it and sends to the sign-in page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if settings.SESSION_ENGINE != "c2i.accounts.sessions":
            raise MiddlewareNotUsed("the live list's lean path needs the sessions of c2i.accounts")
        from importlib import import_module

        from c2i.assessment.services import invigilation
        from c2i.assessment.views import live_list

        self.get_response = get_response
        self.csrf = _CsrfCheck(get_response)
        self.pattern: re.Pattern[str] | None = None
        self.store = import_module(settings.SESSION_ENGINE).SessionStore
        self.inv = invigilation
        self.live_list = live_list

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "GET":
            if self.pattern is None:
                sample = re.escape(reverse("assessment:invigilation_list", args=[_SAMPLE[0]]))
                self.pattern = re.compile("^{}$".format(sample.replace(str(_SAMPLE[0]), r"(\d+)")))
            match = self.pattern.match(request.path)
            if match is not None:
                response = self.serve(request, int(match[1]))
                if response is not None:
                    request.metrics_route = "assessment:invigilation_list"  # type: ignore[attr-defined]
                    return response
        return self.get_response(request)

    def serve(self, request: HttpRequest, room_pk: int) -> HttpResponse | None:
        inv, live_list = self.inv, self.live_list
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not session_key:
            return None
        self.csrf.process_request(request)
        secret = live_list.secret_of(request)
        if not secret or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            return None  # the regular view sets the cookie
        now = timezone.now()
        fetched = inv.lean_rows(session_key, now, room_pk)
        if not fetched:
            return None  # no such session (or expired), no such room
        head = fetched[0]
        if head[inv.HEAD_SIZE + 1] is not None:
            return None  # a signed-in account
        data = self.store().decode(head[inv.HEAD_SIZE])
        if AUTH_SESSION_KEY in data or not inv.lean_grant(head, data.get(inv.SESSION_KEY), room_pk):
            return None
        html, tag = live_list.render(inv.rows_of(fetched, inv.LEAN_HEAD_SIZE, now), room_pk, secret)
        response: HttpResponse
        if live_list.etag_matches(request.headers.get("If-None-Match", ""), tag):
            response = HttpResponseNotModified()
        else:
            body = live_list.with_token(html, get_token(request)).encode()
            response = HttpResponse(body)
            response["Content-Length"] = str(len(body))  # as CommonMiddleware, which comes later, would
        response["X-Frame-Options"] = settings.X_FRAME_OPTIONS  # as XFrameOptionsMiddleware would
        return live_list.conditional_headers(response, tag)


class StatusFastPath:
    """The sitting's status (`views.taking.attempt_status`), which every
    candidate's page asks every C2I_EXAM_POLL_SECONDS: four or five times
    per answer, so most of a test day's requests (docs/capacity.md). Served
    here, before the session, authentication and messages middleware and
    URL resolution, when the request is the common case: a login session
    alive whose user owns the sitting.

    - one statement reads the sitting, only if the session cookie names a
      session alive (`accounts.Session`: its `user` column, its expiry) of
      the sitting's owner, and whether a notice came after `?after=`;
    - then exactly what the view does: `presence.touch` (which pauses an
      invigilated sitting after a lost connection) and
      `presence.candidate_status`, the notices read only when there is one.

    Anything else goes on to the regular view, which answers as it always
    did: no session cookie, a session expired or signed out (401), a
    sitting of someone else or none (404)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if settings.SESSION_ENGINE != "c2i.accounts.sessions":
            raise MiddlewareNotUsed("the status fast path needs the sessions of c2i.accounts")
        from c2i.accounts.models import Session
        from c2i.assessment.models import Attempt, AttemptNotice
        from c2i.assessment.services import presence
        from c2i.assessment.views.taking import notices_after

        self.get_response = get_response
        self.pattern: re.Pattern[str] | None = None
        self.sessions, self.attempts, self.notices = Session.objects, Attempt.objects, AttemptNotice.objects
        self.presence, self.notices_after = presence, notices_after

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "GET":
            if self.pattern is None:
                sample = re.escape(reverse("assessment:attempt_status", args=[_SAMPLE[0]]))
                self.pattern = re.compile("^{}$".format(sample.replace(str(_SAMPLE[0]), r"(\d+)")))
            match = self.pattern.match(request.path)
            if match is not None:
                response = self.serve(request, int(match[1]))
                if response is not None:
                    request.metrics_route = "assessment:attempt_status"  # type: ignore[attr-defined]
                    return response
        return self.get_response(request)

    def serve(self, request: HttpRequest, attempt_id: int) -> HttpResponse | None:
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not session_key:
            return None
        now = timezone.now()
        after = self.notices_after(request)
        owner = self.sessions.filter(session_key=session_key, expire_date__gt=now).values("user_id")[:1]
        attempt = (
            self.attempts.filter(pk=attempt_id, user_id=Subquery(owner))
            .annotate(newer_notice=Exists(self.notices.filter(attempt=OuterRef("pk"), pk__gt=after)))
            .first()
        )
        if attempt is None:
            return None
        self.presence.touch(attempt, now)
        status = self.presence.candidate_status(attempt, after, now, newer_notice=attempt.newer_notice)  # type: ignore[attr-defined]
        response = JsonResponse(status, headers={"Cache-Control": "no-store"})
        response["Content-Length"] = str(len(response.content))  # as CommonMiddleware, which comes later, would
        return response
