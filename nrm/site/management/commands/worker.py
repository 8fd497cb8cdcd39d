from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Run the background worker: runs queued tasks, sends outbox messages and runs the periodic jobs "
            "(reminders, retries, draft expiry) once per period. Run as many as you like against one "
            "database: each message and each period's job is handled by exactly one of them. A worker "
            "that loses the database waits and reconnects (0.5 s doubling to 30 s); stop it with SIGTERM.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=300, help="Length in seconds of a periodic job's period (default 300)")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds to wait when there is nothing to do (default 1)")
        parser.add_argument("--worker-id", default=None, help="A name unique to this worker (default: host-pid-random)")
        parser.add_argument("--parent-pid", type=int, default=None,
                            help="Stop (gracefully) when this process, the worker's parent, is gone")
        parser.add_argument("--batch", action="store_true",
                            help="Do everything due now (periodic jobs, queued tasks, messages) once, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        from nrm.notify.worker import OutboxWorker

        self._configure_logging(options["verbosity"])
        worker = OutboxWorker(every=options["every"], interval=options["interval"], worker_id=options["worker_id"])
        if options["batch"]:
            done = worker.run_once()
            if options["verbosity"]:
                self.stdout.write(f"Done: {done} job(s), task(s) and message(s).")
            return
        if options["parent_pid"]:
            from nrm.core.processes import watch_parent

            watch_parent(options["parent_pid"], worker.stop)
        worker.run()

    def _configure_logging(self, verbosity: int) -> None:
        level = {0: logging.ERROR, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("nrm.notify", "django_tasks_db"):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler(self.stderr))
