"""Benchmark: generate N synthetic referrals to Parquet and report throughput and peak memory.

    .venv/bin/python bench/synth.py --referrals 10000000

Prints rows per second, wall time (generation and writing, excluding the one-off calibration
load, which is shown separately), the process's CPU time (which other work on a shared machine
does not inflate) and the peak resident memory of the process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import _common  # repository on the path, bench/ off it

from nrm.analytics.synthetic.calibration import load_calibration
from nrm.analytics.synthetic.extract import simulate_referrals, write_referrals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--from", dest="start", default="2019-01-01")
    parser.add_argument("--to", dest="end", default="2024-12-31")
    parser.add_argument("--simulate-only", action="store_true", help="skip writing (time the NumPy part)")
    args = parser.parse_args(argv)
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)

    t0 = time.perf_counter()
    load_calibration()
    t_cal = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="nrm-synth-bench-") as tmp:
        path = Path(tmp) / "referrals.parquet"
        t1 = time.perf_counter()
        if args.simulate_only:
            simulate_referrals(args.referrals, args.seed, start, end)
        else:
            write_referrals(args.referrals, args.seed, start, end, path)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
