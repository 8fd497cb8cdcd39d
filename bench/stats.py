"""Benchmark: the statistics publication against a straightforward pandas implementation.

    .venv/bin/python bench/stats.py --referrals 1000000 10000000

For each size: build a synthetic extract (the generator's ``calibrated`` profile, or its ``fixture``
profile with ``--generator fixtures``), prepare a statistics store as a publication finds it (the back
series imported, the previous period published: untimed), then in separate child
processes time

- ``publish``: the full publication with that store (the data-quality report, every
  table with the time series from 2009, the previous period's tables recomputed for
  revisions, disclosure control, workbook, CSVs, charts, bulletin, manifest, and the
  figures stored);
- ``engine``: computing the tables only (DuckDB);
- ``pandas``: the same tables with pandas (read the Parquet, one ``groupby`` per grouping
  set of each table);
- ``scan``: one DuckDB grouped scan of the same extract (referrals by quarter and eight
  dimensions), the baseline the whole publication is held to (within 10x).

Each child's wall time is measured by the parent and its peak memory is the child's own
``ru_maxrss`` (from ``os.wait4``). The engine and pandas children print a digest of every
table so the two implementations are checked against each other. Targets at 10M
referrals on 2 cores: publication under 30 s and 2 GB, at least 10x faster than pandas.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import _common  # repository on the path, bench/ off it

ROOT = _common.ROOT

START, END = date(2019, 1, 1), date(2024, 12, 31)


# ---------------------------------------------------------------------------
# Children


def _generate(n: int, path: Path, seed: int, generator: str) -> str:
    """Write an extract of ``n`` referrals to ``path`` with the synthetic-data generator: the
    ``calibrated`` profile (streamed to the file, so that millions of referrals fit in memory)
    unless ``generator`` is ``fixtures`` (the ``fixture`` profile)."""
    from nrm.analytics import extract_io
    from nrm.analytics.synthetic import extract as sx
    from nrm.analytics.synthetic.generator import Profile, fixture_extract

    if generator == "fixtures":
        extract_io.write_extract(fixture_extract(n, seed=seed, start=START, end=END), path)
        return f"nrm.analytics.synthetic.generator ({Profile.FIXTURE} profile)"
    arrays = sx.write_referrals(n, seed, START, END, path)
    stem = path.with_suffix("")
    dtn = sx.generate_duty_to_notify(sx.duty_to_notify_count(n, START, END), seed, START, END)
    sx.write_table(dtn, stem.parent / f"{stem.name}_duty_to_notify.parquet")
    sx.write_table(sx.reviews_for(arrays, seed), stem.parent / f"{stem.name}_reviews.parquet")
    sx.write_table(sx.support_for(arrays, seed), stem.parent / f"{stem.name}_support.parquet")
    return f"nrm.analytics.synthetic.generator ({Profile.CALIBRATED} profile, streamed)"


def _digest(rows: list[tuple[Any, ...]]) -> str:
    def norm(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.1f}"
        return str(v)

    lines = sorted("\x1f".join(norm(v) for v in r) for r in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _previous(period: str) -> str:
    """The period published before ``period`` (the quarter or year before)."""
    from nrm.analytics.periods import parse_period

    p = parse_period(period)
    return p.last_quarter.previous().label if p.is_quarter else str(p.start.year - 1)


def _overrides() -> list[Any]:
    """Overrides of every blocking data-quality check: the synthetic data follow the
    published figures, whose real shifts between categories (2023) the checks flag at a
    million referrals. The checks still run (and are timed); the overrides are recorded."""
    from nrm.analytics import quality

    return [
        quality.Override(check, "benchmark on synthetic data", by="bench/stats.py")
        for check, (_title, blocking) in quality.CHECKS.items()
        if blocking
    ]


def _child_prepare_store(path: Path, period: str, store: Path, out: Path, threads: int | None) -> dict[str, Any]:
    """A statistics store as a publication finds it: the back series imported and the
    previous period published (so that the timed publication finds its revisions)."""
    from nrm.analytics import backseries, storage
    from nrm.analytics.publish import publish

    t = time.perf_counter()
    backseries.import_published(into=storage.back_series_dir(store))
    publish(path, _previous(period), out, progress=False, threads=threads, store=store, quality_overrides=_overrides())
    return {"seconds": time.perf_counter() - t, "previous": _previous(period)}


def _child_publish(path: Path, period: str, out: Path, threads: int | None, store: Path | None) -> dict[str, Any]:
    from nrm.analytics.publish import publish

    t = time.perf_counter()
    m = publish(path, period, out, progress=False, threads=threads, store=store, quality_overrides=_overrides())
    return {
        "seconds": time.perf_counter() - t,
        "rows": {x.id: x.rows for x in m.tables},
        "revised": m.revisions.get("revised_figures"),
        "quality": m.quality.get("checks"),
        "overridden": [o["check"] for o in m.quality.get("overrides", [])],
    }


def _child_engine(path: Path, period: str, threads: int | None) -> dict[str, Any]:
    from nrm.analytics import engine, extract_io
    from nrm.analytics.periods import parse_period

    t = time.perf_counter()
    con = extract_io.connect(threads=threads)
    extract_io.attach(con, path)
    results = engine.compute_all(con, parse_period(period))
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "digests": {k: _digest(v.rows) for k, v in results.items()}}


def _child_scan(path: Path, threads: int | None) -> dict[str, Any]:
    """The baseline the publication is held to: one DuckDB grouped scan of the same extract
    (referrals by quarter and the dimensions the tables break them down by)."""
    import duckdb

    t = time.perf_counter()
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    rows = con.execute(
        "SELECT year(referral_date) * 10 + quarter(referral_date) AS q, age_at_exploitation, gender, "  # noqa: S608
        "exploitation_types, nationality, first_responder_type, competent_authority, police_force, count(*) "
        f"FROM read_parquet('{path}') GROUP BY ALL"
    ).fetchall()
    return {"seconds": time.perf_counter() - t, "groups": len(rows)}


def _child_pandas(path: Path, period: str) -> dict[str, Any]:
    t = time.perf_counter()
    results = pandas_tables(path, period)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "digests": {k: _digest(v) for k, v in results.items()}}


# ---------------------------------------------------------------------------
# The pandas implementation


def pandas_tables(path: Path, period_text: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of :data:`nrm.analytics.tables.TABLES`, computed with pandas."""
    from nrm.analytics import tables as T

    baseline = _PandasTables(path, period_text)
    return {table.id: baseline.rows(table) for table in T.TABLES}


_DATE_COLUMN = {
    "referrals": "referral_date",
    "decisions": "decision_date",
    "duty_to_notify": "report_date",
    "reviews": "referred_date",
    "support": "start_date",
}


class _PandasTables:
    """The straightforward pandas baseline: read the Parquet, one ``groupby`` per grouping set."""

    def __init__(self, path: Path, period_text: str) -> None:
        import pandas as pd

        from nrm.analytics import extract_io
        from nrm.analytics.engine import series_quarters
        from nrm.analytics.periods import parse_period

        self.pd = pd
        period = parse_period(period_text)
        self.frames = {name: pd.read_parquet(f) for name, f in extract_io.sibling_paths(path).items()}
        self.start, self.end = pd.Timestamp(period.start), pd.Timestamp(period.end)
        self.series_start = pd.Timestamp(series_quarters(period, 8)[0].start)
        self.decisions = self._decisions(self.frames["referrals"])
        self.dims: dict[str, Callable[[Any], Any]] = {
            "Age at exploitation": lambda df: df["age_at_exploitation"],
            "Location of exploitation": lambda df: df["location_of_exploitation"],
            "Exploitation type": lambda df: df["exploitation_types"].map(
                {v: self._exploitation_label(v) for v in df["exploitation_types"].unique()}
            ),
            "Gender": lambda df: df["gender"],
            "Nationality": lambda df: df["nationality"].str.replace(";", " ", regex=False),
            "First responder type": lambda df: df["first_responder_type"],
            "First responder": lambda df: df["first_responder"],
            "Competent authority": lambda df: df["competent_authority"],
            "Region": lambda df: self._overseas(df, "region"),
            "Police force area": lambda df: self._overseas(df, "police_force"),
            "Outcome": lambda df: df["outcome"].fillna("Under review"),
            "Reason": lambda df: df["reason"].fillna("Not recorded"),
            "Time since referral": self._awaiting_band,
            "Review": lambda df: df["review_kind"],
            "Support": lambda df: df["kind"],
            "Provider": lambda df: df["provider_type"],
        }

    def ts(self, s: Any) -> Any:
        return self.pd.to_datetime(s)

    def _decisions(self, ref: Any) -> Any:
        ref_date = self.ts(ref["referral_date"])
        return self.pd.concat(
            [
                self.pd.DataFrame(
                    {
                        "stage": name,
                        "decision_date": self.ts(ref[f"{p}_date"]),
                        "outcome": ref[f"{p}_outcome"],
                        "reason": ref[f"{p}_reason"],
                        "days": (self.ts(ref[f"{p}_date"]) - ref_date).dt.days,
                        "age_at_exploitation": ref["age_at_exploitation"],
                        "competent_authority": ref["competent_authority"],
                    }
                )[ref[f"{p}_outcome"].notna()]
                for p, name in (("rg", "Reasonable Grounds"), ("cg", "Conclusive Grounds"))
            ],
            ignore_index=True,
        )

    @staticmethod
    def _exploitation_label(v: str) -> str:
        from nrm.analytics import tables as T

        parts = [t for t in T.EXPLOITATION_ORDER if t in v.split(";")]
        if not parts:
            return "Not specified or unknown"
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " & " + parts[-1]

    @staticmethod
    def _overseas(df: Any, col: str) -> Any:
        fill = df["location_of_exploitation"].map(
            lambda v: "Overseas" if v == "Overseas" else "Not specified or unknown"
        )
        return df[col].fillna(fill)

    def _awaiting_band(self, df: Any) -> Any:
        d = self.ts(df["referral_date"])
        out = self.pd.Series("2 years or more", index=df.index)
        for months, label in (
            (24, "1 to 2 years"),
            (12, "6 months to 1 year"),
            (6, "3 to 6 months"),
            (3, "Under 3 months"),
        ):
            out = out.mask(d > self.end - self.pd.DateOffset(months=months), label)
        return out

    def _snapshot(self, df: Any) -> Any:
        """Positive RG by the period's end, no CG yet, not closed: those awaiting a CG."""
        end, ts = self.end, self.ts
        closed = df["status"].isin(["Withdrawn", "Suspended", "Disqualified"]) & (
            ts(df["status_date"].fillna(df["referral_date"])) <= end
        )
        cg = ts(df["cg_date"])
        return df[
            (df["rg_outcome"] == "Positive")
            & (ts(df["rg_date"]) <= end)
            & (ts(df["referral_date"]) <= end)
            & (cg.isna() | (cg > end))
            & ~closed
        ]

    def source(self, table: Any) -> Any:
        df = self.decisions if table.source == "decisions" else self.frames.get(table.source)
        if df is None:
            return self.pd.DataFrame()
        if table.snapshot:
            return self._snapshot(df)
        d = self.ts(df[_DATE_COLUMN[table.source]])
        first = self.series_start if table.time_series else self.start
        df = df[(d >= first) & (d <= self.end)]
        filters = (
            (table.id.startswith("rg_"), lambda f: f["stage"] == "Reasonable Grounds"),
            (table.id.startswith("cg_"), lambda f: f["stage"] == "Conclusive Grounds"),
            (table.id.endswith("negative_reasons"), lambda f: f["outcome"] == "Negative"),
            (table.id == "referrals_county_lines", lambda f: f["county_lines"]),
        )
        for applies, keep in filters:
            if applies:
                df = df[keep(df)]
        return df

    def column(self, table: Any, dimension: Any, df: Any) -> Any:
        if dimension.name == "Quarter":
            d = self.ts(df[_DATE_COLUMN[table.source]])
            col = d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str)
        elif dimension.name == "Decision" and table.source == "decisions":
            col = df["stage"]
        elif dimension.name == "Decision":
            col = df["decision_stage"].map({"RG": "Reasonable Grounds", "CG": "Conclusive Grounds"})
        else:
            col = self.dims[dimension.name](df)
        if dimension.top is not None:
            ranked = sorted(col.value_counts().items(), key=lambda kv: (-kv[1], kv[0]))[: dimension.top]
            col = col.where(col.isin({k for k, _ in ranked}), dimension.other)
        return col

    def rows(self, table: Any) -> list[tuple[Any, ...]]:
        from nrm.analytics.engine import grouping_sets

        df = self.source(table)
        frame = self.pd.DataFrame({d.name: self.column(table, d, df) for d in table.dimensions})
        if table.statistics:
            frame["days"] = df["days"].to_numpy()
        names = [d.name for d in table.dimensions]
        rows: list[tuple[Any, ...]] = []
        for gs in grouping_sets(table):
            keys = [names[i] for i in gs]
            rows.extend(self._statistics_rows(frame, keys, names) if table.statistics
                        else self._count_rows(frame, keys, names))
        return rows

    def _count_rows(self, frame: Any, keys: list[str], names: list[str]) -> list[tuple[Any, ...]]:
        from nrm.analytics import tables as T

        if not keys:
            return [(*(T.TOTAL for _ in names), len(frame))]
        out = []
        for key, n in frame.groupby(keys, sort=False).size().items():
            labels = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            out.append((*(labels.get(name, T.TOTAL) for name in names), int(n)))
        return out

    def _statistics_rows(self, frame: Any, keys: list[str], names: list[str]) -> list[tuple[Any, ...]]:
        from nrm.analytics import tables as T

        if keys:
            g = frame.groupby(keys, sort=False)["days"].agg(["size", "median", "sum"])
        else:
            s = frame["days"]
            g = self.pd.DataFrame({"size": [len(s)], "median": [s.median()], "sum": [s.sum()]})
        out = []
        for key, r in g.iterrows():
            labels = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)) if keys else {}
            out.append(
                (
                    *(labels.get(n, T.TOTAL) for n in names),
                    int(r["size"]),
                    round(float(r["median"]), 1),
                    round(float(r["sum"]) / int(r["size"]), 1),
                )
            )
        return out


# ---------------------------------------------------------------------------
# Parent


def _run_child(args: list[str]) -> tuple[dict[str, Any], float, float]:
    """Run this script as a child; returns its JSON result (with the child's CPU seconds,
    user + system, under ``cpu``), wall seconds and peak RSS in MiB."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *args], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child {args[:2]} failed with status {proc.returncode}")
    lines = output.decode().strip().splitlines()
    result = json.loads(lines[-1])
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result, wall, usage.ru_maxrss / 1024.0


def _run_as_child(args: argparse.Namespace) -> dict[str, Any]:
    kind, *rest = args.child
    threads = args.threads
    children: dict[str, Callable[[], dict[str, Any]]] = {
        "generate": lambda: {"generator": _generate(int(rest[0]), Path(rest[1]), args.seed, args.generator)},
        "prepare-store": lambda: _child_prepare_store(Path(rest[0]), args.period, Path(rest[1]), Path(rest[2]),
                                                      threads),
        "publish": lambda: _child_publish(Path(rest[0]), args.period, Path(rest[1]), threads,
                                          Path(rest[2]) if len(rest) > 2 else None),
        "engine": lambda: _child_engine(Path(rest[0]), args.period, threads),
        "pandas": lambda: _child_pandas(Path(rest[0]), args.period),
        "scan": lambda: _child_scan(Path(rest[0]), threads),
    }
    if kind not in children:
        raise SystemExit(f"unknown child {kind}")
    return children[kind]()


def _measure(n: int, args: argparse.Namespace, common: list[str], tmp: Path) -> str:
    """Generate (or reuse) an extract of n referrals, time publish, engine and pandas; the summary line."""
    work = Path(args.workdir) / f"n{n}_seed{args.seed}_{args.generator}" if args.workdir else tmp
    work.mkdir(parents=True, exist_ok=True)
    path = work / "extract.parquet"
    if path.exists():
        print(f"\n{n:,} referrals: reusing {path}")
    else:
        gen, gen_wall, gen_mem = _run_child([*common, "--child", "generate", str(n), str(path)])
        print(
            f"\n{n:,} referrals: generated with {gen['generator']} in {gen_wall:.1f} s (peak {gen_mem:.0f} MiB)"
        )
    size = sum(p.stat().st_size for p in work.glob("extract*.parquet"))
    print(f"  extract: {size / 1e6:.0f} MB of Parquet")
    store = tmp / "store"
    prep, prep_wall, _ = _run_child(
        [*common, "--child", "prepare-store", str(path), str(store), str(tmp / "previous")]
    )
    print(f"  store prepared (back series, {prep['previous']} published) in {prep_wall:.1f} s (untimed)")
    pub, pub_wall, pub_mem = _run_child(
        [*common, "--child", "publish", str(path), str(tmp / "out"), str(store)]
    )
    print(
        f"  publish: {pub_wall:.2f} s wall, {pub['cpu']:.2f} s CPU, peak {pub_mem:.0f} MiB; "
        f"referrals_by_first_responder has {pub['rows']['referrals_by_first_responder']:,} rows; "
        f"{pub['revised']:,} figures revised; quality checks {pub['quality']}"
        + (f" (overridden: {', '.join(pub['overridden'])})" if pub["overridden"] else "")
    )
    eng, eng_wall, eng_mem = _run_child([*common, "--child", "engine", str(path)])
    print(f"  engine (tables only): {eng_wall:.2f} s wall, {eng['cpu']:.2f} s CPU, peak {eng_mem:.0f} MiB")
    scan, scan_wall, _ = _run_child([*common, "--child", "scan", str(path)])
    print(f"  one DuckDB grouped scan of the extract: {scan_wall:.2f} s wall ({scan['seconds']:.2f} s in the query, "
          f"{scan['groups']:,} groups); publish / scan = {pub_wall / scan_wall:.1f}x (target: within 10x)")
    line = (
        f"{n:>11,} | publish {pub_wall:6.2f} s wall {pub['cpu']:6.2f} s CPU {pub_mem:6.0f} MiB"
        f" | engine {eng_wall:6.2f} s | scan {scan_wall:5.2f} s, publish {pub_wall / scan_wall:4.1f}x"
    )
    if not args.skip_pandas:
        pds, pd_wall, pd_mem = _run_child([*common, "--child", "pandas", str(path)])
        same = [k for k in eng["digests"] if eng["digests"][k] == pds["digests"].get(k)]
        differ = sorted(set(eng["digests"]) - set(same))
        print(f"  pandas (tables only): {pd_wall:.2f} s wall, {pds['cpu']:.2f} s CPU, peak {pd_mem:.0f} MiB")
        print(
            f"  pandas / publish = {pd_wall / pub_wall:.1f}x wall, {pds['cpu'] / pub['cpu']:.1f}x CPU; "
            f"pandas / engine = {pd_wall / eng_wall:.1f}x wall, {pds['cpu'] / eng['cpu']:.1f}x CPU; "
            f"tables identical in both: {len(same)}/{len(eng['digests'])}"
            + (f" (differ: {', '.join(differ)})" if differ else "")
        )
        line += (
            f" | pandas {pd_wall:7.2f} s {pd_mem:6.0f} MiB | {pd_wall / pub_wall:5.1f}x wall "
            f"{pds['cpu'] / pub['cpu']:5.1f}x CPU vs publish"
        )
    if n >= 10_000_000:
        ok = pub_wall < 30 and pub_mem < 2048
        print(f"  targets (publish < 30 s and < 2 GB): {'met' if ok else 'NOT met'}")
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the NRM statistics publication")
    parser.add_argument("--referrals", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--period", default="2024", help="the period to publish (default 2024)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--generator", choices=("auto", "synth", "fixtures"), default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument(
        "--workdir",
        default=None,
        help="keep the generated extracts here and reuse them (default: a temporary directory)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(_run_as_child(args)))
        return 0

    print(f"CPU: {_common.cpu_model()}; cores: {os.cpu_count()}; Python {platform.python_version()}; period {args.period}")
    print(
        f"load average at start: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (other work on the machine inflates wall times)"
    )
    common = ["--period", args.period, "--seed", str(args.seed), "--generator", args.generator]
    if args.threads:
        common += ["--threads", str(args.threads)]
    summary: list[str] = []
    for n in args.referrals:
        with tempfile.TemporaryDirectory(prefix="nrm-stats-bench-") as tmp:
            summary.append(_measure(n, args, common, Path(tmp)))
    print("\nSummary")
    for line in summary:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
