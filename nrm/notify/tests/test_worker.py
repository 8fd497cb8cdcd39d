"""The worker recovers: periodic jobs run once per period across workers, tasks left running by a
dead worker run again, the loop waits out a database outage with back-off, and a heartbeat row
says which workers are alive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from nrm.core import periodic
from nrm.notify.models import OutboxMessage, PeriodicRun, WorkerHeartbeat
from nrm.notify.periodic_runs import period_start, periodic_run_due
from nrm.notify.services import outbox_add
from nrm.notify.tasks import send_outbox_message
from nrm.notify.worker import Backoff, OutboxWorker, heartbeat_write, tasks_recover_stale, workers_alive

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def counted_job() -> Iterator[list[int]]:
    """A registered periodic job that counts its runs; only it is registered while the test runs."""
    calls: list[int] = []
    saved = periodic.load_jobs()  # every domain's jobs, imported once: put back afterwards

    def counted() -> int:
        calls.append(1)
        return len(calls)

    periodic._JOBS.clear()
    periodic.register("test.counted")(counted)
    try:
        yield calls
    finally:
        periodic._JOBS.clear()
        periodic._JOBS.update(saved)


def test_periods_are_aligned_slices_of_time() -> None:
    assert period_start(now=NOON + timedelta(seconds=299), every=300) == NOON
    assert period_start(now=NOON + timedelta(seconds=300), every=300) == NOON + timedelta(seconds=300)


def test_a_periodic_job_runs_once_per_period_whatever_the_number_of_workers(counted_job: list[int]) -> None:
    for worker in ("a", "b", "c"):
        periodic_run_due(worker_id=worker, every=300, now=NOON + timedelta(seconds=10))
    assert len(counted_job) == 1
    periodic_run_due(worker_id="b", every=300, now=NOON + timedelta(seconds=301))
    periodic_run_due(worker_id="c", every=300, now=NOON + timedelta(seconds=400))
    assert len(counted_job) == 2
    runs = PeriodicRun.objects.filter(name="test.counted").order_by("period_start")
    assert [(r.worker_id, r.result) for r in runs] == [("a", 1), ("b", 2)]
    assert all(r.finished_at for r in runs)


def test_a_run_left_by_a_dead_worker_is_taken_over_when_its_claim_expires(counted_job: list[int], settings: Any) -> None:
    settings.PERIODIC_LEASE_SECONDS = 60
    PeriodicRun.objects.create(name="test.counted", period_start=NOON, worker_id="dead", started_at=NOON,
                               claimed_until=NOON + timedelta(seconds=60))
    assert periodic_run_due(worker_id="b", every=300, now=NOON + timedelta(seconds=30)) == {}
    assert periodic_run_due(worker_id="b", every=300, now=NOON + timedelta(seconds=61)) == {"test.counted": 1}
    run = PeriodicRun.objects.get(name="test.counted", period_start=NOON)
    assert (run.worker_id, run.result) == ("b", 1)
    assert periodic_run_due(worker_id="c", every=300, now=NOON + timedelta(seconds=200)) == {}


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(counted_job: list[int]) -> None:
    periodic.register("test.broken")(lambda: 1 // 0)
    results = periodic_run_due(worker_id="a", every=300, now=NOON)
    assert results == {"test.broken": None, "test.counted": 1}
    assert "ZeroDivisionError" in PeriodicRun.objects.get(name="test.broken").error


def stuck_task(*worker_ids: str, minutes_ago: int = 10) -> DBTaskResult[Any, Any]:
    message = outbox_add(kind="receipt", subject="Received", body="x", recipient_email="fr@example.gov.uk")
    result = send_outbox_message.enqueue(str(message.pk))
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=list(worker_ids),
        started_at=timezone.now() - timedelta(minutes=minutes_ago))
    return DBTaskResult.objects.get(pk=result.id)


def test_tasks_left_running_by_a_dead_worker_run_again_then_fail_for_good() -> None:
    again = stuck_task("dead")
    given_up = stuck_task("dead", "dead2", "dead3")
    heartbeat_write(_state("alive"))
    alive = stuck_task("alive")
    recent = stuck_task("dead", minutes_ago=0)
    assert tasks_recover_stale() == 2
    statuses = {t: DBTaskResult.objects.get(pk=t.pk).status for t in (again, given_up, alive, recent)}
    assert statuses == {again: TaskResultStatus.READY, given_up: TaskResultStatus.FAILED,
                        alive: TaskResultStatus.RUNNING, recent: TaskResultStatus.RUNNING}
    assert "stopped 3 times" in DBTaskResult.objects.get(pk=given_up.pk).traceback
    assert tasks_recover_stale(idle_worker_id="alive") == 1, "a worker's own task cut short by an outage"


def test_a_recovered_task_is_run_and_sends_its_message_once() -> None:
    task = stuck_task("dead")
    tasks_recover_stale()
    worker = OutboxWorker(every=300, worker_id="w1")
    assert worker.run_once() >= 1
    assert DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.SUCCESSFUL
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().status == "sent"


def _state(worker_id: str) -> Any:
    from nrm.notify.worker import WorkerState

    return WorkerState(worker_id=worker_id)


def test_the_heartbeat_says_who_is_alive_and_who_stopped(settings: Any) -> None:
    settings.WORKER_STALE_SECONDS = 60
    heartbeat_write(_state("a"))
    heartbeat_write(_state("b"))
    heartbeat_write(_state("c"), stopped=True)
    WorkerHeartbeat.objects.filter(worker_id="b").update(seen_at=timezone.now() - timedelta(seconds=61))
    assert workers_alive() == {"a"}
    assert WorkerHeartbeat.objects.get(worker_id="c").state == "stopped"


def test_back_off_doubles_to_a_ceiling_and_resets() -> None:
    backoff = Backoff(first=0.5, ceiling=30)
    assert [backoff.next_delay() for _ in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_the_worker_waits_out_a_database_outage_and_carries_on(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = OutboxWorker(every=300, worker_id="w1")
    monkeypatch.setattr(worker.backoff, "first", 0.01)
    outcomes: list[object] = [OperationalError("server closed the connection unexpectedly"),
                              OperationalError("connection refused"), True]

    def step() -> object:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert worker._guarded(step) is True
    assert (worker.status.state, worker.backoff.failures) == ("waiting_for_database", 1)
    assert "server closed" in worker.status.last_error
    worker._guarded(step)
    assert worker.backoff.failures == 2
    assert worker._guarded(step) is True
    assert (worker.status.state, worker.backoff.failures) == ("healthy", 0)


def test_a_bug_in_a_step_is_logged_and_the_worker_carries_on() -> None:
    worker = OutboxWorker(every=300, worker_id="w1")
    assert worker._guarded(lambda: 1 // 0) is False
    assert "ZeroDivisionError" in worker.status.last_error


def test_one_pass_sends_due_messages_and_runs_periodic_jobs_once(counted_job: list[int]) -> None:
    outbox_add(kind="receipt", subject="Received", body="x", recipient_email="fr@example.gov.uk")
    OutboxWorker(every=300, worker_id="w1").run_once()
    OutboxWorker(every=300, worker_id="w2").run_once()
    assert len(mail.outbox) == 1
    assert len(counted_job) == 1
