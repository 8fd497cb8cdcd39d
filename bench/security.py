"""Security and failure figures (issue 12), one section per concern.

    .venv/bin/python bench/security.py                       # every section
    .venv/bin/python bench/security.py --section workers     # one section
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/security.py

Each section prints its own figures. Add a section by writing a function that takes the parsed
arguments and registering it in ``SECTIONS``.

workers: real ``nrm worker`` processes send outbox messages while some are killed with SIGKILL
(and replaced at once); deliveries go to a file backend that honours idempotency keys. Prints
workers x kills x messages -> delivered, lost, delivered twice, and the repeat sends that the
idempotency key absorbed (sends cut short by a kill between the provider accepting and the
worker recording). Runs on PostgreSQL when DATABASE_URL names a server (a scratch database
``nrm_bench_security`` is made next to it), else on a scratch SQLite file.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import _common

SCRATCH = "nrm_bench_security"
WORKER_RUNS = ((1, 0, 1000), (3, 0, 1000), (3, 6, 1000), (5, 12, 1000))


def _scratch_database(url: str, scratch: Path) -> None:
    """Point this process at a fresh scratch database (before Django starts)."""
    os.environ.setdefault("NRM_ENVIRONMENT", "development")
    if not url:
        os.environ["DATABASE_URL"] = ""
        os.environ["NRM_SQLITE_PATH"] = str(scratch / "bench.sqlite3")
        return
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{SCRATCH}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{SCRATCH}"))


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrm.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def workers_section(args: argparse.Namespace) -> None:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from nrm.notify.faults import fault_run
    from nrm.notify.models import OutboxMessage, PeriodicRun, WorkerHeartbeat

    print(f"\n## workers: exactly-once outbox delivery under SIGKILL ({connection.vendor})\n")
    print("workers | kills | messages | delivered | lost | delivered twice | repeats absorbed by key | seconds")
    print("---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:")
    for workers, kills, messages in args.worker_runs:
        for model in (OutboxMessage, DBTaskResult, PeriodicRun, WorkerHeartbeat):
            model.objects.all().delete()
        with tempfile.TemporaryDirectory(prefix="nrm-bench-workers-") as directory:
            run = fault_run(directory=Path(directory), workers=workers, kills=kills, messages=messages,
                            time_limit=args.time_limit, lease_seconds=5)
        print(f"{run.workers} | {run.kills} | {run.messages} | {run.delivered} | {run.lost} | "
              f"{run.delivered_twice} | {run.repeats_caught_by_key} | {run.seconds:.1f}", flush=True)


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {"workers": workers_section}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append",
                        help="Run only this section (repeatable; default: all)")
    parser.add_argument("--time-limit", type=float, default=120.0, help="Seconds allowed per worker run")
    parser.add_argument("--quick", action="store_true", help="Workers section: one run of 3 workers, 6 kills")
    args = parser.parse_args()
    args.worker_runs = ((3, 6, 1000),) if args.quick else WORKER_RUNS
    print(f"# Open NRM security figures\n\nMachine: {_common.cpu_model()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}\nCommand: {' '.join(sys.argv)}")
    with tempfile.TemporaryDirectory(prefix="nrm-bench-security-") as scratch:
        _scratch_database(os.environ.get("DATABASE_URL", "").strip(), Path(scratch))
        _setup_django()
        began = time.monotonic()
        for name in args.section or sorted(SECTIONS):
            SECTIONS[name](args)
        print(f"\nTotal {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
