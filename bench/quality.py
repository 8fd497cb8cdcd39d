"""Benchmark: the power of the data-quality gate against miscoding, and its false blocks.

    .venv/bin/python bench/quality.py            # real volume with 10 seeds, 10x with 3, 60x with 1 (a few minutes)
    .venv/bin/python bench/quality.py --quick    # real and 10x, one seed

For each volume, synthetic referrals are generated with the ``nrm synth`` generator
(:func:`nrm.analytics.synthetic.extract.write_referrals`, calibrated to the published
figures) from 2020-01-01 to 2024-12-31, once per seed, so that every replicate has the
eight quarters of history the checks compare with (``--start 2021-01-01`` leaves the
quarters of 2022 four to seven). Each quarter from 2022-Q1 to 2024-Q4 is a replicate: it
is checked clean, and with a share (10, 20, 30 and 60%) of its
sexual-exploitation-only referrals recoded as "Not specified or unknown" (the 2020
miscoding was 30%), the earlier quarters left clean. The two blocking checks that look for
miscoding run on it (``unknown_exploitation`` and ``category_shift``, with the default
:class:`nrm.analytics.quality.QualityConfig`); a quarter is blocked when either fails.

Prints, per volume, the detection rate (blocked replicates) at each recoding share and the
false-block rate on the clean quarters, with the warnings beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import _common  # repository on the path, bench/ off it
import duckdb

from nrm.analytics import quality as Q
from nrm.analytics.periods import Quarter, parse_period, quarters_between
from nrm.analytics.synthetic.extract import write_referrals

START, END = date(2020, 1, 1), date(2024, 12, 31)
FIRST_TESTED, LAST_TESTED = Quarter(2022, 1), Quarter(2024, 4)
# the published referrals of each year (about 4,800 a quarter by 2024)
PUBLISHED = {2020: 10_582, 2021: 12_700, 2022: 16_921, 2023: 17_004, 2024: 19_125}
VOLUMES = {"real": 1, "10x": 10, "60x": 60}
SHARES = (0.1, 0.2, 0.3, 0.6)
UNKNOWN = Q.UNKNOWN
COLUMNS = ", ".join((  # what the two checks read
    "referral_id", "referral_date", "exploitation_types", "age_at_exploitation", "gender", "location_of_exploitation",
    "first_responder_type", "first_responder",
))


@dataclass
class Tally:
    runs: int = 0
    blocked: int = 0
    warned: int = 0

    def add(self, status: str) -> None:
        self.runs += 1
        self.blocked += status == "fail"
        self.warned += status == "warn"

    def rate(self) -> str:
        return f"{self.blocked / self.runs:6.1%}" if self.runs else "     -"

    def caught(self) -> str:
        """Blocked, and in brackets blocked or warned (what the statistician is told of)."""
        return f"{self.rate()} ({(self.blocked + self.warned) / self.runs:6.1%})" if self.runs else "     -"


def _status(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> str:
    """fail if either check fails; warn if either warns about the quarter's shares (a first responder's own
    share of unknowns, a warning of its own, is left out)."""
    period = parse_period(quarter.label)
    results = [Q.check_unknown_exploitation(con, period), Q.check_category_shift(con, period)]
    if any(r.status == "fail" for r in results):
        return "fail"
    shares = [f for r in results for f in r.findings if f.severity == "warn" and f.dimension != "First responder"]
    return "warn" if shares else "pass"


def _recode(con: duckdb.DuckDBPyConnection, quarter: Quarter, share: float, seed: int) -> None:
    """The view ``referrals``: the generated referrals with ``share`` of ``quarter``'s sexual-only
    referrals recoded as unknown (a fixed pseudo-random choice by referral id and seed)."""
    pick = (
        f"referral_date BETWEEN DATE '{quarter.start}' AND DATE '{quarter.end}' AND exploitation_types = 'Sexual' "
        f"AND hash(referral_id, {seed}) % 10000 < {round(share * 10000)}"
    )
    con.execute(
        "CREATE OR REPLACE VIEW referrals AS SELECT * REPLACE ("  # noqa: S608
        f"CASE WHEN {pick} THEN '{UNKNOWN}' ELSE exploitation_types END AS exploitation_types) FROM generated"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="real and 10x volume, one seed")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds per volume (default 10 at the real volume, 3 at 10x, 1 at 60x; --quick 1)")
    parser.add_argument("--volumes", default=None, help="comma-separated, of real,10x,60x")
    parser.add_argument("--start", type=date.fromisoformat, default=START,
                        help="first day of the generated referrals: 2020-01-01 (default) or 2021-01-01")
    args = parser.parse_args(argv)
    if args.start not in (date(2020, 1, 1), date(2021, 1, 1)):
        parser.error("--start: 2020-01-01 or 2021-01-01")
    real = sum(n for year, n in PUBLISHED.items() if year >= args.start.year)
    default_seeds = {"real": 10, "10x": 3, "60x": 1}
    volumes = args.volumes.split(",") if args.volumes else (["real", "10x"] if args.quick else list(VOLUMES))
    tested = quarters_between(FIRST_TESTED, LAST_TESTED)
    print(f"machine           : {os.cpu_count()} CPUs, {_common.cpu_model()}")
    print(f"command           : {' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}")
    print(f"referrals         : {args.start} to {END}; real volume {real:,} (the published referrals of those years)")
    print(f"replicates        : quarters {FIRST_TESTED.label} to {LAST_TESTED.label} x seeds 0, 1, ... (N below)")
    print("blocked           : unknown_exploitation or category_shift fails (default QualityConfig)")
    print("warn              : either warns about a share (not about one first responder) and neither fails")
    print()
    header = f"{'volume':>6} {'per quarter':>11} {'N':>4} | " + " ".join(f"{f'{s:.0%} recoded':>16}" for s in SHARES)
    header += f" | {'clean: false block':>18} {'warn':>6} | {'seconds':>7}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="nrm-quality-bench-") as tmp:
        for volume in volumes:
            t0 = time.perf_counter()
            clean, recoded = Tally(), {s: Tally() for s in SHARES}
            per_quarter = 0
            seeds = args.seeds or (1 if args.quick else default_seeds[volume])
            for seed in range(seeds):
                path = Path(tmp) / f"{volume}-{seed}.parquet"
                n = real * VOLUMES[volume]
                write_referrals(n, seed, args.start, END, path)
                con = duckdb.connect()
                try:
                    con.execute(f"CREATE TABLE generated AS SELECT {COLUMNS} FROM read_parquet('{path}')")  # noqa: S608
                    per_quarter = con.execute(
                        "SELECT count(*) FROM generated WHERE referral_date BETWEEN ? AND ?",
                        [LAST_TESTED.start, LAST_TESTED.end],
                    ).fetchone()[0]  # type: ignore[index]
                    for q in tested:
                        _recode(con, q, 0.0, seed)
                        clean.add(_status(con, q))
                        for share in SHARES:
                            _recode(con, q, share, seed)
                            recoded[share].add(_status(con, q))
                finally:
                    con.close()
                path.unlink()
            wall = time.perf_counter() - t0
            cells = " ".join(f"{recoded[s].caught():>16}" for s in SHARES)
            print(
                f"{volume:>6} {per_quarter:>11,} {clean.runs:>4} | {cells} | {clean.rate():>18} "
                f"{clean.warned / clean.runs:>6.1%} | {wall:>7.0f}"
            )
    print()
    print("Detection: the share of replicate quarters blocked with that share of sexual-only referrals recoded as")
    print("unknown, and in brackets blocked or warned. False block: the share of the same quarters, clean, that a")
    print("blocking check failed.")
    print("per quarter: the referrals of 2024-Q4 in the last seed's extract.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
