"""Compute the publication's tables with DuckDB.

Each table is one SQL statement over the extract's views (see
:func:`nrm.stats.extract_io.attach`):

1. ``base``: the source rows in the table's period and filters, grouped to the finest
   grain of the table's dimensions (one scan of the extract, pruned by date);
2. ``lab``: the readers' labels (exploitation-type combinations, dual nationality,
   top-N and other), computed on that small result;
3. ``GROUPING SETS`` over the labels for the totals: every combination of totals for
   independent dimensions, roll-ups for nested ones (first responder within type).

Results are tidy: one column per dimension (``Total`` in a totals row) and the count,
then any further statistics (median and mean days).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from nrm.stats import tables as T
from nrm.stats.periods import Period, Quarter, quarters_between

__all__ = [
    "KeyFigure",
    "TableResult",
    "compute_all",
    "compute_table",
    "extract_date_range",
    "grouping_sets",
    "key_figures",
    "series_quarters",
]

Value = str | int | float | None

UNKNOWN_LABELS = ("Not specified or unknown", "Unknown", "Not recorded", "Not Recorded")


@dataclass
class TableResult:
    """A computed table: ``rows`` of dimension labels then the count then any statistics.

    After disclosure control a suppressed count is the string ``"[c]"``.
    """

    table: T.TableDef
    rows: list[tuple[Value, ...]]
    period: Period
    quarters: list[Quarter] = field(default_factory=list)  # the quarters covered
    suppressed: int = 0

    @property
    def columns(self) -> list[str]:
        return self.table.columns

    @property
    def n_dims(self) -> int:
        return len(self.table.dimensions)

    def total(self) -> int | None:
        """The count in the all-totals row (None if there is none, e.g. a time series)."""
        k = self.n_dims
        for r in self.rows:
            if all(v == T.TOTAL for v in r[:k]):
                v = r[k]
                return v if isinstance(v, int) else None
        return None

    def lookup(self, **dims: str) -> Value:
        """The count in the row with the given dimension labels (others ``Total``).
        Keyword names are the column headers with spaces as underscores."""
        want = [dims.get(d.name.replace(" ", "_"), T.TOTAL) for d in self.table.dimensions]
        for r in self.rows:
            if list(r[: self.n_dims]) == want:
                return r[self.n_dims]
        return None


def _lit(d: date) -> str:
    return f"DATE '{d.isoformat()}'"


def _subst(sql: str, period: Period) -> str:
    return sql.replace("{start}", _lit(period.start)).replace("{end}", _lit(period.end))


def series_quarters(period: Period, length: int = 8) -> list[Quarter]:
    """The quarters a time-series table shows: ``length`` quarters ending with the
    period, and at least from the start of the comparison period."""
    last = period.last_quarter
    first = min(last.shift(-(length - 1)), period.comparison().first_quarter)
    return quarters_between(first, last)


def grouping_sets(table: T.TableDef) -> list[list[int]]:
    """The dimensions grouped in each grouping set (indices), from the table's chains."""
    always = [i for i, d in enumerate(table.dimensions) if not d.totals]
    chains = table.chains()
    options = [[chain[:k] for k in range(len(chain), -1, -1)] for chain in chains]
    out: list[list[int]] = []
    for combo in itertools.product(*options):
        dims = sorted(always + [i for part in combo for i in part])
        out.append(dims)
    return out


def _label_sql(dim: T.Dimension, col: str) -> str:
    return dim.label.replace("{}", col)


def build_sql(table: T.TableDef, period: Period, quarters: Sequence[Quarter]) -> str:
    """The SQL for one table."""
    dims = table.dimensions
    where: list[str] = []
    if table.date_column and not table.snapshot:
        first = quarters[0].start if table.time_series else period.start
        where.append(f"{table.date_column} BETWEEN {_lit(first)} AND {_lit(period.end)}")
    where += [f"({_subst(f, period)})" for f in table.filters]
    where_sql = " AND ".join(where) if where else "true"
    d_cols = [f"{_subst(d.expr, period)} AS d{i}" for i, d in enumerate(dims)]
    stats_inputs: list[tuple[str, str]] = []
    for s in table.statistics:
        for alias, expr in s.inputs:
            if alias not in {a for a, _ in stats_inputs}:
                stats_inputs.append((alias, expr))
    if table.statistics:
        base = (
            f"SELECT {', '.join(d_cols + [f'{e} AS {a}' for a, e in stats_inputs])}, 1 AS n "  # noqa: S608
            f"FROM {table.source} WHERE {where_sql}"
        )
    else:
        base = f"SELECT {', '.join(d_cols)}, count(*) AS n FROM {table.source} WHERE {where_sql} GROUP BY ALL"  # noqa: S608
    lab_cols: list[str] = []
    for i, d in enumerate(dims):
        expr = _label_sql(d, f"d{i}")
        if d.top is not None:
            top = (
                f"SELECT v FROM (SELECT {expr} AS v, sum(n) AS s FROM base GROUP BY 1 "  # noqa: S608
                f"ORDER BY s DESC, v LIMIT {int(d.top)})"
            )
            other = d.other.replace("'", "''")
            expr = f"CASE WHEN {expr} IN ({top}) THEN {expr} ELSE '{other}' END"
        lab_cols.append(f"{expr} AS l{i}")
    lab = f"SELECT {', '.join(lab_cols + [a for a, _ in stats_inputs])}, n FROM base"  # noqa: S608
    sets = ", ".join("(" + ", ".join(f"l{i}" for i in s) + ")" for s in grouping_sets(table))
    out_cols = [f"l{i}" for i in range(len(dims))] + [f"grouping(l{i}) AS g{i}" for i in range(len(dims))]
    out_cols.append("CAST(sum(n) AS BIGINT) AS n")
    out_cols += [f"{s.sql} AS s{j}" for j, s in enumerate(table.statistics)]
    return (
        f"WITH base AS ({base}), lab AS ({lab}) "  # noqa: S608
        f"SELECT {', '.join(out_cols)} FROM lab GROUP BY GROUPING SETS ({sets})"
    )


def _sort_rows(table: T.TableDef, rows: list[tuple[Value, ...]]) -> list[tuple[Value, ...]]:
    dims = table.dimensions
    k = len(dims)
    keys: list[dict[Value, tuple[Any, ...]]] = []
    for i, d in enumerate(dims):
        values = {r[i] for r in rows}
        counts: dict[Value, int] = {}
        if d.by_count:
            for r in rows:
                if r[i] != T.TOTAL and all(r[j] == T.TOTAL for j in range(k) if j != i and dims[j].totals):
                    c = r[k]
                    counts[r[i]] = counts.get(r[i], 0) + (c if isinstance(c, int) else 0)
        key: dict[Value, tuple[Any, ...]] = {}
        for v in values:
            s = str(v)
            if v == T.TOTAL:
                key[v] = (9,)
            elif d.top is not None and v == d.other:
                key[v] = (8,)
            elif s in UNKNOWN_LABELS:
                key[v] = (7, s)
            elif d.order and s in d.order:
                key[v] = (0, d.order.index(s))
            elif d.label.startswith("exploitation_label"):
                parts = [p.strip() for p in s.replace(" & ", ", ").split(", ")]
                idx = tuple(T.EXPLOITATION_ORDER.index(p) if p in T.EXPLOITATION_ORDER else 99 for p in parts)
                key[v] = (1, len(idx), idx)
            elif d.by_count:
                key[v] = (2, -counts.get(v, 0), s)
            else:
                key[v] = (3, s)
        keys.append(key)
    return sorted(rows, key=lambda r: tuple(keys[i][r[i]] for i in range(k)))


def compute_table(
    con: duckdb.DuckDBPyConnection, table: T.TableDef, period: Period, *, series_length: int = 8
) -> TableResult:
    """Compute one table for ``period`` (unsuppressed)."""
    quarters = series_quarters(period, series_length) if table.time_series else period.quarters()
    sql = build_sql(table, period, quarters)
    k = len(table.dimensions)
    raw = con.execute(sql).fetchall()
    rows: list[tuple[Value, ...]] = []
    for r in raw:
        labels = tuple(T.TOTAL if r[k + i] else str(r[i]) for i in range(k))
        rest: tuple[Value, ...] = (int(r[2 * k] or 0), *(None if v is None else float(v) for v in r[2 * k + 1 :]))
        rows.append(labels + rest)
    if table.time_series and any(d.name == "Quarter" for d in table.dimensions):
        rows = _fill_quarters(table, rows, quarters)
    return TableResult(table=table, rows=_sort_rows(table, rows), period=period, quarters=list(quarters))


def _fill_quarters(
    table: T.TableDef, rows: list[tuple[Value, ...]], quarters: Sequence[Quarter]
) -> list[tuple[Value, ...]]:
    """Add a zero all-totals row for quarters of the series with no rows at all, so that
    a time series has every quarter."""
    qi = next(i for i, d in enumerate(table.dimensions) if d.name == "Quarter")
    k = len(table.dimensions)
    present = {r[qi] for r in rows}
    if any(not d.totals and i != qi for i, d in enumerate(table.dimensions)):
        return rows  # another dimension without totals: no single all-totals row per quarter
    extra: list[tuple[Value, ...]] = []
    for q in quarters:
        if q.label not in present:
            labels = tuple(q.label if i == qi else T.TOTAL for i in range(k))
            extra.append((*labels, 0, *(None for _ in table.statistics)))
    return rows + extra


def compute_all(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    tables: Iterable[T.TableDef] = T.TABLES,
    *,
    series_length: int = 8,
    on_table: Callable[[T.TableDef], None] | None = None,
) -> dict[str, TableResult]:
    """Compute every table (unsuppressed), in order; ``on_table`` is called after each."""
    out: dict[str, TableResult] = {}
    for t in tables:
        out[t.id] = compute_table(con, t, period, series_length=series_length)
        if on_table is not None:
            on_table(t)
    return out


def extract_date_range(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """The first and last referral dates in the extract."""
    row = con.execute("SELECT min(referral_date), max(referral_date) FROM referrals").fetchone()
    if row is None:
        return None, None
    return row[0], row[1]


# ---------------------------------------------------------------------------
# Key figures (the headline numbers of the bulletin and the key figures table)


@dataclass(frozen=True)
class KeyFigure:
    """A headline figure for the period and the comparison period.

    ``comparison`` is None where the extract does not cover the comparison period.
    """

    id: str
    measure: str
    unit: str  # "number", "percentage" or "days"
    value: float | int | None
    comparison: float | int | None

    @property
    def change(self) -> float | None:
        """Percentage change on the comparison period (not for percentages)."""
        if self.unit == "percentage" or self.value is None or not self.comparison:
            return None
        return (float(self.value) - float(self.comparison)) / float(self.comparison) * 100.0


def _period_figures(con: duckdb.DuckDBPyConnection, p: Period) -> dict[str, float | int | None]:
    s, e = _lit(p.start), _lit(p.end)
    row = con.execute(
        f"""SELECT count(*),
                   count(*) FILTER (WHERE age_at_exploitation = 'Child (17 or under)'),
                   count(*) FILTER (WHERE age_at_exploitation = 'Adult (18 or over)')
            FROM referrals WHERE referral_date BETWEEN {s} AND {e}"""  # noqa: S608
    ).fetchone()
    assert row is not None
    referrals, children, adults = (int(x) for x in row)
    dec = {
        stage: con.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE outcome = 'Positive'), quantile_cont(days, 0.5) FROM decisions
                WHERE stage = '{stage}' AND decision_date BETWEEN {s} AND {e}"""  # noqa: S608
        ).fetchone()
        for stage in T.DECISION_STAGES
    }
    dtn = con.execute(f"SELECT count(*) FROM duty_to_notify WHERE report_date BETWEEN {s} AND {e}").fetchone()  # noqa: S608
    awaiting_filters = " AND ".join(f"({_subst(f, p)})" for f in T.TABLES_BY_ID["cases_awaiting_cg"].filters)
    awaiting = con.execute(f"SELECT count(*) FROM referrals WHERE {awaiting_filters}").fetchone()  # noqa: S608
    assert dtn is not None and awaiting is not None

    def share(part: int, whole: int) -> float | None:
        return round(part / whole * 100.0, 1) if whole else None

    rg = dec["Reasonable Grounds"] or (0, 0, None)
    cg = dec["Conclusive Grounds"] or (0, 0, None)

    def days(v: Any) -> float | None:
        return None if v is None else round(float(v), 1)

    return {
        "referrals": referrals,
        "children": children,
        "child_share": share(children, referrals),
        "adults": adults,
        "rg_decisions": int(rg[0]),
        "rg_positive_share": share(int(rg[1]), int(rg[0])),
        "rg_median_days": days(rg[2]),
        "cg_decisions": int(cg[0]),
        "cg_positive_share": share(int(cg[1]), int(cg[0])),
        "cg_median_days": days(cg[2]),
        "dtn_reports": int(dtn[0]),
        "awaiting_cg": int(awaiting[0]),
    }


KEY_FIGURE_LABELS: tuple[tuple[str, str, str], ...] = (
    ("referrals", "NRM referrals", "number"),
    ("children", "Referrals of people exploited as children", "number"),
    ("child_share", "Percentage of referrals exploited as children", "percentage"),
    ("rg_decisions", "Reasonable Grounds decisions", "number"),
    ("rg_positive_share", "Percentage of Reasonable Grounds decisions that were positive", "percentage"),
    ("rg_median_days", "Median days from referral to Reasonable Grounds decision", "days"),
    ("cg_decisions", "Conclusive Grounds decisions", "number"),
    ("cg_positive_share", "Percentage of Conclusive Grounds decisions that were positive", "percentage"),
    ("cg_median_days", "Median days from referral to Conclusive Grounds decision", "days"),
    ("dtn_reports", "Duty to Notify reports", "number"),
    ("awaiting_cg", "Cases awaiting a Conclusive Grounds decision at the end of the period", "number"),
)


def key_figures(con: duckdb.DuckDBPyConnection, period: Period) -> list[KeyFigure]:
    """The headline figures for ``period`` and its comparison period."""
    now = _period_figures(con, period)
    comp_period = period.comparison()
    first, _last = extract_date_range(con)
    covered = first is not None and first <= comp_period.start
    before = _period_figures(con, comp_period) if covered else {}
    return [
        KeyFigure(key, label, unit, now[key], before.get(key) if covered else None)
        for key, label, unit in KEY_FIGURE_LABELS
    ]
