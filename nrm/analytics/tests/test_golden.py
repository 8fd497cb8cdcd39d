"""Golden files of the publication's structure (as ONS's gptables tests do): a small fixed extract is
published to a temporary directory and the workbook's sheet names, frozen rows, header rows, cell types
(number or text) and first rows, and each CSV's header and first rows, are compared with the files
checked in under ``golden/``.

A change to the layout fails here until the golden files are regenerated, on purpose:

    NRM_UPDATE_GOLDEN=1 NRM_ENVIRONMENT=test DATABASE_URL= .venv/bin/python -m pytest nrm/analytics/tests/test_golden.py

then review the diff of ``nrm/analytics/tests/golden/`` before committing it.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from nrm.analytics import extract_io
from nrm.analytics.ods import frozen_rows, sheet_cells
from nrm.analytics.publish import Manifest, publish
from nrm.analytics.release import ReleaseInfo
from nrm.analytics.synthetic.generator import fixture_extract
from nrm.analytics.tables import TABLES

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("NRM_UPDATE_GOLDEN") == "1"
FIRST_ROWS = 6  # data rows kept of each table
RELEASE = ReleaseInfo(
    contact_name="Statistics team",
    contact_email="statistics@example.gov.uk",
    responsible_statistician="A. Statistician",
    release_date=date(2020, 11, 26),
    next_release_date=date(2021, 2, 25),
)


@pytest.fixture(scope="module")
def golden_publication(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    root = tmp_path_factory.mktemp("golden")
    extract = root / "extract" / "extract.parquet"
    extract_io.write_extract(fixture_extract(300, seed=7, start=date(2019, 10, 1), end=date(2020, 9, 30)), extract)
    out = root / "out"
    manifest = publish(extract, "2020-Q3", out, progress=False, store=root / "store", release=RELEASE)
    return out, manifest


def _workbook_structure(path: Path, manifest: Manifest) -> dict[str, Any]:
    cells = sheet_cells(path)
    frozen = frozen_rows(path)
    headers = {t.sheet: list(t.columns) for t in manifest.tables}
    headers.setdefault("Notes", ["Note number", "Note text"])
    headers.setdefault("Contents", ["Sheet name", "Table title", "Table id", "CSV file"])
    out: dict[str, Any] = {}
    for name, rows in cells.items():
        texts = [[text for _kind, text in r] for r in rows]
        header = headers.get(name)
        h = texts.index(header) if header in texts else None
        sheet: dict[str, Any] = {"frozen_rows": frozen.get(name, 0), "rows": len(rows)}
        if h is None:
            sheet["text"] = [r[0][1] if r else "" for r in rows]
        else:
            sheet["above_header"] = [r[0][1] if r else "" for r in rows[:h]]
            sheet["header_row"] = h + 1
            sheet["header"] = header
            sheet["first_rows"] = [[f"{kind}:{text}" for kind, text in r] for r in rows[h + 1 : h + 1 + FIRST_ROWS]]
        out[name] = sheet
    return out


def _csv_structure(out: Path, manifest: Manifest) -> dict[str, Any]:
    files: dict[str, Any] = {}
    for t in manifest.tables:
        with (out / t.csv).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        files[t.csv] = {"header": rows[0], "rows": len(rows) - 1, "first_rows": rows[1 : 1 + FIRST_ROWS]}
    return files


def _compare(name: str, got: dict[str, Any]) -> None:
    path = GOLDEN / name
    text = json.dumps(got, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path}: run with NRM_UPDATE_GOLDEN=1 to write it"
    want = json.loads(path.read_text(encoding="utf-8"))
    assert list(got) == list(want), f"{name}: the sheets or files differ"
    for key in want:
        assert got[key] == want[key], f"{name}: {key} differs from the golden file (NRM_UPDATE_GOLDEN=1 to regenerate)"


def test_workbook_matches_the_golden_structure(golden_publication: tuple[Path, Manifest]) -> None:
    out, manifest = golden_publication
    _compare("workbook.json", _workbook_structure(next(out.glob("*.ods")), manifest))


def test_csv_files_match_the_golden_structure(golden_publication: tuple[Path, Manifest]) -> None:
    out, manifest = golden_publication
    _compare("csv.json", _csv_structure(out, manifest))


def test_golden_workbook_keeps_numbers_numeric_and_shorthand_alone(golden_publication: tuple[Path, Manifest]) -> None:
    """What the golden files hold, checked on every cell: a figure is a number; a text cell in a figure
    column holds one shorthand and nothing else; every table sheet's header row is frozen."""
    out, manifest = golden_publication
    path = next(out.glob("*.ods"))
    cells, frozen = sheet_cells(path), frozen_rows(path)
    for t in manifest.tables:
        rows = cells[t.sheet]
        texts = [[text for _k, text in r] for r in rows]
        h = texts.index(list(t.columns))
        assert frozen[t.sheet] == h + 1, t.sheet
        if t.id in ("key_figures", "revisions"):
            continue
        figures = {d.measure for d in TABLES} | {s.name for d in TABLES for s in d.statistics}
        figure_columns = [i for i, c in enumerate(t.columns) if c in figures]
        assert figure_columns, t.id
        for r in rows[h + 1 :]:
            for i in figure_columns:
                kind, text = r[i]
                assert kind == "float" or text in ("[c]", "[x]", "[z]"), (t.sheet, r)
        assert t.columns[-1] == "Shorthand"
        assert {r[-1][1] for r in rows[h + 1 :]} <= {"", "[r]"} | {
            r[-1][1] for r in rows[h + 1 :] if r[-1][1].startswith("[r] ")}
    cover = "\n".join(r[0][1] for r in cells["Cover"] if r)
    assert "Release date: 26 November 2020" in cover
    assert "Next release date: 25 February 2021" in cover
    assert "Responsible statistician: A. Statistician" in cover
    assert "statistics@example.gov.uk" in cover
