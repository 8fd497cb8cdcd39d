"""The publication end to end with the issue-8 features: the data-quality gate, revisions
against the published-figures store, the back series and the series breaks, and the
command line for them."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from nrm.analytics import backseries, cli, engine, extract_io, quality, revisions, storage
from nrm.analytics import tables as T
from nrm.analytics.ods import sheet_cell_texts, sheet_cells
from nrm.analytics.periods import parse_period
from nrm.analytics.publish import NOTE_NUMBERS, publish
from nrm.analytics.synthetic.generator import fixture_extract

UNKNOWN = "Not specified or unknown"
EXPLOITATION_TABLE = "referrals_by_exploitation_age_gender"
FIRST_RESPONDER_TABLE = "referrals_by_first_responder"
SERIES_TABLE = "referrals_by_quarter_exploitation"
DECISIONS_TABLE = "decisions_by_exploitation"
LONGITUDINAL = backseries.DEFAULT_DATA_DIR / "nrm_referrals_longitudinal.csv"
OVERRIDE_REASON = "Known recording error at one first responder in 2020; corrected figures follow next quarter"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _quarter(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


# ---------------------------------------------------------------------------
# Revisions: publish a quarter, correct some records, publish the next quarter


def _recode(path: Path, out: Path, quarter: str, ages: int) -> list[dict[str, object]]:
    """Copy the extract (with its sibling files) with one unknown-exploitation referral
    of each of the first ``ages`` ages in ``quarter`` recoded as sexual exploitation."""
    table = pq.read_table(path)
    rows = table.to_pylist()
    recoded: list[dict[str, object]] = []
    seen_ages: set[object] = set()
    for row in rows:
        when = row["referral_date"]
        if _quarter(when) == quarter and row["exploitation_types"] == UNKNOWN and row["age_at_exploitation"] not in seen_ages:
            seen_ages.add(row["age_at_exploitation"])
            row["exploitation_types"] = "Sexual"
            recoded.append(row)
            if len(recoded) == ages:
                break
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), out)
    for name, src in extract_io.sibling_paths(path).items():
        if name != "referrals":
            (out.parent / f"{out.stem}_{name}.parquet").write_bytes(src.read_bytes())
    return recoded


def _expected_revisions(recoded: list[dict[str, object]], quarter: str) -> Counter[tuple[str, str, tuple[str, ...]]]:
    """(table, period, cell) -> net change, worked out from the recoded referrals alone."""
    delta: Counter[tuple[str, str, tuple[str, ...]]] = Counter()
    for row in recoded:
        age, gender = str(row["age_at_exploitation"]), str(row["gender"])
        frt, fr = str(row["first_responder_type"]), str(row["first_responder"])
        nat = str(row["nationality"]).replace(";", " ")
        for label, sign in (("Sexual", +1), (UNKNOWN, -1)):
            for a in (age, T.TOTAL):
                delta[(SERIES_TABLE, quarter, (quarter, label, a))] += sign
                for g in (gender, T.TOTAL):
                    delta[(EXPLOITATION_TABLE, quarter, (label, a, g))] += sign
            for a, g in ((age, gender), (age, T.TOTAL), (T.TOTAL, T.TOTAL)):
                for n in (nat, T.TOTAL):
                    delta[(FIRST_RESPONDER_TABLE, quarter, (frt, fr, label, a, g, n))] += sign
            for stage, prefix in (("Reasonable Grounds", "rg"), ("Conclusive Grounds", "cg")):
                decided = row[f"{prefix}_date"]
                if row[f"{prefix}_outcome"] is not None and isinstance(decided, date) and _quarter(decided) == quarter:
                    for o in (str(row[f"{prefix}_outcome"]), T.TOTAL):
                        delta[(DECISIONS_TABLE, quarter, (stage, o, label))] += sign
    return Counter({k: v for k, v in delta.items() if v})


def _cell_label(table_id: str, cell: tuple[str, ...]) -> str:
    dims = [d.name for d in T.table(table_id).dimensions]
    return "; ".join(f"{d} {v}" for d, v in zip(dims, cell, strict=True) if v != T.TOTAL) or "Total"


def _published_counts(out: Path, table_id: str) -> dict[tuple[str, ...], int]:
    rows = _csv_rows(out / "csv" / f"{table_id}.csv")
    k = len(T.table(table_id).dimensions)
    return {tuple(r[:k]): int(r[k]) for r in rows[1:]}


def test_revisions_list_exactly_the_changed_cells_and_mark_them(tmp_path: Path) -> None:
    before = tmp_path / "before.parquet"
    extract_io.write_extract(fixture_extract(3000, seed=7, start=date(2022, 1, 1), end=date(2023, 12, 31)), before)
    store = tmp_path / "store"
    # cell by cell: every count shown, so each table controlled on its own (the police-force table only)
    first = publish(before, "2023-Q1", tmp_path / "q1", progress=False, store=store, linked=False)
    assert first.revisions == {"compared_with": [], "reissue_of": None, "revised_figures": 0, "headline_figures": 0,
                                "tables": [], "csv": "csv/revisions.csv"}
    assert storage.figures_store(store).labels() == ["2023-Q1"]

    after = tmp_path / "after.parquet"
    recoded = _recode(before, after, "2023-Q1", ages=2)
    assert len(recoded) == 2
    second = publish(after, "2023-Q2", tmp_path / "q2", progress=False, store=store, linked=False)
    out = tmp_path / "q2"

    expected = _expected_revisions(recoded, "2023-Q1")
    old = {t: _published_counts(tmp_path / "q1", t)
           for t in (EXPLOITATION_TABLE, FIRST_RESPONDER_TABLE, SERIES_TABLE, DECISIONS_TABLE)}
    titles = {t: T.table(t).title for t in old}
    want = {
        (titles[t], period, _cell_label(t, cell), T.table(t).measure, str(old[t].get(cell, 0)),
         str(old[t].get(cell, 0) + change),
         str(change), "2023-Q1", "Updated case records")
        for (t, period, cell), change in expected.items()
    }
    # the revisions CSV lists exactly the changed cells, with the old and new values
    rows = _csv_rows(out / "csv" / "revisions.csv")
    assert tuple(rows[0]) == revisions.REVISIONS_COLUMNS
    assert len(rows) - 1 == len(want)
    assert {tuple(r) for r in rows[1:]} == want
    assert second.revisions["revised_figures"] == len(want)
    assert second.revisions["compared_with"] == ["2023-Q1"]
    assert second.revisions["tables"] == sorted({t for t, _period, _cell in expected})

    # and so does the workbook's revisions sheet
    sheets = sheet_cell_texts(out / "nrm-statistics-2023-q2.ods")
    sheet = sheets["Revisions"]
    header = sheet.index(list(revisions.REVISIONS_COLUMNS))
    assert {tuple(r) for r in sheet[header + 1:]} == want
    assert any("Revisions" in "".join(r) for r in sheets["Contents"])

    # the changed cells the tables show carry [r] in the Shorthand column, and the figure stays a number: the
    # time series shows 2023-Q1; the exploitation and first-responder tables of 2023-Q1 are not republished
    series = _csv_rows(out / "csv" / f"{SERIES_TABLE}.csv")
    assert series[0][-1] == "Shorthand"
    marked = {tuple(r[:3]) for r in series[1:] if r[4] == "[r]"}
    shown = {cell for (t, _p, cell) in expected if t == SERIES_TABLE}
    assert marked == shown
    assert marked
    for r in series[1:]:
        if tuple(r[:3]) in marked:
            cell = tuple(r[:3])
            assert r[3] == str(old[SERIES_TABLE].get(cell, 0) + expected[(SERIES_TABLE, '2023-Q1', cell)])
    for f in second.files:
        if f.path.startswith("csv/") and f.path not in (f"csv/{SERIES_TABLE}.csv", "csv/revisions.csv"):
            assert "[r]" not in (out / f.path).read_text(encoding="utf-8"), f.path
    number = [t.id for t in T.TABLES].index(SERIES_TABLE) + 1
    cells = sheet_cells(out / "nrm-statistics-2023-q2.ods")[f"Table_{number}"]
    ods_marked = [r for r in cells if len(r) == 5 and r[4] == ("string", "[r]")]
    assert len(ods_marked) == len(marked)
    assert all(r[3][0] == "float" for r in ods_marked)  # a revised figure is a number a formula can add up

    # the bulletin lists them
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="revisions">Revisions</h2>' in html
    assert 'href="#revisions"' in html
    assert f"{len(want)} figures published earlier have been revised" in html
    assert 10 < len(want) <= 50  # all of them are in the bulletin's table
    for t, period, cell_label, column, was, now, *_ in want:
        assert re.search(
            rf"<td[^>]*>{re.escape(t)}</td><td[^>]*>{period}</td><td[^>]*>{re.escape(cell_label)} \({column}\)</td>"
            rf"<td[^>]*>{was}</td><td[^>]*>{now}</td>",
            html.replace("&#x27;", "'").replace("&amp;", "&"),
        ), cell_label

    # the store keeps both publications; publishing again is a re-issue that keeps the first
    # issue, changes none of its figures and lists the same revisions of earlier periods
    assert storage.figures_store(store).labels() == ["2023-Q1", "2023-Q2"]
    meta = json.loads((store / "published" / "2023-Q2" / "publication.json").read_text())
    assert {e["file"] for e in meta["extract"]} >= {"after.parquet"}
    again = publish(after, "2023-Q2", tmp_path / "q2-again", progress=False, store=store, linked=False)
    assert again.revisions["reissue_of"]["version"] == 1
    assert {k: v for k, v in again.revisions.items() if k not in ("reissue_of", "compared_with")} == {
        k: v for k, v in second.revisions.items() if k not in ("reissue_of", "compared_with")}
    assert again.revisions["compared_with"] == ["2023-Q1", "2023-Q2"]
    tables_then = {k: v for k, v in _files(out).items() if k.startswith("csv/")}
    assert tables_then == {k: v for k, v in _files(tmp_path / "q2-again").items() if k.startswith("csv/")}
    assert [p.version for p in storage.figures_store(store).issues("2023-Q2", figures=False)] == [1, 2]


# ---------------------------------------------------------------------------
# The data-quality gate: the 2020 miscoding


@pytest.fixture(scope="module")
def miscoded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic referrals 2018-2021 with half of the sexual exploitation referrals of
    2020 Q2 and Q3 recorded as 'Not specified or unknown'."""
    from nrm.analytics.synthetic.extract import generate_referrals

    referrals = generate_referrals(16000, 3, date(2018, 1, 1), date(2021, 12, 31))
    when = referrals.column("referral_date")
    in_2020_q2_q3 = pc.and_(pc.greater_equal(when, pa.scalar(date(2020, 4, 1))),
                            pc.less_equal(when, pa.scalar(date(2020, 9, 30))))
    sexual = pc.match_substring_regex(referrals.column("exploitation_types"), r"(^|;)Sexual(;|$)")
    rng = np.random.default_rng(1)
    pick = pc.and_(pc.and_(in_2020_q2_q3, sexual), pa.array(rng.random(referrals.num_rows) < 0.5))
    i = referrals.schema.get_field_index("exploitation_types")
    bad = referrals.set_column(
        i, referrals.schema.field(i), pc.if_else(pick, pa.scalar(UNKNOWN), referrals.column("exploitation_types"))
    )
    path = tmp_path_factory.mktemp("miscoded") / "extract.parquet"
    pq.write_table(bad, path)
    return path


def test_miscoding_stops_the_publication_unless_overridden(miscoded: Path, tmp_path: Path) -> None:
    store, out = tmp_path / "store", tmp_path / "out"
    with pytest.raises(quality.QualityGateError) as info:
        publish(miscoded, "2020-Q3", out, progress=False, store=store)
    message = str(info.value)
    assert "category_shift" in message
    assert "Sexual" in message
    assert UNKNOWN in message
    failing = [f for r in info.value.missing for f in r.findings if f.severity == "fail" and r.id == "category_shift"]
    assert failing
    assert failing[0].period == "2020-Q3"
    assert set(failing[0].categories) >= {"Sexual", UNKNOWN}
    assert not out.exists()
    assert not store.exists()
    # a reason without who decided is not an override
    with pytest.raises(quality.QualityGateError):
        publish(miscoded, "2020-Q3", out, progress=False, store=store,
                quality_overrides=[quality.Override(r.id, OVERRIDE_REASON, by=" ") for r in info.value.missing])

    overrides = [quality.Override(r.id, OVERRIDE_REASON, by="Head of profession") for r in info.value.missing]
    manifest = publish(miscoded, "2020-Q3", out, progress=False, store=store, quality_overrides=overrides)
    assert manifest.quality["passed"] is False
    assert "category_shift" in manifest.quality["blocking_failures"]
    assert manifest.quality["overrides"] == [
        {"check": o.check, "reason": OVERRIDE_REASON, "by": "Head of profession"} for o in overrides
    ]
    data = json.loads((out / "manifest.json").read_text())
    assert data["quality"]["overrides"] == manifest.quality["overrides"]
    report = json.loads((out / "quality.json").read_text())
    assert report["passed"] is False
    assert "category_shift" in report["overridden"]
    assert "generated_at" not in report
    assert all("at" not in o for o in report["overrides"])
    shift = next(c for c in report["checks"] if c["id"] == "category_shift")
    assert shift["status"] == "fail"
    assert "Sexual" in shift["summary"]
    text = (out / "quality.txt").read_text()
    assert "overridden with a recorded reason" in text
    assert OVERRIDE_REASON in text
    assert OVERRIDE_REASON in (out / "index.html").read_text()
    assert {"quality.json", "quality.txt"} <= {f.path for f in manifest.files}
    # the store records the findings and the override with when it was made
    meta = json.loads((store / "published" / "2020-Q3" / "publication.json").read_text())
    assert [o["check"] for o in meta["overrides"]] == [o.check for o in overrides]
    assert meta["overrides"][0]["at"]
    assert any(f["check"] == "category_shift" and "Sexual" in f["categories"] for f in meta["findings"])


def test_cli_quality_and_publish_with_overrides(miscoded: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["quality", "--period", "2020-Q3", "--source", str(miscoded), "--store", str(store),
                     "--json", str(tmp_path / "q.json")], stdout=out, stderr=err) == 1
    assert "Data quality report for 2020-Q3" in out.getvalue()
    assert "[FAIL] Shifts between categories that look like miscoding (blocking)" in out.getvalue()
    assert "--override category_shift=" in out.getvalue()
    assert json.loads((tmp_path / "q.json").read_text())["passed"] is False

    args = ["publish", "--period", "2020-Q3", "--source", str(miscoded), "--out", str(tmp_path / "out"),
            "--store", str(store), "--no-progress"]
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(args, stdout=out, stderr=err) == 1
    assert "category_shift" in err.getvalue()
    assert "Sexual" in err.getvalue()
    assert "--by" in err.getvalue()
    assert "Nothing was written" in err.getvalue()
    assert not (tmp_path / "out").exists()
    failing = quality.run_quality(miscoded, "2020-Q3").blocking_failures
    overrides = [f"--override={r.id}={OVERRIDE_REASON}" for r in failing]
    err = io.StringIO()
    assert cli.main([*args, *overrides], stdout=io.StringIO(), stderr=err) == 2  # who decided?
    assert "--by" in err.getvalue()
    out = io.StringIO()
    assert cli.main([*args, *overrides, "--by", "Head of profession"], stdout=out, stderr=io.StringIO()) == 0
    assert "Published 2020-Q3" in out.getvalue()
    assert "category_shift" in out.getvalue()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {o["check"] for o in manifest["quality"]["overrides"]} == {r.id for r in failing}
    with pytest.raises(SystemExit):  # not a check
        cli.main([*args, "--override", "nonsense=because", "--by", "me"], stdout=io.StringIO(), stderr=io.StringIO())


# ---------------------------------------------------------------------------
# The back series and series breaks


def _published_annual() -> dict[int, int]:
    out: Counter[int] = Counter()
    with LONGITUDINAL.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Quarter"].startswith("Q") and row["Location of exploitation"] != T.TOTAL:
                out[int(row["Year"])] += int(row["NRM referrals"])
    return dict(out)


def test_back_series_starts_in_2009_and_charts_show_the_break(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert cli.main(["import-published", "--store", str(store)], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    assert (storage.back_series_dir(store) / "back_series.json").is_file()
    extract = tmp_path / "extract.parquet"
    extract_io.write_extract(fixture_extract(1500, seed=5, start=date(2024, 1, 1), end=date(2024, 12, 31)), extract)
    # the fixture holds a tenth of the real volume: its figures do not continue the back series
    with pytest.raises(quality.QualityGateError) as gate:
        publish(extract, "2024-Q4", tmp_path / "out", progress=False, store=store)
    assert [r.id for r in gate.value.missing] == ["back_series_join"]
    assert not (tmp_path / "out").exists()
    joins = {str(f.table_id) for f in gate.value.missing[0].findings if f.severity == "fail"}
    assert joins == set(backseries.BACK_SERIES_TABLES)
    why = "Synthetic extract at a tenth of the real volume"
    declared = [backseries.DeclaredBreak(t, why, "Head of profession") for t in sorted(joins)]
    manifest = publish(extract, "2024-Q4", tmp_path / "out", progress=False, store=store, declared_breaks=declared)
    out = tmp_path / "out"
    assert manifest.quality["checks"]["back_series_join"] == "pass"
    assert {d["table"] for d in manifest.quality["declared_breaks"]} == joins
    assert {d["from"] for d in manifest.quality["declared_breaks"]} == {"2024-Q1"}

    table = "referrals_by_quarter_age_location"
    rows = _csv_rows(out / "csv" / f"{table}.csv")[1:]
    assert rows[0][0] == "2009-Q2"
    assert rows[-1][0] == "2024"  # a whole year's rows follow its fourth quarter
    assert [r[0] for r in rows if not engine.is_year(r[0])][-1] == "2024-Q4"
    # the first quarter of the service's own figures is marked [b] in the Shorthand column, and only that one;
    # the figures stay numbers
    assert all(r[4].startswith("[b]") and (r[3].isdigit() or r[3] == "[c]") for r in rows if r[0] == "2024-Q1")
    assert not any("[b]" in r[4] for r in rows if r[0] != "2024-Q1")
    totals = {r[0]: int(r[3]) for r in rows if r[1] == T.TOTAL and r[2] == T.TOTAL}
    annual: Counter[int] = Counter()
    for q, n in totals.items():
        if not engine.is_year(q):
            annual[int(q[:4])] += n
    published = _published_annual()
    assert {y: annual[y] for y in range(2014, 2024)} == {y: published[y] for y in range(2014, 2024)}
    assert "2009" not in totals  # 2009 is Q2 to Q4 only
    assert all(totals[str(y)] == annual[y] for y in range(2010, 2025))  # each year's row is its quarters' sum
    own = pq.read_table(extract).column("referral_date").to_pylist()
    assert annual[2024] == sum(1 for d in own if d.year == 2024)  # this service's own figures continue it
    assert manifest.back_series["own_figures_from"] == "2024-Q1"
    assert table in manifest.back_series["tables"]

    # a note marks which periods come from earlier publications, and where recording changed
    sheets = sheet_cell_texts(out / "nrm-statistics-2024-q4.ods")
    number = [t.id for t in T.TABLES].index(table) + 1
    text = [r[0] for r in sheets[f"Table_{number}"][:10] if r]
    assert any("Figures for 2009-Q2 to 2023-Q4 are the Home Office's figures as last revised" in x for x in text)
    assert not any("as first published in" in x for x in text)
    assert any("Rows labelled with a year alone (such as 2024) give the total for that whole calendar year" in x for x in text)
    # the note names the release the back series comes from, and the declared break says why
    assert any("Quarter 4 2023, file nrm_referrals_longitudinal.csv" in x for x in text)
    assert any(x.startswith("Series break from 2024-Q1, marked [b]") and why in x and "Head of profession" in x
               and f"[note {NOTE_NUMBERS[backseries.JOIN_BREAK]}]" in x for x in text)
    assert any("Series break from 2019-Q4" in x and f"[note {NOTE_NUMBERS['unknown_age']}]" in x for x in text)
    notes = {r[0]: r[1] for r in sheets["Notes"] if len(r) == 2}
    assert notes[f"note {NOTE_NUMBERS['back_series']}"] == backseries.NOTES["back_series"]
    assert "recorded as labour exploitation" in notes[f"note {NOTE_NUMBERS['criminal_exploitation']}"]
    assert notes[f"note {NOTE_NUMBERS[backseries.JOIN_BREAK]}"] == backseries.NOTES[backseries.JOIN_BREAK]
    # the decision tables have no back series before 2014: not available
    rg = _csv_rows(out / "csv" / "rg_decisions.csv")[1:]
    assert rg[0] == ["2009-Q2", T.TOTAL, T.TOTAL, T.TOTAL, "[x]", ""]  # (a Shorthand column: there is a store)
    assert next(r for r in rg if r[:4] == ["2020-Q1", T.TOTAL, T.TOTAL, T.TOTAL])[4] == "2840"
    # the back series' own figures for age 'not specified or unknown' before 2019-Q4 are kept as published
    # ([z] is only for a category a quarter does not show at all)
    referrals = _csv_rows(out / "csv" / "referrals_by_quarter_age_location.csv")[1:]
    unknown = {r[0]: r[3] for r in referrals if r[1] == "Not specified or unknown" and r[2] == T.TOTAL}
    assert (unknown["2015-Q1"], unknown["2019-Q3"]) == ("0", "1")

    # the line chart shows the 2019 Q4 break, and says so in its text alternative
    svg = (out / "charts" / "referrals-by-age.svg").read_text()
    marker = re.search(r'<g class="series-break" data-category="2019-Q4">(.*?)</g>', svg, re.S)
    assert marker is not None
    assert 'stroke-dasharray="6 4"' in marker.group(1)
    assert "Unknown age recorded (2019-Q4)" in marker.group(1)
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S)
    assert desc is not None
    assert "2009-Q2" in desc.group(1)
    assert "from 2019-Q4: Unknown age recorded" in desc.group(1)
    assert 'data-category="2024-Q1"' in svg  # the declared break
    assert "from 2024-Q1: Own figures begin" in desc.group(1)
    positive = (out / "charts" / "positive-decisions.svg").read_text()
    assert 'data-category="2024-Q1"' in positive
    html = (out / "index.html").read_text()
    assert "from 2019-Q4: Unknown age recorded" in html
    assert "start in 2009-Q2" in html
    # the bar chart keeps to the last eight quarters
    bar = (out / "charts" / "referrals-by-quarter.svg").read_text()
    assert "2023-Q1" in bar
    assert "2022-Q4" not in bar


def test_series_break_notes_on_a_short_series_across_october_2019(tmp_path: Path) -> None:
    extract = tmp_path / "extract.parquet"
    extract_io.write_extract(fixture_extract(1200, seed=9, start=date(2018, 10, 1), end=date(2020, 6, 30)), extract)
    publish(extract, "2020-Q2", tmp_path / "out", progress=False, store=tmp_path / "store",
            quality_overrides=[quality.Override(c, "synthetic data", by="test") for c in quality.CHECKS
                               if quality.CHECKS[c][1]])
    sheets = sheet_cell_texts(tmp_path / "out" / "nrm-statistics-2020-q2.ods")
    number = [t.id for t in T.TABLES].index(SERIES_TABLE) + 1
    text = " ".join(r[0] for r in sheets[f"Table_{number}"][:10] if r)
    # criminal exploitation was recorded under labour before 2019 Q4
    assert f"Series break from 2019-Q4: Criminal exploitation recorded separately [note {NOTE_NUMBERS['criminal_exploitation']}]" in text
    assert f"[note {NOTE_NUMBERS['unknown_age']}]" in text
    # no back series imported: the short series as before, and no back-series note
    assert "earlier releases" not in text
    svg = (tmp_path / "out" / "charts" / "referrals-by-age.svg").read_text()
    assert 'data-category="2019-Q4"' in svg


def test_revision_periods_and_store_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NRM_VAR_DIR", str(tmp_path / "var"))
    assert storage.default_root() == tmp_path / "var" / "stats"
    store = storage.figures_store(storage.default_root())
    assert revisions.revision_periods(store, parse_period("2023-Q2")) == []


def test_quarters_before_the_extract_are_not_revised_to_zero(tmp_path: Path) -> None:
    full = tmp_path / "full.parquet"
    extract_io.write_extract(fixture_extract(2000, seed=11, start=date(2022, 1, 1), end=date(2023, 12, 31)), full)
    store = tmp_path / "store"
    publish(full, "2023-Q3", tmp_path / "q3", progress=False, store=store)
    # the next extract holds only 2023's referrals: 2022's quarters now compute as zero
    later = tmp_path / "later.parquet"
    referrals = pq.read_table(full)
    pq.write_table(referrals.filter(pc.greater_equal(referrals.column("referral_date"), pa.scalar(date(2023, 1, 1)))),
                   later)
    for name, src in extract_io.sibling_paths(full).items():
        if name != "referrals":
            (tmp_path / f"later_{name}.parquet").write_bytes(src.read_bytes())
    manifest = publish(later, "2023-Q4", tmp_path / "q4", progress=False, store=store)
    assert manifest.revisions["compared_with"] == ["2023-Q3"]
    rows = _csv_rows(tmp_path / "q4" / "csv" / "revisions.csv")[1:]
    assert all(r[1] >= "2023" for r in rows), rows[:3]
