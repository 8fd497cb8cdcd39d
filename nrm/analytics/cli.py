"""Command-line interface for the statistics: ``nrm stats publish``, ``nrm stats import``,
``nrm stats quality`` and ``nrm stats import-published``.

The ``nrm`` command wires these in with :func:`add_arguments` and :func:`run`; they
also run on their own as ``python -m nrm.analytics.cli``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from nrm.analytics import backseries, extract_io, quality
from nrm.analytics.periods import Period, PeriodError, parse_period
from nrm.analytics.tables import TABLES_BY_ID, DisclosureControl

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


def _override(text: str) -> tuple[str, str]:
    check, sep, reason = text.partition("=")
    check, reason = check.strip(), reason.strip()
    if not sep or not reason:
        raise argparse.ArgumentTypeError(
            f"expected CHECK=REASON (for example category_shift=\"Known recording error, corrected next quarter\"), "
            f"not {text!r}"
        )
    if check not in quality.CHECKS:
        raise argparse.ArgumentTypeError(f"no data-quality check {check!r}; checks are {', '.join(quality.CHECKS)}")
    return check, reason


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``publish``, ``import``, ``quality`` and ``import-published`` subcommands to ``parser``."""
    sub = parser.add_subparsers(dest="stats_command", metavar="COMMAND", required=True)

    pub = sub.add_parser(
        "publish",
        help="compute the tables for a period and write the workbook, CSVs, charts, bulletin and manifest",
        description="Compute the official statistics for a period from an extract.",
    )
    pub.add_argument("--period", required=True, type=_period, help="a quarter such as 2023-Q4, or a year such as 2023")
    pub.add_argument(
        "--source",
        required=True,
        metavar="FILE",
        help="the extract's referrals file (.parquet or .csv), or db: the service's live database",
    )
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
    pub.add_argument(
        "--store",
        default=None,
        metavar="DIR",
        help="the statistics store: the figures published before (to find revisions, and where this "
        "publication's figures are kept) and the imported back series (default var/stats, or $NRM_VAR_DIR/stats)",
    )
    pub.add_argument(
        "--no-store",
        action="store_true",
        help="use no store: no back series, no revisions, and nothing kept for the next publication",
    )
    pub.add_argument(
        "--override",
        action="append",
        type=_override,
        default=[],
        metavar="CHECK=REASON",
        help="publish although the blocking data-quality check CHECK fails, for the reason given (repeatable; "
        "needs --by)",
    )
    pub.add_argument(
        "--per-table",
        dest="linked",
        action="store_false",
        help="control each table on its own, as before linked protection (the police-force table only; not safe "
        "against differencing, for comparison only). By default every table is protected together with the "
        "others and with the releases in the store, and the publication is blocked if the interval attack "
        "narrows a [c] below the protection level",
    )
    pub.add_argument("--linked", dest="linked", action="store_true", help=argparse.SUPPRESS)  # the default
    pub.add_argument(
        "--declare-break",
        action="append",
        type=quality.declared_break_argument,
        default=[],
        metavar="TABLE=REASON",
        help="the service's own figures of TABLE (a back-series table) do not continue the back series: declare a "
        "series break, marked [b] and explained in the table's notes, instead of failing the join check "
        "(repeatable; needs --by)",
    )
    pub.add_argument("--by", default=None, metavar="NAME",
                     help="who decided the overrides and declared the breaks (recorded with them)")
    pub.add_argument(
        "--reason",
        default="",
        metavar="TEXT",
        help="why a period already published is published again (named as the cause of its revised figures; "
        "the earlier issue is kept)",
    )
    pub.add_argument(
        "--linkage-input",
        default=None,
        metavar="FILE",
        help="Parquet file of the live data's identifying fields for the duplicate-referrals check",
    )

    qual = sub.add_parser(
        "quality",
        help="the data-quality report for a period; exit status 1 if a blocking check fails",
        description="Run the data-quality checks that run before every publication and print the report.",
    )
    quality.add_arguments(qual)

    back = sub.add_parser(
        "import-published",
        help="import the Home Office's published historical figures as the back series of the time-series tables",
        description="Read the published figures (data/published) into the statistics store; time-series tables "
        "then start in 2009 Q2.",
    )
    backseries.add_arguments(back)

    aud = sub.add_parser(
        "disclosure-audit",
        help="run the interval attack on everything published in the store; exit status 1 if it recovers a "
        "suppressed cell or narrows one below the protection level",
        description="For every suppressed [c] cell of every publication in the statistics store, the least and "
        "greatest count consistent with everything published (each table's totals, the same population in "
        "other tables and releases, a year as the sum of its quarters), reported per table.",
    )
    aud.add_argument("--store", default=None, metavar="DIR",
                     help="the statistics store (default var/stats, or $NRM_VAR_DIR/stats)")
    aud.add_argument("--period", action="append", type=_period, default=[], metavar="PERIOD",
                     help="audit only these publications (repeatable; default: every one in the store)")
    aud.add_argument("--exact", action="store_true",
                     help="solve every cell's interval exactly (slower; otherwise a cell already shown to be "
                     "wide enough is not solved further and its width is a lower estimate)")

    imp = sub.add_parser(
        "import",
        help="validate an extract, naming every bad row, column and problem; load it only if it is valid",
        description="Validate an extract (and its sibling files). With --into, copy it there as Parquet "
        "only if no row has a problem.",
    )
    imp.add_argument("file", metavar="FILE", help="the extract's referrals file (.parquet or .csv), or db: the service's live database")
    imp.add_argument("--into", metavar="DIR", default=None, help="where to store the extract if it is valid")
    imp.add_argument("--max-problems", type=int, default=extract_io.DEFAULT_MAX_PROBLEMS, metavar="N")


def _extract_is_valid(source: str, err: TextIO) -> bool:
    """The same check as ``nrm stats import``: problems named by file, row and column, not a traceback."""
    problems = extract_io.validate(source)
    if problems:
        err.write(f"The extract {source} cannot be published; fix these first:\n")
        for problem in problems:
            err.write(f"  {problem}\n")
    return not problems


def _report_quality_gate(e: quality.QualityGateError, options: argparse.Namespace, source: str, err: TextIO) -> None:
    err.write(f"The publication of {options.period.label} did not run: blocking data-quality checks failed.\n")
    for r in e.missing:
        err.write(f"[FAIL] {r.title} ({r.id}): {r.summary}\n")
        for f in r.findings:
            if f.severity == "fail":
                err.write(f"    - {f.message}\n")
    err.write(e.report.how_to_override(f"nrm stats publish --period {options.period.label} --source {source} "
                                       f"--out {options.out}") + "\n")
    err.write("Nothing was written.\n")


def _publish(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from nrm.analytics import storage
    from nrm.analytics.publish import DisclosureGateError, publish
    from nrm.analytics.release import ReleaseConfigError

    source = str(options.source)
    if source == "db":
        err.write("--source db needs the service's database: run it as 'nrm stats publish --source db'\n")
        return 2
    if not _extract_is_valid(source, err):
        return 1
    overrides = {t: DisclosureControl(threshold=n) for t, n in options.threshold}
    if options.override and not (options.by or "").strip():
        err.write("--override needs --by NAME: who decided to publish despite the failing check\n")
        return 2
    quality_overrides = [quality.Override(check, reason, by=str(options.by).strip()) for check, reason in options.override]
    declared = quality.declared_breaks(options, err, "nrm stats publish")
    if declared is None:
        return 2
    store = None if options.no_store else (options.store or storage.default_root())
    linkage_input = getattr(options, "linkage_table", None)
    if linkage_input is None and options.linkage_input:
        import pyarrow.parquet as pq

        linkage_input = pq.read_table(options.linkage_input)
    try:
        manifest = publish(
            source,
            options.period,
            options.out,
            progress=not options.no_progress,
            disclosure_overrides=overrides,
            series_length=options.series,
            threads=options.threads,
            store=store,
            quality_overrides=quality_overrides,
            linkage_input=linkage_input,
            linked=options.linked,
            reason=options.reason,
            declared_breaks=declared,
        )
    except extract_io.ExtractError as e:
        err.write(f"{e}\n")
        return 1
    except ReleaseConfigError as e:
        err.write(f"The release information for the cover cannot be read: {e}\nNothing was written.\n")
        return 2
    except DisclosureGateError as e:
        err.write(f"The publication of {options.period.label} did not run: the disclosure audit found suppressed "
                  "cells that can be worked out from what would be published.\n")
        err.write(e.audit.to_text())
        err.write("Nothing was written.\n")
        return 1
    except quality.QualityGateError as e:
        _report_quality_gate(e, options, source, err)
        return 1
    revised = manifest.revisions.get("revised_figures")
    headline = manifest.revisions.get("headline_figures", 0)
    out.write(
        f"Published {manifest.period} to {manifest.out_dir}: {len(manifest.tables)} tables, "
        f"{len(manifest.files)} files (see manifest.json)"
        + (f"; {revised:,} figure(s) published earlier revised ({headline:,} of them totals or one-way breakdowns)"
           if revised is not None else "")
        + (f"; data-quality overrides: {', '.join(o['check'] for o in manifest.quality['overrides'])}"
           if manifest.quality.get("overrides") else "")
        + "\n"
    )
    return 0


def _disclosure_audit(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from nrm.analytics import protection, storage

    root = options.store or storage.default_root()
    store = storage.figures_store(root)
    labels = store.labels()
    if options.period:
        wanted = {p.label for p in options.period}
        missing = sorted(wanted - set(labels))
        if missing:
            err.write(f"no publication of {', '.join(missing)} in {root}\n")
            return 2
        labels = [label for label in labels if label in wanted]
    if not labels:
        err.write(f"no publication in the statistics store {root}\n")
        return 2
    pubs = [(label, protection.results_from_figures(label, store.load(label).figures)) for label in labels]
    result = protection.audit_publications(pubs, exact=options.exact)
    out.write(f"Disclosure audit of {', '.join(labels)}:\n")
    out.write(result.to_text())
    return 0 if result.passed else 1


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
    if options.stats_command == "quality":
        if str(options.source) == "db":
            err.write("--source db needs the service's database: run it as 'nrm stats quality --source db'\n")
            return 2
        return quality.run_cli(options, out, err)
    if options.stats_command == "disclosure-audit":
        return _disclosure_audit(options, out, err)
    if options.stats_command == "import-published":
        return backseries.run_cli(options, out, err)
    err.write(f"unknown command {options.stats_command!r}\n")
    return 2


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nrm stats", description="NRM official statistics")
    add_arguments(parser)
    return run(parser.parse_args(argv), stdout=stdout, stderr=stderr)


if __name__ == "__main__":
    raise SystemExit(main())
