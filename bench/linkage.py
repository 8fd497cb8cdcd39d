"""Benchmark: probabilistic linkage of repeat referrals (Splink, DuckDB backend).

    .venv/bin/python bench/linkage.py --referrals 1000000
    .venv/bin/python bench/linkage.py --referrals 100000 250000 --json var/bench/linkage.json

For each size: the synthetic-data generator's ``linkage`` profile
(``nrm.analytics.synthetic.generator.linkage_pairs``): calibrated referrals, about 5% of them repeat
referrals of an earlier person, and the linkage input with identities and realistic noise,
then in a child process :func:`nrm.analytics.linkage.link_referrals` (training included) and
:func:`nrm.analytics.linkage.evaluate` against the known people. The parent measures the
child's wall time and its peak memory (``ru_maxrss`` from ``os.wait4``; DuckDB runs in the
child's process, so its memory is included).

Reported: pairwise precision / false-link rate / recall and the share of repeat referrals
found at the chosen threshold (clusters), the same for linked pairs at other thresholds,
the time of each stage, and the number of distinct people beside the number of
referrals. Target: at 1M referrals, at least 90% of repeat referrals found with no more
than 5% false links, on the 2-core, ~20 GB machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import _common  # repository on the path, bench/ off it

ROOT = _common.ROOT

START, END = date(2019, 1, 1), date(2024, 12, 31)
SWEEP = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 0.9, 0.99)


def child(n: int, seed: int, threshold: float, memory_limit: str, out: Path) -> None:
    """Generate, link and evaluate; write the measurements as JSON to ``out``."""
    import duckdb

    from nrm.analytics import linkage as L

    t0 = time.perf_counter()
    from nrm.analytics.synthetic.generator import Profile, linkage_pairs

    referrals, linkage_input, truth = linkage_pairs(n, seed=seed, start=START, end=END)
    generator = f"nrm.analytics.synthetic.generator ({Profile.LINKAGE} profile)"
    del referrals
    t_generate = time.perf_counter() - t0

    config = L.LinkageConfig(threshold=threshold, predict_floor=min(SWEEP), memory_limit=memory_limit)
    t = time.perf_counter()
    result = L.link_referrals(linkage_input, config=config)
    t_link = time.perf_counter() - t
    metrics = L.evaluate(result, truth)

    con = duckdb.connect(":memory:")
    con.register("pairs", result.pairs)
    con.register("truth", truth)
    true_pairs = metrics.true_pairs
    sweep = []
    for cut in SWEEP:
        linked, correct = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE a.person = b.person) FROM pairs p
               JOIN truth a ON a.referral_id = p.referral_id_l JOIN truth b ON b.referral_id = p.referral_id_r
               WHERE match_probability >= ?""",
            [cut],
        ).fetchall()[0]
        sweep.append(
            {
                "threshold": cut,
                "linked_pairs": int(linked),
                "precision": round(correct / linked, 4) if linked else None,
                "recall": round(correct / true_pairs, 4) if true_pairs else None,
            }
        )
    con.close()
    report = {
        "referrals": n,
        "generator": generator,
        "threshold": threshold,
        "generate_seconds": round(t_generate, 1),
        "link_seconds": round(t_link, 1),
        "stages": {k: round(v, 1) for k, v in result.timings.items()},
        "scored_pairs": result.n_comparisons,
        "people_true": metrics.true_people,
        "people_estimated": result.n_people,
        "true_pairs": metrics.true_pairs,
        "cluster_pairs": metrics.predicted_pairs,
        "precision": round(metrics.precision, 4),
        "false_link_rate": round(metrics.false_link_rate, 4),
        "recall": round(metrics.recall, 4),
        "repeats": metrics.repeats,
        "repeats_found": metrics.repeats_found,
        "repeat_recall": round(metrics.repeat_recall, 4),
        "edges_by_threshold": sweep,
    }
    out.write_text(json.dumps(report, indent=2))


def run(n: int, seed: int, threshold: float, memory_limit: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nrm-bench-linkage-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            __file__,
            "--child",
            "--referrals",
            str(n),
            "--seed",
            str(seed),
            "--threshold",
            str(threshold),
            "--memory-limit",
            memory_limit,
            "--out",
            str(out),
        ]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"linkage benchmark child failed for n={n}")
        report: dict[str, Any] = json.loads(out.read_text())
    report["wall_seconds"] = round(wall, 1)
    report["peak_memory_mb"] = round(usage.ru_maxrss / 1024)  # Linux: kilobytes
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=None, help="match probability to link at")
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB memory limit")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from nrm.analytics.linkage import LinkageConfig

    threshold = args.threshold if args.threshold is not None else LinkageConfig().threshold
    if args.child:
        assert args.out is not None
        child(args.referrals[0], args.seed, threshold, args.memory_limit, args.out)
        return 0
    results = []
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for n in args.referrals:
        r = run(n, args.seed, threshold, args.memory_limit)
        results.append(r)
        print(
            f"{n:>10,} referrals ({r['generator']}): wall {r['wall_seconds']} s "
            f"(generate {r['generate_seconds']} s, link {r['link_seconds']} s: {r['stages']}), "
            f"peak {r['peak_memory_mb']:,} MB"
        )
        print(
            f"    threshold {r['threshold']}: precision {r['precision']:.3f} (false links {r['false_link_rate']:.1%}), "
            f"pairwise recall {r['recall']:.3f}, repeat referrals found {r['repeats_found']:,}/{r['repeats']:,} "
            f"({r['repeat_recall']:.1%}); people {r['people_estimated']:,} estimated, {r['people_true']:,} true; "
            f"{r['scored_pairs']:,} pairs scored"
        )
        for row in r["edges_by_threshold"]:
            print(
                f"    linked pairs at >= {row['threshold']}: {row['linked_pairs']:,}, precision {row['precision']}, "
                f"recall {row['recall']}"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
