from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.analytics.synthetic import cli


class Command(BaseCommand):
    # Generating data serves no page: Django's system checks (which import every view, and with
    # them pandas and the API schema) would only add seconds to each run (bench/synth.py).
    requires_system_checks: list[str] = []
    help = ("Synthetic NRM data calibrated to the published statistics: `nrm synth --referrals N --seed S "
            "--from 2019-01-01 --to 2024-12-31 (--out FILE.parquet|FILE.csv | --into-db)`, or `nrm synth report`.")

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)
        parser.add_argument("--into-db", action="store_true",
                            help="fill the service's database through its models, so every screen has data")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["into_db"]:
                self._into_db(options)
                return
            status = cli.run(argparse.Namespace(**options), stdout=sys.stdout)
        except cli.SynthArgumentError as exc:
            raise CommandError(str(exc)) from exc
        if status:
            raise CommandError("The calibration report found shares outside their tolerances (see above).")

    def _into_db(self, options: dict[str, Any]) -> None:
        if options.get("out") or options.get("action") == "report":
            raise cli.SynthArgumentError("--into-db fills the database; leave out --out and 'report'")
        from nrm.synth.database import synth_into_db

        n = options.get("referrals")
        if n is None or not str(n).lstrip("-").isdigit() or int(n) < 1:
            raise cli.SynthArgumentError("--referrals must be a whole number of 1 or more")
        try:
            start = date.fromisoformat(options["start"])
            end = date.fromisoformat(options["end"])
        except ValueError as exc:
            raise cli.SynthArgumentError(f"dates must look like 2019-01-01 ({exc})") from exc
        if end < start:
            raise cli.SynthArgumentError(f"--to {end} is before --from {start}")
        created = synth_into_db(referrals=int(n), seed=int(options.get("seed") or 0), start=start, end=end)
        self.stdout.write(f"Created {created} synthetic referrals and their cases in the database.")
