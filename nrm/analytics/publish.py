"""Produce the publication for a period from an extract.

``publish(extract_path, period, out_dir, store=DIR)`` first runs the data-quality report
(:mod:`nrm.analytics.quality`) and refuses to go on, writing nothing, while a blocking check
fails without a recorded override. It then writes, under ``out_dir``::

    nrm-statistics-<period>.ods   the workbook (cover, contents, notes, summary, one table per sheet,
                                  revisions)
    csv/<table id>.csv            one tidy CSV per table (csv/revisions.csv: every revised figure)
    charts/<chart id>.svg         the bulletin's charts
    index.html                    the bulletin
    quality.json, quality.txt     the data-quality report, with any overrides
    manifest.json                 every file with its SHA-256, every table with its id, title and columns,
                                  the quality status and overrides, the revisions and the back series

With a statistics store (:mod:`nrm.analytics.storage`) the time-series tables start in 2009
from the imported back series (:mod:`nrm.analytics.backseries`), figures published earlier
that have changed are marked ``[r]`` and listed (:mod:`nrm.analytics.revisions`), and the
figures published are stored for the next publication to compare with.

The same extract, store and code give byte-identical files.
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
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
from tqdm import tqdm

from nrm.analytics import backseries, disclosure, engine, extract_io, quality, revisions, storage
from nrm.analytics import bulletin as B
from nrm.analytics import tables as T
from nrm.analytics.ods import MAX_ROWS, Link, Sheet, write_ods
from nrm.analytics.periods import Period, Quarter, parse_period, quarters_between

__all__ = ["KEY_FIGURES_COLUMNS", "NOTES", "NOTE_NUMBERS", "REVISIONS_ID", "Manifest", "ManifestFile", "ManifestTable",
           "publish"]

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
REVISIONS_ID = "revisions"

# The notes worksheet: the tables' notes, then the back-series note and one per series break.
NOTE_NUMBERS: dict[str, int] = {key: max(T.NOTES) + i for i, key in enumerate(backseries.NOTES, start=1)}
NOTES: dict[int, str] = {**T.NOTES, **{NOTE_NUMBERS[k]: v for k, v in backseries.NOTES.items()}}


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
    # the data-quality report: passed, status of each check, blocking failures and the overrides recorded
    quality: dict[str, Any] = field(default_factory=dict)
    # the earlier publications compared with and the number of figures revised (empty without a store)
    revisions: dict[str, Any] = field(default_factory=dict)
    # the back series the time-series tables start with (empty if none was imported)
    back_series: dict[str, Any] = field(default_factory=dict)

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


def _table_sheet(
    number: int,
    res: engine.TableResult,
    period: Period,
    note_ids: Sequence[int],
    extra: Sequence[str] = (),
) -> tuple[str, Sheet]:
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
        *[[line] for line in extra],
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
    if any(v is None for r in data for v in r[k:]):  # not available: statistics of no cases, back-series gaps
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


@dataclass(frozen=True)
class _TableNotes:
    """What a table's sheet says beyond its definition: more notes cited, more lines."""

    notes: tuple[int, ...] = ()
    lines: tuple[str, ...] = ()


def _workbook(
    period: Period,
    results: Sequence[engine.TableResult],
    figures: Sequence[engine.KeyFigure],
    first: date | None,
    last: date | None,
    *,
    table_notes: Mapping[str, _TableNotes] | None = None,
    revision_rows: tuple[tuple[str, ...], list[tuple[engine.Value, ...]]] | None = None,
    revision_text: Sequence[str] = (),
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
            *[[f"note {k}", v] for k, v in sorted(NOTES.items())],
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
        more = (table_notes or {}).get(res.table.id, _TableNotes())
        note_ids = list(dict.fromkeys([*res.table.notes, *more.notes]))
        name, sheet = _table_sheet(i, res, period, note_ids, more.lines)
        table_sheets.append(sheet)
        sheet_of[res.table.id] = name
    if revision_rows is not None:
        columns, rows = revision_rows
        table_sheets.append(
            Sheet(
                name="Revisions",
                rows=[
                    [f"Revisions: figures published earlier that have changed, {period.title}"],
                    [
                        "This worksheet contains one table. Each row is a figure published in an earlier release "
                        "that has changed; revised figures are marked [r] in the tables that show them."
                    ],
                    *[[line] for line in revision_text],
                    list(columns),
                ],
                widths=[10.0, 3.0, 14.0, 4.0, 4.0, 4.0, 3.0, 4.0, 16.0],
                header_row=2 + len(revision_text),
                wrap_columns=(0, 2, 8),
                table_name="Revisions_data",
                data=[[_sheet_value(v) for v in r] for r in rows],
                column_styles=[None] * len(columns),
            )
        )
        sheet_of[REVISIONS_ID] = "Revisions"
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
    if revision_rows is not None:
        contents_rows.append(
            [Link("Revisions", "Revisions"), "Figures published earlier that have changed", REVISIONS_ID,
             f"csv/{REVISIONS_ID}.csv"]
        )
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


def _own_series_length(period: Period, own_from: Quarter) -> int:
    """The ``series_length`` that computes a time-series table from ``own_from`` (the
    first quarter of the service's own data) to the end of ``period``: enough for
    :func:`backseries.extend`, without scanning years the extract does not hold."""
    if own_from <= backseries.FIRST_QUARTER:
        return backseries.series_length(period)
    if own_from > period.last_quarter:
        return 1
    return len(quarters_between(own_from, period.last_quarter))


def _comparable(r: revisions.Revision, own_from: Quarter, back: backseries.BackSeries | None) -> bool:
    """Whether a difference is a revision: its period is one the extract covers in full,
    or its figure comes from the back series (as published). A quarter before the
    extract's data computes as zero, which says nothing about the figure published then."""
    if parse_period(r.reference_period).start >= own_from.start:
        return True
    return back is not None and back.covers(r.table_id)


def _table_notes(
    results: Sequence[engine.TableResult],
    period: Period,
    back: backseries.BackSeries | None,
    own_from: Quarter,
) -> dict[str, _TableNotes]:
    """The series-break and back-series notes of each table."""
    out: dict[str, _TableNotes] = {}
    for res in results:
        t = res.table
        notes: list[int] = []
        lines: list[str] = []
        if back is not None:
            text = backseries.back_series_note(back, t.id, own_from)
            if text is not None:
                notes.append(NOTE_NUMBERS["back_series"])
                lines.append(f"{text} [note {NOTE_NUMBERS['back_series']}]")
        for b in backseries.breaks_for(t, period, res.quarters):
            notes.append(NOTE_NUMBERS[b.id])
            if t.time_series:
                lines.append(f"Series break from {b.quarter.label}: {b.short} [note {NOTE_NUMBERS[b.id]}].")
            else:
                lines.append(f"Recording changed on {b.effective:%-d %B %Y}: {b.short} [note {NOTE_NUMBERS[b.id]}].")
        if notes:
            out[t.id] = _TableNotes(tuple(notes), tuple(lines))
    return out


def _quality_html(report: quality.QualityReport, overrides: Sequence[quality.Override]) -> str:
    """The bulletin's data-quality section: each check's result and any override."""
    import html

    e = html.escape
    parts = [
        "<p>A data-quality report is produced before every publication (the full report is in "
        '<a href="quality.txt">quality.txt</a> and <a href="quality.json">quality.json</a>). '
        "A publication does not run while a blocking check fails, unless the failure is overridden with a "
        "recorded reason.</p>",
        "<table>",
        "<caption>Data-quality checks</caption>",
        '<thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Summary</th></tr></thead>',
        "<tbody>",
    ]
    words = {"pass": "Passed", "warn": "Warning", "fail": "Failed"}
    for r in report.results:
        status = words[r.status] + (" (blocking)" if r.blocks else "")
        parts.append(
            f'<tr><th scope="row">{e(r.title)}</th><td>{e(status)}</td><td>{e(r.summary)}</td></tr>'
        )
    parts += ["</tbody>", "</table>"]
    for o in overrides:
        parts.append(
            f"<p>The blocking check &#8216;{e(quality.CHECKS[o.check][0])}&#8217; failed and the publication was "
            f"released on the decision of {e(o.by)}: {e(o.reason)}</p>"
        )
    return "\n".join(parts)


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
    store: str | os.PathLike[str] | None = None,
    quality_overrides: Sequence[quality.Override] = (),
    linkage_input: pa.Table | None = None,
    quality_config: quality.QualityConfig | None = None,
) -> Manifest:
    """Compute every table for ``period`` from the extract at ``extract_path`` and write
    the workbook, CSVs, charts, bulletin, quality report and manifest under ``out_dir``.

    The data-quality report runs first: while a blocking check fails and has no override
    in ``quality_overrides`` (with a reason and who decided), :class:`quality.QualityGateError`
    is raised and nothing is written. ``linkage_input`` (the live data's identifying
    fields, :data:`nrm.analytics.linkage.LINKAGE_INPUT`) lets the duplicate-referrals check
    link records.

    ``store`` is the statistics store (see :mod:`nrm.analytics.storage`; None: none). With
    it, time-series tables start with the imported back series, figures published
    earlier that have changed are marked ``[r]`` and listed, and this publication's
    figures are stored for the next one.

    ``disclosure_overrides`` replaces the disclosure control of tables by id.
    """
    p = parse_period(period) if isinstance(period, str) else period
    out = Path(out_dir)
    overrides = dict(disclosure_overrides or {})
    unknown = set(overrides) - {t.id for t in tables}
    if unknown:
        raise KeyError(f"no table(s) {', '.join(sorted(unknown))}")
    figures_store = storage.figures_store(store) if store is not None else None
    back = backseries.load(storage.back_series_dir(store)) if store is not None else None
    bar = _progress(len(tables) + 8, progress)
    con = extract_io.connect(threads=threads, memory_limit=memory_limit)
    hasher = ThreadPoolExecutor(max_workers=1)  # hashing the extract overlaps the queries
    try:
        files = extract_io.attach(con, extract_path)
        extract_hashes = {name: hasher.submit(_sha256_file, f) for name, f in files.items()}
        # 1. the data-quality report: nothing is written while a blocking check fails without an override
        bar.set_postfix_str("quality")
        report = quality.run_checks(
            con,
            p,
            config=quality_config,
            linkage_input=linkage_input,
            published_decisions=quality.published_decision_counts(figures_store, p) if figures_store else None,
        )
        used = quality.require_publishable(report, quality_overrides)
        bar.update()
        bar.set_postfix_str("extract")
        first, last = engine.extract_date_range(con)
        own_from = backseries.first_full_quarter(first) if first is not None else p.last_quarter.next()
        results: list[engine.TableResult] = []
        for t in tables:
            bar.set_postfix_str(t.id)
            extended = back is not None and t.time_series and back.covers(t.id)
            length = _own_series_length(p, own_from) if extended else series_length
            res = engine.compute_table(con, t, p, series_length=length)
            if extended and back is not None:
                res = backseries.extend(res, back, own_from=own_from)
            control = overrides.get(t.id, t.disclosure)
            if control != t.disclosure:
                res = replace(res, table=replace(t, disclosure=control))
            results.append(disclosure.apply(res, control))
            bar.update()
        figures = engine.key_figures(con, p)
        bar.update()
        # 3. the earlier periods' tables as they would be published now, to find revisions
        bar.set_postfix_str("revisions")
        recomputed: list[engine.TableResult] = []
        if figures_store is not None:
            for rp in revisions.revision_periods(figures_store, p):
                if rp.start < own_from.start:
                    continue  # the extract does not cover that period: its figures now are not comparable
                for t in tables:
                    if t.time_series:
                        continue
                    control = overrides.get(t.id, t.disclosure)
                    res = engine.compute_table(con, t, rp)
                    if control != t.disclosure:
                        res = replace(res, table=replace(t, disclosure=control))
                    recomputed.append(disclosure.apply(res, control))
        bar.update()
    except BaseException:
        hasher.shutdown(cancel_futures=True)
        raise
    finally:
        con.close()

    extract_files = tuple(
        ManifestFile(f.name, extract_hashes[name].result(), f.stat().st_size) for name, f in files.items()
    )
    hasher.shutdown()
    report.extract = tuple((f.path, f.sha256) for f in extract_files)
    causes = [f for f in report.findings() if f.severity in ("warn", "fail")]
    rev = (
        revisions.revise(figures_store, p, results, recomputed, causes=causes)
        if figures_store is not None
        else None
    )
    if rev is not None:
        rev = replace(rev, revisions=[r for r in rev.revisions if _comparable(r, own_from, back)])
    del recomputed  # the earlier periods' tables and figures are not needed any more: free the memory
    if figures_store is not None:
        figures_store.forget()
    published = [revisions.mark_revised(r, rev.revisions) for r in results] if rev else results
    table_notes = _table_notes(results, p, back, own_from)
    revision_rows = revisions.revisions_sheet(rev.revisions) if rev is not None else None
    if rev is None:
        revision_text: list[str] = []
    elif rev.compared_with:
        revision_text = [
            f"Compared with the figures published in {', '.join(rev.compared_with)}. "
            + revisions.revisions_summary(rev.revisions)[0]
        ]
    else:
        revision_text = ["There is no earlier publication to compare with, so no figures have been revised."]

    out.mkdir(parents=True, exist_ok=True)
    w = _Writer(out)
    # Data-quality report
    w.text("quality.json", report.to_json(timestamps=False, overrides=used))
    w.text("quality.txt", report.to_text(timestamps=False, overrides=used))
    # CSV
    bar.set_postfix_str("csv")
    w.text(f"csv/{T.KEY_FIGURES_ID}.csv", _csv(KEY_FIGURES_COLUMNS, _key_figure_rows(figures, p)))
    for res in published:
        w.text(f"csv/{res.table.id}.csv", _csv(res.columns, res.rows))
    if revision_rows is not None:
        w.text(f"csv/{REVISIONS_ID}.csv", _csv(*revision_rows))
    bar.update()
    # Workbook
    bar.set_postfix_str("workbook")
    sheets, sheet_of = _workbook(
        p,
        published,
        figures,
        first,
        last,
        table_notes=table_notes,
        revision_rows=revision_rows,
        revision_text=revision_text,
    )
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
    # Charts (from the figures, not the [r]-marked text)
    bar.set_postfix_str("charts")
    by_id = {r.table.id: r for r in results}
    chart_data = B.build_charts(by_id, p, series_length=series_length)
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
    if rev is not None:
        links.append(
            B.TableLink(REVISIONS_ID, "Figures published earlier that have changed", "Revisions",
                        f"csv/{REVISIONS_ID}.csv", len(rev.revisions))
        )
    thresholds = sorted({(r.table.id, r.table.disclosure.threshold) for r in results if r.table.disclosure.enabled})
    note = "National tables are not suppressed, following Home Office practice. " + (
        "Small counts are suppressed [c] in: "
        + "; ".join(f"{tid} (counts from 1 to {th - 1})" for tid, th in thresholds)
        + ", with secondary suppression so that totals cannot reveal them."
        if thresholds
        else "No table in this release is suppressed."
    )
    sections: list[tuple[str, str, str]] = []
    if rev is not None:
        body = revisions.revisions_html(rev.revisions, heading=False)
        if not rev.compared_with:
            body = "<p>There is no earlier publication to compare with, so no figures have been revised.</p>"
        sections.append(("revisions", "Revisions", body))
    sections.append(("data-quality", "Data quality", _quality_html(report, used)))
    about: list[str] = []
    back_tables = [r.table.id for r in results if back is not None and back.covers(r.table.id) and r.table.time_series]
    if back is not None and back_tables:
        about.append(
            f"Time-series tables ({', '.join(back_tables)}) start in {backseries.FIRST_QUARTER.label}: quarters before "
            f"{own_from.label} are as published in the Home Office's National Referral Mechanism statistics "
            f"(Open Government Licence v3.0); this service's own figures continue them [note {NOTE_NUMBERS['back_series']}]."
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
        notes=NOTES,
        sections=sections,
        about=about,
    )
    w.text("index.html", html)
    bar.update()
    # Manifest
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
    if revision_rows is not None:
        manifest_tables.append(
            ManifestTable(REVISIONS_ID, "Figures published earlier that have changed", tuple(revision_rows[0]),
                          f"csv/{REVISIONS_ID}.csv", "Revisions", len(revision_rows[1]), 0, False, 0)
        )
    series = engine.series_quarters(p, series_length)
    quality_summary: dict[str, Any] = {
        "passed": report.passed,
        "checks": {r.id: r.status for r in report.results},
        "blocking_failures": [r.id for r in report.blocking_failures],
        "overrides": [{"check": o.check, "reason": o.reason, "by": o.by} for o in used],
        "report": ["quality.json", "quality.txt"],
    }
    revisions_summary: dict[str, Any] = {}
    if rev is not None:
        revisions_summary = {
            "compared_with": list(rev.compared_with),
            "revised_figures": len(rev.revisions),
            "tables": sorted({r.table_id for r in rev.revisions}),
            "csv": f"csv/{REVISIONS_ID}.csv",
        }
    back_summary: dict[str, Any] = {}
    if back is not None:
        back_summary = {
            "first_quarter": backseries.FIRST_QUARTER.label,
            "own_figures_from": own_from.label,
            "tables": back_tables,
            "sources": dict(sorted(back.sources.items())),
        }
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
        quality=quality_summary,
        revisions=revisions_summary,
        back_series=back_summary,
    )
    tmp = out / "manifest.json.tmp"
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
    # 6. the store, last: what this publication published, for the next one to compare with
    if figures_store is not None:
        bar.set_postfix_str("store")
        figures_store.save(
            p,
            results,
            extract=[(f.path, f.sha256) for f in extract_files],
            findings=[f.to_dict() for f in report.findings()],
            overrides=[o.to_dict() for o in used],
        )
    bar.update()
    bar.close()
    return manifest
