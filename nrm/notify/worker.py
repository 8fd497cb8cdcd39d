"""The background worker's loop: queued tasks, outbox sends and periodic jobs, for any number of
worker processes against one database, surviving the database going away.

Each pass of the loop claims and runs one queued task, claims and sends a batch of due outbox
messages (``nrm.notify.delivery``) and runs the periodic jobs not yet run in this period
(``nrm.notify.periodic_runs``). A database error does not stop the worker: it closes its
connections and tries again with back-off (0.5 s doubling to 30 s) until the database answers.
A heartbeat row per worker, refreshed by its own thread, shows which workers are alive; tasks
left "running" by a worker whose heartbeat stopped are run again (at most three times)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType

from django.conf import settings
from django.db import DatabaseError, OperationalError, close_old_connections, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import TaskResultStatus, task_backends
from django_tasks_db.management.commands.db_worker import Worker as TaskRunner
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from nrm.notify.delivery import outbox_send_due
from nrm.notify.models import WorkerHeartbeat
from nrm.notify.periodic_runs import periodic_run_due

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
MAX_TASK_RUNS = 3
BACKOFF_FIRST = 0.5
BACKOFF_CEILING = 30.0


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


@dataclass
class Backoff:
    """Delays between tries while the database is away: 0.5 s, 1 s, 2 s, ... at most 30 s."""

    first: float = BACKOFF_FIRST
    ceiling: float = BACKOFF_CEILING
    failures: int = 0

    def next_delay(self) -> float:
        self.failures += 1
        return float(min(self.first * 2 ** (self.failures - 1), self.ceiling))

    def reset(self) -> None:
        self.failures = 0


@dataclass
class WorkerState:
    """What the heartbeat reports; written by the loop, read by the heartbeat thread."""

    worker_id: str
    started_at: datetime = field(default_factory=timezone.now)
    state: str = "healthy"
    tasks_run: int = 0
    messages_sent: int = 0
    last_error: str = ""


def heartbeat_write(status: WorkerState, *, stopped: bool = False) -> None:
    now = timezone.now()
    values = {"seen_at": now, "state": "stopped" if stopped else status.state, "tasks_run": status.tasks_run,
              "messages_sent": status.messages_sent, "last_error": status.last_error[:2000],
              "stopped_at": now if stopped else None}
    WorkerHeartbeat.objects.update_or_create(
        worker_id=status.worker_id, defaults=values,
        create_defaults={**values, "hostname": socket.gethostname()[:255], "pid": os.getpid(),
                         "started_at": status.started_at},
    )


def workers_alive() -> set[str]:
    """Workers whose heartbeat is recent and who have not said they stopped."""
    cutoff = timezone.now() - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    return set(WorkerHeartbeat.objects.filter(seen_at__gte=cutoff, stopped_at__isnull=True)
               .values_list("worker_id", flat=True))


def tasks_recover_stale(*, idle_worker_id: str = "") -> int:
    """Tasks left "running" by a worker that is gone: queued again, or failed once they have been
    started ``MAX_TASK_RUNS`` times (a task that kills its worker must not loop forever).
    ``idle_worker_id`` is the calling worker, which runs nothing now, so any task still marked as
    running under its name was cut short (for example by the database going away)."""
    cutoff = timezone.now() - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    alive = workers_alive() - {idle_worker_id}
    recovered = 0
    for result in DBTaskResult.objects.running().filter(started_at__lt=cutoff):
        if result.worker_ids and result.worker_ids[-1] in alive:
            continue
        stuck = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING)
        if len(result.worker_ids) >= MAX_TASK_RUNS:
            recovered += stuck.update(
                status=TaskResultStatus.FAILED, finished_at=timezone.now(),
                exception_class_path="nrm.notify.worker.WorkerLost",
                traceback=f"The worker running this task stopped {len(result.worker_ids)} times; not tried again.",
            )
        else:
            recovered += stuck.update(status=TaskResultStatus.READY, started_at=None)
    if recovered:
        logger.warning("%s task(s) left running by stopped workers recovered", recovered)
    return recovered


class Heartbeat(threading.Thread):
    """Refreshes the worker's heartbeat row every few seconds on its own connection, so a long
    task does not make a live worker look dead."""

    def __init__(self, status: WorkerState) -> None:
        super().__init__(name="nrm-heartbeat", daemon=True)
        self.status = status
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                heartbeat_write(self.status)
            except DatabaseError:  # the loop reports the outage; try again next beat
                connections.close_all()
            self.stopping.wait(HEARTBEAT_SECONDS)
        connections.close_all()


class OutboxWorker:
    """One worker process. ``run`` loops until SIGTERM, SIGINT or SIGHUP; ``run_once`` does one pass of
    everything due and returns (``nrm worker --batch``)."""

    def __init__(self, *, every: int, interval: float = 1.0, worker_id: str | None = None,
                 backend_name: str = "default") -> None:
        self.status = WorkerState(worker_id=worker_id or new_worker_id())
        self.every = every
        self.interval = interval
        self.backend_name = backend_name
        self.running = True
        self.backoff = Backoff()
        self.next_periodic_check = 0.0
        self.next_recovery = 0.0
        self.tasks = TaskRunner(queue_names=["*"], interval=interval, batch=False, backend_name=backend_name,
                                startup_delay=False, max_tasks=None, worker_id=self.status.worker_id,
                                excluded_queue_names=[])

    @property
    def worker_id(self) -> str:
        return self.status.worker_id

    def stop(self, signum: int = 0, frame: FrameType | None = None) -> None:
        self.running = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGHUP, self.stop)
        heartbeat = Heartbeat(self.status)
        heartbeat.start()
        logger.info("Worker %s started", self.worker_id)
        try:
            while self.running:
                busy = self._guarded(self.step)
                if self.running and not busy:
                    time.sleep(self.interval)
        finally:
            heartbeat.stopping.set()
            heartbeat.join(timeout=HEARTBEAT_SECONDS + 1)
            self._guarded(self._say_stopped)
            logger.info("Worker %s stopped", self.worker_id)

    def _say_stopped(self) -> bool:
        heartbeat_write(self.status, stopped=True)
        return False

    def run_once(self) -> int:
        """Everything due now, once: periodic jobs, queued tasks, outbox sends. Returns the work done."""
        done = sum(1 for _ in periodic_run_due(worker_id=self.worker_id, every=self.every))
        while self.run_one_task():
            done += 1
        while sent := outbox_send_due(worker_id=self.worker_id):
            done += sent
        return done

    def _guarded(self, action: Callable[[], object]) -> bool:
        """Run one step; on a database error, close the connections and wait (with back-off)."""
        try:
            busy = bool(action())
        except DatabaseError as exc:
            self._database_lost(exc)
            return True
        except Exception as exc:  # a bug in one task or job must not stop every other message
            logger.exception("Worker step failed; carrying on")
            self.status.last_error = f"{type(exc).__name__}: {exc}"
            return False
        if self.backoff.failures:
            logger.warning("Worker %s: database back after %s tries", self.worker_id, self.backoff.failures)
            self.status.state = "healthy"
            self.backoff.reset()
        return busy

    def _database_lost(self, exc: DatabaseError) -> None:
        delay = self.backoff.next_delay()
        self.status.state = "waiting_for_database"
        self.status.last_error = f"{type(exc).__name__}: {exc}".strip()
        logger.warning("Worker %s cannot use the database (%s); trying again in %.1f s",
                       self.worker_id, self.status.last_error.splitlines()[0], delay)
        try:
            connections.close_all()
        except DatabaseError:
            pass
        deadline = time.monotonic() + delay
        while self.running and time.monotonic() < deadline:
            time.sleep(min(0.2, delay))

    def step(self) -> bool:
        """One pass: recover stale tasks (now and then), periodic jobs, one task, one batch of sends."""
        close_old_connections()
        now = time.monotonic()
        if now >= self.next_recovery:
            tasks_recover_stale(idle_worker_id=self.worker_id)
            self.next_recovery = now + settings.WORKER_STALE_SECONDS / 2
        if now >= self.next_periodic_check:
            periodic_run_due(worker_id=self.worker_id, every=self.every)
            self.next_periodic_check = now + min(self.every, 30)
        ran = self.run_one_task()
        sent = outbox_send_due(worker_id=self.worker_id)
        self.status.messages_sent += sent
        return ran or bool(sent)

    def run_one_task(self) -> bool:
        """Claim and run one queued task (row lock with SKIP LOCKED; a write transaction on SQLite)."""
        if not isinstance(task_backends[self.backend_name], DatabaseBackend):
            return False
        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        with exclusive_transaction(ready.db):
            try:
                result = ready.get_locked()
            except OperationalError as exc:
                if is_locked_database_exception(exc):
                    return False
                raise
            if result is not None:
                result.claim(self.worker_id)
        if result is None:
            return False
        self.tasks.run_task(result)
        self.status.tasks_run += 1
        return True

