"""Compute the publication's tables with DuckDB.

Each table is one SQL statement over the extract's views (see
:func:`nrm.analytics.extract_io.attach`):

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
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import duckdb

from nrm.analytics import tables as T
from nrm.analytics.periods import Period, Quarter, quarters_between

__all__ = [
    "KeyFigure",
    "TableResult",
    "compute_all",
    "compute_table",
    "extract_date_range",
    "grouping_sets",
    "is_year",
    "key_figures",
    "quarter_index",
    "series_quarters",
    "with_years",
    "without_years_before",
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


def _str_list(values: Iterable[str | None]) -> str:
    return "[" + ", ".join("NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in values) + "]"


_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


class _Codes:
    """Distinct values of the string columns of the extract's tables, so that a table can
    group by small integers instead of strings: each value is mapped to the position of
    its label in display order with ``list_position`` (evaluated once per Parquet
    dictionary, not per row), totals are computed over the integers, and the labels are
    put back at the end. Several times faster on large extracts."""

    SOURCES = ("referrals", "duty_to_notify", "reviews", "support")

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.types: dict[str, dict[str, str]] = {}
        self.values: dict[tuple[str, str, str], list[str]] = {}

    def string_column(self, source: str, expr: str) -> bool:
        """Whether ``expr`` is a string column of a Parquet-backed view (whose dictionary
        pages make the mapping cheap; a table loaded from CSV is grouped by string)."""
        if source not in self.SOURCES or not _IDENT.match(expr):
            return False
        if source not in self.types:
            kind = self.con.execute(
                "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [source]
            ).fetchone()
            if kind is None or kind[0] != "VIEW":
                self.types[source] = {}
            else:
                rows = self.con.execute(f"DESCRIBE {source}").fetchall()
                self.types[source] = {str(r[0]): str(r[1]) for r in rows}
        return self.types[source].get(expr) == "VARCHAR"

    def distinct(self, source: str, column: str, where: str = "true") -> list[str]:
        """The distinct non-null values of ``column`` in the rows of ``source`` a table counts."""
        key = (source, column, where)
        if key not in self.values:
            rows = self.con.execute(
                f'SELECT DISTINCT "{column}" FROM {source} WHERE ({where}) AND "{column}" IS NOT NULL'  # noqa: S608
            ).fetchall()
            self.values[key] = sorted(str(r[0]) for r in rows)
        return self.values[key]

    def labels(self, dim: T.Dimension, values: list[str]) -> list[str | None]:
        """The label of each value, then of NULL."""
        expr = _label_sql(dim, "v")
        rows = self.con.execute(
            f"SELECT i, {expr} FROM (SELECT unnest(range(1, {len(values) + 2})) AS i, "  # noqa: S608
            f"unnest({_str_list([*values, None])}) AS v) ORDER BY i"
        ).fetchall()
        return [None if r[1] is None else str(r[1]) for r in rows]


def _py_sort_key(d: T.Dimension, label: str) -> tuple[Any, ...]:
    """The display order of a label (the same rules as :func:`_sort_keys`)."""
    if d.top is not None and label == d.other:
        return (8,)
    if label in UNKNOWN_LABELS:
        return (7, label)
    if d.order and label in d.order:
        return (0, d.order.index(label), label)
    if d.combination:
        parts = label.replace(" & ", ", ").split(", ")
        idx = [T.EXPLOITATION_ORDER.index(x) + 1 if x in T.EXPLOITATION_ORDER else 99 for x in parts]
        return (1, len(parts), idx, label)
    return (3, label)


@dataclass
class _Plan:
    """How one dimension is grouped: by label code (``labels`` set) or by its SQL value."""

    base: str  # SQL in ``base``
    labels: list[str] | None = None  # coded: the labels in display order (code i is labels[i - 1])
    null_label_code: int | None = None


def _plan(d: T.Dimension, source: str, where: str, period: Period, codes: _Codes | None) -> _Plan:
    expr = _subst(d.expr, period)
    if codes is None or d.by_count or not codes.string_column(source, expr):
        return _Plan(base=f"{expr}")
    values = codes.distinct(source, expr, where)
    raw_labels = codes.labels(d, values)
    distinct = {lab for lab in raw_labels if lab is not None}
    if d.top is not None:
        distinct.add(d.other)
    ordered = sorted(distinct, key=lambda lab: _py_sort_key(d, lab))
    pos = {lab: i + 1 for i, lab in enumerate(ordered)}
    mapping = [pos[lab] if lab is not None else None for lab in raw_labels[:-1]]
    null_label = raw_labels[-1]
    null_code = pos[null_label] if null_label is not None else None
    code_list = "[" + ", ".join("NULL" if m is None else str(m) for m in mapping) + "]"
    base = f"{code_list}[list_position({_str_list(values)}, {expr})]"
    if null_code is not None:
        base = f"coalesce({base}, {null_code})"
    return _Plan(base=base, labels=ordered, null_label_code=null_code)


def _sort_keys(table: T.TableDef) -> list[list[str]]:
    """ORDER BY expressions over the final result, for each dimension: known values in
    their order, then others alphabetically, unknowns, ``other`` and the total last."""
    dims = table.dimensions
    unknown = "(" + ", ".join("'" + u.replace("'", "''") + "'" for u in UNKNOWN_LABELS) + ")"
    out: list[list[str]] = []
    for i, d in enumerate(dims):
        keys: list[str] = []
        lab = f"l{i}"
        others_total = " AND ".join(f"g{j} = 1" for j, dj in enumerate(dims) if j != i and dj.totals) or "true"
        cls = ["CASE", f"WHEN g{i} = 1 THEN 9"]
        if d.top is not None:
            other = d.other.replace("'", "''")
            cls.append(f"WHEN {lab} = '{other}' THEN 8")
        cls.append(f"WHEN {lab} IN {unknown} THEN 7")
        if d.order:
            cls.append(f"WHEN list_position({_str_list(d.order)}, {lab}) IS NOT NULL THEN 0")
        if d.combination:
            cls.append("ELSE 1 END")
        elif d.by_count:
            cls.append("ELSE 2 END")
        else:
            cls.append("ELSE 3 END")
        keys.append(" ".join(cls))
        if d.order:
            keys.append(f"list_position({_str_list(d.order)}, {lab})")
        if d.combination:
            parts = f"string_split(replace({lab}, ' & ', ', '), ', ')"
            order = _str_list(T.EXPLOITATION_ORDER)
            keys.append(f"len({parts})")
            keys.append(f"list_transform({parts}, lambda x: coalesce(list_position({order}, x), 99))")
        if d.by_count:
            keys.append(f"-max(CASE WHEN {others_total} THEN n END) OVER (PARTITION BY {lab}, g{i})")
        keys.append(lab)
        out.append(keys)
    return out


def build_sql(table: T.TableDef, period: Period, quarters: Sequence[Quarter], codes: _Codes | None = None) -> str:
    """The SQL for one table: tidy rows (labels, with ``Total``), count, statistics, in
    display order."""
    dims = table.dimensions
    where: list[str] = []
    if table.date_column and not table.snapshot:
        first = quarters[0].start if table.time_series else period.start
        where.append(f"{table.date_column} BETWEEN {_lit(first)} AND {_lit(period.end)}")
    where += [f"({_subst(f, period)})" for f in table.filters]
    where_sql = " AND ".join(where) if where else "true"

    plans = [_plan(d, table.source, where_sql, period, codes) for d in dims]
    base_cols = [f"{pl.base} AS d{i}" for i, pl in enumerate(plans)]
    stats = table.statistics
    stat_exprs = sorted({s.expr for s in stats})
    if len(stat_exprs) > 1:
        raise ValueError(f"{table.id}: statistics must all summarise the same value")
    stat_alias = {e: f"v{j}" for j, e in enumerate(stat_exprs)}
    base_cols += [f"{e} AS {stat_alias[e]}" for e in stat_exprs]
    base = f"SELECT {', '.join(base_cols)}, count(*) AS n FROM {table.source} WHERE {where_sql} GROUP BY ALL"  # noqa: S608

    lab_cols: list[str] = []
    for i, (d, pl) in enumerate(zip(dims, plans, strict=True)):
        if pl.labels is not None:
            expr = f"d{i}"
            if d.top is not None:
                other = pl.labels.index(d.other) + 1
                top = (
                    f"SELECT d{i} FROM base GROUP BY 1 "  # noqa: S608
                    f"ORDER BY sum(n) DESC, {_str_list(pl.labels)}[d{i}] LIMIT {int(d.top)}"
                )
                expr = f"CASE WHEN d{i} IN ({top}) THEN d{i} ELSE {other} END"
        else:
            expr = _label_sql(d, f"d{i}")
            if d.top is not None:
                top = (
                    f"SELECT v FROM (SELECT {expr} AS v, sum(n) AS s FROM base GROUP BY 1 "  # noqa: S608
                    f"ORDER BY s DESC, v LIMIT {int(d.top)})"
                )
                other_lit = d.other.replace("'", "''")
                expr = f"CASE WHEN {expr} IN ({top}) THEN {expr} ELSE '{other_lit}' END"
        lab_cols.append(f"{expr} AS l{i}")
    lab = f"SELECT {', '.join(lab_cols + list(stat_alias.values()))}, n FROM base"  # noqa: S608
    ls = [f"l{i}" for i in range(len(dims))]
    gs = grouping_sets(table)
    flags = [f"grouping(l{i}) AS g{i}" for i in range(len(dims))]
    if not stats:
        sets = ", ".join("(" + ", ".join(f"l{i}" for i in s) + ")" for s in gs)
        agg = (
            f"SELECT {', '.join(ls + flags)}, CAST(sum(n) AS BIGINT) AS n FROM lab "  # noqa: S608
            f"GROUP BY GROUPING SETS ({sets})"
        )
        stat_out: list[str] = []
    else:
        # Median and mean from the histogram of the value in each cell.
        v = stat_alias[stat_exprs[0]]
        sets = ", ".join("(" + ", ".join([*(f"l{i}" for i in s), v]) + ")" for s in gs)
        part = ", ".join(ls + [f"g{i}" for i in range(len(dims))])
        agg = (
            f"WITH hist AS (SELECT {', '.join(ls + flags)}, {v}, CAST(sum(n) AS BIGINT) AS n FROM lab "  # noqa: S608
            f"GROUP BY GROUPING SETS ({sets})), "
            f"cum AS (SELECT *, sum(n) OVER (PARTITION BY {part}) AS total, "
            f"sum(n) OVER (PARTITION BY {part} ORDER BY {v} ROWS UNBOUNDED PRECEDING) AS upto FROM hist) "
            f"SELECT {part}, CAST(max(total) AS BIGINT) AS n, "
            f"(min({v}) FILTER (WHERE upto >= (total + 1) // 2) + min({v}) FILTER (WHERE upto >= total // 2 + 1)) "
            f"/ 2.0 AS median, sum({v} * n) / sum(n) AS mean FROM cum GROUP BY {part}"
        )
        stat_out = [f"round({s.kind}, 1)" for s in stats]
    labels: list[str] = []
    order: list[str] = []
    sql_keys = _sort_keys(table)
    for i, pl in enumerate(plans):
        if pl.labels is not None:
            labels.append(f"CASE WHEN g{i} = 1 THEN '{T.TOTAL}' ELSE {_str_list(pl.labels)}[l{i}] END")
            order += [f"g{i}", f"l{i}"]
        else:
            labels.append(f"CASE WHEN g{i} = 1 THEN '{T.TOTAL}' ELSE CAST(l{i} AS VARCHAR) END")
            order += sql_keys[i]
    return (
        f"WITH base AS ({base}), lab AS ({lab}), agg AS ({agg}) "  # noqa: S608
        f"SELECT {', '.join([*labels, 'n', *stat_out])} FROM agg ORDER BY {', '.join(order)}"
    )


def compute_table(
    con: duckdb.DuckDBPyConnection,
    table: T.TableDef,
    period: Period,
    *,
    series_length: int = 8,
    codes: _Codes | None = None,
) -> TableResult:
    """Compute one table for ``period`` (unsuppressed)."""
    quarters = series_quarters(period, series_length) if table.time_series else period.quarters()
    codes = codes if codes is not None else _Codes(con)
    sql = build_sql(table, period, quarters, codes)
    rows: list[tuple[Value, ...]] = con.execute(sql).fetchall()
    qi = quarter_index(table)
    if qi is not None:
        rows = _fill_quarters(table, rows, quarters)
        if table.statistics:  # a median is not the sum of its quarters': the years are counted again
            years = _whole_years(quarters)
            annual = replace(table, dimensions=tuple(T.annual(d) if i == qi else d
                                                     for i, d in enumerate(table.dimensions)))
            counted = con.execute(build_sql(annual, period, quarters, codes)).fetchall() if years else []
            rows = _merge_years(rows, [r for r in counted if str(r[qi]) in years and _all_totals(table, r)], qi)
        else:
            rows = with_years(table, rows, quarters)
    return TableResult(table=table, rows=rows, period=period, quarters=list(quarters))


def quarter_index(table: T.TableDef) -> int | None:
    """Where a time series has its quarter (None for a table that is not one)."""
    if not table.time_series:
        return None
    return next((i for i, d in enumerate(table.dimensions) if d.name == "Quarter"), None)


def is_year(label: Value) -> bool:
    """Whether a time series' row is a calendar year's (labelled ``2023``), not a quarter's."""
    return isinstance(label, str) and len(label) == 4 and label.isdigit()


def _all_totals(table: T.TableDef, row: Sequence[Value]) -> bool:
    """Whether a row is the table's total (for its quarter or year, and any dimension shown without totals)."""
    return all(row[i] == T.TOTAL for i, d in enumerate(table.dimensions) if d.totals)


def _whole_years(quarters: Sequence[Quarter]) -> set[str]:
    shown = set(quarters)
    return {str(y) for y in {q.year for q in quarters} if all(Quarter(y, n) in shown for n in range(1, 5))}


def with_years(
    table: T.TableDef, rows: Sequence[tuple[Value, ...]], quarters: Sequence[Quarter], *, basis_from: Quarter | None = None
) -> list[tuple[Value, ...]]:
    """A count-only time series' ``rows`` with the total of each calendar year whose four
    quarters it shows (labelled ``2023``, after the year's fourth quarter): the sum of the
    quarters' totals. Only the total: a year's breakdown beside its quarters' would tie the
    year's small cells to theirs, and protecting them costs several times the cells (the
    annual release shows the year's breakdowns). A year with a quarter whose figures are not
    available (no value) gets none; with ``basis_from`` (the first quarter of a new basis,
    such as the service's own figures after a back series), neither does a year on both
    sides of it. Rows already labelled with a year are replaced."""
    qi = quarter_index(table)
    if qi is None or table.statistics:
        raise ValueError(f"{table.id}: only a count-only time series gets summed years")
    k = len(table.dimensions)
    rows = [r for r in rows if not is_year(r[qi])]
    years = _whole_years(quarters)
    if basis_from is not None and basis_from.number > 1:
        years.discard(str(basis_from.year))
    sums: dict[tuple[Value, ...], int | None] = {}
    for r in rows:
        year = str(r[qi])[:4]
        if year not in years or not _all_totals(table, r):
            continue
        key = (*r[:qi], year, *r[qi + 1:k])
        n = r[k]
        before = sums.get(key, 0)
        sums[key] = None if before is None or not isinstance(n, int) else before + n
    missing = {str(key[qi]) for key, n in sums.items() if n is None}
    annual = [(*key, n, *(None for _ in table.statistics)) for key, n in sums.items() if str(key[qi]) not in missing]
    return _merge_years(rows, annual, qi)


def without_years_before(result: TableResult, first: Quarter) -> TableResult:
    """``result`` without the rows of a year with a quarter before ``first`` (the first quarter
    an extract covers in full: a year counted partly is not a year's count)."""
    qi = quarter_index(result.table)
    if qi is None:
        return result
    rows = [r for r in result.rows if not (is_year(r[qi]) and Quarter(int(str(r[qi])), 1) < first)]
    return result if len(rows) == len(result.rows) else replace(result, rows=rows)


def _merge_years(rows: Sequence[tuple[Value, ...]], annual: Sequence[tuple[Value, ...]], qi: int) -> list[tuple[Value, ...]]:
    """Quarter rows and year rows in one order: each year after its fourth quarter, within
    the groups of any dimensions shown before the quarter."""
    groups: dict[tuple[Value, ...], int] = {}
    for r in (*rows, *annual):
        groups.setdefault(tuple(r[:qi]), len(groups))

    def key(r: tuple[Value, ...]) -> tuple[int, str, bool]:
        label = str(r[qi])
        return (groups[tuple(r[:qi])], label[:4], is_year(label))

    return sorted([*rows, *annual], key=key)  # stable: keeps each quarter's rows in their order


def _fill_quarters(
    table: T.TableDef, rows: list[tuple[Value, ...]], quarters: Sequence[Quarter]
) -> list[tuple[Value, ...]]:
    """Add a zero all-totals row for quarters of the series with no rows at all, so that
    a time series shows every quarter (when the quarter is the first dimension and the
    only one without totals)."""
    qi = next(i for i, d in enumerate(table.dimensions) if d.name == "Quarter")
    if qi != 0 or any(not d.totals and i != qi for i, d in enumerate(table.dimensions)):
        return rows
    k = len(table.dimensions)
    present = {r[qi] for r in rows}
    extra: list[tuple[Value, ...]] = []
    for q in quarters:
        if q.label not in present:
            labels = tuple(q.label if i == qi else T.TOTAL for i in range(k))
            extra.append((*labels, 0, *(None for _ in table.statistics)))
    if not extra:
        return rows
    return sorted(rows + extra, key=lambda r: str(r[qi]))  # stable: keeps the order within a quarter


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
    codes = _Codes(con)
    for t in tables:
        out[t.id] = compute_table(con, t, period, series_length=series_length, codes=codes)
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
    suppressed: bool = False  # a published table suppresses the figure: shown as [c], value and comparison None

    @property
    def change(self) -> float | None:
        """Percentage change on the comparison period (not for percentages)."""
        if self.unit == "percentage" or self.value is None or not self.comparison:
            return None
        return (float(self.value) - float(self.comparison)) / float(self.comparison) * 100.0


def _weighted_median(hist: Sequence[tuple[int, int]]) -> float | None:
    """The median (``quantile_cont(0.5)``) of values given as (value, count) pairs."""
    items = sorted(hist)
    total = sum(n for _, n in items)
    if total == 0:
        return None
    k1, k2 = (total + 1) // 2, total // 2 + 1
    seen = 0
    lo = hi = None
    for v, n in items:
        seen += n
        if lo is None and seen >= k1:
            lo = v
        if seen >= k2:
            hi = v
            break
    assert lo is not None
    assert hi is not None
    return (lo + hi) / 2.0


def _figures(con: duckdb.DuckDBPyConnection, periods: Sequence[Period]) -> list[dict[str, float | int | None]]:
    """The key figures of each period (one scan of each table for all the periods)."""

    def which(col: str) -> str:
        cases = " ".join(
            f"WHEN {col} BETWEEN {_lit(p.start)} AND {_lit(p.end)} THEN {i}" for i, p in enumerate(periods)
        )
        return f"CASE {cases} END"

    def within(col: str) -> str:
        return " OR ".join(f"{col} BETWEEN {_lit(p.start)} AND {_lit(p.end)}" for p in periods)

    out: list[dict[str, float | int | None]] = [{} for _ in periods]
    ref = {
        int(r[0]): (int(r[1]), int(r[2]))
        for r in con.execute(
            f"SELECT {which('referral_date')} AS p, count(*), "  # noqa: S608
            "count(*) FILTER (WHERE age_at_exploitation = 'Child (17 or under)') "
            f"FROM referrals WHERE {within('referral_date')} GROUP BY 1"
        ).fetchall()
    }
    hist: dict[tuple[int, str], list[tuple[int, int]]] = {}
    positive: dict[tuple[int, str], int] = {}
    for pi, stage, pos, d, n in con.execute(
        f"SELECT {which('decision_date')} AS p, stage, outcome = 'Positive', days, count(*) "  # noqa: S608
        f"FROM decisions WHERE {within('decision_date')} GROUP BY ALL"
    ).fetchall():
        hist.setdefault((int(pi), stage), []).append((int(d), int(n)))
        if pos:
            positive[(int(pi), stage)] = positive.get((int(pi), stage), 0) + int(n)
    dtn = {
        int(r[0]): int(r[1])
        for r in con.execute(
            f"SELECT {which('report_date')} AS p, count(*) FROM duty_to_notify "  # noqa: S608
            f"WHERE {within('report_date')} GROUP BY 1"
        ).fetchall()
    }
    filters = T.TABLES_BY_ID["cases_awaiting_cg"].filters
    awaiting_sql = ", ".join(
        "count(*) FILTER (WHERE " + " AND ".join(f"({_subst(f, p)})" for f in filters) + ")" for p in periods
    )
    awaiting_row = con.execute(f"SELECT {awaiting_sql} FROM referrals").fetchone()  # noqa: S608
    assert awaiting_row is not None

    def share(part: int, whole: int) -> float | None:
        return round(part / whole * 100.0, 1) if whole else None

    def round1(v: float | None) -> float | None:
        return None if v is None else round(v, 1)

    for i in range(len(periods)):
        referrals, children = ref.get(i, (0, 0))
        fig = out[i]
        fig["referrals"] = referrals
        fig["children"] = children
        fig["child_share"] = share(children, referrals)
        for key, stage in (("rg", "Reasonable Grounds"), ("cg", "Conclusive Grounds")):
            h = hist.get((i, stage), [])
            made = sum(n for _, n in h)
            fig[f"{key}_decisions"] = made
            fig[f"{key}_positive_share"] = share(positive.get((i, stage), 0), made)
            fig[f"{key}_median_days"] = round1(_weighted_median(h))
        fig["dtn_reports"] = dtn.get(i, 0)
        fig["awaiting_cg"] = int(awaiting_row[i])
    return out


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
    """The headline figures for ``period`` and its comparison period (None where the
    extract does not reach back to the comparison period)."""
    comp_period = period.comparison()
    first, _last = extract_date_range(con)
    covered = first is not None and first <= comp_period.start
    figs = _figures(con, [period, comp_period] if covered else [period])
    now = figs[0]
    before = figs[1] if covered else {}
    return [
        KeyFigure(key, label, unit, now[key], before.get(key) if covered else None)
        for key, label, unit in KEY_FIGURE_LABELS
    ]
