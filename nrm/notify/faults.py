"""Fault runs for the worker: real ``nrm worker`` processes sending a batch of outbox messages
while some are killed with SIGKILL and started again, then a count of what was delivered.

Used by the worker tests (``nrm/notify/tests/test_worker_processes.py``) and by
``bench/security.py``. Deliveries go to :class:`nrm.notify.backends.IdempotentFileBackend`,
which, like a provider honouring idempotency keys, delivers each key once and counts repeats.
Each SIGKILL can cut at most one send between the provider accepting it and the worker recording
it, so the repeats are at most the number of kills; without the claim they would be hundreds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection, transaction

from nrm.notify.backends import delivery_counts
from nrm.notify.models import MessageStatus, OutboxMessage, WorkerHeartbeat
from nrm.notify.services import outbox_add

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass
class FaultRun:
    workers: int
    kills: int
    messages: int
    delivered: int = 0
    lost: int = 0
    delivered_twice: int = 0
    repeats_caught_by_key: int = 0
    unsent_in_database: int = 0
    seconds: float = 0.0
    exit_codes: list[int | None] = field(default_factory=list)

    def row(self) -> str:
        return (f"{self.workers} workers x {self.kills} kills x {self.messages} messages -> "
                f"{self.delivered} delivered, {self.lost} lost, {self.delivered_twice} delivered twice, "
                f"{self.repeats_caught_by_key} repeat sends absorbed by the idempotency key, "
                f"{self.seconds:.1f} s")


def database_environment() -> dict[str, str]:
    """Environment variables that point a worker process at this process's database."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return {"DATABASE_URL": "", "NRM_SQLITE_PATH": str(db["NAME"])}
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return {"DATABASE_URL": f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"}


@dataclass
class WorkerPool:
    """``nrm worker`` processes writing mail under ``directory``; killed and restarted at will."""

    directory: Path
    lease_seconds: int = 3
    extra_environment: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    started: int = 0

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "NRM_TEST_DATABASE_NAME"}
        env.update(database_environment())
        env.update({"NRM_EMAIL_BACKEND": "nrm.notify.backends.IdempotentFileBackend",
                    "NRM_VAR_DIR": str(self.directory), "NRM_OUTBOX_LEASE_SECONDS": str(self.lease_seconds),
                    "NRM_WORKER_STALE_SECONDS": str(self.lease_seconds * 2), "PYTHONUNBUFFERED": "1"})
        env.pop("NRM_TASKS_BACKEND", None)  # the database queue, whatever the caller uses
        env.update(self.extra_environment)
        return env

    def start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        worker_id = f"fault-{self.started}"
        log: IO[bytes] = (self.directory / f"worker-{self.started}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
            [sys.executable, "-m", "nrm.cli", "worker", "--interval", "0.2", "--every", "60",
             "--worker-id", worker_id, "--verbosity", "1"],
            cwd=REPOSITORY, env=self.environment(), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes[worker_id] = process
        return process

    def working(self) -> list[str]:
        """Workers running and past start-up (their heartbeat is in the database)."""
        running = [worker_id for worker_id, process in self.processes.items() if process.poll() is None]
        return list(WorkerHeartbeat.objects.filter(worker_id__in=running, stopped_at__isnull=True)
                    .order_by("worker_id").values_list("worker_id", flat=True))

    def wait_working(self, count: int, *, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.working()) < count and time.monotonic() < deadline:
            time.sleep(0.2)

    def kill_one(self, rng: random.Random) -> None:
        """SIGKILL a working worker chosen at random, and start another in its place."""
        victim = self.processes.pop(rng.choice(self.working()))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.start()

    def stop(self, timeout: float = 20) -> list[int | None]:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for process in self.processes.values():
            try:
                codes.append(process.wait(timeout=timeout))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(None)
        return codes

    def alive(self) -> int:
        return sum(process.poll() is None for process in self.processes.values())


def add_messages(count: int, *, label: str = "fault") -> set[str]:
    """``count`` emails in the outbox, each queued for sending as its transaction commits."""
    ids: set[str] = set()
    with transaction.atomic():
        for n in range(count):
            message = outbox_add(kind="receipt", subject=f"Referral received ({label} {n})", body="Thank you.",
                                 recipient_email=f"responder{n}@example.gov.uk")
            ids.add(str(message.pk))
    return ids


def unsent(ids: set[str]) -> int:
    return OutboxMessage.objects.filter(pk__in=ids).exclude(status=MessageStatus.SENT).count()


def wait_until_sent(ids: set[str], *, deadline: float) -> int:
    while (left := unsent(ids)) and time.monotonic() < deadline:
        time.sleep(0.25)
    return left


def count_deliveries(run: FaultRun, ids: set[str], directory: Path) -> FaultRun:
    keys, repeats = delivery_counts(directory / "mail")
    log = directory / "mail" / "deliveries.log"
    lines = [line.split()[-1] for line in log.read_text().splitlines()] if log.exists() else []
    run.delivered = len(keys & ids)
    run.lost = len(ids - keys)
    run.delivered_twice = len(lines) - len(set(lines))
    run.repeats_caught_by_key = repeats
    run.unsent_in_database = unsent(ids)
    return run


def fault_run(*, directory: Path, workers: int = 3, kills: int = 6, messages: int = 1000, seed: int = 12,
              time_limit: float = 60.0, lease_seconds: int = 3) -> FaultRun:
    """Send ``messages`` with ``workers`` worker processes, SIGKILL one at random ``kills`` times
    (each replaced at once) while they send, and count the outcome."""
    rng = random.Random(seed)
    pool = WorkerPool(directory=directory, lease_seconds=lease_seconds)
    for _ in range(workers):
        pool.start()
    pool.wait_working(workers)  # start-up is not part of the run
    began = time.monotonic()
    # Messages arrive in 20 batches while the workers send; the kills fall between batches.
    batches = 20
    kill_after = set(rng.sample(range(batches), min(kills, batches)))
    ids: set[str] = set()
    done = 0
    for batch in range(batches):
        ids |= add_messages(messages // batches + (batch < messages % batches), label=f"batch {batch}")
        time.sleep(rng.uniform(0.1, 0.5))
        if batch in kill_after and pool.working():
            pool.kill_one(rng)
            done += 1
    wait_until_sent(ids, deadline=began + time_limit)
    run = FaultRun(workers=workers, kills=done, messages=messages)
    run.exit_codes = pool.stop()
    run.seconds = time.monotonic() - began
    return count_deliveries(run, ids, directory)
