"""The ``synth`` command, independent of Django: a management command (or any argparse front end)
calls :func:`add_arguments` on its parser and :func:`run` with the parsed options.

    synth --referrals N --seed S --from 2019-01-01 --to 2024-12-31 --out FILE.parquet|FILE.csv
    synth report [--referrals N --seed S --from ... --to ... --chart PATH]

``synth`` writes the referrals to FILE and the sibling tables next to it as
``<stem>_duty_to_notify``, ``<stem>_reviews`` and ``<stem>_support`` with the same suffix.
``synth report`` generates referrals (default 200,000) and prints the calibration report; it
returns 1 if any check fails. Bad arguments raise :class:`SynthArgumentError`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from nrm.analytics.synthetic import extract, report

__all__ = ["DEFAULT_REPORT_REFERRALS", "SIBLINGS", "SynthArgumentError", "add_arguments", "run", "sibling_paths"]

DEFAULT_REPORT_REFERRALS = 200_000
SIBLINGS = ("duty_to_notify", "reviews", "support", "reconsiderations")
SUFFIXES = (".parquet", ".csv")


class SynthArgumentError(ValueError):
    """A bad argument to ``synth``; ``message`` says what and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("generate", "report"), default="generate",
                        help="generate files (default) or print the calibration report")
    parser.add_argument("--referrals", default=None,
                        help="number of referrals over the whole span (report: default 200,000)")
    parser.add_argument("--seed", default="0", help="random seed (a whole number, 0 or more); default 0")
    parser.add_argument("--from", dest="start", default=extract.DEFAULT_START.isoformat(),
                        help="first referral date, YYYY-MM-DD (default 2019-01-01)")
    parser.add_argument("--to", dest="end", default=extract.DEFAULT_END.isoformat(),
                        help="last referral date and extract date, YYYY-MM-DD (default 2024-12-31)")
    parser.add_argument("--out", default=None, help="referrals file, .parquet or .csv (generate)")
    parser.add_argument("--chart", default=None, help="write an SVG chart of the report here (report)")
    parser.add_argument("--data-dir", default=None, help="published statistics (default <repo>/data/published)")


def sibling_paths(out: Path) -> dict[str, Path]:
    """The files written by ``synth --out out``, by table name."""
    paths = {"referrals": out}
    for name in SIBLINGS:
        paths[name] = out.with_name(f"{out.stem}_{name}{out.suffix}")
    return paths


def _int(value: object, name: str, *, minimum: int) -> int:
    try:
        number = int(str(value).replace(",", "").replace("_", ""))
    except ValueError:
        raise SynthArgumentError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        what = "positive" if minimum == 1 else f"at least {minimum}"
        raise SynthArgumentError(f"{name} must be {what}, not {number}")
    return number


def _date(value: object, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SynthArgumentError(f"{name} must be a date written YYYY-MM-DD, not {value!r}") from None


def _writable(path: Path, what: str) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise SynthArgumentError(
            f"{what} {path} has an unknown suffix {path.suffix or '(none)'!r}: use .parquet or .csv")
    _writable_any(path, what)


def _writable_any(path: Path, what: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise SynthArgumentError(f"{what} {path} is a directory; give a file name")
    if not parent.exists():
        raise SynthArgumentError(f"cannot write {what} {path}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise SynthArgumentError(f"cannot write {what} {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise SynthArgumentError(f"cannot write {what} {path}: permission denied")


def _options(options: Mapping[str, Any] | argparse.Namespace) -> dict[str, Any]:
    return dict(vars(options)) if isinstance(options, argparse.Namespace) else dict(options)


@dataclass(frozen=True)
class _Common:
    """The options both actions share, checked."""

    seed: int
    start: date
    end: date
    data_dir: Any


def _common(opts: Mapping[str, Any]) -> _Common:
    seed = _int(opts.get("seed", 0) if opts.get("seed") is not None else 0, "--seed", minimum=0)
    start = _date(opts.get("start") or extract.DEFAULT_START, "--from")
    end = _date(opts.get("end") or extract.DEFAULT_END, "--to")
    if end < start:
        raise SynthArgumentError(f"--to {end} is before --from {start}")
    if start < date(2009, 4, 1):
        raise SynthArgumentError(f"--from {start} is before the NRM began (2009-04-01); the published data start then")
    data_dir = opts.get("data_dir")
    if data_dir is not None and not Path(data_dir).is_dir():
        raise SynthArgumentError(f"--data-dir {data_dir} is not a directory")
    return _Common(seed, start, end, data_dir)


def _report(opts: Mapping[str, Any], c: _Common, out_stream: TextIO) -> int:
    """``synth report``: the calibration report of a generated sample (1 if a check fails)."""
    raw = opts.get("referrals")
    n = DEFAULT_REPORT_REFERRALS if raw is None else _int(raw, "--referrals", minimum=1)
    chart = Path(opts["chart"]) if opts.get("chart") else None
    if chart is not None:
        if chart.suffix.lower() != ".svg":
            raise SynthArgumentError(f"--chart {chart} must be an .svg file")
        _writable_any(chart, "chart")
    table = extract.generate_referrals(n, c.seed, c.start, c.end, data_dir=c.data_dir)
    rows = report.calibration_report(table, start=c.start, end=c.end, data_dir=c.data_dir)
    print(f"Calibration report: {n:,} synthetic referrals, {c.start} to {c.end}, seed {c.seed}", file=out_stream)
    print(report.format_report(rows), file=out_stream)
    if chart is not None:
        report.report_chart(rows, chart)
        print(f"Chart written to {chart}", file=out_stream)
    return 0 if all(r.passed is not False for r in rows) else 1


def _generate(opts: Mapping[str, Any], c: _Common, out_stream: TextIO) -> int:
    """``synth``: write a synthetic extract and its sibling files."""
    if opts.get("referrals") is None:
        raise SynthArgumentError("--referrals N is required (the number of referrals to generate)")
    n = _int(opts["referrals"], "--referrals", minimum=1)
    if not opts.get("out"):
        raise SynthArgumentError("--out FILE.parquet or --out FILE.csv is required")
    out = Path(opts["out"])
    paths = sibling_paths(out)
    for name, path in paths.items():
        _writable(path, f"{name} file")
    seed, start, end, data_dir = c.seed, c.start, c.end, c.data_dir
    began = time.perf_counter()
    try:
        arrays = extract.write_referrals(n, seed, start, end, out, data_dir=data_dir)
        n_dtn = extract.duty_to_notify_count(n, start, end, data_dir=data_dir)
        extract.write_table(extract.generate_duty_to_notify(n_dtn, seed, start, end, data_dir=data_dir),
                            paths["duty_to_notify"])
        extract.write_table(extract.reviews_for(arrays, seed), paths["reviews"])
        extract.write_table(extract.support_for(arrays, seed), paths["support"])
        extract.write_table(extract.reconsiderations_for(arrays, seed), paths["reconsiderations"])
    except OSError as exc:
        raise SynthArgumentError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from exc
    took = time.perf_counter() - began
    print(f"Wrote {n:,} synthetic referrals ({start} to {end}, seed {seed}) in {took:.1f} s:", file=out_stream)
    for path in paths.values():
        print(f"  {path}", file=out_stream)
    return 0


_ACTIONS: dict[str, Callable[[Mapping[str, Any], _Common, TextIO], int]] = {
    "generate": _generate,
    "report": _report,
}


def run(options: Mapping[str, Any] | argparse.Namespace, stdout: TextIO | None = None) -> int:
    """Carry out ``synth`` with parsed ``options``; returns the exit status."""
    out_stream = stdout or sys.stdout
    opts = _options(options)
    action = opts.get("action") or "generate"
    if action not in tuple(_ACTIONS):
        raise SynthArgumentError(f"unknown action {action!r}: use 'report' or leave it out to generate files")
    return _ACTIONS[action](opts, _common(opts), out_stream)


def main(argv: list[str] | None = None) -> int:
    """``python -m nrm.analytics.synthetic.cli ...`` without Django."""
    parser = argparse.ArgumentParser(prog="synth", description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except SynthArgumentError as exc:
        print(f"synth: error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
