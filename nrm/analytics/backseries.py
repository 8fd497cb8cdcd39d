"""Time series that start in 2009: the published back series and the breaks in recording.

Back series
-----------
:func:`import_published` (``nrm stats import-published``) reads the Home Office's
published figures in ``data/published`` (see its README) and stores them as tidy tables
shaped like the publication's own time-series tables (same table ids, dimension
columns and ``Total`` rows):

=================================== =========================================== ==============
table                               from                                        quarters
=================================== =========================================== ==============
referrals_by_quarter_age_location   nrm_referrals_longitudinal.csv              2009-Q2 on
rg_decisions                        nrm_reasonable_grounds.csv                  2014-Q1 on
cg_decisions                        nrm_conclusive_grounds.csv                  2014-Q1 on
duty_to_notify_by_quarter           nrm_duty_to_notify_longitudinal.csv         2015-Q4 on
=================================== =========================================== ==============

The published tables have no competent-authority or gender breakdown, so back-series rows
carry ``Total`` there. :func:`extend` splices a computed time-series table onto its back
series: quarters before the service's own data come from the earlier publications, later
ones are the service's own; :func:`back_series_note` says which is which.

Series breaks
-------------
Recording changed over time. :data:`SERIES_BREAKS` holds each change as data with its
effective date (criminal exploitation recorded as its own category, age 'not specified or
unknown' and dual nationality recorded from 1 October 2019; the Reasonable Grounds
guidance of 30 January 2023; second-line review replacing the panels from January 2023).
:func:`breaks_for` picks those that affect a table over the quarters it shows,
:func:`series_break_notes` words them and :func:`chart_breaks` gives the quarter at which
a chart should draw the break.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from nrm.analytics import extract_schema as xs
from nrm.analytics.engine import TableResult, Value, is_year, with_years
from nrm.analytics.periods import Period, Quarter, quarter_of, quarters_between
from nrm.analytics.tables import TOTAL, TableDef
from nrm.core import policy

__all__ = [
    "BACK_SERIES_TABLES",
    "BREAK",
    "DEFAULT_DATA_DIR",
    "DEFAULT_STORE",
    "FIRST_QUARTER",
    "JOIN_BREAK",
    "NOTES",
    "RECORDING_CHANGE",
    "SERIES_BREAKS",
    "BackSeries",
    "BackSeriesError",
    "DeclaredBreak",
    "SeriesBreak",
    "add_arguments",
    "annual_totals",
    "back_series_note",
    "breaks_for",
    "chart_breaks",
    "declared_series_breaks",
    "extend",
    "first_full_quarter",
    "import_published",
    "load",
    "release_of",
    "run_cli",
    "series_break_notes",
    "series_length",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "published"
DEFAULT_STORE = Path(os.environ.get("NRM_VAR_DIR", REPO_ROOT / "var")) / "stats" / "back_series"
FIRST_QUARTER = Quarter(2009, 2)
SOURCE = (
    "Home Office, National Referral Mechanism statistics, UK (quarterly editions to Quarter 4 2023), "
    "Open Government Licence v3.0"
)


RECORDING_CHANGE = policy.effective_from("criminal_exploitation_recorded", "1")
"""Criminal exploitation, age 'not specified or unknown' and dual nationality recorded from."""
GUIDANCE_CHANGE = policy.schedule("rg_guidance_version")[1].effective_from  # the Nationality and Borders Act guidance
SECOND_LINE_REVIEW = policy.effective_from("independent_review_mode", "second_line")

UNKNOWN = "Not specified or unknown"


class BackSeriesError(ValueError):
    """The published files cannot be read as a back series."""


# ---------------------------------------------------------------------------
# Series breaks (policy data with effective dates)


@dataclass(frozen=True)
class SeriesBreak:
    """A change in what was recorded, from ``effective``.

    It affects a table that has the dimension ``dimension`` (a column header), or whose
    id is in ``tables``.
    """

    id: str
    effective: date
    dimension: str | None
    text: str
    short: str  # a label for charts
    categories: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()

    @property
    def quarter(self) -> Quarter:
        """The first quarter recorded (at least partly) on the new basis."""
        return quarter_of(self.effective)

    def affects(self, table: TableDef) -> bool:
        if table.id in self.tables:
            return True
        return self.dimension is not None and any(d.name == self.dimension for d in table.dimensions)


SERIES_BREAKS: tuple[SeriesBreak, ...] = (
    SeriesBreak(
        id="criminal_exploitation",
        effective=RECORDING_CHANGE,
        dimension="Exploitation type",
        categories=("Criminal", "Labour"),
        text=f"Criminal exploitation has been recorded as a type of its own since {RECORDING_CHANGE:%-d %B %Y}; "
        "before then it was recorded as labour exploitation. Labour and criminal exploitation before and after "
        "that date are not comparable.",
        short="Criminal exploitation recorded separately",
    ),
    SeriesBreak(
        id="unknown_age",
        effective=RECORDING_CHANGE,
        dimension="Age at exploitation",
        categories=(UNKNOWN,),
        text=f"Age at exploitation 'Not specified or unknown' has been recorded since {RECORDING_CHANGE:%-d %B %Y}; "
        "before then every referral was recorded as adult or child.",
        short="Unknown age recorded",
    ),
    SeriesBreak(
        id="dual_nationality",
        effective=RECORDING_CHANGE,
        dimension="Nationality",
        text=f"Dual nationality has been recorded since {RECORDING_CHANGE:%-d %B %Y}; before then only one "
        "nationality was recorded.",
        short="Dual nationality recorded",
    ),
    SeriesBreak(
        id="rg_guidance",
        effective=GUIDANCE_CHANGE,
        dimension=None,
        tables=("rg_decisions", "rg_negative_reasons"),
        categories=("Positive", "Negative"),
        text=f"Reasonable Grounds decisions from {GUIDANCE_CHANGE:%-d %B %Y} apply the revised statutory guidance "
        "(the evidence needed for a positive decision changed), so positive rates before and after are not "
        "comparable.",
        short="Revised RG guidance",
    ),
    SeriesBreak(
        id="second_line_review",
        effective=SECOND_LINE_REVIEW,
        dimension="Review",
        categories=tuple(xs.REVIEW_KINDS),
        text=f"Negative decisions have been reviewed by a second-line decision maker since "
        f"{SECOND_LINE_REVIEW:%-d %B %Y}; before then by a Multi-Agency Assurance Panel.",
        short="Second-line review replaces panels",
    ),
)


def breaks_for(
    table: TableDef,
    period: Period,
    quarters: Sequence[Quarter] | None = None,
    *,
    declared: Sequence[SeriesBreak] = (),
) -> list[SeriesBreak]:
    """The breaks that affect ``table`` as published for ``period``.

    A time-series table (``quarters`` given, or ``table.time_series``) is affected where
    a break falls after its first quarter shown and no later than its last; any other
    table where the break falls inside the period or the period is before the break
    (the category did not exist yet). ``declared`` adds the breaks declared for this
    publication (:func:`declared_series_breaks`).
    """
    out: list[SeriesBreak] = []
    shown = list(quarters) if quarters else []
    for b in (*SERIES_BREAKS, *declared):
        if not b.affects(table):
            continue
        if table.time_series and shown:
            if shown[0].start < b.effective <= shown[-1].end:
                out.append(b)
        elif period.start < b.effective:
            out.append(b)
    return out


def series_break_notes(table: TableDef, period: Period, quarters: Sequence[Quarter] | None = None) -> list[str]:
    """The note text of each break affecting ``table`` (see :func:`breaks_for`)."""
    return [b.text for b in breaks_for(table, period, quarters)]


def chart_breaks(
    table: TableDef,
    quarters: Sequence[Quarter],
    *,
    dimensions: Sequence[str] | None = None,
    declared: Sequence[SeriesBreak] = (),
) -> list[tuple[Quarter, str]]:
    """Where a chart of ``table`` over ``quarters`` should mark a break: the first
    quarter on the new basis and a short label, one per quarter (labels joined).

    ``dimensions`` (the table's dimensions the chart shows) keeps only the breaks of
    those dimensions and the breaks of the table itself: a chart of totals over age is
    not affected by a change in how age was recorded. ``declared`` adds the breaks
    declared for this publication (:func:`declared_series_breaks`)."""
    if not quarters:
        return []
    at: dict[Quarter, list[str]] = {}
    for b in (*SERIES_BREAKS, *declared):
        if dimensions is not None and b.dimension is not None and b.dimension not in dimensions:
            continue
        if b.affects(table) and quarters[0].start < b.effective <= quarters[-1].end:
            at.setdefault(b.quarter, []).append(b.short)
    return [(q, "; ".join(labels)) for q, labels in sorted(at.items())]


JOIN_BREAK = "back_series_join"  # the id (and note key) of a break declared at the join


@dataclass(frozen=True)
class DeclaredBreak:
    """A break declared when publishing: the service's own figures of ``table`` (a
    back-series table id) do not continue its back series on the same basis. The break
    is at the first quarter of the service's own figures; ``reason`` (shown in the
    table's notes) says why and ``by`` who declared it."""

    table: str
    reason: str
    by: str

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "reason": self.reason, "by": self.by}


def declared_series_breaks(declared: Sequence[DeclaredBreak], own_from: Quarter) -> list[SeriesBreak]:
    """The declared breaks as series breaks from ``own_from`` (the first quarter of the
    service's own figures), for :func:`breaks_for` and :func:`chart_breaks`."""
    return [
        SeriesBreak(
            id=JOIN_BREAK,
            effective=own_from.start,
            dimension=None,
            tables=(d.table,),
            text=f"this service's own figures from {own_from.label} do not continue the figures published before "
            f"on the same basis: {d.reason.rstrip('.')} (break declared by {d.by}).",
            short="Own figures begin, not comparable with earlier",
        )
        for d in declared
    ]


BREAK = "[b]"


# ---------------------------------------------------------------------------
# The back series


BACK_SERIES_TABLES: dict[str, tuple[str, ...]] = {
    "referrals_by_quarter_age_location": ("Quarter", "Age at exploitation", "Location of exploitation", "People"),
    "rg_decisions": ("Quarter", "Outcome", "Age at exploitation", "Competent authority", "Decisions"),
    "cg_decisions": ("Quarter", "Outcome", "Age at exploitation", "Competent authority", "Decisions"),
    "duty_to_notify_by_quarter": ("Quarter", "Gender", "Reports"),
}
_FILES = {
    "referrals_by_quarter_age_location": "nrm_referrals_longitudinal.csv",
    "rg_decisions": "nrm_reasonable_grounds.csv",
    "cg_decisions": "nrm_conclusive_grounds.csv",
    "duty_to_notify_by_quarter": "nrm_duty_to_notify_longitudinal.csv",
}
_AGE_OF = {
    "Adult (18 or over)": "Adult (18 or over)",
    "Child (17 or under)": "Child (17 or under)",
    "Age not specified or unknown": UNKNOWN,
    "Not specified or unknown": UNKNOWN,
}
_ORDER: dict[str, tuple[str, ...]] = {
    "Age at exploitation": xs.AGES,
    "Location of exploitation": xs.LOCATIONS,
    "Outcome": xs.OUTCOMES,
    "Gender": xs.GENDERS,
    "Competent authority": xs.COMPETENT_AUTHORITIES,
}

Row = tuple[str, ...]


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BackSeriesError(f"{path}: no such file (the published figures are in data/published)")
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _int(text: str, where: str) -> int:
    try:
        return int(text.replace(",", "").strip())
    except ValueError:
        raise BackSeriesError(f"{where}: {text!r} is not a whole number") from None


def _quarter(year: str, quarter: str, where: str) -> Quarter | None:
    """The quarter of a published row, or None for an annual ``Total`` row."""
    if quarter.strip() == TOTAL:
        return None
    q = quarter.strip().upper()
    if len(q) != 2 or q[0] != "Q" or q[1] not in "1234":
        raise BackSeriesError(f"{where}: quarter {quarter!r} is not Q1 to Q4 or Total")
    return Quarter(_int(year, where), int(q[1]))


def _referrals(path: Path) -> tuple[list[tuple[Row, int]], list[str]]:
    cells: dict[tuple[Quarter, str, str], int] = {}
    for i, r in enumerate(_read(path), start=2):
        where = f"{path.name} line {i}"
        q = _quarter(r["Year"], r["Quarter"], where)
        if q is None:
            continue
        age = _AGE_OF.get(r["Age at exploitation"].strip())
        if age is None:
            raise BackSeriesError(f"{where}: unknown age {r['Age at exploitation']!r}")
        loc = r["Location of exploitation"].strip()
        if loc != TOTAL and loc not in xs.LOCATIONS:
            raise BackSeriesError(f"{where}: unknown location {loc!r}")
        cells[(q, age, loc)] = _int(r["NRM referrals"], where)
    problems: list[str] = []
    out: dict[tuple[Quarter, str, str], int] = dict(cells)
    for q in sorted({k[0] for k in cells}):
        for age in xs.AGES:
            parts = [cells.get((q, age, loc), 0) for loc in xs.LOCATIONS]
            published = cells.get((q, age, TOTAL))
            if published is not None and published != sum(parts):
                problems.append(
                    f"{path.name}: {q.label} {age}: locations add to {sum(parts):,}, the published total is "
                    f"{published:,} (the published total is kept)"
                )
            out[(q, age, TOTAL)] = published if published is not None else sum(parts)
        for loc in (*xs.LOCATIONS, TOTAL):
            out[(q, TOTAL, loc)] = sum(out.get((q, age, loc), 0) for age in xs.AGES)
    rows: list[tuple[Row, int]] = [((q.label, age, loc), n) for (q, age, loc), n in out.items()]
    return rows, problems


def _decisions(path: Path, word: str) -> tuple[list[tuple[Row, int]], list[str]]:
    out: dict[tuple[Quarter, str, str], int] = {}
    annual: dict[int, int] = {}
    problems: list[str] = []
    groups = (
        ("Adult (18 or over)", "Adult (18 or over)"),
        ("Child (17 or under)", "Child (17 or under)"),
        (UNKNOWN, "Age not specified or unknown"),
    )
    for i, r in enumerate(_read(path), start=2):
        where = f"{path.name} line {i}"
        q = _quarter(r["Year"], r["Quarter"], where)
        if q is None:
            annual[_int(r["Year"], where)] = _int(r["Total"], where)
            continue
        total = 0
        for age, prefix in groups:
            neg = _int(r[f"{prefix} - Negative {word}"], where)
            pos = _int(r[f"{prefix} - Positive {word}"], where)
            age_total = _int(r[f"{prefix} - Total"], where)
            if neg + pos != age_total:
                problems.append(f"{where}: {age} positive + negative = {neg + pos:,}, total {age_total:,}")
            out[(q, "Positive", age)] = pos
            out[(q, "Negative", age)] = neg
            out[(q, TOTAL, age)] = age_total
            total += age_total
        published = _int(r["Total"], where)
        if published != total:
            problems.append(f"{where}: ages add to {total:,}, the published total is {published:,}")
        for outcome in ("Positive", "Negative"):
            out[(q, outcome, TOTAL)] = sum(out[(q, outcome, a)] for a, _ in groups)
        out[(q, TOTAL, TOTAL)] = published
    for year, published in annual.items():
        summed = sum(n for (q, o, a), n in out.items() if q.year == year and o == TOTAL and a == TOTAL)
        if summed != published:
            problems.append(f"{path.name}: {year} quarters add to {summed:,}, the annual total is {published:,}")
    rows: list[tuple[Row, int]] = [((q.label, o, a, TOTAL), n) for (q, o, a), n in out.items()]
    return rows, problems


def _duty_to_notify(path: Path) -> tuple[list[tuple[Row, int]], list[str]]:
    out: dict[Quarter, int] = {}
    annual: dict[int, int] = {}
    for i, r in enumerate(_read(path), start=2):
        where = f"{path.name} line {i}"
        q = _quarter(r["Year"], r["Quarter"], where)
        if q is None:
            annual[_int(r["Year"], where)] = _int(r["Total"], where)
        else:
            out[q] = _int(r["Total"], where)
    problems = [
        f"{path.name}: {year} quarters add to {sum(n for q, n in out.items() if q.year == year):,}, "
        f"the annual total is {published:,}"
        for year, published in annual.items()
        if sum(n for q, n in out.items() if q.year == year) != published
    ]
    rows: list[tuple[Row, int]] = [((q.label, TOTAL), n) for q, n in out.items()]
    return rows, problems


def _sort_key(columns: Sequence[str]) -> Any:
    def key(row: tuple[Row, int]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for col, v in zip(columns, row[0], strict=False):
            if col == "Quarter":
                parts.append((0, v))
            elif v == TOTAL:
                parts.append((9, ""))
            elif v == UNKNOWN:
                parts.append((7, v))
            else:
                order = _ORDER.get(col, ())
                parts.append((0, order.index(v)) if v in order else (3, v))
        return tuple(parts)

    return key


@dataclass(frozen=True)
class BackSeries:
    """The published figures, as tidy rows per table (dimension labels, then the count)."""

    tables: Mapping[str, tuple[tuple[Value, ...], ...]]
    sources: Mapping[str, str]  # table id -> "file (sha256)"
    imported_at: str
    problems: tuple[str, ...] = ()

    def rows(self, table_id: str) -> list[tuple[Value, ...]]:
        return list(self.tables.get(table_id, ()))

    def quarters(self, table_id: str) -> list[Quarter]:
        labels = sorted({str(r[0]) for r in self.tables.get(table_id, ())})
        return [Quarter(int(x[:4]), int(x[-1])) for x in labels]

    def last_quarter(self, table_id: str) -> Quarter | None:
        qs = self.quarters(table_id)
        return qs[-1] if qs else None

    def covers(self, table_id: str) -> bool:
        return table_id in self.tables


def import_published(
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
    into: str | os.PathLike[str] | None = DEFAULT_STORE,
) -> BackSeries:
    """Read the published figures in ``data_dir`` and, unless ``into`` is None, store
    them there (one Parquet file per table and ``back_series.json`` naming the sources
    with their SHA-256). Returns the back series; ``problems`` lists published totals
    that do not add up (the published figure is kept)."""
    src = Path(data_dir)
    tables: dict[str, tuple[tuple[Value, ...], ...]] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    for table_id, file_name in _FILES.items():
        path = src / file_name
        if table_id == "referrals_by_quarter_age_location":
            rows, found = _referrals(path)
        elif table_id == "duty_to_notify_by_quarter":
            rows, found = _duty_to_notify(path)
        else:
            rows, found = _decisions(path, "reasonable grounds" if table_id == "rg_decisions" else "conclusive grounds")
        problems += found
        columns = BACK_SERIES_TABLES[table_id]
        rows.sort(key=_sort_key(columns))
        tables[table_id] = tuple((*dims, n) for dims, n in rows)
        sources[table_id] = f"{file_name} (sha256 {hashlib.sha256(path.read_bytes()).hexdigest()})"
    back = BackSeries(
        tables=tables,
        sources=sources,
        imported_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        problems=tuple(problems),
    )
    if into is not None:
        _store(back, Path(into))
    return back


def _store(back: BackSeries, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for table_id, rows in back.tables.items():
        columns = BACK_SERIES_TABLES[table_id]
        arrays = [pa.array([str(r[i]) for r in rows], type=pa.string()) for i in range(len(columns) - 1)]
        arrays.append(pa.array([int(r[-1]) for r in rows if isinstance(r[-1], int)], type=pa.int64()))
        target = into / f"{table_id}.parquet"
        tmp = target.with_suffix(".parquet.tmp")
        pq.write_table(pa.Table.from_arrays(arrays, names=list(columns)), tmp)
        os.replace(tmp, target)
    meta = {
        "source": SOURCE,
        "imported_at": back.imported_at,
        "tables": {t: {"columns": list(BACK_SERIES_TABLES[t]), "from": back.sources[t]} for t in back.tables},
        "problems": list(back.problems),
    }
    (into / "back_series.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def load(store: str | os.PathLike[str] = DEFAULT_STORE) -> BackSeries | None:
    """The back series stored by :func:`import_published`, or None if it was never imported."""
    root = Path(store)
    meta_path = root / "back_series.json"
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    tables: dict[str, tuple[tuple[Value, ...], ...]] = {}
    for table_id in meta["tables"]:
        t = pq.ParquetFile(root / f"{table_id}.parquet").read()
        cols = [t.column(i).to_pylist() for i in range(t.num_columns)]
        tables[table_id] = tuple(tuple(row) for row in zip(*cols, strict=True))
    return BackSeries(
        tables=tables,
        sources={k: v["from"] for k, v in meta["tables"].items()},
        imported_at=meta["imported_at"],
        problems=tuple(meta.get("problems", ())),
    )


def annual_totals(back: BackSeries, table_id: str = "referrals_by_quarter_age_location") -> dict[int, int]:
    """The yearly totals of a back-series table (the sum of its quarters' all-Total rows)."""
    out: dict[int, int] = {}
    for r in back.rows(table_id):
        if all(v == TOTAL for v in r[1:-1]) and isinstance(r[-1], int):
            year = int(str(r[0])[:4])
            out[year] = out.get(year, 0) + r[-1]
    return out


def series_length(period: Period, first: Quarter = FIRST_QUARTER) -> int:
    """The ``series_length`` to compute a time-series table with (engine.compute_table)
    so that it runs from ``first`` to the end of ``period``."""
    return max(len(quarters_between(first, period.last_quarter)), 1)


def first_full_quarter(first_referral: date) -> Quarter:
    """The first quarter an extract covers in full (its own figures start there)."""
    q = quarter_of(first_referral)
    return q if first_referral == q.start else q.next()


def extend(
    result: TableResult,
    back: BackSeries,
    *,
    own_from: Quarter,
    first: Quarter = FIRST_QUARTER,
) -> TableResult:
    """``result`` (a time-series table) with its quarters before ``own_from`` taken from
    the back series, from ``first`` on. Quarters between the back series' last quarter
    and ``own_from`` have an all-Total row with no value (shown as [x]). A table with
    no back series is returned unchanged.

    ``result`` must be computed over the whole span (``engine.compute_table(...,
    series_length=series_length(period))``); its rows before ``own_from`` (zeros, where
    the extract has no data) are dropped. Its years are summed again from the quarters
    shown (:func:`nrm.analytics.engine.with_years`); a year with quarters on both sides
    of ``own_from`` has no year row: its quarters are not counted on one basis."""
    table = result.table
    if not table.time_series or not back.covers(table.id) or table.dimensions[0].name != "Quarter":
        return result
    k = len(table.dimensions)
    last = result.quarters[-1] if result.quarters else result.period.last_quarter
    if result.quarters and result.quarters[0] > max(own_from, first) and result.quarters[0] <= last:
        raise ValueError(
            f"{table.id} was computed from {result.quarters[0].label}, after {max(own_from, first).label}: compute it "
            "with series_length=backseries.series_length(period) so that the service's own quarters are all there"
        )
    own_rows = [r for r in result.rows if not is_year(r[0]) and _q(r[0]) >= own_from]
    back_quarters = set(back.quarters(table.id))
    extra_stats: tuple[Value, ...] = tuple(None for _ in table.statistics)
    earlier: list[tuple[Value, ...]] = []
    for r in back.rows(table.id):
        q = _q(r[0])
        if first <= q < own_from and q <= last:
            earlier.append((*tuple(r[:k]), r[-1], *extra_stats))
    gap: list[tuple[Value, ...]] = []
    start = min(first, own_from)
    for q in quarters_between(start, min(own_from.previous(), last)):
        if q not in back_quarters:
            gap.append((q.label, *(TOTAL for _ in range(k - 1)), None, *extra_stats))
    rows = earlier + gap + own_rows
    rows.sort(key=lambda r: str(r[0]))  # stable: keeps each quarter's rows in their order
    quarters = quarters_between(start, last)
    return replace(result, rows=with_years(table, rows, quarters, basis_from=own_from), quarters=quarters)


def _q(label: Value) -> Quarter:
    s = str(label)
    return Quarter(int(s[:4]), int(s[-1]))


def back_series_note(back: BackSeries, table_id: str, own_from: Quarter, *, first: Quarter = FIRST_QUARTER) -> str | None:
    """The note saying which quarters of a time-series table come from earlier
    publications (None if the table has no back series or shows none of it)."""
    qs = [q for q in back.quarters(table_id) if first <= q < own_from]
    if not qs:
        return None
    missing = ""
    if table_id in ("rg_decisions", "cg_decisions"):
        missing = " They have no breakdown by competent authority (shown as Total)."
    elif table_id == "duty_to_notify_by_quarter":
        missing = " They have no breakdown by gender (shown as Total)."
    return (
        f"Figures for {qs[0].label} to {qs[-1].label} are the Home Office's figures as last revised in the release "
        f"they come from ({release_of(back, table_id)}), not as first published; they were not recomputed from this "
        f"service's data.{missing} Figures from {own_from.label} are this service's own."
    )


def release_of(back: BackSeries, table_id: str) -> str:
    """The release a back-series table comes from: the edition of its last quarter (a
    longitudinal table is revised in each edition) and the file it was imported from."""
    last = back.last_quarter(table_id)
    edition = f", Quarter {last.number} {last.year}" if last is not None else ""
    file_name = back.sources.get(table_id, "").split(" (sha256")[0]
    return (
        f"Home Office, National Referral Mechanism statistics, UK{edition}"
        + (f", file {file_name}" if file_name else "")
        + ", Open Government Licence v3.0"
    )


NOTES: dict[str, str] = {
    "back_series": "Figures for quarters before this service's own data are as published in the Home Office's "
    "National Referral Mechanism statistics (Open Government Licence v3.0); each table says which quarters.",
    **{b.id: b.text for b in SERIES_BREAKS},
    JOIN_BREAK: f"{BREAK} marks the first quarter of this service's own figures where they do not continue the "
    "figures published before on the same basis: a break in the series declared when the release was published, "
    "because the two do not join (see the data-quality report). The table's notes say why; figures either side of "
    "it are not directly comparable.",
}
"""Note texts by key, for the notes worksheet (the back-series note and one per break)."""


# ---------------------------------------------------------------------------
# Command line: ``nrm stats import-published``


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``nrm stats import-published``."""
    parser.add_argument(
        "--data-dir", default=str(DEFAULT_DATA_DIR), metavar="DIR", help="the published CSV files (data/published)"
    )
    parser.add_argument(
        "--store",
        default=None,
        metavar="DIR",
        help="the statistics store to import into (default var/stats, or $NRM_VAR_DIR/stats); the back series "
        "goes in its back_series folder",
    )
    parser.add_argument("--into", default=None, metavar="DIR", help="store the back series in exactly this folder")


def run_cli(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``nrm stats import-published``; returns the exit status."""
    from nrm.analytics import storage

    into = options.into or storage.back_series_dir(getattr(options, "store", None) or storage.default_root())
    try:
        back = import_published(options.data_dir, into)
    except BackSeriesError as e:
        err.write(f"nrm stats import-published: {e}\n")
        return 2
    for table_id in back.tables:
        qs = back.quarters(table_id)
        out.write(f"{table_id}: {qs[0].label} to {qs[-1].label}, {len(back.rows(table_id)):,} rows\n")
    for p in back.problems:
        err.write(f"warning: {p}\n")
    out.write(f"stored in {into}\n")
    return 0
