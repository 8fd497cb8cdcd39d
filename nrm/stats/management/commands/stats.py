from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.analytics import cli, extract_io
from nrm.analytics import extract_schema as xs


class Command(BaseCommand):
    help = ("Official statistics: `nrm stats extract --out FILE` (the analytical extract from the live "
            "database), `nrm stats quality --period 2023-Q4 --source FILE|db` (the data-quality report), "
            "`nrm stats publish --period 2023-Q4 --source FILE|db --out DIR`, `nrm stats import FILE`, "
            "`nrm stats import-published` (the back series). The statistics store defaults to VAR_DIR/stats.")

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        extract = sub.add_parser("extract", help="write the analytical extract from the live database")
        extract.add_argument("--out", required=True, metavar="FILE", help="referrals file, .parquet or .csv")
        extract.add_argument("--as-of", default=None, metavar="DATE", help="the data as at this date (default today)")
        imported = sub.choices["import"]
        imported.add_argument("--format", choices=["extract", "htcds"], default="extract",
                              help="htcds: a file in the HTCDS layout (.json or .csv; docs/htcds.md) read into the "
                              "extract's referrals table")
        imported.add_argument("--competent-authority", choices=["SCA", "IECA"], default=None,
                              help="htcds: the authority for rows that do not name one (nrm_CompetentAuthority)")
        publish = sub.choices["publish"]
        publish.add_argument("--register", action="store_true",
                             help="list the publication on the service's statistics page (always with --source db)")

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["stats_command"]
        if command == "extract":
            self._extract(options)
            return
        if command == "import" and options.get("format") == "htcds":
            self._import_htcds(options)
            return
        if command in {"publish", "quality", "import-published"} and not options.get("store"):
            options["store"] = str(Path(settings.VAR_DIR) / "stats")
        if command in {"publish", "quality"} and options["source"] == "db":
            self._from_db(command, options)
            return
        self._run(command, options)
        if command == "publish" and options.get("register"):
            self._register(Path(options["out"]), source=str(options["source"]))

    def _import_htcds(self, options: dict[str, Any]) -> None:
        from nrm.stats.htcds import import_htcds, read_htcds

        path = Path(options["file"])
        try:
            rows = read_htcds(path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path} as HTCDS: {exc}") from None
        result = import_htcds(rows, source=path.stem, competent_authority=options.get("competent_authority"),
                              max_problems=options["max_problems"])
        if result.table is None:
            for problem in result.problems:
                self.stderr.write(f"{path} {problem}")
            raise CommandError(f"{len(result.problems)} problem(s); nothing was loaded")
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / "htcds.parquet"
            empty = {name: schema.empty_table() for name, schema in xs.TABLES.items() if name != "referrals"}
            extract_io.write_extract(extract_io.Extract(referrals=result.table, **empty), staged)
            self._load_htcds(staged, source=path, into=options.get("into"))

    def _load_htcds(self, staged: Path, *, source: Path, into: str | None) -> None:
        """The extract's own checks on the converted rows; stored beside the extract as htcds-<name>."""
        from nrm.analytics import extract_io

        try:
            if into:
                name = "htcds-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in source.stem)
                written = extract_io.import_extract(staged, into, name=name)
                self.stdout.write(f"The HTCDS file is valid; loaded {written['referrals']}")
                return
            problems = extract_io.validate(staged)
            if problems:
                raise extract_io.ExtractInvalid(problems)
        except extract_io.ExtractInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(replace(problem, file=str(source))))
            raise CommandError(f"{len(exc.problems)} problem(s); nothing was loaded") from None
        self.stdout.write("The HTCDS file is valid")

    def _run(self, command: str, options: dict[str, Any]) -> None:
        status = cli.run(argparse.Namespace(**options), stdout=self.stdout, stderr=self.stderr)  # type: ignore[arg-type]
        if status:
            if command == "quality" and status == 1:
                raise CommandError("a blocking data-quality check failed (see the report above).")
            raise CommandError(f"nrm stats {command} failed (see above).")

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

    def _from_db(self, command: str, options: dict[str, Any]) -> None:
        """Extract the live database, then run ``quality`` or ``publish`` on it, with the live
        data's identifying fields (in memory only) for the duplicate-referrals check."""
        from nrm.stats.db_extract import build_linkage_input

        with tempfile.TemporaryDirectory(prefix="nrm-extract-") as tmp:
            extract_path = self._extract({"out": str(Path(tmp) / "extract.parquet"), "as_of": None})
            options = {**options, "source": str(extract_path), "linkage_table": build_linkage_input()}
            self._run(command, options)
        if command == "publish":
            self._register(Path(options["out"]), source="live database")

    def _register(self, out_dir: Path, *, source: str) -> None:
        from nrm.stats.services import publication_register

        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        overrides = manifest.get("quality", {}).get("overrides", [])
        reason = "; ".join(f"{o['check']}: {o['reason']} (by {o['by']})" for o in overrides)
        publication = publication_register(out_dir=out_dir, source=source, override_reason=reason)
        self.stdout.write(f"Listed on the statistics page as '{publication.title}'.")
