"""Revisions: every publication keeps the figures it published; the next one finds what
has changed since.

The published-figures store
---------------------------
:class:`FiguresStore` keeps, for each publication (one per period label, ``2023-Q3`` or
``2023``; publishing a period again replaces it), every cell it published as a
:class:`Figure`: the table id, the period the cell refers to (the row's quarter in a
time-series table, otherwise the publication's period), the cell's dimension labels,
the column (the count or a statistic) and the value as published (after disclosure
control, so ``[c]`` is stored as ``[c]``). Figures are one Parquet file per
publication; ``publication.json`` beside it records when, from which extract (file
SHA-256), the tables' columns, and the data-quality findings and overrides of that run.
Publishing a period again (a re-issue, say after a correction) never overwrites what
users saw: the earlier issue moves to ``<label>/versions/<n>/`` and the new one records
its version number and the stated reason for the re-issue.

Finding revisions
-----------------
:func:`find_revisions` compares the latest published value of every cell of an earlier
period with the same cell computed now: time-series tables recompute every earlier
quarter they show; for other tables the pipeline recomputes the earlier period's tables
(:func:`revision_periods` says which) and passes those figures too. A cell that is not
in a table counts as zero for the count column (combinations with no cases are not
shown); statistics (median days) compare to one decimal place. Each difference is a
:class:`Revision` (table, period, cell, column, old value, new value). :func:`explain`
attaches a cause where a data-quality finding names the period and a category of the
cell. :func:`revised_columns` says which figures of each row of a table were revised (shown
``[r]`` in a column of their own);
:func:`revisions_sheet` and :func:`revisions_html` give the revisions worksheet and the
bulletin's section.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import pyarrow.parquet as pq

from nrm.analytics.engine import TableResult, Value
from nrm.analytics.periods import Period, parse_period
from nrm.analytics.tables import TOTAL

__all__ = [
    "DEFAULT_STORE",
    "REVISED",
    "REVISIONS_COLUMNS",
    "Cause",
    "Figure",
    "FiguresStore",
    "Publication",
    "Revision",
    "RevisionCause",
    "RevisionReport",
    "TableShape",
    "explain",
    "figures_from_results",
    "find_revisions",
    "latest_published",
    "reissue_cause",
    "revise",
    "revised_cells",
    "revised_columns",
    "revision_periods",
    "revisions_html",
    "revisions_sheet",
    "revisions_summary",
    "shapes_of",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STORE = Path(os.environ.get("NRM_VAR_DIR", REPO_ROOT / "var")) / "stats" / "published"
REVISED = "[r]"
REVISIONS_COLUMNS = (
    "Table",
    "Period",
    "Cell",
    "Column",
    "Previously published",
    "Revised figure",
    "Change",
    "Previously published in",
    "Reason",
)
_LABEL_RE = re.compile(r"^[0-9]{4}(-Q[1-4])?$")


# ---------------------------------------------------------------------------
# Figures


_json_string = json.encoder.encode_basestring_ascii
_new = tuple.__new__  # builds a named tuple from a tuple without Python-level code: fast for many


class Figure(NamedTuple):
    """One published cell. (A named tuple: a publication has hundreds of thousands.)"""

    table_id: str
    reference_period: str  # the quarter of a time-series row, else the publication's period
    cell: tuple[str, ...]  # the row's dimension labels
    column: str  # the count column or a statistic
    value: Value

    @property
    def key(self) -> tuple[str, str, tuple[str, ...], str]:
        return (self.table_id, self.reference_period, self.cell, self.column)


@dataclass(frozen=True)
class TableShape:
    """What the store needs to know about a table to compare and describe its cells."""

    title: str
    dimensions: tuple[str, ...]
    measure: str
    statistics: tuple[str, ...] = ()
    time_series: bool = False


def _reference_period(result: TableResult, row: Sequence[Value]) -> str:
    dims = result.table.dimensions
    if result.table.time_series:
        for i, d in enumerate(dims):
            if d.name == "Quarter" and row[i] != TOTAL:
                return str(row[i])
    return result.period.label


def figures_from_results(results: Iterable[TableResult]) -> list[Figure]:
    """Every cell of ``results`` (as published: pass the tables after disclosure control)."""
    out: list[Figure] = []
    for res in results:
        k = len(res.table.dimensions)
        names = [res.table.measure, *(s.name for s in res.table.statistics)]
        tid = res.table.id
        quarter_at = next(
            (i for i, d in enumerate(res.table.dimensions) if d.name == "Quarter"), None
        ) if res.table.time_series else None
        label = res.period.label
        for row in res.rows:
            cell = tuple(map(str, row[:k]))
            ref = label if quarter_at is None or row[quarter_at] == TOTAL else str(row[quarter_at])
            for j, name in enumerate(names):
                out.append(_new(Figure, (tid, ref, cell, name, row[k + j])))
    return out


def shapes_of(results: Iterable[TableResult]) -> dict[str, TableShape]:
    return {
        r.table.id: TableShape(
            title=r.table.title,
            dimensions=tuple(d.name for d in r.table.dimensions),
            measure=r.table.measure,
            statistics=tuple(s.name for s in r.table.statistics),
            time_series=r.table.time_series,
        )
        for r in results
    }


# ---------------------------------------------------------------------------
# The store


@dataclass(frozen=True)
class Publication:
    """A stored publication: what it published and the circumstances."""

    label: str
    published_at: str
    extract: tuple[tuple[str, str], ...]  # (file name, SHA-256)
    tables: Mapping[str, TableShape]
    findings: tuple[Mapping[str, Any], ...] = ()
    overrides: tuple[Mapping[str, Any], ...] = ()
    figures: tuple[Figure, ...] = ()
    version: int = 1  # 1 for the first issue of the period, 2 for its first re-issue...
    reason: str = ""  # why the period was re-issued (empty for a first issue)

    @property
    def period(self) -> Period:
        return parse_period(self.label)


def _encode(v: Value) -> str:
    """A value as JSON (fast for the usual counts)."""
    if type(v) is int:
        return str(v)
    return json.dumps(v)


def _decode(s: str) -> Value:
    if s.isdigit():
        return int(s)
    v = json.loads(s)
    if v is None or isinstance(v, (str, int, float)):
        return v
    raise ValueError(f"bad stored value {s!r}")


def _write_parquet(columns: Mapping[str, list[str]], path: Path) -> None:
    """Write text ``columns`` as Parquet with DuckDB, from NumPy arrays (building Arrow
    arrays from Python lists would import pandas: a second's start-up for one file)."""
    import duckdb
    import numpy as np

    con = duckdb.connect(":memory:")
    try:
        con.register("figures", {name: np.array(values, dtype=object) for name, values in columns.items()})
        select = ", ".join(f'CAST("{name}" AS VARCHAR) AS "{name}"' for name in columns)
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT {select} FROM figures) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")  # noqa: S608
    finally:
        con.close()


class FiguresStore:
    """Published figures on disk: ``<root>/<label>/figures.parquet`` and
    ``<root>/<label>/publication.json``."""

    def __init__(self, root: str | os.PathLike[str] = DEFAULT_STORE) -> None:
        self.root = Path(root)
        self._loaded: dict[tuple[str, bool], tuple[tuple[int, int], Publication]] = {}

    def _dir(self, label: str) -> Path:
        if not _LABEL_RE.match(label):
            raise ValueError(f"a publication is named by its period, like 2023-Q4 or 2023, not {label!r}")
        return self.root / label

    def save(
        self,
        period: Period | str,
        results: Sequence[TableResult],
        *,
        extract: Sequence[tuple[str, str]] = (),
        findings: Sequence[Mapping[str, Any]] = (),
        overrides: Sequence[Mapping[str, Any]] = (),
        published_at: datetime | None = None,
        figures: Sequence[Figure] | None = None,
        reason: str = "",
    ) -> Publication:
        """Store what a publication published (its tables after disclosure control).
        An earlier issue of the same period is kept as a numbered version (see
        :meth:`issues`); this one becomes the current issue, with ``reason`` recorded.
        ``figures`` (the tables' :func:`figures_from_results`, if the caller has them
        already) saves working them out again."""
        label = period.label if isinstance(period, Period) else parse_period(period).label
        figures = figures_from_results(results) if figures is None else list(figures)
        when = (published_at or datetime.now(UTC)).replace(microsecond=0).isoformat()
        d = self._dir(label)
        d.mkdir(parents=True, exist_ok=True)
        version = self._keep_current_issue(d)
        pub = Publication(
            label=label,
            published_at=when,
            extract=tuple((str(a), str(b)) for a, b in extract),
            tables=shapes_of(results),
            findings=tuple(dict(f) for f in findings),
            overrides=tuple(dict(o) for o in overrides),
            figures=tuple(figures),
            version=version,
            reason=reason.strip(),
        )
        cell_json: dict[tuple[str, ...], str] = {}
        for f in figures:
            if f[2] not in cell_json:  # as json.dumps(list(cell)) writes it, faster
                cell_json[f[2]] = "[" + ", ".join(map(_json_string, f[2])) + "]"
        columns = {
            "table_id": [f[0] for f in figures],
            "reference_period": [f[1] for f in figures],
            "cell": [cell_json[f[2]] for f in figures],
            "column": [f[3] for f in figures],
            "value": [_encode(f[4]) for f in figures],
        }
        tmp = d / "figures.parquet.tmp"
        _write_parquet(columns, tmp)
        os.replace(tmp, d / "figures.parquet")
        meta = {
            "label": pub.label,
            "published_at": pub.published_at,
            "extract": [{"file": a, "sha256": b} for a, b in pub.extract],
            "tables": {k: asdict(v) for k, v in pub.tables.items()},
            "findings": list(pub.findings),
            "overrides": list(pub.overrides),
            "version": pub.version,
            "reason": pub.reason,
        }
        tmp = d / "publication.json.tmp"
        tmp.write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, d / "publication.json")
        return pub

    def _keep_current_issue(self, d: Path) -> int:
        """Move the current issue in ``d`` (if any) to ``d/versions/<its version>/``;
        the version number the next issue takes."""
        meta = d / "publication.json"
        if not meta.is_file():
            return 1
        old = int(json.loads(meta.read_text(encoding="utf-8")).get("version", 1))
        keep = d / "versions" / str(old)
        keep.mkdir(parents=True, exist_ok=False)
        if (d / "figures.parquet").is_file():
            os.replace(d / "figures.parquet", keep / "figures.parquet")
        os.replace(meta, keep / "publication.json")
        self._loaded.clear()
        return old + 1

    def issues(self, label: str, *, figures: bool = True) -> list[Publication]:
        """Every issue of ``label``, first issue first, the current one last (empty if
        the period has not been published)."""
        d = self._dir(label)
        if not (d / "publication.json").is_file():
            return []
        kept = d / "versions"
        older = sorted(
            int(v.name) for v in kept.iterdir() if v.name.isdigit() and (v / "publication.json").is_file()
        ) if kept.is_dir() else []
        return [*(self._read(kept / str(n), figures) for n in older), self.load(label, figures=figures)]

    def current(self, label: str) -> Publication | None:
        """The current issue of ``label`` (the one users see), or None."""
        return self.load(label) if (self._dir(label) / "publication.json").is_file() else None

    def labels(self) -> list[str]:
        """Stored publications, oldest first (by when they were published)."""
        if not self.root.is_dir():
            return []
        found = []
        for d in self.root.iterdir():
            meta = d / "publication.json"
            if d.is_dir() and _LABEL_RE.match(d.name) and meta.is_file():
                found.append((json.loads(meta.read_text(encoding="utf-8"))["published_at"], d.name))
        return [label for _, label in sorted(found)]

    def forget(self) -> None:
        """Drop the publications read so far (they are read again when next needed)."""
        self._loaded.clear()

    def load(self, label: str, *, figures: bool = True) -> Publication:
        """A stored publication (read once; read again only if it was saved again)."""
        d = self._dir(label)
        stamp = tuple(
            (p.stat().st_mtime_ns if p.exists() else 0) for p in (d / "publication.json", d / "figures.parquet")
        )
        key = (label, figures)
        hit = self._loaded.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        pub = self._read(d, figures)
        self._loaded[key] = ((stamp[0], stamp[1]), pub)
        return pub

    def _read(self, d: Path, figures: bool) -> Publication:
        meta = json.loads((d / "publication.json").read_text(encoding="utf-8"))
        figs: tuple[Figure, ...] = ()
        if figures:
            t = pq.ParquetFile(d / "figures.parquet").read()
            cols = {n: t.column(n).to_pylist() for n in t.column_names}
            # one JSON parse for each column, not one for each figure
            cells = map(tuple, json.loads("[" + ",".join(cols["cell"]) + "]"))
            values = json.loads("[" + ",".join(cols["value"]) + "]")
            for v in values:
                if not (v is None or isinstance(v, (str, int, float))):
                    raise ValueError(f"bad stored value {v!r} in {d / 'figures.parquet'}")
            rows = zip(cols["table_id"], cols["reference_period"], cells, cols["column"], values, strict=True)
            figs = tuple(map(_new, repeat(Figure), rows))
        return Publication(
            label=meta["label"],
            published_at=meta["published_at"],
            extract=tuple((e["file"], e["sha256"]) for e in meta.get("extract", [])),
            tables={
                k: TableShape(
                    title=v["title"],
                    dimensions=tuple(v["dimensions"]),
                    measure=v["measure"],
                    statistics=tuple(v.get("statistics", ())),
                    time_series=bool(v.get("time_series", False)),
                )
                for k, v in meta.get("tables", {}).items()
            },
            findings=tuple(meta.get("findings", ())),
            overrides=tuple(meta.get("overrides", ())),
            figures=figs,
            version=int(meta.get("version", 1)),
            reason=str(meta.get("reason", "")),
        )

    def earlier(self, period: Period | str) -> list[Publication]:
        """Every stored publication other than ``period`` itself whose period ends no later
        than ``period``'s, oldest published first."""
        p = period if isinstance(period, Period) else parse_period(period)
        out = []
        for label in self.labels():
            if label == p.label:
                continue
            if parse_period(label).end <= p.end:
                out.append(self.load(label))
        return out

    def previous(self, period: Period | str) -> Publication | None:
        """The most recently published of :meth:`earlier`."""
        found = self.earlier(period)
        return found[-1] if found else None


def revision_periods(store: FiguresStore, period: Period | str, *, depth: int = 1) -> list[Period]:
    """The earlier periods whose (non-time-series) tables the pipeline should recompute
    with the current data so that their revisions are found: the periods of the latest
    ``depth`` earlier publications that end before ``period`` starts."""
    p = period if isinstance(period, Period) else parse_period(period)
    labels = [pub.label for pub in store.earlier(p) if pub.period.end < p.start]
    return [parse_period(label) for label in labels[-depth:]] if depth > 0 else []


# ---------------------------------------------------------------------------
# Revisions


@dataclass(frozen=True)
class Revision:
    """A published figure that has changed."""

    table_id: str
    table_title: str
    reference_period: str
    cell: tuple[str, ...]
    dimensions: tuple[str, ...]
    column: str
    old: Value
    new: Value
    published_in: str  # the publication that last published ``old``
    cause: str | None = None

    @property
    def change(self) -> int | float | None:
        if isinstance(self.old, (int, float)) and isinstance(self.new, (int, float)):
            d = self.new - self.old
            return round(d, 1) if isinstance(d, float) else d
        return None

    @property
    def headline(self) -> bool:
        """Whether a reader sees this figure at a glance: a total or a one-way breakdown
        (at most one dimension other than the quarter is not Total), not a detailed cell."""
        return sum(1 for d, v in zip(self.dimensions, self.cell, strict=False) if v != TOTAL and d != "Quarter") <= 1

    @property
    def cell_label(self) -> str:
        """``Quarter 2023-Q2; Age at exploitation Child (17 or under)`` (Total dimensions left out)."""
        parts = [f"{d} {v}" for d, v in zip(self.dimensions, self.cell, strict=False) if v != TOTAL]
        return "; ".join(parts) if parts else "Total"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cell"] = list(self.cell)
        d["dimensions"] = list(self.dimensions)
        d["change"] = self.change
        d["cell_label"] = self.cell_label
        return d


def _same(a: Value, b: Value) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) or isinstance(b, float):
            return round(float(a), 1) == round(float(b), 1)
        return a == b
    return a == b


def latest_published(publications: Iterable[Publication]) -> tuple[dict[tuple[str, str, tuple[str, ...], str], tuple[Value, str]], dict[str, TableShape]]:
    """The latest published value of every cell, and which publication published it
    (``publications`` oldest first)."""
    values: dict[tuple[str, str, tuple[str, ...], str], tuple[Value, str]] = {}
    shapes: dict[str, TableShape] = {}
    for pub in publications:
        shapes.update(pub.tables)
        label = pub.label
        for f in pub.figures:
            values[(f[0], f[1], f[2], f[3])] = (f[4], label)
    return values, shapes


def find_revisions(
    earlier: Publication | Sequence[Publication],
    current: Iterable[Figure],
    *,
    period: Period | str,
    shapes: Mapping[str, TableShape] | None = None,
    reissue: bool = False,
) -> list[Revision]:
    """The cells of periods before ``period`` whose value now (``current``, as it would
    be published) differs from the value last published in ``earlier``.

    Only (table, reference period) pairs present in both are compared, so a table or
    period not recomputed now is not reported as changed. ``shapes`` (from
    :func:`shapes_of`) describes the current tables; the earlier publications' own
    descriptions are used otherwise. With ``reissue`` (``period`` published again), the
    cells of ``period`` itself are compared instead.
    """
    p = period if isinstance(period, Period) else parse_period(period)
    pubs = [earlier] if isinstance(earlier, Publication) else list(earlier)
    before, old_shapes = latest_published(pubs)
    shape_of = {**old_shapes, **(shapes or {})}
    now: dict[tuple[str, str, tuple[str, ...], str], Value] = {}
    for f in current:
        now[(f[0], f[1], f[2], f[3])] = f[4]  # in order of first appearance (dicts keep it)
    order = list(now)
    is_earlier: dict[str, bool] = {}

    def earlier_period(ref: str) -> bool:
        hit = is_earlier.get(ref)
        if hit is None:
            try:
                rp = parse_period(ref)
                hit = (p.start <= rp.start and rp.end <= p.end) if reissue else rp.end < p.start
            except ValueError:
                hit = False
            is_earlier[ref] = hit
        return hit

    compared = {(k[0], k[1]) for k in now if earlier_period(k[1])} & {(k[0], k[1]) for k in before}
    keys = [k for k in order if (k[0], k[1]) in compared]
    keys += sorted(k for k in before if (k[0], k[1]) in compared and k not in now)
    published_in_of: dict[tuple[str, str], str] = {}
    for (t, r, _c, _col), (_v, label) in before.items():
        published_in_of[(t, r)] = label
    out: list[Revision] = []
    for key in keys:
        table_id, ref, cell, column = key
        shape = shape_of.get(table_id)
        is_count = shape is None or column == shape.measure
        missing: Value = 0 if is_count else None
        old, published_in = before.get(key, (missing, published_in_of.get((table_id, ref), "")))
        new = now.get(key, missing)
        if _same(old, new):
            continue
        out.append(
            Revision(
                table_id=table_id,
                table_title=shape.title if shape else table_id,
                reference_period=ref,
                cell=cell,
                dimensions=shape.dimensions if shape else tuple(f"Dimension {i + 1}" for i in range(len(cell))),
                column=column,
                old=old,
                new=new,
                published_in=published_in,
            )
        )
    return out


# ---------------------------------------------------------------------------
# Causes


class Cause(Protocol):
    """Anything that can explain revisions: a data-quality finding or a recorded note.

    It explains a revision of a cell in period ``period`` (None: any) whose labels
    include one of ``categories``; ``table_id`` (None: any) narrows it to one table.
    """

    @property
    def period(self) -> str | None: ...

    @property
    def categories(self) -> tuple[str, ...]: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class RevisionCause:
    """A cause recorded by an analyst (for example a corrected processing error)."""

    message: str
    period: str | None = None
    categories: tuple[str, ...] = ()
    table_id: str | None = None


def _in_period(ref: str, period: str | None) -> bool:
    if period is None:
        return True
    if ref == period:
        return True
    try:
        a, b = parse_period(ref), parse_period(period)
    except ValueError:
        return False
    return b.start <= a.start and a.end <= b.end


def _mentions(cell: Sequence[str], category: str) -> bool:
    for label in cell:
        if label == category:
            return True
        parts = [x.strip() for x in label.replace(" & ", ", ").split(", ")]
        if category in parts:
            return True
    return False


def explain(revisions: Sequence[Revision], causes: Iterable[Cause | Mapping[str, Any]]) -> list[Revision]:
    """``revisions`` with ``cause`` set where a cause names the revision's period and one
    of the categories in its cell, or (a cause with no categories) its table; several
    matching causes are joined."""
    prepared: list[tuple[str | None, tuple[str, ...], str, str | None]] = []
    for c in causes:
        if isinstance(c, Mapping):
            period, cats, msg = c.get("period"), tuple(c.get("categories") or ()), str(c.get("message", ""))
            table_id = c.get("table_id")
        else:
            period, cats, msg = c.period, tuple(c.categories), c.message
            table_id = getattr(c, "table_id", None)
        if msg and (cats or table_id):
            prepared.append((period, cats, msg, table_id))
    out: list[Revision] = []
    for r in revisions:
        reasons = [
            msg
            for period, cats, msg, table_id in prepared
            if (table_id is None or table_id == r.table_id)
            and _in_period(r.reference_period, period)
            and (any(_mentions(r.cell, c) for c in cats) if cats else table_id == r.table_id)
        ]
        unique = list(dict.fromkeys(reasons))
        out.append(replace(r, cause="; ".join(unique)) if unique else r)
    return out


# ---------------------------------------------------------------------------
# Presenting revisions


def revised_cells(
    revisions: Iterable[Revision], table_id: str
) -> set[tuple[str, tuple[str, ...], str]]:
    """The (reference period, cell, column) triples of ``table_id`` that were revised."""
    return {(r.reference_period, r.cell, r.column) for r in revisions if r.table_id == table_id}


def revised_columns(result: TableResult, revisions: Iterable[Revision]) -> list[list[str]]:
    """For each row of ``result``, the names of its figures (count, statistics) that were
    revised: the publication shows ``[r]`` for them in a column of its own, and the figures
    stay numbers. Only cells this table shows are marked: a revision of an earlier period's
    table that is not republished (a table for the period only), or a revised count that is
    now zero in a table that leaves out empty combinations, is listed only on the revisions
    sheet."""
    marks = revised_cells(revisions, result.table.id)
    if not marks:
        return [[] for _ in result.rows]
    k = len(result.table.dimensions)
    names = [result.table.measure, *(s.name for s in result.table.statistics)]
    out: list[list[str]] = []
    for row in result.rows:
        cell = tuple(str(v) for v in row[:k])
        ref = _reference_period(result, row)
        out.append([name for name in names if (ref, cell, name) in marks])
    return out


def revisions_sheet(revisions: Sequence[Revision]) -> tuple[tuple[str, ...], list[tuple[Value, ...]]]:
    """The revisions worksheet (and CSV): its columns and one row per revision."""
    rows: list[tuple[Value, ...]] = []
    for r in revisions:
        rows.append(
            (
                r.table_title,
                r.reference_period,
                r.cell_label,
                r.column,
                r.old,
                r.new,
                r.change,
                r.published_in,
                r.cause or "Updated case records",
            )
        )
    return REVISIONS_COLUMNS, rows


def revisions_summary(revisions: Sequence[Revision]) -> list[str]:
    """Sentences for the bulletin: how many figures were revised in which tables, and why."""
    if not revisions:
        return ["No figures published earlier have been revised in this release."]
    by_table: dict[str, list[Revision]] = {}
    for r in revisions:
        by_table.setdefault(r.table_title, []).append(r)
    out = [
        f"{len(revisions):,} figure{'s' if len(revisions) != 1 else ''} published earlier "
        f"{'have' if len(revisions) != 1 else 'has'} been revised; revised figures are marked [r] and listed on the "
        "revisions worksheet."
    ]
    headline = sum(1 for r in revisions if r.headline)
    out.append(f"Of these, {headline:,} {'are totals or one-way breakdowns' if headline != 1 else 'is a total or a one-way '
               'breakdown'}; the other {len(revisions) - headline:,} are detailed cells of the same tables.")
    for title, rs in by_table.items():
        periods = sorted({r.reference_period for r in rs})
        top = sum(1 for r in rs if r.headline)
        out.append(f"{title}: {len(rs):,} revised, {top:,} of them totals or one-way breakdowns "
                   f"(periods {', '.join(periods)}).")
    causes = list(dict.fromkeys(r.cause for r in revisions if r.cause))
    for c in causes:
        out.append(f"Reason: {c}")
    return out


def revisions_html(revisions: Sequence[Revision], *, limit: int = 50, heading: bool = True) -> str:
    """The bulletin's revisions section (HTML, GOV.UK Design System classes): the summary
    and a table of the revisions (the first ``limit``; the worksheet has them all).
    ``heading=False`` leaves out the section's heading (for a page that adds its own)."""
    e = html.escape
    parts = ['<h2 class="govuk-heading-l" id="revisions">Revisions</h2>'] if heading else []
    for line in revisions_summary(revisions):
        parts.append(f'<p class="govuk-body">{e(line)}</p>')
    if revisions:
        parts.append('<table class="govuk-table"><caption class="govuk-table__caption govuk-table__caption--m">'
                     "Revised figures</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">")
        for col in ("Table", "Period", "Cell", "Previously published", "Revised", "Reason"):
            parts.append(f'<th scope="col" class="govuk-table__header">{e(col)}</th>')
        parts.append('</tr></thead><tbody class="govuk-table__body">')
        for r in revisions[:limit]:
            cells = (r.table_title, r.reference_period, f"{r.cell_label} ({r.column})", str(r.old), str(r.new),
                     r.cause or "Updated case records")
            parts.append('<tr class="govuk-table__row">' + "".join(
                f'<td class="govuk-table__cell">{e(c)}</td>' for c in cells) + "</tr>")
        parts.append("</tbody></table>")
        if len(revisions) > limit:
            parts.append(f'<p class="govuk-body">The other {len(revisions) - limit:,} revisions are on the revisions '
                         "worksheet.</p>")
    return "\n".join(parts)


def _period_of(c: Cause | Mapping[str, Any]) -> str | None:
    if isinstance(c, Mapping):
        v = c.get("period")
        return str(v) if v else None
    return c.period


@dataclass
class RevisionReport:
    """Everything the pipeline needs from one comparison (see :func:`revise`)."""

    revisions: list[Revision] = field(default_factory=list)
    compared_with: list[str] = field(default_factory=list)
    # the issue of this same period that users saw, when this publication re-issues it
    reissue_of: Publication | None = None

    def reissue_text(self) -> str | None:
        """A sentence saying which issue this re-issue replaces, and why, or None."""
        pub = self.reissue_of
        if pub is None:
            return None
        n = sum(1 for r in self.revisions if r.published_in == pub.label
                and parse_period(r.reference_period).start >= pub.period.start)
        return (f"This release re-issues {pub.label}, replacing the version published on {pub.published_at[:10]} "
                f"(issue {pub.version}), which is kept; {n:,} of its figure{'s' if n != 1 else ''} "
                f"{'have' if n != 1 else 'has'} changed.")


def reissue_cause(pub: Publication, reason: str = "") -> str:
    """Why a re-issue of ``pub``'s period revises its figures: the stated ``reason``,
    else the overrides ``pub`` was published with (the checks that failed and why it was
    released anyway), else a plain correction."""
    if reason.strip():
        return f"Correction of the {pub.label} release of {pub.published_at[:10]}: {reason.strip()}"
    overridden = [f"{o.get('check')} ({o.get('reason')})" for o in pub.overrides if o.get("check")]
    if overridden:
        return (f"Correction of the {pub.label} release of {pub.published_at[:10]}, published although "
                f"data-quality check{'s' if len(overridden) != 1 else ''} failed: {'; '.join(overridden)}")
    return f"Correction of the {pub.label} release of {pub.published_at[:10]}"


def revise(
    store: FiguresStore,
    period: Period | str,
    current: Sequence[TableResult],
    recomputed: Sequence[TableResult] = (),
    *,
    causes: Iterable[Cause | Mapping[str, Any]] = (),
    reason: str = "",
) -> RevisionReport:
    """Compare the tables of this publication (``current``) and the earlier periods'
    tables recomputed now (``recomputed``; see :func:`revision_periods`) with everything
    published before, and explain what the causes (this run's and the earlier
    publications' data-quality findings, and recorded causes) can.

    If ``period`` itself was published before, this is a re-issue: the earlier periods
    are compared as the first issue compared them, and every figure of the period itself
    with the issue users saw; a changed figure of the period takes :func:`reissue_cause`
    (``reason``, or the overrides that issue was published with) as its cause."""
    p = period if isinstance(period, Period) else parse_period(period)
    pubs = store.earlier(p)
    seen = store.current(p.label)
    if not pubs and seen is None:
        return RevisionReport()
    shapes = shapes_of([*current, *recomputed])
    found: list[Revision] = []
    if pubs:
        # only time series show earlier periods among this publication's own tables
        figures = figures_from_results([r for r in current if r.table.time_series]) + figures_from_results(recomputed)
        found = find_revisions(pubs, figures, period=p, shapes=shapes)
    if seen is not None:
        found += find_revisions(seen, figures_from_results(current), period=p, shapes=shapes, reissue=True)
        pubs.append(seen)
    # data-quality findings explain revisions only where they name a period
    all_causes: list[Cause | Mapping[str, Any]] = [
        c for c in causes if isinstance(c, RevisionCause) or _period_of(c) is not None
    ]
    for pub in pubs:
        all_causes.extend(f for f in pub.findings if f.get("period"))
    explained = explain(found, all_causes)
    if seen is not None:
        why = reissue_cause(seen, reason)
        explained = [
            replace(r, cause=f"{why}; {r.cause}" if r.cause else why)
            if r.published_in == seen.label and _in_period(r.reference_period, seen.label) else r
            for r in explained
        ]
    return RevisionReport(revisions=explained, compared_with=[pub.label for pub in pubs], reissue_of=seen)
