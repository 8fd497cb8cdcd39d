"""Compare a generated referrals table with the published statistics it is calibrated to.

Each :class:`Row` is one check for one year: referral totals (within 1% of the published total
scaled to the table), shares of age, gender, exploitation type and first-responder type (within
2 percentage points), and the top-10 nationality ranks for 2019-2023 (equal). RG decision volumes
and positive rates are checked too (5% and 3 points); CG figures and the CG backlog are shown for
information (``passed`` is None), because published CG decisions include cases referred before
the table's span.

Targets come from :class:`nrm.analytics.synthetic.model.SpanModel`, the same arrays the generator samples from.
Age shares are the published quarterly figures; referral totals the published quarterly totals
(2024 from the bulletin's annual figure). Gender, exploitation-type, first-responder-type and
nationality targets are the calibrated distributions: the published first-responder tables for
2022 Q2-2023 Q3 and those six quarters pooled for other quarters, with criminal exploitation,
unknown age and dual nationality not recorded before 2019-10-01. Those rows check the generator
against its own inputs.

The rows named "Published ... share (%)" check it against the Home Office's published figures
themselves: every headline share of ``data/published/headlines.csv`` (competent authority,
nationality, criminal exploitation only, gender, government agencies as first responder) for a
year or quarter the table covers in full, within 2 percentage points, each with its source.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from nrm.analytics import extract_schema as xs
from nrm.analytics.synthetic.calibration import FRT, load_calibration, quarter_end, quarter_index
from nrm.analytics.synthetic.headlines import MEASURES, Headline, load_headlines
from nrm.analytics.synthetic.model import SpanModel

__all__ = ["NATIONALITY_NOTE", "Row", "calibration_report", "format_report", "report_chart"]

TOTAL_TOLERANCE = 0.01
SHARE_TOLERANCE = 2.0  # percentage points
RG_VOLUME_TOLERANCE = 0.05
RG_RATE_TOLERANCE = 3.0
NATIONALITY_YEARS = range(2019, 2024)

INPUT_NOTE = (
    "the calibration's input for the year (the first-responder tables, before the nationality mix is moved to the "
    "published one), shown for information: the rows named Published are the checks against the published figures"
)
NATIONALITY_NOTE = (
    "Target ranks come from the nationality distribution the generator is calibrated to: the published "
    "first-responder tables (Government agency, NGO, Local authority) for 2022 Q2-2023 Q3, those six quarters "
    "pooled for every other quarter (the published data give no nationality breakdown outside them), weighted by "
    "each quarter's published age mix, with one nationality recorded before 2019-10-01."
)


@dataclass(frozen=True)
class Row:
    """One check. ``passed`` is None for rows shown for information only."""

    year: int
    measure: str
    category: str
    target: float
    actual: float
    tolerance: str
    passed: bool | None
    note: str = ""

    def __post_init__(self) -> None:
        # Plain Python values (NumPy scalars would make ``passed is False`` checks lie).
        object.__setattr__(self, "year", int(self.year))
        object.__setattr__(self, "target", float(self.target))
        object.__setattr__(self, "actual", float(self.actual))
        if self.passed is not None:
            object.__setattr__(self, "passed", bool(self.passed))

    @property
    def difference(self) -> float:
        return self.actual - self.target


def _infer_span(frame: pl.DataFrame) -> tuple[date, date]:
    first, last = frame["referral_date"].min(), frame["referral_date"].max()
    assert isinstance(first, date)
    assert isinstance(last, date)
    return first, last


def calibration_report(
    table: pa.Table,
    *,
    start: date | None = None,
    end: date | None = None,
    data_dir: str | Path | None = None,
) -> list[Row]:
    """Compare ``table`` (extract_schema.REFERRALS) with its targets, year by year. ``start`` and
    ``end`` default to the first and last referral dates in the table."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if frame.height == 0:
        return []
    s0, s1 = _infer_span(frame)
    start, end = start or s0, end or s1
    cal = load_calibration(data_dir)
    model = SpanModel(cal, frame.height, start, end)
    expected = model.expected_by_quarter()
    years = model.years
    frame = frame.with_columns(pl.col("referral_date").dt.year().alias("_year"))
    rows: list[Row] = []

    def by_year(values: np.ndarray, year: int) -> np.ndarray:
        out: np.ndarray = values[years == year].sum(axis=0)
        return out

    for year in sorted(set(years.tolist())):
        part = frame.filter(pl.col("_year") == year)
        n_year = part.height
        target_total = float(model.n * model.weight[years == year].sum() / model.weight.sum())
        rows.append(Row(year, "Referrals", "Total", target_total, float(n_year), "±1%",
                        abs(n_year - target_total) <= TOTAL_TOLERANCE * target_total))
        if n_year == 0:
            continue
        shares: list[tuple[str, tuple[str, ...], np.ndarray, pl.Series]] = [
            ("Age share (%)", xs.AGES, by_year(expected["age"], year), part["age_at_exploitation"]),
            ("Gender share (%)", xs.GENDERS, by_year(expected["gender"], year), part["gender"]),
            ("First-responder type share (%)", FRT, by_year(expected["type"], year), part["first_responder_type"]),
        ]
        for measure, cats, exp, column in shares:
            counts = column.value_counts()
            got = dict(zip(counts[column.name].to_list(), counts["count"].to_list(), strict=True))
            for i, cat in enumerate(cats):
                t = 100.0 * exp[i] / exp.sum()
                a = 100.0 * got.get(cat, 0) / n_year
                checked = measure.startswith("Age")  # the published quarterly age mix; the rest are inputs
                rows.append(Row(year, measure, cat, t, a, "±2 pp" if checked else "input",
                                abs(a - t) <= SHARE_TOLERANCE if checked else None,
                                "" if checked else INPUT_NOTE))
        exp = by_year(expected["exploitation"], year)
        n_exp = by_year(expected["age"], year).sum()
        for i, cat in enumerate(xs.EXPLOITATION_TYPES):
            t = 100.0 * exp[i] / n_exp
            has = part["exploitation_types"].str.split(xs.LIST_SEPARATOR).list.contains(cat)
            a = 100.0 * float(has.sum()) / n_year
            rows.append(Row(year, "Exploitation type share (%)", cat, t, a, "input", None,
                            f"a referral counts under each type it records; {INPUT_NOTE}"))
        if year in NATIONALITY_YEARS:
            rows.extend(_nationality_rows(year, by_year(expected["nationality"], year), cal.nationalities, part))
    rows.extend(_decision_rows(frame, model))
    rows.extend(_published_rows(frame, load_headlines(data_dir)))
    return rows


def _published_rows(frame: pl.DataFrame, headlines: Sequence[Headline]) -> list[Row]:
    """Every published headline share of a year or quarter the table covers in full, against the
    generated share (2 percentage points either way)."""
    frame = frame.with_columns(pl.col("referral_date").dt.quarter().alias("_quarter"))
    first, last = _infer_span(frame)
    out: list[Row] = []
    for h in headlines:
        year = h.year
        quarter = int(h.period[-1]) if "-Q" in h.period else None
        start = date(year, 3 * (quarter or 1) - 2, 1)
        end = date(year, 12, 31) if quarter is None else quarter_end(quarter_index(start))
        if start < first.replace(day=1) or end > last:
            continue  # the table does not cover the period in full
        part = frame.filter(pl.col("_year") == year)
        if quarter is not None:
            part = part.filter(pl.col("_quarter") == quarter)
        if h.age:
            part = part.filter(pl.col("age_at_exploitation") == h.age)
        if part.height == 0:
            continue
        actual = 100.0 * float((part[MEASURES[h.measure]] == h.category).sum()) / part.height
        who = {"Adult (18 or over)": "adults", "Child (17 or under)": "children"}.get(h.age, h.age)
        label = ", ".join(x for x in (h.category, who, h.period if quarter is not None else "") if x)
        out.append(Row(year, f"Published {h.measure.replace('_', ' ')} share (%)", label, h.share, actual, "±2 pp",
                       abs(actual - h.share) <= SHARE_TOLERANCE, h.source))
    return out


def _nationality_rows(year: int, exp: np.ndarray, names: tuple[str, ...], part: pl.DataFrame) -> list[Row]:
    target_order = sorted(range(len(names)), key=lambda i: (-exp[i], names[i]))
    expected_count = {names[i]: exp[i] for i in range(len(names))}
    counts = part["nationality"].value_counts()
    got = dict(zip(counts["nationality"].to_list(), counts["count"].to_list(), strict=True))
    generated_order = sorted(got, key=lambda k: (-got[k], k))
    rank_of = {nat: r + 1 for r, nat in enumerate(generated_order)}
    out = []
    for r in range(10):
        nat = names[target_order[r]]
        actual = rank_of.get(nat, 0)
        # A tie in the target (equal expected counts) makes either order right.
        at_rank = generated_order[r] if r < len(generated_order) else ""
        tied = abs(expected_count.get(at_rank, -1.0) - expected_count[nat]) < 1e-9
        out.append(Row(year, "Nationality rank", nat, float(r + 1), float(actual), "equal",
                       actual == r + 1 or tied, NATIONALITY_NOTE if r == 0 else ""))
    return out


def _decision_rows(frame: pl.DataFrame, model: SpanModel) -> list[Row]:
    cal = model.cal
    out: list[Row] = []
    s = model.scale
    end = model.end
    for stage, column, outcome, made in (
        ("RG", "rg_date", "rg_outcome", cal.rg_decisions),
        ("CG", "cg_date", "cg_outcome", cal.cg_decisions),
    ):
        decided = frame.filter(pl.col(column).is_not_null())
        decided = decided.with_columns(pl.col(column).dt.year().alias("_dyear"))
        for year in sorted(set(model.years.tolist())):
            qs = [int(q) for q, f in zip(model.qis, model.fraction, strict=True) if q // 4 == year]
            if not qs:
                continue
            frac = {int(q): float(f) for q, f in zip(model.qis, model.fraction, strict=True)}
            published = np.sum([made(q) * frac[q] for q in qs], axis=0)
            sub = decided.filter(pl.col("_dyear") == year)
            target_n = float(published.sum()) * s
            target_rate = 100.0 * float(published[:, 0].sum() / max(published.sum(), 1e-12))
            rate = 100.0 * float((sub[outcome] == "Positive").sum()) / max(sub.height, 1)
            full_year = date(year, 1, 1) >= model.start and date(year, 12, 31) <= end
            checked = stage == "RG" and full_year and year != model.start.year
            out.append(Row(year, f"{stage} decisions made", "Total", target_n, float(sub.height),
                           "±5%" if checked else "info",
                           abs(sub.height - target_n) <= RG_VOLUME_TOLERANCE * target_n if checked else None,
                           "" if checked else "published figure includes decisions on earlier referrals"))
            out.append(Row(year, f"{stage} positive rate (%)", "Positive", target_rate, rate,
                           "±3 pp" if checked else "info",
                           abs(rate - target_rate) <= RG_RATE_TOLERANCE if checked else None))
    # CG backlog at each year end, in published units (scaled back), for information.
    first_q = min(cal.rg)
    for year in sorted(set(model.years.tolist())):
        t = min(date(year, 12, 31), end)
        backlog = float(sum(float(cal.rg_decisions(q)[:, 0].sum() - cal.cg_decisions(q).sum())
                            for q in range(first_q, quarter_index(t) + 1)))
        waiting = frame.filter(
            (pl.col("rg_outcome") == "Positive") & (pl.col("rg_date") <= t)
            & (pl.col("cg_date").is_null() | (pl.col("cg_date") > t))
            & ~(pl.col("status").is_in(["Withdrawn", "Suspended", "Disqualified"]) & (pl.col("status_date") <= t))
        ).height
        out.append(Row(year, "Awaiting CG at year end (published units)", "Total", backlog, waiting / s,
                       "info", None,
                       "target: positive RGs less CGs published since 2014; generated: this span's referrals only"))
    return out


def format_report(rows: Sequence[Row]) -> str:
    """The rows as a fixed-width text table with a summary line."""
    headers = ("Year", "Measure", "Category", "Target", "Generated", "Diff", "Tolerance", "Result")
    body = []
    for r in rows:
        if r.measure == "Nationality rank":
            t, a, d = f"{r.target:.0f}", f"{r.actual:.0f}", f"{r.difference:+.0f}"
        elif "(%)" in r.measure:
            t, a, d = f"{r.target:.1f}", f"{r.actual:.1f}", f"{r.difference:+.1f}"
        else:
            t, a, d = f"{r.target:,.0f}", f"{r.actual:,.0f}", f"{r.difference:+,.0f}"
        result = "info" if r.passed is None else ("pass" if r.passed else "FAIL")
        body.append((str(r.year), r.measure, r.category, t, a, d, r.tolerance, result))
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(headers)]
    right = {3, 4, 5}

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                              strict=True)))

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(b) for b in body]
    checked = [r for r in rows if r.passed is not None]
    failed = [r for r in checked if not r.passed]
    lines.append("")
    lines.append(f"{len(checked)} checks: {len(checked) - len(failed)} passed, {len(failed)} failed"
                 f" ({len(rows) - len(checked)} rows for information).")
    lines.append("Nationality ranks: " + NATIONALITY_NOTE)
    return "\n".join(lines)


def report_chart(rows: Sequence[Row], path: str | Path) -> Path:
    """An SVG chart of the report: referral totals by year (target bars, generated marks) and every
    share's difference from its target against the ±2 pp band. Plain SVG with <title> and <desc>."""
    p = Path(path)
    totals = [r for r in rows if r.measure == "Referrals"]
    shares = [r for r in rows if "share" in r.measure]
    checked = [r for r in rows if r.passed is not None]
    failed = [r for r in checked if not r.passed]
    years = sorted({r.year for r in totals})
    width, height = 880, 620
    left, right_margin = 80, 30
    plot_w = width - left - right_margin
    out: list[str] = []
    e = html.escape
    title = "Synthetic NRM referrals compared with the published statistics"
    desc = (f"{len(checked)} checks, {len(checked) - len(failed)} passed, {len(failed)} failed. "
            "Top panel: referrals by year, published total scaled to the table (bars) and generated (marks): "
            + "; ".join(f"{r.year}: target {r.target:,.0f}, generated {r.actual:,.0f}" for r in totals)
            + ". Bottom panel: difference between generated and target share, in percentage points, for every "
              f"age, gender, exploitation-type and first-responder-type share; the band is the ±{SHARE_TOLERANCE:g} "
              f"point tolerance. Largest difference: "
            + (f"{max(abs(r.difference) for r in shares):.2f} points." if shares else "none."))
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="title desc">')
    out.append(f'<title id="title">{e(title)}</title>')
    out.append(f'<desc id="desc">{e(desc)}</desc>')
    out.append('<rect width="100%" height="100%" fill="#ffffff"/>')
    out.append(f'<text x="{left}" y="28" font-family="Arial, sans-serif" font-size="18" fill="#0b0c0c">'
               f'{e(title)}</text>')
    # Panel 1: totals.
    top, p1_h = 60, 220
    vmax = max([r.target for r in totals] + [r.actual for r in totals] + [1.0]) * 1.1
    slot = plot_w / max(len(years), 1)
    out.append(f'<text x="{left}" y="{top - 8}" font-family="Arial, sans-serif" font-size="14" fill="#0b0c0c">'
               'Referrals by year: target (bar) and generated (mark)</text>')
    for k in range(5):
        v = vmax * k / 4
        y = top + p1_h - p1_h * k / 4
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-family="Arial, sans-serif" '
                   f'font-size="11" fill="#505a5f">{v:,.0f}</text>')
    for i, r in enumerate(totals):
        x = left + slot * i + slot * 0.2
        bw = slot * 0.6
        bh = p1_h * r.target / vmax
        out.append(f'<rect x="{x:.1f}" y="{top + p1_h - bh:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
                   f'fill="#1d70b8"><title>{r.year} target {r.target:,.0f}</title></rect>')
        ay = top + p1_h - p1_h * r.actual / vmax
        colour = "#00703c" if r.passed else "#d4351c"
        out.append(f'<line x1="{x - 4:.1f}" x2="{x + bw + 4:.1f}" y1="{ay:.1f}" y2="{ay:.1f}" stroke="{colour}" '
                   f'stroke-width="4"><title>{r.year} generated {r.actual:,.0f}</title></line>')
        out.append(f'<text x="{x + bw / 2:.1f}" y="{top + p1_h + 16}" text-anchor="middle" '
                   f'font-family="Arial, sans-serif" font-size="12" fill="#0b0c0c">{r.year}</text>')
    # Panel 2: share differences.
    top2, p2_h = 360, 200
    span = max(3.0, max((abs(r.difference) for r in shares), default=0.0) * 1.2)
    out.append(f'<text x="{left}" y="{top2 - 14}" font-family="Arial, sans-serif" font-size="14" fill="#0b0c0c">'
               'Generated minus target share (percentage points), all shares, by year</text>')

    def ypos(v: float) -> float:
        return top2 + p2_h / 2 - (p2_h / 2) * v / span

    out.append(f'<rect x="{left}" y="{ypos(SHARE_TOLERANCE):.1f}" width="{plot_w}" '
               f'height="{ypos(-SHARE_TOLERANCE) - ypos(SHARE_TOLERANCE):.1f}" fill="#cce2d8"/>')
    for v in (-span, -SHARE_TOLERANCE, 0.0, SHARE_TOLERANCE, span):
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{ypos(v):.1f}" y2="{ypos(v):.1f}" '
                   f'stroke="#b1b4b6" stroke-dasharray="{"0" if v == 0 else "3 3"}"/>')
        out.append(f'<text x="{left - 6}" y="{ypos(v) + 4:.1f}" text-anchor="end" font-family="Arial, sans-serif" '
                   f'font-size="11" fill="#505a5f">{v:+.1f}</text>')
    year_index = {y: i for i, y in enumerate(years)}
    measures = sorted({r.measure for r in shares})
    palette = ("#1d70b8", "#f47738", "#4c2c92", "#00703c", "#d53880")
    for r in shares:
        i = year_index.get(r.year, 0)
        j = measures.index(r.measure)
        x = left + slot * i + slot * (0.2 + 0.6 * (j + 0.5) / len(measures))
        colour = palette[j % len(palette)] if r.passed else "#d4351c"
        out.append(f'<circle cx="{x:.1f}" cy="{ypos(r.difference):.1f}" r="3.5" fill="{colour}">'
                   f'<title>{r.year} {e(r.measure)} {e(r.category)}: {r.difference:+.2f} pp</title></circle>')
    for y, i in year_index.items():
        out.append(f'<text x="{left + slot * i + slot / 2:.1f}" y="{top2 + p2_h + 16}" text-anchor="middle" '
                   f'font-family="Arial, sans-serif" font-size="12" fill="#0b0c0c">{y}</text>')
    for j, m in enumerate(measures):
        lx = left + j * 200
        out.append(f'<circle cx="{lx + 6}" cy="{height - 22}" r="5" fill="{palette[j % len(palette)]}"/>')
        out.append(f'<text x="{lx + 16}" y="{height - 18}" font-family="Arial, sans-serif" font-size="12" '
                   f'fill="#0b0c0c">{e(m.replace(" share (%)", ""))}</text>')
    out.append("</svg>")
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return p
