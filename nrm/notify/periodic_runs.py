"""Periodic jobs run exactly once per period, whatever the number of workers.

Time is cut into periods of ``every`` seconds. A worker that finds a period's job not yet run
inserts its (job, period) row; the unique pair means only one insert succeeds, so only one worker
runs it. If that worker dies mid-run, its claim expires and another worker takes the run over
within the same period."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from nrm.core.periodic import load_jobs
from nrm.notify.models import PeriodicRun

logger = logging.getLogger(__name__)


def period_start(*, now: datetime, every: int) -> datetime:
    """The start of the period of ``every`` seconds that contains ``now`` (periods count from 1970)."""
    seconds = int(now.timestamp()) // every * every
    return datetime.fromtimestamp(seconds, tz=UTC)


def _claim(*, name: str, start: datetime, worker_id: str, now: datetime) -> PeriodicRun | None:
    until = now + timedelta(seconds=settings.PERIODIC_LEASE_SECONDS)
    try:
        with transaction.atomic():
            return PeriodicRun.objects.create(name=name, period_start=start, worker_id=worker_id,
                                              claimed_until=until, started_at=now)
    except IntegrityError:
        pass
    taken_over = PeriodicRun.objects.filter(
        name=name, period_start=start, finished_at__isnull=True, claimed_until__lt=now
    ).update(worker_id=worker_id, claimed_until=until, started_at=now)
    if not taken_over:
        return None
    logger.warning("Periodic job %s for %s taken over from a worker that stopped", name, start)
    return PeriodicRun.objects.get(name=name, period_start=start)


def _run(run: PeriodicRun, job: Callable[[], int]) -> int | None:
    result: int | None = None
    error = ""
    try:
        result = int(job())
    except Exception as exc:  # one failing job must not stop the others; it runs again next period
        logger.exception("Periodic job %s failed", run.name)
        error = f"{type(exc).__name__}: {exc}"[:2000]
    PeriodicRun.objects.filter(pk=run.pk, worker_id=run.worker_id).update(
        finished_at=timezone.now(), result=result, error=error
    )
    return result


def periodic_run_due(*, worker_id: str, every: int, now: datetime | None = None) -> dict[str, int | None]:
    """Run each registered job not yet run in the current period; what ran and its result."""
    moment = now or timezone.now()
    start = period_start(now=moment, every=every)
    results: dict[str, int | None] = {}
    for name, job in load_jobs().items():
        run = _claim(name=name, start=start, worker_id=worker_id, now=moment)
        if run is not None:
            results[name] = _run(run, job)
    return results
