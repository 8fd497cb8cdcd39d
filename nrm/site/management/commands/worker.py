from __future__ import annotations

import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections


class Command(BaseCommand):
    help = ("Run the background worker: sends outbox messages and runs the periodic jobs "
            "(reminders, retries, draft expiry) every few minutes.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=300, help="Seconds between periodic runs (default 300)")
        parser.add_argument("--batch", action="store_true", help="Run the periodic jobs and queued tasks once, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        from nrm.notify.tasks import periodic

        if options["batch"]:
            periodic.enqueue()
            call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
            return
        stop = threading.Event()

        def schedule() -> None:
            while not stop.is_set():
                try:
                    periodic.enqueue()
                finally:
                    close_old_connections()
                stop.wait(options["every"])

        threading.Thread(target=schedule, name="nrm-scheduler", daemon=True).start()
        try:
            call_command("db_worker", reload=False, startup_delay=False, verbosity=options["verbosity"])
        finally:
            stop.set()
