from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.core.processes import die_with_parent, stop_on_signals


class Command(BaseCommand):
    help = ("Set up the demo: migrate, load reference and synthetic demo data, create one user per role, "
            "print the logins, then run the worker and serve at http://127.0.0.1:8000.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=2000, help="Synthetic cases to load (default 2000)")
        parser.add_argument("--no-serve", action="store_true", help="Set up and print the logins, then stop")
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The demo creates users with known passwords and cannot run in production.")
        from nrm.accounts.demo import demo_logins_text, demo_users_create

        call_command("migrate", interactive=False, verbosity=0)
        call_command("sync_roles", verbosity=0)
        demo_users_create()
        self._load_demo_cases(options["cases"])
        self.stdout.write(demo_logins_text())
        if options["no_serve"]:
            return
        # The worker stops with this process, whatever stops it: SIGTERM, SIGHUP and SIGINT end the
        # server below (and so reach the `finally`); SIGKILL cannot be caught, so the worker also
        # asks the kernel to signal it when its parent dies, and watches its parent's pid.
        stop_on_signals(_exit)
        command = [sys.executable, "-m", "nrm.cli", "worker", "--verbosity", "0", "--parent-pid", str(os.getpid())]
        worker = subprocess.Popen(command, preexec_fn=die_with_parent)  # noqa: S603 (our own command)
        try:
            self.stdout.write(f"\nServing at http://{options['addrport']}  (Ctrl+C to stop). The worker sends "
                              f"messages in the background; email is written to {settings.VAR_DIR / 'mail'}.\n")
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    def _load_demo_cases(self, count: int) -> None:
        from nrm.cases.models import Case

        if count <= 0 or Case.objects.exists():
            return
        try:
            from nrm.synth.database import synth_into_db
        except ImportError:
            self.stderr.write("Synthetic case loading is not available yet; the demo starts without cases.")
            return
        created = synth_into_db(referrals=count, seed=2026)
        self.stdout.write(f"Loaded {created} synthetic cases.")


def _exit(signum: int) -> None:
    sys.exit(128 + signum)
