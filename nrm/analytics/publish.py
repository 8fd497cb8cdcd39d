"""Produce the publication for a period from an extract.

``publish(extract_path, period, out_dir, store=DIR)`` runs three steps, each usable on its own:
:func:`compute` (the quality gate, then every table), :func:`revise` (what has changed since
earlier publications) and :func:`write` (the files), then :func:`remember` (the store). It first runs the data-quality report
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
import html
import io
import json
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from tqdm import tqdm

from nrm.analytics import backseries, disclosure, engine, extract_io, present, protection, quality, revisions, storage
from nrm.analytics import bulletin as B
from nrm.analytics import release as R
from nrm.analytics import tables as T
from nrm.analytics.ods import MAX_ROWS, Link, Sheet, write_ods
from nrm.analytics.periods import Period, Quarter, parse_period, quarters_between

__all__ = ["KEY_FIGURES_COLUMNS", "NOTES", "NOTE_NUMBERS", "PROTECTION_TEXT", "REVISIONS_ID", "Computed",
           "DisclosureGateError", "Manifest", "ManifestFile",
           "ManifestTable", "Revised", "compute", "publish", "remember", "revise", "write"]

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
        if f.suppressed:
            value = cmp_ = change = disclosure.SUPPRESSED
        elif f.unit == "percentage":
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
    lay: present.Layout,
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
        years = [str(r[0]) for r in res.rows if engine.is_year(r[0])] if t.dimensions[0].name == "Quarter" else \
            sorted({str(v) for r in res.rows for v in r[:res.n_dims] if engine.is_year(v)})
        if years:
            when += (f" Rows labelled with a year alone (such as {years[-1]}) give the total for that whole calendar "
                     "year, where the table shows all four of its quarters on one basis; the annual release has the "
                     "year's breakdowns.")
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
    if present.SHORTHAND_COLUMN in lay.columns:
        rows.append(
            [
                f"Revised figures are marked {present.REVISED} and the first quarter after a break in the series "
                f"{present.BREAK} in the {present.SHORTHAND_COLUMN} column; the figures themselves are numbers."
            ]
        )
    if len(lay.rows) + len(rows) + 1 > MAX_ROWS:  # pragma: no cover - needs a table of a million rows
        rows.append(
            [
                f"This table has {len(lay.rows):,} rows, more than a spreadsheet can hold: it is published only as "
                f"csv/{t.id}.csv."
            ]
        )
        return name, Sheet(name=name, rows=rows, widths=[30.0])
    header_row = len(rows)
    rows.append(list(lay.columns))
    k = len(t.dimensions)
    data = lay.rows
    styles: list[str | None] = [None] * k + ["int"] + ["dec"] * len(t.statistics)
    styles += [None] * (len(lay.columns) - len(styles))
    widths = [max(4.0, min(12.0, 0.9 + 0.22 * max(len(c), 12))) for c in lay.columns]
    for i, d in enumerate(t.dimensions):
        longest = max([len(str(r[i])) for r in lay.rows[:5000]] + [len(d.name)])
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
    layouts: Mapping[str, present.Layout] | None = None,
    release: R.ReleaseInfo | None = None,
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
            *[[line] for line in (release or R.ReleaseInfo()).cover_rows()],
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
            ["[r] revised: the figure has been revised since it was last published (shown in the table's Shorthand "
             "column: the figure itself stays a number)"],
            ["Categories first recorded on 1 October 2019 (criminal exploitation, age not specified or unknown) are "
             "shown as [z] in the quarters before then."],
            ["[b] break in series: the figures before and from this quarter are not on the same basis (shown in "
             "the table's Shorthand column; see the table's notes)"],
            [PROTECTION_TEXT if results and all(r.table.disclosure.enabled for r in results) else (
                "National tables are not suppressed, following Home Office practice for NRM statistics; tables at "
                "police force area level suppress small counts as stated on each table."
            )],
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
        lay = (layouts or {}).get(res.table.id) or present.layout(res)
        name, sheet = _table_sheet(i, res, lay, period, note_ids, more.lines)
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
    declared: Sequence[backseries.SeriesBreak] = (),
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
        for b in backseries.breaks_for(t, period, res.quarters, declared=declared):
            notes.append(NOTE_NUMBERS[b.id])
            if b.id == backseries.JOIN_BREAK:
                lines.append(f"Series break from {b.quarter.label}, marked {backseries.BREAK}: {b.text} "
                             f"[note {NOTE_NUMBERS[b.id]}]")
            elif t.time_series:
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


# The publication in three steps, each usable on its own: compute (the quality gate, then every
# table from the extract), revise (compare with what was published before) and write (the files
# and the manifest). ``publish`` runs them in order and then stores the figures published.


@dataclass(frozen=True)
class Computed:
    """What the compute step found in the extract for ``period``."""

    period: Period
    results: list[engine.TableResult]  # every table, after disclosure control
    recomputed: list[engine.TableResult]  # the earlier periods' tables as they would be published now
    figures: list[engine.KeyFigure]
    first: date | None  # the first and last referral dates in the extract
    last: date | None
    own_from: Quarter  # the first quarter the extract covers in full
    report: quality.QualityReport
    overrides_used: list[quality.Override]  # the quality overrides the gate needed
    extract_files: tuple[ManifestFile, ...]
    disclosure_audit: protection.Audit | None = None  # the interval attack on the release, passed
    declared_breaks: tuple[backseries.DeclaredBreak, ...] = ()  # breaks declared at the back series' join

    @property
    def breaks(self) -> list[backseries.SeriesBreak]:
        """The declared breaks as series breaks at the first quarter of the service's own figures."""
        return backseries.declared_series_breaks(self.declared_breaks, self.own_from)


@dataclass(frozen=True)
class Revised:
    """What the revise step found: the figures published earlier that have changed."""

    report: revisions.RevisionReport | None  # None without a statistics store
    published: list[engine.TableResult]  # the tables as published (figures as numbers)
    # per table id, per row: the names of the figures revised (None without a statistics store)
    marks: dict[str, list[list[str]]] | None = None
    breaks: Sequence[backseries.SeriesBreak] = ()  # declared breaks, marked [b] at their first quarter

    def layout(self, res: engine.TableResult) -> present.Layout:
        """``res`` as the workbook and its CSV show it: figures as numbers, with a Shorthand
        column for [r] and [b] when compared with earlier releases or a break is marked."""
        t = res.table
        at = {b.quarter.label for b in self.breaks if b.affects(t)}
        if not (t.time_series and t.dimensions and t.dimensions[0].name == "Quarter"):
            at = set()
        revised = None if self.marks is None else (self.marks.get(t.id) or [[] for _ in res.rows])
        return present.layout(res, revised, breaks_at=frozenset(at))

    @cached_property
    def layouts(self) -> dict[str, present.Layout]:
        return {r.table.id: self.layout(r) for r in self.published}

    @cached_property
    def rows(self) -> tuple[tuple[str, ...], list[tuple[engine.Value, ...]]] | None:
        """The revisions sheet (columns, rows); None without a statistics store."""
        return revisions.revisions_sheet(self.report.revisions) if self.report is not None else None

    @property
    def text(self) -> list[str]:
        """The sentence introducing the revisions sheet."""
        if self.report is None:
            return []
        if self.report.compared_with:
            reissue = self.report.reissue_text()
            return [(f"{reissue} " if reissue else "")
                    + f"Compared with the figures published in {', '.join(self.report.compared_with)}. "
                    + revisions.revisions_summary(self.report.revisions)[0]]
        return [NO_EARLIER_PUBLICATION]


PROTECTION_TEXT = (
    "What is protected: every count of 1 to 4 people (decisions, reports) is suppressed and shown as [c]. How: further "
    "cells are suppressed, the same cell in every table that shows it, so that nobody can work a [c] out to within 4 "
    "(to a range narrower than 1 to 5) from everything published: each table's totals, the same figure in other "
    "tables, the quarterly and annual releases of a year (a year is the sum of its quarters) and every earlier "
    "release (a release whose figures were revised since is taken as it was published). A table's total of 20 or "
    "more for a period is suppressed only where nothing else can protect a [c], so a release shows how many people "
    "it counts. Where a figure in "
    "the summary or the bulletin is a suppressed cell of a table, it is shown as [c] there too. "
    "Before a release is published an interval attack (the least and greatest value of every [c] that is "
    "consistent with all of it, by linear programming) checks this, and the release is not published if it fails. "
    "The first-responder table is published by first responder type and first responder only: its full breakdown by "
    "exploitation type, age, gender and nationality within each first responder is mostly counts of 1 to 4 and cannot "
    "be published beside the other tables without giving their [c] away. "
    "Answers to ad-hoc questions give the published value where a question asks for a published cell."
)
NO_EARLIER_PUBLICATION = "There is no earlier publication to compare with, so no figures have been revised."


def _quiet() -> tqdm:  # type: ignore[type-arg]
    return _progress(0, False)


def _controls(
    tables: Sequence[T.TableDef], overrides: Mapping[str, T.DisclosureControl] | None
) -> dict[str, T.DisclosureControl]:
    """The disclosure control of each table, with ``overrides`` (by table id) applied."""
    unknown = set(overrides or {}) - {t.id for t in tables}
    if unknown:
        raise KeyError(f"no table(s) {', '.join(sorted(unknown))}")
    return {t.id: (overrides or {}).get(t.id, t.disclosure) for t in tables}


def _controlled(res: engine.TableResult, control: T.DisclosureControl) -> engine.TableResult:
    """``res`` under disclosure control ``control``, one table on its own (recorded on its table when overridden)."""
    if control != res.table.disclosure:
        res = replace(res, table=replace(res.table, disclosure=control))
    return disclosure.apply(res, control)


def _earlier_publications(
    figures_store: revisions.FiguresStore | None, period: Period
) -> list[tuple[str, list[engine.TableResult]]]:
    """The releases already in the store that end no later than ``period``, as published."""
    if figures_store is None:
        return []
    return [(pub.label, protection.results_from_figures(pub.label, pub.figures))
            for pub in figures_store.earlier(period)]


class DisclosureGateError(RuntimeError):
    """The interval attack recovers, or narrows below the protection level, a suppressed
    cell of the release: nothing is published."""

    def __init__(self, audit: protection.Audit) -> None:
        super().__init__(
            f"the disclosure audit failed: {audit.exact} suppressed cell(s) recovered exactly, {audit.narrow} "
            "narrower than the protection level"
        )
        self.audit = audit


def _protected(
    raw: Sequence[engine.TableResult],
    period: Period,
    controls: Mapping[str, T.DisclosureControl],
    *,
    earlier: Sequence[tuple[str, Sequence[engine.TableResult]]],
    own_from: Quarter,
) -> tuple[list[engine.TableResult], protection.Linked]:
    """The release's tables under disclosure control, protected together with each other and
    with the earlier releases (the back series, quarters before ``own_from``, is public)."""
    tables = [replace(r, table=replace(r.table, disclosure=controls[r.table.id]))
              if controls[r.table.id] != r.table.disclosure else r for r in raw]
    # the release's own quarters are its to protect, even where the extract does not cover them
    public = min(own_from, period.first_quarter)
    return protection.protect(tables, release=period.label, earlier=earlier, controls=controls,
                              public_before=public.label)


_CHILDREN = ("referrals_by_exploitation_age_gender", {"Age at exploitation": "Child (17 or under)"})
_RG, _CG = ({"Decision": "Reasonable Grounds"}, {"Decision": "Conclusive Grounds"})
_KEY_FIGURE_CELLS: dict[str, tuple[tuple[str, dict[str, str]], ...]] = {
    "referrals": (("referrals_by_exploitation_age_gender", {}),),
    "children": (_CHILDREN,),
    "child_share": (_CHILDREN,),
    "rg_decisions": (("decisions_by_nationality", _RG),),
    "rg_positive_share": (("decisions_by_nationality", _RG), ("decisions_by_nationality", {**_RG, "Outcome": "Positive"})),
    "cg_decisions": (("decisions_by_nationality", _CG),),
    "cg_positive_share": (("decisions_by_nationality", _CG), ("decisions_by_nationality", {**_CG, "Outcome": "Positive"})),
    "dtn_reports": (("duty_to_notify_by_nationality", {}),),
    "awaiting_cg": (("cases_awaiting_cg", {}),),
}
"""The published cells each key figure is (or is computed from): a key figure is suppressed
where one of them is, so the summary never shows what a table hides."""


def _as_published(figures: Sequence[engine.KeyFigure], results: Sequence[engine.TableResult]
                  ) -> list[engine.KeyFigure]:
    by_id = {r.table.id: r for r in results}

    def hidden(table_id: str, dims: Mapping[str, str]) -> bool:
        res = by_id.get(table_id)
        if res is None:
            return False
        k = res.n_dims
        want = tuple(dims.get(d.name, T.TOTAL) for d in res.table.dimensions)
        return any(tuple(r[:k]) == want and r[k] == disclosure.SUPPRESSED for r in res.rows)

    return [replace(f, value=None, comparison=None, suppressed=True)
            if any(hidden(t, dims) for t, dims in _KEY_FIGURE_CELLS.get(f.id, ())) else f for f in figures]


def _compute_tables(
    con: duckdb.DuckDBPyConnection,
    tables: Sequence[T.TableDef],
    period: Period,
    *,
    back: backseries.BackSeries | None,
    own_from: Quarter,
    series_length: int,
    bar: tqdm,  # type: ignore[type-arg]
) -> list[engine.TableResult]:
    """Every table for ``period`` (unsuppressed); time-series tables start with the back series if there is one."""
    results: list[engine.TableResult] = []
    for t in tables:
        bar.set_postfix_str(t.id)
        extended = back is not None and t.time_series and back.covers(t.id)
        length = _own_series_length(period, own_from) if extended else series_length
        res = engine.compute_table(con, t, period, series_length=length)
        if extended and back is not None:
            res = backseries.extend(res, back, own_from=own_from)
        else:
            res = engine.without_years_before(res, own_from)
        results.append(res)
        bar.update()
    return results


def _recompute_earlier(
    con: duckdb.DuckDBPyConnection,
    tables: Sequence[T.TableDef],
    period: Period,
    controls: Mapping[str, T.DisclosureControl],
    *,
    figures_store: revisions.FiguresStore,
    own_from: Quarter,
    linked: bool = True,
) -> list[engine.TableResult]:
    """The earlier periods' tables (not time series) as they would be published now, to find revisions."""
    recomputed: list[engine.TableResult] = []
    for rp in revisions.revision_periods(figures_store, period):
        if rp.start < own_from.start:
            continue  # the extract does not cover that period: its figures now are not comparable
        raw = [engine.compute_table(con, t, rp) for t in tables if not t.time_series]
        if linked:
            done, _linked = _protected(raw, rp, controls, earlier=_earlier_publications(figures_store, rp),
                                       own_from=own_from)
            recomputed += done
        else:
            recomputed += [_controlled(r, controls[r.table.id]) for r in raw]
    return recomputed


def compute(
    extract_path: str | os.PathLike[str],
    period: Period | str,
    *,
    tables: Sequence[T.TableDef] = T.TABLES,
    disclosure_overrides: Mapping[str, T.DisclosureControl] | None = None,
    series_length: int = 8,
    figures_store: revisions.FiguresStore | None = None,
    back: backseries.BackSeries | None = None,
    quality_overrides: Sequence[quality.Override] = (),
    linkage_input: pa.Table | None = None,
    quality_config: quality.QualityConfig | None = None,
    threads: int | None = None,
    memory_limit: str = "1500MB",
    bar: tqdm | None = None,  # type: ignore[type-arg]
    linked: bool = True,
    declared_breaks: Sequence[backseries.DeclaredBreak] = (),
) -> Computed:
    """Run the data-quality gate on the extract at ``extract_path`` (raising
    :class:`quality.QualityGateError` while a blocking check fails without an override),
    then compute every table and the key figures for ``period``; with ``figures_store``,
    also the earlier periods' tables as they would be published now. Writes nothing.

    With ``linked``, every table is protected (:data:`nrm.analytics.tables.PROTECTED`,
    unless overridden) together with the others and with the releases in ``figures_store``
    (:func:`nrm.analytics.protection.protect`), a table too detailed for that is published at
    its coarser level (:data:`nrm.analytics.tables.LINKED_LEVEL`), and the interval attack is a
    blocking check: :class:`DisclosureGateError` if it narrows a suppressed cell below its
    protection level. ``linked=False`` controls each table on its own (its definition's control:
    the police-force table only, every other table unsuppressed), as before: weaker, kept for
    comparison and for reproducing the Home Office's unsuppressed national tables.

    With ``back``, the join between the back series and the service's own figures is a
    blocking check; ``declared_breaks`` declare a break where they do not join (marked
    ``[b]`` and explained in the table's notes)."""
    p = parse_period(period) if isinstance(period, str) else period
    if linked:
        _controls(tables, disclosure_overrides)  # an unknown table id fails
        tables = [T.linked_level(t) for t in tables]
        base = {t.id: T.PROTECTED for t in tables}
        disclosure_overrides = {**base, **{k: v for k, v in (disclosure_overrides or {}).items() if k in base}}
    controls = _controls(tables, disclosure_overrides)
    bar = bar if bar is not None else _quiet()
    con = extract_io.connect(threads=threads, memory_limit=memory_limit)
    hasher = ThreadPoolExecutor(max_workers=1)  # hashing the extract overlaps the queries
    try:
        files = extract_io.attach(con, extract_path)
        extract_hashes = {name: hasher.submit(_sha256_file, f) for name, f in files.items()}
        bar.set_postfix_str("quality")
        report = quality.run_checks(
            con, p, config=quality_config, linkage_input=linkage_input,
            published_decisions=quality.published_decision_counts(figures_store, p) if figures_store else None,
            back=back, declared_breaks=declared_breaks,
        )
        used = quality.require_publishable(report, quality_overrides)
        bar.update()
        bar.set_postfix_str("extract")
        first, last = engine.extract_date_range(con)
        own_from = backseries.first_full_quarter(first) if first is not None else p.last_quarter.next()
        raw = _compute_tables(con, tables, p, back=back, own_from=own_from, series_length=series_length, bar=bar)
        bar.set_postfix_str("disclosure control")
        disclosure_audit = None
        if linked:
            results, cells = _protected(raw, p, controls, earlier=_earlier_publications(figures_store, p),
                                        own_from=own_from)
            disclosure_audit = protection.audit(cells, releases=[p.label])
            if not disclosure_audit.passed:
                raise DisclosureGateError(disclosure_audit)
        else:
            results = [_controlled(r, controls[r.table.id]) for r in raw]
        figures = engine.key_figures(con, p)
        if linked:
            figures = _as_published(figures, results)
        bar.update()
        bar.set_postfix_str("revisions")
        recomputed = (_recompute_earlier(con, tables, p, controls, figures_store=figures_store, own_from=own_from,
                                         linked=linked)
                      if figures_store is not None else [])
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
    return Computed(p, results, recomputed, figures, first, last, own_from, report, used, extract_files,
                    disclosure_audit, tuple(declared_breaks) if back is not None else ())


def revise(
    computed: Computed,
    *,
    figures_store: revisions.FiguresStore | None,
    back: backseries.BackSeries | None = None,
    reason: str = "",
) -> Revised:
    """Compare what ``computed`` would publish with every figure published before
    (in ``figures_store``; None: nothing to compare with) and mark the revised figures.
    ``reason``: why the period is published again, if it is a re-issue."""
    breaks = computed.breaks
    if figures_store is None:
        return Revised(None, computed.results, None, breaks)
    causes = [f for f in computed.report.findings() if f.severity in ("warn", "fail")]
    rev = revisions.revise(figures_store, computed.period, computed.results, computed.recomputed, causes=causes,
                           reason=reason)
    rev = replace(rev, revisions=[r for r in rev.revisions if _comparable(r, computed.own_from, back)])
    figures_store.forget()
    return Revised(rev, computed.results, {r.table.id: revisions.revised_columns(r, rev.revisions)
                                           for r in computed.results}, breaks)


def _write_csv(w: _Writer, computed: Computed, revised: Revised) -> None:
    w.text(f"csv/{T.KEY_FIGURES_ID}.csv", _csv(KEY_FIGURES_COLUMNS, _key_figure_rows(computed.figures, computed.period)))
    for res in revised.published:
        lay = revised.layouts[res.table.id]
        w.text(f"csv/{res.table.id}.csv", _csv(lay.columns, lay.rows))
    if revised.rows is not None:
        w.text(f"csv/{REVISIONS_ID}.csv", _csv(*revised.rows))


def _write_workbook(
    w: _Writer, computed: Computed, revised: Revised, back: backseries.BackSeries | None,
    release: R.ReleaseInfo | None = None,
) -> tuple[str, dict[str, str]]:
    """Write the workbook; its file name and the sheet of each table."""
    p = computed.period
    sheets, sheet_of = _workbook(
        p, revised.published, computed.figures, computed.first, computed.last, layouts=revised.layouts,
        release=release,
        table_notes=_table_notes(computed.results, p, back, computed.own_from, computed.breaks),
        revision_rows=revised.rows, revision_text=revised.text,
    )
    workbook = f"nrm-statistics-{p.label.lower()}.ods"
    write_ods(
        w.out_dir / workbook, sheets, title=B.publication_title(p),
        subject="National Referral Mechanism statistics",
        keywords=("modern slavery", "National Referral Mechanism", "Duty to Notify", p.label),
    )
    w.existing(workbook)
    return workbook, sheet_of


def _write_charts(w: _Writer, computed: Computed, series_length: int) -> list[tuple[B.ChartData, str]]:
    """The bulletin's charts, from the figures (not the [r]-marked text)."""
    by_id = {r.table.id: r for r in computed.results}
    chart_files: list[tuple[B.ChartData, str]] = []
    for cd in B.build_charts(by_id, computed.period, series_length=series_length, declared=computed.breaks):
        rel = f"charts/{cd.chart.id}.svg"
        w.text(rel, cd.chart.svg)
        chart_files.append((cd, rel))
    return chart_files


def _back_tables(results: Sequence[engine.TableResult], back: backseries.BackSeries | None) -> list[str]:
    """The time-series tables that start with the back series."""
    if back is None:
        return []
    return [r.table.id for r in results if back.covers(r.table.id) and r.table.time_series]


def _table_links(computed: Computed, revised: Revised, sheet_of: Mapping[str, str]) -> list[B.TableLink]:
    p = computed.period
    links = [B.TableLink(T.KEY_FIGURES_ID, f"Key figures, {p.title}", "Summary", f"csv/{T.KEY_FIGURES_ID}.csv",
                         len(computed.figures))]
    links += [B.TableLink(r.table.id, r.table.title, sheet_of[r.table.id], f"csv/{r.table.id}.csv",
                          len(revised.layouts[r.table.id].rows))
              for r in revised.published]
    if revised.report is not None:
        links.append(B.TableLink(REVISIONS_ID, "Figures published earlier that have changed", "Revisions",
                                 f"csv/{REVISIONS_ID}.csv", len(revised.report.revisions)))
    return links


def _suppression_note(results: Sequence[engine.TableResult]) -> str:
    if results and all(r.table.disclosure.enabled for r in results):
        return PROTECTION_TEXT
    thresholds = sorted({(r.table.id, r.table.disclosure.threshold) for r in results if r.table.disclosure.enabled})
    if not thresholds:
        return "National tables are not suppressed, following Home Office practice. " \
               "No table in this release is suppressed."
    return ("National tables are not suppressed, following Home Office practice. Small counts are suppressed [c] in: "
            + "; ".join(f"{tid} (counts from 1 to {th - 1})" for tid, th in thresholds)
            + ", with secondary suppression so that totals cannot reveal them.")


def _bulletin_sections(computed: Computed, revised: Revised) -> list[tuple[str, str, str]]:
    sections: list[tuple[str, str, str]] = []
    if revised.report is not None:
        body = revisions.revisions_html(revised.report.revisions, heading=False)
        reissue = revised.report.reissue_text()
        if reissue:
            body = f'<p class="govuk-body">{html.escape(reissue)}</p>\n{body}'
        if not revised.report.compared_with:
            body = f"<p>{NO_EARLIER_PUBLICATION}</p>"
        sections.append(("revisions", "Revisions", body))
    sections.append(("data-quality", "Data quality", _quality_html(computed.report, computed.overrides_used)))
    return sections


def _bulletin_about(computed: Computed, back: backseries.BackSeries | None) -> list[str]:
    back_tables = _back_tables(computed.results, back)
    if not back_tables:
        return []
    return [
        f"Time-series tables ({', '.join(back_tables)}) start in {backseries.FIRST_QUARTER.label}: quarters before "
        f"{computed.own_from.label} are as published in the Home Office's National Referral Mechanism statistics "
        f"(Open Government Licence v3.0); this service's own figures continue them [note {NOTE_NUMBERS['back_series']}]."
    ]


def _write_bulletin(
    w: _Writer,
    computed: Computed,
    revised: Revised,
    *,
    back: backseries.BackSeries | None,
    chart_files: Sequence[tuple[B.ChartData, str]],
    sheet_of: Mapping[str, str],
    workbook: str,
) -> None:
    p = computed.period
    by_id = {r.table.id: r for r in computed.results}
    html = B.render(
        p,
        B.key_findings(by_id, computed.figures, p, computed.first),
        computed.figures,
        list(chart_files),
        _table_links(computed, revised, sheet_of),
        workbook,
        first_date=computed.first,
        last_date=computed.last,
        suppression_note=_suppression_note(computed.results),
        notes=NOTES,
        sections=_bulletin_sections(computed, revised),
        about=_bulletin_about(computed, back),
    )
    w.text("index.html", html)


def _manifest_tables(computed: Computed, revised: Revised, sheet_of: Mapping[str, str]) -> tuple[ManifestTable, ...]:
    p = computed.period
    out = [ManifestTable(T.KEY_FIGURES_ID, f"Key figures, {p.title}", KEY_FIGURES_COLUMNS,
                         f"csv/{T.KEY_FIGURES_ID}.csv", "Summary", len(computed.figures), 0, False, 0)]
    out += [
        ManifestTable(r.table.id, r.table.title, tuple(revised.layouts[r.table.id].columns), f"csv/{r.table.id}.csv",
                      sheet_of[r.table.id], len(revised.layouts[r.table.id].rows), r.suppressed, r.table.time_series,
                      r.table.disclosure.threshold)
        for r in revised.published
    ]
    rows = revised.rows
    if rows is not None:
        out.append(ManifestTable(REVISIONS_ID, "Figures published earlier that have changed", tuple(rows[0]),
                                 f"csv/{REVISIONS_ID}.csv", "Revisions", len(rows[1]), 0, False, 0))
    return tuple(out)


def _quality_summary(computed: Computed) -> dict[str, Any]:
    report = computed.report
    return {
        "passed": report.passed,
        "checks": {r.id: r.status for r in report.results},
        "blocking_failures": [r.id for r in report.blocking_failures],
        "overrides": [{"check": o.check, "reason": o.reason, "by": o.by} for o in computed.overrides_used],
        "declared_breaks": [{**d.to_dict(), "from": computed.own_from.label} for d in computed.declared_breaks],
        "report": ["quality.json", "quality.txt"],
    }


def _revisions_summary(revised: Revised) -> dict[str, Any]:
    if revised.report is None:
        return {}
    return {
        "compared_with": list(revised.report.compared_with),
        "reissue_of": ({"period": revised.report.reissue_of.label, "version": revised.report.reissue_of.version,
                        "published_at": revised.report.reissue_of.published_at}
                       if revised.report.reissue_of is not None else None),
        "revised_figures": len(revised.report.revisions),
        # the revisions a reader sees at a glance: totals and one-way breakdowns
        "headline_figures": sum(1 for r in revised.report.revisions if r.headline),
        "tables": sorted({r.table_id for r in revised.report.revisions}),
        "csv": f"csv/{REVISIONS_ID}.csv",
    }


def _back_series_summary(computed: Computed, back: backseries.BackSeries | None) -> dict[str, Any]:
    if back is None:
        return {}
    return {
        "first_quarter": backseries.FIRST_QUARTER.label,
        "own_figures_from": computed.own_from.label,
        "tables": _back_tables(computed.results, back),
        "sources": dict(sorted(back.sources.items())),
    }


def write(
    computed: Computed,
    revised: Revised,
    out_dir: str | os.PathLike[str],
    *,
    back: backseries.BackSeries | None = None,
    series_length: int = 8,
    bar: tqdm | None = None,  # type: ignore[type-arg]
    release: R.ReleaseInfo | None = None,
) -> Manifest:
    """Write the publication of ``computed`` (with the revisions in ``revised``) under
    ``out_dir``: quality report, CSVs, workbook, charts, bulletin, and last the manifest.
    ``release``: the contact and dates for the cover (None: :func:`nrm.analytics.release.load`)."""
    release = release if release is not None else R.load()
    bar = bar if bar is not None else _quiet()
    p = computed.period
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    w = _Writer(out)
    w.text("quality.json", computed.report.to_json(timestamps=False, overrides=computed.overrides_used))
    w.text("quality.txt", computed.report.to_text(timestamps=False, overrides=computed.overrides_used))
    bar.set_postfix_str("csv")
    _write_csv(w, computed, revised)
    bar.update()
    bar.set_postfix_str("workbook")
    workbook, sheet_of = _write_workbook(w, computed, revised, back, release)
    bar.update()
    bar.set_postfix_str("charts")
    chart_files = _write_charts(w, computed, series_length)
    bar.update()
    bar.set_postfix_str("bulletin")
    _write_bulletin(w, computed, revised, back=back, chart_files=chart_files, sheet_of=sheet_of, workbook=workbook)
    bar.update()
    manifest = Manifest(
        title=B.publication_title(p),
        period=p.label,
        comparison_period=p.comparison().label,
        quarters=tuple(q.label for q in p.quarters()),
        series=tuple(q.label for q in engine.series_quarters(p, series_length)),
        extract=computed.extract_files,
        files=tuple(sorted(w.files, key=lambda f: f.path)),
        tables=_manifest_tables(computed, revised, sheet_of),
        out_dir=out,
        quality=_quality_summary(computed),
        revisions=_revisions_summary(revised),
        back_series=_back_series_summary(computed, back),
    )
    tmp = out / "manifest.json.tmp"
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
    return manifest


def remember(computed: Computed, *, figures_store: revisions.FiguresStore, reason: str = "") -> None:
    """Store what this publication published, for the next one to compare with (an
    earlier issue of the same period is kept; ``reason`` says why it was re-issued)."""
    figures_store.save(
        computed.period,
        computed.results,
        extract=[(f.path, f.sha256) for f in computed.extract_files],
        findings=[f.to_dict() for f in computed.report.findings()],
        overrides=[o.to_dict() for o in computed.overrides_used],
        reason=reason,
    )


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
    linked: bool = True,
    reason: str = "",
    declared_breaks: Sequence[backseries.DeclaredBreak] = (),
    release: R.ReleaseInfo | None = None,
) -> Manifest:
    """Compute every table for ``period`` from the extract at ``extract_path`` and write
    the workbook, CSVs, charts, bulletin, quality report and manifest under ``out_dir``:
    :func:`compute`, :func:`revise`, :func:`write`, then :func:`remember`.

    The data-quality report runs first: while a blocking check fails and has no override
    in ``quality_overrides`` (with a reason and who decided), :class:`quality.QualityGateError`
    is raised and nothing is written. ``linkage_input`` (the live data's identifying
    fields, :data:`nrm.analytics.linkage.LINKAGE_INPUT`) lets the duplicate-referrals check
    link records.

    ``store`` is the statistics store (see :mod:`nrm.analytics.storage`; None: none). With
    it, time-series tables start with the imported back series, figures published
    earlier that have changed are marked ``[r]`` and listed, and this publication's
    figures are stored for the next one.

    ``disclosure_overrides`` replaces the disclosure control of tables by id. ``linked``:
    protection across linked tables and releases, checked by the interval attack (see
    :func:`compute`); False: each table on its own. ``reason``: why the period is published again (a re-issue keeps the
    earlier issue and names this as the cause of its revised figures). ``declared_breaks``:
    the back-series tables whose own figures do not join the back series (see :func:`compute`).
    ``release``: the contact and release dates on the cover (None: from the configuration,
    :func:`nrm.analytics.release.load`).
    """
    _controls(tables, disclosure_overrides)  # an unknown table id fails before anything runs
    release = release if release is not None else R.load()  # a bad release configuration, too
    figures_store = storage.figures_store(store) if store is not None else None
    back = backseries.load(storage.back_series_dir(store)) if store is not None else None
    bar = _progress(len(tables) + 8, progress)
    computed = compute(
        extract_path, period, tables=tables, disclosure_overrides=disclosure_overrides,
        series_length=series_length, figures_store=figures_store, back=back,
        quality_overrides=quality_overrides, linkage_input=linkage_input, quality_config=quality_config,
        threads=threads, memory_limit=memory_limit, bar=bar, linked=linked, declared_breaks=declared_breaks,
    )
    revised = revise(computed, figures_store=figures_store, back=back, reason=reason)
    computed = replace(computed, recomputed=[])  # the earlier periods' tables are not needed any more
    manifest = write(computed, revised, out_dir, back=back, series_length=series_length, bar=bar, release=release)
    if figures_store is not None:
        bar.set_postfix_str("store")
        remember(computed, figures_store=figures_store, reason=reason)
    bar.update()
    bar.close()
    return manifest
