"""The exam's hot path: an answer posted by the test page's script.

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
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware
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
