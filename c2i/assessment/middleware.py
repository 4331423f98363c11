"""The exam's hot path: an answer posted by the test page's script.

During a test, thousands of candidates save an answer every few seconds.
The regular view loads the session, then the user, then updates the row:
three queries and the whole middleware chain. `AnswerFastPath` stores the
answer in one statement, before any of that, with the same checks:

- Django's own CSRF check (token header and origin), as the regular path;
- the rooms' address ranges of the exam, when it has some (cached per
  process for a minute; the regular path caches them in the session);
- one UPDATE (`services.save_answers_in_sessions`) that stores the answer
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
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils import timezone

from c2i.assessment import access, answer_queue, services
from c2i.assessment.api import valid_answer
from c2i.assessment.models import Exam
from c2i.lib.net import client_ip

NETWORKS_TTL_S = 60.0
NETWORKS_CACHED = 10_000
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
        self.networks: dict[int, tuple[float, tuple[str, ...]]] = {}
        self.queue = answer_queue.AnswerQueue(services.save_answers_in_sessions, on_error=_log_error)

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
            valid = valid_answer(json.loads(request.body))
        except ValueError:
            return None
        if valid is None:
            return None
        networks = self._networks(attempt_id)
        if networks is None or (networks and not access.address_allowed(list(networks), client_ip(request))):
            return None
        ticked, seq = valid
        shown = sorted(set(ticked))
        if seq is None:
            seq = services.clock_seq(timezone.now())
        if not self.queue.store(answer_queue.PendingAnswer(attempt_id, position, shown, seq, session_key)):
            return None
        # the body JsonResponse would write, without its encoder
        body = b'{"saved": true, "status": "%s", "seq": %d}' % (services.SAVED.encode(), seq)
        response = HttpResponse(body, content_type="application/json")
        response["Content-Length"] = str(len(body))  # as CommonMiddleware, which comes later, would
        return response

    def _networks(self, attempt_id: int) -> tuple[str, ...] | None:
        """The address ranges of the sitting's exam (none: from anywhere);
        None when there is no such sitting."""
        now = time.monotonic()
        cached = self.networks.get(attempt_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        exam = Exam.objects.filter(attempts__pk=attempt_id).only("allowed_networks").first()
        if exam is None:
            return None
        networks = tuple(exam.network_texts())
        if len(self.networks) >= NETWORKS_CACHED:
            self.networks.clear()
        self.networks[attempt_id] = (now + NETWORKS_TTL_S, networks)
        return networks
