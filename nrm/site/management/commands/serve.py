from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from nrm.core.processes import stop_on_signals


class Command(BaseCommand):
    help = ("Serve the service. By default Django's development server at http://127.0.0.1:8000, migrating "
            "first. With --production: the production server (gunicorn; needs NRM_ENVIRONMENT=production), "
            "after the deployment checks; it does not migrate, and refuses to start until `nrm migrate` has run.")

    # The development server runs the checks itself; the production server runs them with the
    # deployment checks and logs them (nrm.site.server.deployment_checks).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default=None,
                            help="HOST:PORT (default 127.0.0.1:8000; with --production 0.0.0.0:$PORT, PORT=8000)")
        parser.add_argument("--production", action="store_true",
                            help="Run the production server: WEB_CONCURRENCY workers, request timeout, graceful stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["production"]:
            self._serve_production(options["addrport"])
            return
        # runserver stops on SIGINT; make SIGTERM and SIGHUP stop it the same way.
        stop_on_signals(_exit)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("runserver", options["addrport"] or "127.0.0.1:8000", use_reloader=False)

    def _serve_production(self, addrport: str | None) -> None:
        import os

        from nrm.site.health import migrations_pending
        from nrm.site.server import deployment_checks, serve

        if not settings.PRODUCTION:
            raise CommandError("--production needs NRM_ENVIRONMENT=production (and its settings: see docs/operations.md).")
        # The deployment checks (`nrm check --deploy`): errors stop the start; warnings are logged.
        errors = deployment_checks()
        if errors:
            raise CommandError(f"{errors} error(s) from the deployment checks (see the log): not starting.")
        pending = migrations_pending()
        if pending:
            raise CommandError(f"{pending} migration(s) not applied: run `nrm migrate` once, then start the servers.")
        connections.close_all()  # no connection is shared with the forked workers
        serve(addrport or f"0.0.0.0:{os.environ.get('PORT', '8000')}")


def _exit(signum: int) -> None:
    sys.exit(128 + signum)
