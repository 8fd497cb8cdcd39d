"""Health probes for load balancers and orchestrators: no sign-in, plain HTTP allowed
(``SECURE_REDIRECT_EXEMPT``), no personal data (counts and ages only).

- ``/health/live``: the process answers. Touches nothing else, not even the database: a live
  probe that fails restarts the process, which would not mend a database outage.
- ``/health/ready``: this instance can do its work: the database answers, every migration is
  applied, a background worker has beaten recently. It also reports the outbox backlog (how many
  messages wait, how old the oldest is), which does not by itself make an instance unready:
  taking web servers out of service would not send the messages. 503 with the same JSON when not
  ready.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from nrm.notify.selectors import outbox_backlog, workers_alive


def migrations_pending() -> int:
    """How many migrations the code has that the database has not applied."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _age_seconds(when: Any) -> int | None:
    return None if when is None else max(0, int((timezone.now() - when).total_seconds()))


def readiness() -> tuple[bool, dict[str, Any]]:
    """Whether this instance is ready, and the figures that say why."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = migrations_pending()
        alive, last_beat = workers_alive(since=timezone.now() - timedelta(seconds=settings.WORKER_STALE_SECONDS))
        backlog, oldest = outbox_backlog()
    except DatabaseError as exc:
        return False, {"status": "unready", "database": "unreachable", "error": type(exc).__name__}
    report = {
        "database": "ok",
        "migrations_pending": pending,
        "workers_alive": alive,
        "worker_last_seen_seconds": _age_seconds(last_beat),
        "outbox_pending": backlog,
        "outbox_oldest_pending_seconds": _age_seconds(oldest),
    }
    ready = pending == 0 and alive > 0
    return ready, {"status": "ready" if ready else "unready", **report}


@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "live"})


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    is_ready, report = readiness()
    return JsonResponse(report, status=200 if is_ready else 503)
