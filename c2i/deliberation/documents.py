"""The one door to the credentials app (certificates and attestations, R15).

Imported lazily: while `c2i.credentials.services` does not provide these
functions, the deliberation works and simply issues nothing (the return
value says whether anything was handed over)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def _service(name: str) -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("c2i.credentials.services")
    except ImportError:
        return None
    function = getattr(module, name, None)
    return function if callable(function) else None


def enqueue_session_documents(institution_session: Any, actor: Any) -> bool:
    function = _service("enqueue_session_documents")
    if function is None:
        log.info("credentials.services.enqueue_session_documents missing: no documents issued")
        return False
    function(institution_session, actor)
    return True


def reissue_document(enrolment: Any, actor: Any, reason: str) -> bool:
    function = _service("reissue_document")
    if function is None:
        log.info("credentials.services.reissue_document missing: no document re-issued")
        return False
    function(enrolment, actor, reason)
    return True
