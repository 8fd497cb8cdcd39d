"""Benchmark: disclosure control across linked tables, against the interval attack.

    .venv/bin/python bench/disclosure.py --referrals 17000 170000

For each size: a synthetic extract of 2023 (the generator's ``calibrated`` profile), then the
year's five releases (2023-Q1 to 2023-Q4, then 2023) published one after another, each
protected together with the releases before it (:func:`nrm.analytics.protection.protect`,
every table at threshold 5; the first-responder table at its linked level, by first responder
type and first responder, ADR 0020). Then the attack
(:func:`nrm.analytics.protection.audit_publications`, exact) on all five. The same releases
suppressed one table at a time (the old practice, police-force table only) are attacked too.

Prints, per size: cells protected, recovered exactly (goal 0), narrower than the protection
level, the median feasible-interval width, information loss (share of cells and of people
suppressed; suppression perturbs nothing, so the mean absolute perturbation is 0) and times.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import _common  # repository on the path, bench/ off it

from nrm.analytics import disclosure, engine, extract_io, protection
from nrm.analytics import tables as T
from nrm.analytics.periods import parse_period
from nrm.analytics.synthetic import extract as sx

RELEASES = ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2023")
START, END = date(2023, 1, 1), date(2023, 12, 31)


def _extract(n: int, path: Path) -> None:
    arrays = sx.write_referrals(n, 1, START, END, path)
    stem = path.with_suffix("")
    dtn = sx.generate_duty_to_notify(sx.duty_to_notify_count(n, START, END), 1, START, END)
    sx.write_table(dtn, stem.parent / f"{stem.name}_duty_to_notify.parquet")
    sx.write_table(sx.reviews_for(arrays, 1), stem.parent / f"{stem.name}_reviews.parquet")
    sx.write_table(sx.support_for(arrays, 1), stem.parent / f"{stem.name}_support.parquet")


def _loss(raw: list[engine.TableResult], done: list[engine.TableResult]) -> tuple[int, int, int, int]:
    """(cells, cells suppressed, people in cells, people in suppressed cells) over the non-total cells."""
    cells = hidden = people = hidden_people = 0
    for r, d in zip(raw, done, strict=True):
        k = r.n_dims
        for a, b in zip(r.rows, d.rows, strict=True):
            if T.TOTAL in a[:k] or not isinstance(a[k], int):
                continue
            cells += 1
            people += a[k]
            if b[k] == disclosure.SUPPRESSED:
                hidden += 1
                hidden_people += a[k]
    return cells, hidden, people, hidden_people


def run(n: int, exact: bool = True) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "extract.parquet"
        _extract(n, path)
        con = extract_io.connect()
        extract_io.attach(con, path)
        tables = [T.linked_level(t) for t in T.TABLES]
        controls = {t.id: T.PROTECTED for t in tables}
        linked: list[tuple[str, list[engine.TableResult]]] = []
        old: list[tuple[str, list[engine.TableResult]]] = []
        loss = [0, 0, 0, 0]
        t_protect = 0.0
        for label in RELEASES:
            raw = [engine.compute_table(con, t, parse_period(label)) for t in tables]
            t0 = time.perf_counter()
            done, _cells = protection.protect(raw, release=label, earlier=linked, controls=controls)
            dt = time.perf_counter() - t0
            t_protect += dt
            print(f"  {label}: protected in {dt:.1f} s, {sum(r.suppressed for r in done)} cells suppressed", flush=True)
            linked.append((label, done))
            old.append((label, [disclosure.apply(r) for r in raw]))
            loss = [a + b for a, b in zip(loss, _loss(raw, done), strict=True)]
        t0 = time.perf_counter()
        audit = protection.audit_publications(linked, controls, exact=exact)
        t_audit = time.perf_counter() - t0
        before = protection.audit_publications(old, exact=exact)
        widths = [iv.width for iv in audit.intervals.values() if iv.high is not None]
        print(f"referrals {n:,}: cells protected {audit.protected:,}; recovered exactly {audit.exact} "
              f"(one table at a time: {before.exact} of {before.protected}); narrower than the protection level "
              f"{audit.narrow}; median feasible-interval width {statistics.median(widths) if widths else 'unbounded'}"
              f" ({len(widths)} bounded of {audit.protected}); cells suppressed {loss[1]:,} of {loss[0]:,} "
              f"({100 * loss[1] / max(loss[0], 1):.1f}%), people in them {100 * loss[3] / max(loss[2], 1):.1f}%; "
              f"mean absolute perturbation 0; protection {t_protect:.1f} s for five releases; {'exact' if exact else 'fast'} audit "
              f"{t_audit:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, nargs="+", default=[17000, 170000])
    parser.add_argument("--fast-audit", action="store_true",
                        help="solve a cell only until its interval is shown wide enough (the same exact and narrow "
                        "counts; the median width is then a lower estimate)")
    options = parser.parse_args()
    print(f"machine: {_common.cpu_model()}")
    for n in options.referrals:
        run(n, exact=not options.fast_audit)


if __name__ == "__main__":
    main()
