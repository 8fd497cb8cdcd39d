"""Benchmark: generate N synthetic referrals to Parquet and report throughput and peak memory.

    .venv/bin/python bench/synth.py --referrals 10000000

The in-process figure writes what the command writes (the referrals and their Duty to Notify,
reviews and support files, through ``nrm.analytics.synthetic.cli``). First the command users run, ``nrm synth --referrals N --seed S --from A --to B --out FILE.parquet``,
timed as a child process from start to exit (interpreter and Django start-up included; its peak
memory from ``os.wait4``), then the same generation in this process, so the two are side by side.

Prints rows per second, wall time (generation and writing, excluding the one-off calibration
load, which is shown separately), the process's CPU time (which other work on a shared machine
does not inflate) and the peak resident memory of the process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import _common  # repository on the path, bench/ off it

from nrm.analytics.synthetic import cli as synth_cli
from nrm.analytics.synthetic.calibration import load_calibration
from nrm.analytics.synthetic.extract import simulate_referrals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--from", dest="start", default="2019-01-01")
    parser.add_argument("--to", dest="end", default="2024-12-31")
    parser.add_argument("--simulate-only", action="store_true", help="skip writing (time the NumPy part)")
    parser.add_argument("--no-command", action="store_true", help="skip timing the `nrm synth` command")
    args = parser.parse_args(argv)
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    command = None if args.no_command else _time_command(args)

    t0 = time.perf_counter()
    load_calibration()
    t_cal = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="nrm-synth-bench-") as tmp:
        path = Path(tmp) / "referrals.parquet"
        t1 = time.perf_counter()
        if args.simulate_only:
            simulate_referrals(args.referrals, args.seed, start, end)
        else:  # what the command does: the referrals and their Duty to Notify, reviews and support files
            with contextlib.redirect_stdout(io.StringIO()):
                status = synth_cli.main(["--referrals", str(args.referrals), "--seed", str(args.seed),
                                         "--from", args.start, "--to", args.end, "--out", str(path)])
            if status:
                raise SystemExit("the synthetic extract could not be written")
        wall = time.perf_counter() - t1
        size = path.stat().st_size if path.exists() else 0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kib = usage.ru_maxrss  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    print(f"machine           : {os.cpu_count()} CPUs, {_common.cpu_model()}")
    print(f"referrals         : {args.referrals:,} ({start} to {end}, seed {args.seed})")
    print(f"calibration load  : {t_cal:.2f} s")
    print(f"wall time         : {wall:.2f} s")
    print(f"rows per second   : {args.referrals / wall:,.0f}")
    print(f"CPU time (process): {cpu:.2f} s user+system, whole run (other load on the machine does not count)")
    print(f"load average      : {', '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    print(f"peak memory (RSS) : {peak_kib / 1024:,.0f} MiB ({peak_kib / 1024 / 1024:.2f} GiB)")
    if size:
        print(f"parquet size      : {size / 1024 / 1024:,.1f} MiB")
    if command is not None:
        c_wall, c_peak_kib, c_size = command
        print(f"nrm synth command : {c_wall:.2f} s wall from start to exit, {args.referrals / c_wall:,.0f} rows/s, "
              f"peak memory {c_peak_kib / 1024:,.0f} MiB, parquet {c_size / 1024 / 1024:,.1f} MiB")
        print(f"command / in-process: {c_wall / (wall + t_cal):.2f}x the in-process generation and writing "
              "of the same files, with its calibration load (the rest is the command's start-up)")
    return 0


def _time_command(args: argparse.Namespace) -> tuple[float, int, int]:
    """The `nrm synth` command as a user runs it: wall time of the child process and its peak RSS (KiB)."""
    with tempfile.TemporaryDirectory(prefix="nrm-synth-cmd-") as tmp:
        out = Path(tmp) / "referrals.parquet"
        argv = [sys.executable, "-m", "nrm.cli", "synth", "--referrals", str(args.referrals), "--seed", str(args.seed),
                "--from", args.start, "--to", args.end, "--out", str(out)]
        t0 = time.perf_counter()
        child = subprocess.Popen(argv, cwd=_common.ROOT, stdout=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"`nrm synth` failed: {' '.join(argv)}")
        return wall, usage.ru_maxrss, out.stat().st_size


if __name__ == "__main__":
    raise SystemExit(main())
