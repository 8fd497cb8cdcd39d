"""Produce the publication for a period from an extract.

``publish(extract_path, period, out_dir)`` writes, under ``out_dir``::

    nrm-statistics-<period>.ods   the workbook (cover, contents, notes, summary, one table per sheet)
    csv/<table id>.csv            one tidy CSV per table
    charts/<chart id>.svg         the bulletin's charts
    index.html                    the bulletin
    manifest.json                 every file with its SHA-256, every table with its id, title and columns

The same extract and code give byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

from tqdm import tqdm

from nrm.stats import bulletin as B
from nrm.stats import disclosure, engine, extract_io
from nrm.stats import tables as T
from nrm.stats.ods import MAX_ROWS, Link, Sheet, write_ods
from nrm.stats.periods import Period, parse_period

__all__ = ["KEY_FIGURES_COLUMNS", "Manifest", "ManifestFile", "ManifestTable", "publish"]

KEY_FIGURES_COLUMNS = (
    "Measure",
    "Unit",
    "Period",
    "Value",
    "Comparison period",
    "Comparison value",
    "Percentage change",
)
_SHEET_HEADER_ROWS = 7  # rows above a table's header row at most


@dataclass(frozen=True)
class ManifestFile:
    path: str  # relative to the output directory, with '/'
    sha256: str
    bytes: int


@dataclass(frozen=True)
class ManifestTable:
    id: str
    title: str
    columns: tuple[str, ...]
    csv: str
    sheet: str
    rows: int
    suppressed_cells: int
    time_series: bool
    disclosure_threshold: int


@dataclass(frozen=True)
class Manifest:
    """What a publication run wrote."""

    title: str
    period: str
    comparison_period: str
    quarters: tuple[str, ...]
    series: tuple[str, ...]
    extract: tuple[ManifestFile, ...]
    files: tuple[ManifestFile, ...]
    tables: tuple[ManifestTable, ...]
    out_dir: Path

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("out_dir")
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def file(self, path: str) -> ManifestFile:
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(path)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Writer:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.files: list[ManifestFile] = []

    def bytes(self, rel: str, data: bytes) -> None:
        p = self.out_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, p)
        self.files.append(ManifestFile(rel, hashlib.sha256(data).hexdigest(), len(data)))

    def text(self, rel: str, text: str) -> None:
        self.bytes(rel, text.encode("utf-8"))

    def existing(self, rel: str) -> None:
        p = self.out_dir / rel
        self.files.append(ManifestFile(rel, _sha256_file(p), p.stat().st_size))


def _csv_value(v: engine.Value) -> str:
    if v is None:
        return "[x]"
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


def _csv_field(v: engine.Value) -> str:
    """One CSV field, quoted as Python's csv module does (only when it must be)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([_csv_value(v)])
    return buf.getvalue()


def _csv(columns: Sequence[str], rows: Sequence[Sequence[engine.Value]]) -> str:
    """A CSV file: header and rows, a column at a time from each column's distinct values
    (fast for large tables; the same bytes as ``csv.writer``)."""
    out = [",".join(_csv_field(c) for c in columns)]
    if rows:
        fields: list[list[str]] = []
        for col in zip(*rows, strict=True):
            distinct = set(col)
            kinds = {type(v) for v in distinct}
            if int in kinds and float in kinds:
                fields.append([_csv_field(v) for v in col])
                continue
            text = {v: _csv_field(v) for v in distinct}
            fields.append(list(map(text.__getitem__, col)))
        out.extend(map(",".join, zip(*fields, strict=True)))
    return "\n".join(out) + "\n"


def _key_figure_rows(figures: Sequence[engine.KeyFigure], period: Period) -> list[tuple[engine.Value, ...]]:
    comp = period.comparison()
    out: list[tuple[engine.Value, ...]] = []
    for f in figures:
        value: engine.Value = "[x]" if f.value is None else f.value
        cmp_: engine.Value = "[x]" if f.comparison is None else f.comparison
        change: engine.Value
        if f.unit == "percentage":
            change = "[z]"
        elif f.comparison is None:
            change = "[x]"
        elif f.change is None:
            change = "[z]"
        else:
            change = round(f.change, 1)
        out.append((f.measure, f.unit, period.label, value, comp.label, cmp_, change))
    return out


def _sheet_value(v: engine.Value) -> str | int | float | None:
    return "[x]" if v is None else v


def _table_sheet(number: int, res: engine.TableResult, period: Period, note_ids: Sequence[int]) -> tuple[str, Sheet]:
    t = res.table
    name = f"Table_{number}"
    if t.snapshot:
        when = f"As at {period.end.isoformat()} (the end of {period.title})."
    elif t.time_series and res.quarters:
        q0, q1 = res.quarters[0], res.quarters[-1]
        when = f"Quarters {q0.label} to {q1.label} ({q0.start:%B %Y} to {q1.end:%B %Y})."
    else:
        when = f"Period: {period.title} ({period.label})."
    rows: list[Sequence[str | int | float | Link | None]] = [
        [f"Table {number}: {t.title}, {period.title}"],
        [
            "This worksheet contains one table. Totals are in rows labelled Total. "
            "Some cells refer to notes which can be found in the notes worksheet."
        ],
        [
            "Notes for this table: " + ", ".join(f"[note {n}]" for n in note_ids)
            if note_ids
            else "This table has no notes."
        ],
        [when],
        [f"Source: Open NRM analytical extract. Counts are {t.unit}." + (f" {t.description}" if t.description else "")],
    ]
    if t.disclosure.enabled:
        rows.append(
            [
                f"Counts from 1 to {t.disclosure.threshold - 1} are suppressed and shown as [c], as are further cells "
                "where a suppressed value could be worked out from the totals."
            ]
        )
    if len(res.rows) + len(rows) + 1 > MAX_ROWS:  # pragma: no cover - needs a table of a million rows
        rows.append(
            [
                f"This table has {len(res.rows):,} rows, more than a spreadsheet can hold: it is published only as "
                f"csv/{t.id}.csv."
            ]
        )
        return name, Sheet(name=name, rows=rows, widths=[30.0])
    header_row = len(rows)
    rows.append(list(res.columns))
    k = len(t.dimensions)
    data = res.rows
    if t.statistics and any(v is None for r in data for v in r[k:]):
        data = [tuple(_sheet_value(v) for v in r) for r in data]
    styles: list[str | None] = [None] * k + ["int"] + ["dec"] * len(t.statistics)
    widths = [max(4.0, min(12.0, 0.9 + 0.22 * max(len(c), 12))) for c in res.columns]
    for i, d in enumerate(t.dimensions):
        longest = max([len(str(r[i])) for r in res.rows[:5000]] + [len(d.name)])
        widths[i] = max(widths[i], min(14.0, 0.6 + 0.2 * longest))
    return name, Sheet(
        name=name,
        rows=rows,
        widths=widths,
        header_row=header_row,
        table_name=f"{name}_data",
        data=data,
        column_styles=styles,
    )


def _workbook(
    period: Period,
    results: Sequence[engine.TableResult],
    figures: Sequence[engine.KeyFigure],
    first: date | None,
    last: date | None,
) -> tuple[list[Sheet], dict[str, str]]:
    title = B.publication_title(period)
    comp = period.comparison()
    extract_range = (
        f"The extract holds referrals made from {first.isoformat()} to {last.isoformat()}."
        if first and last
        else "The extract holds no referrals."
    )
    cover = Sheet(
        name="Cover",
        rows=[
            [title],
            [
                f"This workbook contains the data tables for {period.title} ({period.label}), with comparisons with "
                f"{comp.title} ({comp.label})."
            ],
            [
                "Source: the Open NRM analytical extract, one pseudonymised row per referral (no names, dates of birth "
                "or free text; people are identified only by a keyed hash), with Duty to Notify reports, independent "
                "reviews and support. " + extract_range
            ],
            [
                "Each table is on its own worksheet, listed in the contents worksheet, and is also published as a CSV "
                "file (csv/<table id>.csv). Totals are in rows labelled Total; combinations with no cases are not shown."
            ],
            ["Notes are in the notes worksheet and are referred to as [note 1], [note 2] and so on."],
            ["Shorthand used in the tables:"],
            ["[c] confidential: the value has been suppressed to protect confidentiality"],
            ["[x] not available: the figure is not available (for example, the extract does not cover the period)"],
            ["[z] not applicable: the figure does not apply (for example, a percentage change of a percentage)"],
            ["[r] revised: the figure has been revised since it was last published"],
            [
                "National tables are not suppressed, following Home Office practice for NRM statistics; tables at police "
                "force area level suppress small counts as stated on each table."
            ],
            ["Produced by Open NRM. Released under the Open Government Licence v3.0."],
        ],
        widths=[30.0],
    )
    notes = Sheet(
        name="Notes",
        rows=[
            ["Notes"],
            ["This worksheet contains one table. The notes are referred to from the tables as [note 1] and so on."],
            ["Note number", "Note text"],
            *[[f"note {k}", v] for k, v in sorted(T.NOTES.items())],
        ],
        widths=[3.0, 30.0],
        header_row=2,
        wrap_columns=(1,),
        table_name="Notes_data",
    )
    summary = Sheet(
        name="Summary",
        rows=[
            [f"Summary: key figures, {period.title}"],
            ["This worksheet contains one table. Percentage change is on the same period a year earlier."],
            [f"Period: {period.title} ({period.label}); comparison period: {comp.title} ({comp.label})."],
            list(KEY_FIGURES_COLUMNS),
            *[[_sheet_value(v) for v in r] for r in _key_figure_rows(figures, period)],
        ],
        widths=[14.0, 3.0, 3.0, 3.0, 4.0, 4.0, 4.0],
        header_row=3,
        wrap_columns=(0,),
        table_name="Summary_data",
    )
    table_sheets: list[Sheet] = []
    sheet_of: dict[str, str] = {}
    for i, res in enumerate(results, start=1):
        name, sheet = _table_sheet(i, res, period, res.table.notes)
        table_sheets.append(sheet)
        sheet_of[res.table.id] = name
    contents_rows: list[Sequence[str | int | float | Link | None]] = [
        ["Contents"],
        ["This worksheet contains one table. Select a sheet name to go to that worksheet."],
        ["Sheet name", "Table title", "Table id", "CSV file"],
        [Link("Notes", "Notes"), "Notes used in the tables", "notes", "[z]"],
        [Link("Summary", "Summary"), f"Key figures, {period.title}", T.KEY_FIGURES_ID, f"csv/{T.KEY_FIGURES_ID}.csv"],
    ]
    for res in results:
        sh = sheet_of[res.table.id]
        contents_rows.append([Link(sh, sh), res.table.title, res.table.id, f"csv/{res.table.id}.csv"])
    contents = Sheet(
        name="Contents",
        rows=contents_rows,
        widths=[3.0, 22.0, 9.0, 10.0],
        header_row=2,
        wrap_columns=(1,),
        table_name="Contents_data",
    )
    return [cover, contents, notes, summary, *table_sheets], sheet_of


def _progress(total: int, enabled: bool) -> tqdm:  # type: ignore[type-arg]
    disable = not enabled or not sys.stderr.isatty()
    return tqdm(total=total, desc="Publishing", unit="step", disable=disable, file=sys.stderr)


def publish(
    extract_path: str | os.PathLike[str],
    period: Period | str,
    out_dir: str | os.PathLike[str],
    *,
    progress: bool = True,
    disclosure_overrides: Mapping[str, T.DisclosureControl] | None = None,
    series_length: int = 8,
    threads: int | None = None,
    memory_limit: str = "1500MB",
    tables: Sequence[T.TableDef] = T.TABLES,
) -> Manifest:
    """Compute every table for ``period`` from the extract at ``extract_path`` and write
    the workbook, CSVs, charts, bulletin and manifest under ``out_dir``.

    ``disclosure_overrides`` replaces the disclosure control of tables by id.
    """
    p = parse_period(period) if isinstance(period, str) else period
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    overrides = dict(disclosure_overrides or {})
    unknown = set(overrides) - {t.id for t in tables}
    if unknown:
        raise KeyError(f"no table(s) {', '.join(sorted(unknown))}")
    bar = _progress(len(tables) + 6, progress)
    con = extract_io.connect(threads=threads, memory_limit=memory_limit)
    hasher = ThreadPoolExecutor(max_workers=1)  # hashing the extract overlaps the queries
    try:
        files = extract_io.attach(con, extract_path)
        extract_hashes = {name: hasher.submit(_sha256_file, f) for name, f in files.items()}
        bar.set_postfix_str("extract")
        first, last = engine.extract_date_range(con)
        results: list[engine.TableResult] = []
        for t in tables:
            bar.set_postfix_str(t.id)
            res = engine.compute_table(con, t, p, series_length=series_length)
            control = overrides.get(t.id, t.disclosure)
            if control != t.disclosure:
                res = replace(res, table=replace(t, disclosure=control))
            results.append(disclosure.apply(res, control))
            bar.update()
        figures = engine.key_figures(con, p)
        bar.update()
    except BaseException:
        hasher.shutdown(cancel_futures=True)
        raise
    finally:
        con.close()

    w = _Writer(out)
    # CSV
    bar.set_postfix_str("csv")
    w.text(f"csv/{T.KEY_FIGURES_ID}.csv", _csv(KEY_FIGURES_COLUMNS, _key_figure_rows(figures, p)))
    for res in results:
        w.text(f"csv/{res.table.id}.csv", _csv(res.columns, res.rows))
    bar.update()
    # Workbook
    bar.set_postfix_str("workbook")
    sheets, sheet_of = _workbook(p, results, figures, first, last)
    workbook = f"nrm-statistics-{p.label.lower()}.ods"
    write_ods(
        out / workbook,
        sheets,
        title=B.publication_title(p),
        subject="National Referral Mechanism statistics",
        keywords=("modern slavery", "National Referral Mechanism", "Duty to Notify", p.label),
    )
    w.existing(workbook)
    bar.update()
    # Charts
    bar.set_postfix_str("charts")
    by_id = {r.table.id: r for r in results}
    chart_data = B.build_charts(by_id, p)
    chart_files: list[tuple[B.ChartData, str]] = []
    for cd in chart_data:
        rel = f"charts/{cd.chart.id}.svg"
        w.text(rel, cd.chart.svg)
        chart_files.append((cd, rel))
    bar.update()
    # Bulletin
    bar.set_postfix_str("bulletin")
    links = [
        B.TableLink(r.table.id, r.table.title, sheet_of[r.table.id], f"csv/{r.table.id}.csv", len(r.rows))
        for r in results
    ]
    links.insert(
        0,
        B.TableLink(
            T.KEY_FIGURES_ID, f"Key figures, {p.title}", "Summary", f"csv/{T.KEY_FIGURES_ID}.csv", len(figures)
        ),
    )
    thresholds = sorted({(r.table.id, r.table.disclosure.threshold) for r in results if r.table.disclosure.enabled})
    note = "National tables are not suppressed, following Home Office practice. " + (
        "Small counts are suppressed [c] in: "
        + "; ".join(f"{tid} (counts from 1 to {th - 1})" for tid, th in thresholds)
        + ", with secondary suppression so that totals cannot reveal them."
        if thresholds
        else "No table in this release is suppressed."
    )
    html = B.render(
        p,
        B.key_findings(by_id, figures, p, first),
        figures,
        chart_files,
        links,
        workbook,
        first_date=first,
        last_date=last,
        suppression_note=note,
    )
    w.text("index.html", html)
    bar.update()
    # Manifest
    extract_files = tuple(
        ManifestFile(f.name, extract_hashes[name].result(), f.stat().st_size) for name, f in files.items()
    )
    hasher.shutdown()
    manifest_tables = [
        ManifestTable(
            T.KEY_FIGURES_ID,
            f"Key figures, {p.title}",
            KEY_FIGURES_COLUMNS,
            f"csv/{T.KEY_FIGURES_ID}.csv",
            "Summary",
            len(figures),
            0,
            False,
            0,
        )
    ]
    for r in results:
        manifest_tables.append(
            ManifestTable(
                r.table.id,
                r.table.title,
                tuple(r.columns),
                f"csv/{r.table.id}.csv",
                sheet_of[r.table.id],
                len(r.rows),
                r.suppressed,
                r.table.time_series,
                r.table.disclosure.threshold,
            )
        )
    series = engine.series_quarters(p, series_length)
    manifest = Manifest(
        title=B.publication_title(p),
        period=p.label,
        comparison_period=p.comparison().label,
        quarters=tuple(q.label for q in p.quarters()),
        series=tuple(q.label for q in series),
        extract=extract_files,
        files=tuple(sorted(w.files, key=lambda f: f.path)),
        tables=tuple(manifest_tables),
        out_dir=out,
    )
    tmp = out / "manifest.json.tmp"
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
    bar.update()
    bar.close()
    return manifest
