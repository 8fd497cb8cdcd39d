"""Command-line interface for the statistics: ``nrm stats publish`` and ``nrm stats import``.

The ``nrm`` command wires these in with :func:`add_arguments` and :func:`run`; they
also run on their own as ``python -m nrm.stats.cli``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from nrm.stats import extract_io
from nrm.stats.periods import Period, PeriodError, parse_period
from nrm.stats.tables import TABLES_BY_ID, DisclosureControl

__all__ = ["add_arguments", "main", "run"]


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except PeriodError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _threshold(text: str) -> tuple[str, int]:
    table, sep, n = text.partition("=")
    if not sep or not n.isdigit():
        raise argparse.ArgumentTypeError(f"expected TABLE=N (for example referrals_by_police_force=10), not {text!r}")
    if table not in TABLES_BY_ID:
        raise argparse.ArgumentTypeError(f"no table {table!r}")
    return table, int(n)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``publish`` and ``import`` subcommands to ``parser``."""
    sub = parser.add_subparsers(dest="stats_command", metavar="COMMAND", required=True)

    pub = sub.add_parser(
        "publish",
        help="compute the tables for a period and write the workbook, CSVs, charts, bulletin and manifest",
        description="Compute the official statistics for a period from an extract.",
    )
    pub.add_argument("--period", required=True, type=_period, help="a quarter such as 2023-Q4, or a year such as 2023")
    pub.add_argument("--source", required=True, metavar="FILE", help="the extract's referrals file (.parquet or .csv)")
    pub.add_argument("--out", required=True, metavar="DIR", help="the directory to write the publication to")
    pub.add_argument(
        "--threshold",
        action="append",
        type=_threshold,
        default=[],
        metavar="TABLE=N",
        help="suppress counts below N in TABLE (repeatable; 0 turns suppression off)",
    )
    pub.add_argument("--series", type=int, default=8, metavar="N", help="quarters in time-series tables (default 8)")
    pub.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    pub.add_argument("--no-progress", action="store_true", help="do not show a progress bar")

    imp = sub.add_parser(
        "import",
        help="validate an extract, naming every bad row, column and problem; load it only if it is valid",
        description="Validate an extract (and its sibling files). With --into, copy it there as Parquet "
        "only if no row has a problem.",
    )
    imp.add_argument("file", metavar="FILE", help="the extract's referrals file (.parquet or .csv)")
    imp.add_argument("--into", metavar="DIR", default=None, help="where to store the extract if it is valid")
    imp.add_argument("--max-problems", type=int, default=extract_io.DEFAULT_MAX_PROBLEMS, metavar="N")


def _publish(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from nrm.stats.publish import publish

    source = str(options.source)
    if source == "db":
        err.write("--source db needs the service's database: run it as 'nrm stats publish --source db'\n")
        return 2
    overrides = {t: DisclosureControl(threshold=n) for t, n in options.threshold}
    try:
        manifest = publish(
            source,
            options.period,
            options.out,
            progress=not options.no_progress,
            disclosure_overrides=overrides,
            series_length=options.series,
            threads=options.threads,
        )
    except extract_io.ExtractError as e:
        err.write(f"{e}\n")
        return 1
    out.write(
        f"Published {manifest.period} to {manifest.out_dir}: {len(manifest.tables)} tables, "
        f"{len(manifest.files)} files (see manifest.json)\n"
    )
    return 0


def _import(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        if options.into:
            written = extract_io.import_extract(options.file, options.into, max_problems=options.max_problems)
        else:
            problems = extract_io.validate(options.file, max_problems=options.max_problems)
            if problems:
                raise extract_io.ExtractInvalid(problems)
    except extract_io.ExtractInvalid as e:
        for p in e.problems:
            err.write(f"{p}\n")
        more = " (stopped at the limit)" if len(e.problems) >= options.max_problems else ""
        err.write(f"{len(e.problems)} problem(s){more}; nothing was loaded\n")
        return 1
    if options.into:
        out.write(f"The extract is valid; loaded {', '.join(str(p) for p in written.values())}\n")
    else:
        out.write("The extract is valid\n")
    return 0


def run(options: argparse.Namespace, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the subcommand chosen in ``options``; returns the exit status."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    if options.stats_command == "publish":
        return _publish(options, out, err)
    if options.stats_command == "import":
        return _import(options, out, err)
    err.write(f"unknown command {options.stats_command!r}\n")
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nrm stats", description="NRM official statistics")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
