"""Real ``nrm worker`` processes against PostgreSQL: three workers killed at random with SIGKILL
while sending 1,000 messages lose none and deliver none twice; a worker whose database
connections are cut carries on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import connection

from nrm.notify.faults import FaultRun, WorkerPool, add_messages, count_deliveries, fault_run, wait_until_sent
from nrm.notify.models import WorkerHeartbeat

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Worker processes share the test database only on PostgreSQL (the suite's PostgreSQL pass runs this)")


def test_three_workers_killed_at_random_lose_nothing_and_send_nothing_twice(tmp_path: Path) -> None:
    on_postgres()
    run = fault_run(directory=tmp_path, workers=3, kills=6, messages=1000, time_limit=60)
    assert run.kills >= 3, run.row()
    assert (run.lost, run.unsent_in_database, run.delivered_twice) == (0, 0, 0), run.row()
    assert run.delivered == 1000
    assert run.repeats_caught_by_key <= run.kills, "at most the one send each kill cut short"


def test_workers_without_kills_send_each_message_once(tmp_path: Path) -> None:
    on_postgres()
    run = fault_run(directory=tmp_path, workers=3, kills=0, messages=300, time_limit=40)
    assert (run.delivered, run.lost, run.repeats_caught_by_key) == (300, 0, 0), run.row()
    assert run.exit_codes == [0, 0, 0], "SIGTERM stops a worker cleanly"


def terminate_other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_a_worker_whose_database_connections_are_cut_carries_on(tmp_path: Path) -> None:
    on_postgres()
    pool = WorkerPool(directory=tmp_path)
    worker = pool.start()
    pool.wait_working(1)
    first = add_messages(50, label="before")
    assert wait_until_sent(first, deadline=time.monotonic() + 30) == 0
    # Cut its connections again and again while it sends. Between cuts the worker may still be
    # backing off with no connection open, or a cut may land between two queries and be mended
    # silently, so keep cutting until five cuts have landed and the worker has met one mid-query.
    log_file = tmp_path / "worker-1.log"
    cut, second = 0, set[str]()
    give_up = time.monotonic() + 120
    while (cut < 5 or "cannot use the database" not in log_file.read_text()) and time.monotonic() < give_up:
        second |= add_messages(20, label=f"during {cut}")
        cut += terminate_other_connections()
        time.sleep(0.5)
    assert cut >= 5
    later = add_messages(50, label="after")
    # Every message, including those whose send or record a cut interrupted (their claims expire
    # and they are sent again), goes out.
    assert wait_until_sent(first | second | later, deadline=time.monotonic() + 60) == 0
    assert worker.poll() is None, "the worker is still running"
    beat = WorkerHeartbeat.objects.get(worker_id="fault-1")
    assert beat.state == "healthy"
    assert beat.stopped_at is None
    assert pool.stop() == [0]
    log = log_file.read_text()
    assert "cannot use the database" in log
    assert "database back" in log
    run = count_deliveries(FaultRun(workers=1, kills=0, messages=0), first | second | later, tmp_path)
    assert (run.lost, run.delivered_twice) == (0, 0)
