from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.stats import cli, extract_io


class Command(BaseCommand):
    help = ("Official statistics: `nrm stats extract --out FILE` (the analytical extract from the live "
            "database), `nrm stats publish --period 2023-Q4 --source FILE|db --out DIR`, "
            "`nrm stats import FILE`.")

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        extract = sub.add_parser("extract", help="write the analytical extract from the live database")
        extract.add_argument("--out", required=True, metavar="FILE", help="referrals file, .parquet or .csv")
        extract.add_argument("--as-of", default=None, metavar="DATE", help="the data as at this date (default today)")
        publish = sub.choices["publish"]
        publish.add_argument("--register", action="store_true",
                             help="list the publication on the service's statistics page (always with --source db)")

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["stats_command"]
        if command == "extract":
            self._extract(options)
            return
        if command == "publish" and options["source"] == "db":
            self._publish_from_db(options)
            return
        status = cli.run(argparse.Namespace(**options), stdout=sys.stdout, stderr=sys.stderr)
        if status:
            raise CommandError(f"nrm stats {command} failed (see above).")
        if command == "publish" and options.get("register"):
            self._register(Path(options["out"]), source=str(options["source"]))

    def _extract(self, options: dict[str, Any]) -> Path:
        from nrm.stats.db_extract import build_extract

        try:
            as_of = date.fromisoformat(options["as_of"]) if options.get("as_of") else None
        except ValueError as exc:
            raise CommandError(f"--as-of must be a date like 2024-03-31 ({exc})") from exc
        out = Path(options["out"])
        if out.suffix.lower() not in {".parquet", ".csv"}:
            raise CommandError(f"--out {out} must end .parquet or .csv")
        if not out.parent.exists():
            raise CommandError(f"cannot write {out}: the directory {out.parent} does not exist")
        extract = build_extract(as_of=as_of)
        written = extract_io.write_extract(extract, out)
        self.stdout.write(f"Wrote the extract: {extract.referrals.num_rows:,} referrals, "
                          f"{extract.duty_to_notify.num_rows:,} Duty to Notify reports")
        for path in written.values():
            self.stdout.write(f"  {path}")
        return out

    def _publish_from_db(self, options: dict[str, Any]) -> None:
        with tempfile.TemporaryDirectory(prefix="nrm-extract-") as tmp:
            extract_path = self._extract({"out": str(Path(tmp) / "extract.parquet"), "as_of": None})
            options = {**options, "source": str(extract_path)}
            status = cli.run(argparse.Namespace(**options), stdout=sys.stdout, stderr=sys.stderr)
            if status:
                raise CommandError("nrm stats publish failed (see above).")
        self._register(Path(options["out"]), source="live database")

    def _register(self, out_dir: Path, *, source: str) -> None:
        from nrm.stats.services import publication_register

        publication = publication_register(out_dir=out_dir, source=source)
        self.stdout.write(f"Listed on the statistics page as '{publication.title}'.")
