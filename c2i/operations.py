"""What a load balancer and Prometheus ask each node (issue 16,
docs/operations.md « Several nodes »): `/sante/` and `/metriques/`."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.models import Case, Count, F, Min, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult, get_date_max

from c2i.credentials import keys
from c2i.credentials.services import key_store
from c2i.lib import metrics

STORAGE_PROBE = "sante/probe"


def task_queue() -> tuple[int, float]:
    """Tasks waiting for a worker, and how long (seconds) the oldest has been due."""
    now = timezone.now()
    # django-tasks-db's own reading of « ready »: a task not scheduled has the
    # greatest date as its run_after, and is due since it was enqueued.
    due_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    figures = DBTaskResult.objects.ready().aggregate(waiting=Count("id"), oldest=Min(due_since))
    oldest = figures["oldest"]
    return figures["waiting"], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def _database() -> dict[str, object]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def _storage() -> dict[str, object]:
    """A read of the file store (local disk or object storage): one existence
    check, cheap enough for a probe every few seconds."""
    try:
        default_storage.exists(STORAGE_PROBE)
    except Exception as error:  # any backend's failure means "down", said by its class
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def _signing_keys() -> dict[str, object]:
    """The Open Badges signing keys this node would sign with: the operator's
    secret read and valid (cached per process until the file changes), or
    the folder readable. Never makes a key. A node without them still serves
    exams and pages, so a failure says « degraded », not « down »."""
    try:
        store = key_store()
        keys_known = store.public_keys()
        current = store.secret().current.key_id if isinstance(store, keys.SecretStore) else None
    except (keys.KeyStoreError, OSError) as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "store": store.kind, "keys": len(keys_known), **({"current": current} if current else {})}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 while this node can serve (database and storage reachable), 503
    otherwise: the load balancer takes it out. A queue of tasks older than
    C2I_HEALTH_MAX_TASK_AGE says « degraded » but stays 200: the queue is
    shared by every node, and taking them all out would not empty it; so
    do signing keys that cannot be read (documents wait, the rest serves)."""
    database = _database()
    storage = _storage()
    checks: dict[str, dict[str, object]] = {"database": database, "storage": storage, "signing_keys": _signing_keys()}
    if database["ok"]:
        waiting, oldest = task_queue()
        checks["tasks"] = {
            "ok": oldest <= settings.C2I_HEALTH_MAX_TASK_AGE,
            "waiting": waiting,
            "oldest_waiting_seconds": round(oldest, 1),
        }
    serving = database["ok"] and storage["ok"]
    status = (
        "ok"
        if serving and checks["tasks"]["ok"] and checks["signing_keys"]["ok"]
        else ("degraded" if serving else "down")
    )
    return JsonResponse({"status": status, "checks": checks}, status=200 if serving else 503)


@never_cache
@require_GET
def prometheus(request: HttpRequest) -> HttpResponse:
    """The node's metrics, for a scraper that sends `Authorization: Bearer
    <C2I_METRICS_TOKEN>`; without the setting, the page does not exist."""
    token = settings.C2I_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Http404
    body, content_type = metrics.exposition(task_queue)
    return HttpResponse(body, content_type=content_type)
