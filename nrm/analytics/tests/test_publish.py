from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nrm.analytics import cli
from nrm.analytics.charts import PALETTE
from nrm.analytics.disclosure import SUPPRESSED, constraint_groups
from nrm.analytics.ods import frozen_rows, sheet_cell_texts, sheet_cells
from nrm.analytics.publish import Manifest, publish
from nrm.analytics.tables import TABLES, TABLES_BY_ID, DisclosureControl, linked_level
from nrm.analytics.tests.helpers import extract_csv_path, extract_path, extract_tables

__all__ = ["extract_csv_path", "extract_path", "extract_tables"]  # fixtures

PERIOD = "2023-Q4"
ALLOWED_SHORTHAND = {"[c]", "[x]", "[z]", "[r]", "[b]"}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, extract_path: Path) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("publication")
    # Suppress the police force table hard so that [c] shows up even in a small extract.
    manifest = publish(
        extract_path,
        PERIOD,
        out,
        progress=False,
        disclosure_overrides={"referrals_by_police_force": DisclosureControl(threshold=10)},
    )
    return out, manifest


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _workbook(out: Path) -> Path:
    return next(out.glob("*.ods"))


def test_outputs_and_manifest(published: tuple[Path, Manifest]) -> None:
    out, manifest = published
    files = _files(out)
    assert set(files) == {f.path for f in manifest.files} | {"manifest.json"}
    for f in manifest.files:
        assert hashlib.sha256(files[f.path]).hexdigest() == f.sha256
        assert len(files[f.path]) == f.bytes
    data = json.loads(files["manifest.json"])
    assert data["period"] == PERIOD
    assert data["comparison_period"] == "2022-Q4"
    ids = [t["id"] for t in data["tables"]]
    assert ids == ["key_figures", *[t.id for t in TABLES]]
    for t in data["tables"]:
        with (out / t["csv"]).open(newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == t["columns"]
        assert len(rows) - 1 == t["rows"]
        assert t["title"]
    assert {e["path"] for e in data["extract"]} == {
        "extract.parquet",
        "extract_duty_to_notify.parquet",
        "extract_reviews.parquet",
        "extract_support.parquet",
        "extract_disqualifications.parquet",
        "extract_casework.parquet",
        "extract_reconsiderations.parquet",
    }


def test_csv_tables_add_up_and_suppression_protects(published: tuple[Path, Manifest]) -> None:
    out, manifest = published
    for mt in manifest.tables:
        if mt.id not in TABLES_BY_ID:
            continue
        table = linked_level(TABLES_BY_ID[mt.id])  # as published under the default protection
        k = len(table.dimensions)
        with (out / mt.csv).open(newline="") as fh:
            rows = [tuple(r) for r in list(csv.reader(fh))[1:]]
        for total, members in constraint_groups(table, rows):
            cells = [rows[total], *(rows[m] for m in members)]
            n_sup = sum(c[k] == SUPPRESSED for c in cells)
            assert n_sup != 1, f"{mt.id}: a single suppressed cell in the group of {rows[total][:k]}"
            if n_sup == 0:
                assert int(rows[total][k]) == sum(int(rows[m][k]) for m in members), mt.id
        # every table is protected together (the default): no count below its threshold (5 unless set) is shown
        assert mt.disclosure_threshold >= 5
        assert all(r[k] in (SUPPRESSED, "[x]", "[z]") or int(r[k]) == 0 or int(r[k]) >= mt.disclosure_threshold
                   for r in rows), mt.id
        assert mt.suppressed_cells == sum(r[k] == SUPPRESSED for r in rows)


def test_same_extract_gives_byte_identical_outputs(
    published: tuple[Path, Manifest], extract_path: Path, tmp_path: Path
) -> None:
    out, _ = published
    again = tmp_path / "again"
    publish(
        extract_path,
        PERIOD,
        again,
        progress=False,
        disclosure_overrides={"referrals_by_police_force": DisclosureControl(threshold=10)},
    )
    first, second = _files(out), _files(again)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], f"{name} differs between two runs"


def test_csv_extract_gives_the_same_tables(
    published: tuple[Path, Manifest], extract_csv_path: Path, tmp_path: Path
) -> None:
    out, _ = published
    other = tmp_path / "from_csv"
    publish(
        extract_csv_path,
        PERIOD,
        other,
        progress=False,
        disclosure_overrides={"referrals_by_police_force": DisclosureControl(threshold=10)},
    )
    for name, data in _files(out).items():
        if name.startswith("csv/") or name.startswith("charts/") or name.endswith(".ods"):
            assert (other / name).read_bytes() == data, name


def test_ods_is_a_valid_deterministic_zip(published: tuple[Path, Manifest]) -> None:
    out, _ = published
    with zipfile.ZipFile(_workbook(out)) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype"
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        meta = z.read("meta.xml").decode()
        assert "meta:creation-date" not in meta
        assert "dc:date" not in meta
    from odf.opendocument import load

    doc = load(str(_workbook(out)))  # odfpy can open it
    assert doc.spreadsheet is not None


def _header_frozen_and_counts_numeric(
    table_id: str, sheet: str, h: int, cells: list[list[tuple[str, str]]], frozen: dict[str, int],
    columns: tuple[str, ...],
) -> None:
    assert frozen[sheet] == h + 1, f"{sheet}: the header row is not frozen"  # Table 5 is long
    if table_id in TABLES_BY_ID:  # a count is a number; a text cell there holds only shorthand
        k = columns.index(TABLES_BY_ID[table_id].measure)  # a table may be published at a coarser level
        for r in cells[h + 1 :]:
            assert r[k][0] == "float" or r[k][1] in ("[c]", "[x]", "[z]"), (sheet, r)


def test_ods_follows_the_gss_spreadsheet_conventions(published: tuple[Path, Manifest]) -> None:
    out, manifest = published
    ods = _workbook(out)
    with zipfile.ZipFile(ods) as z:
        content = z.read("content.xml").decode()
    assert "number-columns-spanned" not in content
    assert "number-rows-spanned" not in content
    assert "covered-table-cell" not in content
    sheets = sheet_cell_texts(ods)
    cells, frozen = sheet_cells(ods), frozen_rows(ods)
    names = list(sheets)
    assert names[:3] == ["Cover", "Contents", "Notes"]
    for name, rows in sheets.items():
        assert rows, f"{name}: empty sheet"
        assert rows[0], f"{name}: no title in A1"
        assert rows[0][0].strip(), f"{name}: no title in A1"
        assert len(rows[0]) == 1, f"{name}: the title row has other cells"
        for row in rows:
            for cell in row:
                for token in re.findall(r"\[[^\]]*\]", cell):
                    assert token in ALLOWED_SHORTHAND or re.fullmatch(r"\[note \d+\]", token), (name, token)
    cover = "\n".join(r[0] for r in sheets["Cover"] if r)
    for s in ALLOWED_SHORTHAND:
        assert s in cover
    contents = sheets["Contents"]
    assert ["Sheet name", "Table title", "Table id", "CSV file"] in contents
    assert "Note number" in sheets["Notes"][2]
    for mt in manifest.tables:
        rows = sheets[mt.sheet]
        if mt.sheet.startswith("Table_"):
            assert rows[0][0].startswith(f"Table {mt.sheet.split('_')[1]}: {mt.title}")
        header = list(mt.columns)
        assert header in rows, f"{mt.sheet}: no single-row header"
        h = rows.index(header)
        body = rows[h + 1 :]
        assert len(body) == mt.rows
        for r in body:  # no blank rows or cells inside the table
            assert len(r) == len(header), (mt.sheet, r)
            assert all(c != "" for c in r), (mt.sheet, r)
        for r in rows[:h]:  # text above the table is in column A only
            assert len(r) == 1
        assert any(mt.sheet in row[0] for row in contents if row)
        _header_frozen_and_counts_numeric(mt.id, mt.sheet, h, cells[mt.sheet], frozen, tuple(mt.columns))
    # Contents links go to the sheets.
    assert 'xlink:href="#Table_1.A1"' in content


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_ods_opens_in_libreoffice(published: tuple[Path, Manifest], tmp_path: Path) -> None:
    out, manifest = published
    ods = _workbook(out)
    profile = tmp_path / "profile"
    result = subprocess.run(
        [  # noqa: S607 - soffice from PATH, as installed by the project's setup
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(tmp_path),
            str(ods),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    stem = ods.stem
    cover = (tmp_path / f"{stem}-Cover.csv").read_text()
    assert cover.splitlines()[0].strip('"').startswith("Modern slavery: National Referral Mechanism")

    def norm(v: str) -> str:
        try:
            return repr(float(v))
        except ValueError:
            return v

    for mt in manifest.tables:
        with (tmp_path / f"{stem}-{mt.sheet}.csv").open(newline="") as fh:
            lo_rows = [[c for c in r] for r in csv.reader(fh)]
        with (out / mt.csv).open(newline="") as fh:
            ours = list(csv.reader(fh))
        h = next(i for i, r in enumerate(lo_rows) if r[: len(ours[0])] == ours[0])
        lo_body = [[norm(c) for c in r[: len(ours[0])]] for r in lo_rows[h + 1 :]]
        assert lo_body == [[norm(c) for c in r] for r in ours[1:]], mt.sheet


class _Html(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input", "source", "area", "base", "col", "embed", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.table_first_child: list[str] = []
        self.doctype = ""
        self._just_opened_table = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._just_opened_table:
            self.table_first_child.append(tag)
            self._just_opened_table = False
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self._just_opened_table = True
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()


def test_bulletin_is_valid_accessible_html(published: tuple[Path, Manifest]) -> None:
    out, manifest = published
    text = (out / "index.html").read_text()
    p = _Html()
    p.feed(text)
    p.close()
    assert p.doctype.lower() == "doctype html"
    assert p.errors == []
    assert p.stack == []
    html_attrs = next(a for t, a in p.tags if t == "html")
    assert html_attrs.get("lang") == "en-GB"
    headings = [int(t[1]) for t, _ in p.tags if re.fullmatch(r"h[1-6]", t)]
    assert headings[0] == 1
    assert headings.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(headings)), "a heading level is skipped"
    assert p.table_first_child
    assert all(c == "caption" for c in p.table_first_child)
    ids = [a["id"] for _, a in p.tags if a.get("id")]
    assert len(ids) == len(set(ids))
    for tag, attrs in p.tags:
        if tag == "img":
            assert attrs.get("alt")
            assert (out / str(attrs["src"])).is_file()
        if tag == "a" and attrs.get("href", "").startswith("#"):  # type: ignore[union-attr]
            assert str(attrs["href"])[1:] in ids
        elif tag == "a" and attrs.get("href"):
            assert (out / str(attrs["href"])).is_file(), attrs["href"]
    # Key findings are computed from the data.
    key = json.loads((out / "manifest.json").read_text())
    assert key["period"] in text
    with (out / "csv/key_figures.csv").open(newline="") as fh:
        figures = {r["Measure"]: r for r in csv.DictReader(fh)}
    referrals = int(figures["NRM referrals"]["Value"])
    assert f"There were {referrals:,} referrals" in text
    children = figures["Referrals of people exploited as children"]["Value"]
    assert ("were exploited as children" in text) == (children != "[c]")  # never a share of a suppressed count
    assert "The most common nationality of people referred was" in text
    assert "were positive" in text
    assert len([t for t, _ in p.tags if t == "figure"]) == len([f for f in manifest.files if f.path.endswith(".svg")])


def test_charts_are_accessible_svg(published: tuple[Path, Manifest]) -> None:
    out, manifest = published
    svgs = [f.path for f in manifest.files if f.path.endswith(".svg")]
    assert len(svgs) >= 4
    ns = "{http://www.w3.org/2000/svg}"
    allowed = {c.upper() for c in PALETTE} | {"#FFFFFF", "#D9D9D9", "#0B0C0C", "NONE"}
    for path in svgs:
        root = ET.parse(out / path).getroot()  # noqa: S314 - our own output
        assert root.get("role") == "img"
        labelled = (root.get("aria-labelledby") or "").split()
        children = list(root)
        assert children[0].tag == f"{ns}title"
        assert (children[0].text or "").strip()
        assert children[1].tag == f"{ns}desc"
        assert len(children[1].text or "") > 40
        assert [children[0].get("id"), children[1].get("id")] == labelled
        for el in root.iter():
            for attr in ("fill", "stroke"):
                v = el.get(attr)
                if v is not None and el.tag != f"{ns}line":
                    assert v.upper() in allowed, (path, v)
        assert root.find(f"{ns}g[@class='legend']") is None


def test_cli_publish(extract_path: Path, tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    opts = parser.parse_args(
        ["publish", "--period", "2023", "--source", str(extract_path), "--out", str(tmp_path / "out"),
         "--store", str(tmp_path / "store"), "--no-progress"]
    )
    out = io.StringIO()
    assert cli.run(opts, stdout=out, stderr=io.StringIO()) == 0
    assert "Published 2023" in out.getvalue()
    assert (tmp_path / "out" / "manifest.json").is_file()
    assert (tmp_path / "out" / "nrm-statistics-2023.ods").is_file()
    assert (tmp_path / "store" / "published" / "2023" / "figures.parquet").is_file()
