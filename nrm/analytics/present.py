"""How a computed table is laid out in the workbook and its CSV file.

Following the Analysis Function's "Releasing statistics in spreadsheets" guidance:

* a figure is a number, never text: a revised figure stays a number and the ``[r]`` shorthand
  goes in the table's own ``Shorthand`` column (added when the release is compared with
  earlier ones, or a break in the series is marked), naming the revised columns where a row
  has more than one figure; so does ``[b]``, the first quarter after a declared break;
* a cell that holds shorthand (``[c]`` confidential, ``[x]`` not available, ``[z]`` not
  applicable) holds only the shorthand;
* a category that did not exist yet (criminal exploitation, age 'not specified or unknown',
  both recorded from 1 October 2019) is shown with ``[z]`` in the quarters of a time series
  before it existed, not left out.

The workbook's table sheets and the CSV files have the same columns and rows
(:func:`layout`); only the store of figures, the charts and the disclosure audit see the
table as computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from nrm.analytics import backseries
from nrm.analytics.engine import TableResult, Value, is_year, quarter_index
from nrm.analytics.periods import Quarter
from nrm.analytics.tables import TOTAL

__all__ = [
    "BREAK",
    "NEW_CATEGORIES",
    "NOT_APPLICABLE",
    "REVISED",
    "SHORTHAND_COLUMN",
    "Layout",
    "NewCategory",
    "layout",
    "not_applicable_rows",
]

REVISED = "[r]"
BREAK = "[b]"
NOT_APPLICABLE = "[z]"
SHORTHAND_COLUMN = "Shorthand"


@dataclass(frozen=True)
class NewCategory:
    """A category of ``dimension`` first recorded in ``quarter``: values equal to ``value``
    (or, for a combination dimension, combinations that include it)."""

    dimension: str
    value: str
    quarter: Quarter
    combination: bool = False

    def matches(self, label: Value) -> bool:
        s = str(label)
        if s == TOTAL:
            return False
        if self.combination:
            return self.value in [p.strip() for p in s.replace(" & ", ", ").split(",")]
        return s == self.value


def _new_categories() -> tuple[NewCategory, ...]:
    breaks = {b.id: b for b in backseries.SERIES_BREAKS}
    return (
        NewCategory("Exploitation type", "Criminal", breaks["criminal_exploitation"].quarter, combination=True),
        NewCategory("Age at exploitation", backseries.UNKNOWN, breaks["unknown_age"].quarter),
    )


NEW_CATEGORIES: tuple[NewCategory, ...] = _new_categories()


def _quarter_of(label: Value) -> Quarter | None:
    """The quarter of a time series' row; for a year's row its last quarter (a category
    recorded in any quarter of the year is in the year)."""
    s = str(label)
    if len(s) == 7 and s[4:6] == "-Q" and s[:4].isdigit() and s[6] in "1234":
        return Quarter(int(s[:4]), int(s[6]))
    if is_year(s):
        return Quarter(int(s), 4)
    return None


def not_applicable_rows(res: TableResult, categories: Iterable[NewCategory] = NEW_CATEGORIES) -> TableResult:
    """``res`` (a time-series table) with a ``[z]`` row for each category that did not exist
    yet, in every quarter before it was first recorded: one beside each row of that quarter,
    with the category in place of that row's value. Rows are added, never changed; a table
    that is not a time series, or shows no quarter before a category existed, is returned as it is."""
    t = res.table
    qi = quarter_index(t)
    if qi is None or not res.rows:
        return res
    names = [d.name for d in t.dimensions]
    k = len(names)
    n_values = len(res.rows[0]) - k
    rows = list(res.rows)
    for cat in categories:
        if cat.dimension not in names:
            continue
        di = names.index(cat.dimension)
        later_values = list(
            dict.fromkeys(r[di] for r in rows if (q := _quarter_of(r[qi])) is not None and q >= cat.quarter
                          and cat.matches(r[di]))
        )
        if not later_values:
            later_values = [cat.value]
        rows = _with_not_applicable(rows, k, n_values, qi, di, cat, later_values)
    if len(rows) == len(res.rows):
        return res
    return replace(res, rows=rows)


def _order_key(rows: Sequence[tuple[Value, ...]], k: int, qi: int, since: Quarter) -> Any:
    """A sort key putting rows in the table's order: each dimension's values in the order the
    table shows them where every category exists (from ``since``), ``Total`` last."""
    rank: list[dict[Value, int]] = [{} for _ in range(k)]
    later = [r for r in rows if (q := _quarter_of(r[qi])) is not None and q >= since]
    for r in [*later, *rows]:
        for i in range(k):
            rank[i].setdefault(r[i], len(rank[i]))

    def key(r: tuple[Value, ...]) -> tuple[int, ...]:
        return tuple(1 << 30 if r[i] == TOTAL else rank[i].get(r[i], 1 << 29) for i in range(k))

    return key


def _block_with_not_applicable(
    block: list[tuple[Value, ...]], k: int, di: int, n_values: int, new_values: Sequence[Value]
) -> list[tuple[Value, ...]]:
    """The rows of one quarter with a [z] row beside each, for each new value not shown."""
    have = {r[:k] for r in block}
    added: list[tuple[Value, ...]] = []
    for r in block:
        for v in new_values:
            dims = (*r[:di], v, *r[di + 1 : k])
            if dims not in have:
                have.add(dims)
                added.append((*dims, *((NOT_APPLICABLE,) * n_values)))
    return added


def _with_not_applicable(
    rows: list[tuple[Value, ...]],
    k: int,
    n_values: int,
    qi: int,
    di: int,
    cat: NewCategory,
    new_values: Sequence[Value],
) -> list[tuple[Value, ...]]:
    key = _order_key(rows, k, qi, cat.quarter)
    out: list[tuple[Value, ...]] = []
    i = 0
    while i < len(rows):
        j = i
        prefix = rows[i][: qi + 1]
        while j < len(rows) and rows[j][: qi + 1] == prefix:
            j += 1
        block = rows[i:j]
        q = _quarter_of(prefix[qi])
        # a quarter with no figures at all (not available: [x]) needs no [z] beside it, nor a year (its total only)
        if (q is not None and q < cat.quarter and not is_year(prefix[qi])
                and any(isinstance(r[k], (int, float)) for r in block)):
            added = _block_with_not_applicable(block, k, di, n_values, new_values)
            if added:
                block = sorted(block + added, key=key)
        out.extend(block)
        i = j
    return out


@dataclass(frozen=True)
class Layout:
    """A table as published: its columns and rows (numbers as numbers, shorthand alone in a cell)."""

    columns: list[str]
    rows: list[tuple[Value, ...]]
    value_columns: int  # how many columns after the dimensions hold figures


def _revised_text(names: Sequence[str], revised: Sequence[str]) -> str:
    if not revised:
        return ""
    if len(names) == 1 or list(revised) == list(names):
        return REVISED
    return f"{REVISED} {', '.join(revised)}"


def layout(
    res: TableResult,
    revised: Sequence[Sequence[str]] | None = None,
    *,
    breaks_at: frozenset[str] = frozenset(),
    not_available: str = "[x]",
) -> Layout:
    """``res`` as it is published: each missing figure ``[x]``, a ``[z]`` row for each category
    that did not exist yet, and a ``Shorthand`` column (when ``revised`` is given: per row, the
    names of its revised columns; or when a row's first dimension is a quarter in ``breaks_at``)
    holding ``[r]`` and ``[b]``."""
    t = res.table
    k = len(t.dimensions)
    names = [t.measure, *(s.name for s in t.statistics)]
    rows: list[tuple[Value, ...]] = list(res.rows)
    if any(v is None for r in rows for v in r[k:]):
        rows = [(*r[:k], *(not_available if v is None else v for v in r[k:])) for r in rows]
    columns = list(res.columns)
    broken = [bool(breaks_at) and k > 0 and str(r[0]) in breaks_at for r in rows]
    if revised is not None or any(broken):
        rv = revised if revised is not None else [[] for _ in rows]
        if len(rv) != len(rows):
            raise ValueError(f"{t.id}: {len(rv)} revision marks for {len(rows)} rows")
        columns.append(SHORTHAND_COLUMN)
        texts = [" ".join(x for x in (BREAK if b else "", _revised_text(names, r)) if x) for r, b in zip(rv, broken,
                                                                                                         strict=True)]
        rows = [(*r, text) for r, text in zip(rows, texts, strict=True)]
    res_z = not_applicable_rows(
        TableResult(table=t, rows=rows, period=res.period, quarters=res.quarters, suppressed=res.suppressed)
    )
    out = res_z.rows
    if len(columns) > len(res.columns) and len(out) != len(rows):  # a [z] row was never published: no shorthand
        out = [(*r[:-1], "") if r[k] == NOT_APPLICABLE else r for r in out]
    return Layout(columns=columns, rows=list(out), value_columns=len(names))
