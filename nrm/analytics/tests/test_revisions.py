"""Revisions: the published-figures store, finding exactly the changed cells, [r] marks,
the revisions sheet and causes from data-quality findings."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nrm.analytics import disclosure, engine, extract_io
from nrm.analytics import revisions as R
from nrm.analytics import tables as T
from nrm.analytics.periods import Period, parse_period
from nrm.analytics.quality import Finding
from nrm.analytics.synthetic.generator import fixture_extract

UNKNOWN = "Not specified or unknown"
EXPLOITATION_TABLE = "referrals_by_exploitation_age_gender"
FIRST_RESPONDER_TABLE = "referrals_by_first_responder"
SERIES_TABLE = "referrals_by_quarter_exploitation"


def _tables(path: Path, period: Period) -> list[engine.TableResult]:
    """The tables as a publication publishes them (computed, then disclosure control)."""
    con = extract_io.connect()
    try:
        extract_io.attach(con, path)
        return [disclosure.apply(engine.compute_table(con, t, period)) for t in T.TABLES]
    finally:
        con.close()


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rev") / "before.parquet"
    extract_io.write_extract(fixture_extract(3000, seed=7, start=date(2022, 1, 1), end=date(2023, 12, 31)), path)
    return path


def _recode_unknown_to_sexual(path: Path, out: Path, quarters: tuple[str, ...], every: int) -> list[dict[str, object]]:
    """Copy the extract with every ``every``-th unknown-exploitation referral of ``quarters``
    recoded as sexual exploitation; return the recoded referrals."""
    table = pq.read_table(path)
    rows = table.to_pylist()
    recoded = []
    seen = 0
    for row in rows:
        q = f"{row['referral_date'].year}-Q{(row['referral_date'].month - 1) // 3 + 1}"
        if q in quarters and row["exploitation_types"] == UNKNOWN:
            if seen % every == 0:
                row["exploitation_types"] = "Sexual"
                recoded.append(row)
            seen += 1
    new = pa.Table.from_pylist(rows, schema=table.schema)
    pq.write_table(new, out)
    stem = path.with_suffix("")
    for sibling in extract_io.SIBLINGS:
        src = stem.parent / f"{stem.name}_{sibling}.parquet"
        if src.is_file():
            (out.parent / f"{out.with_suffix('').name}_{sibling}.parquet").write_bytes(src.read_bytes())
    return recoded


def _expected_changes(recoded: list[dict[str, object]], q3: str) -> dict[tuple[str, tuple[str, ...]], int]:
    """Net change of every cell the recoding touches, worked out from the recoded
    referrals alone (not from the tables)."""
    delta: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for row in recoded:
        when = row["referral_date"]
        assert isinstance(when, date)
        quarter = f"{when.year}-Q{(when.month - 1) // 3 + 1}"
        age, gender = str(row["age_at_exploitation"]), str(row["gender"])
        for label, sign in (("Sexual", +1), (UNKNOWN, -1)):  # the time series shows both quarters
            for a in (age, T.TOTAL):
                delta[(SERIES_TABLE, (quarter, label, a))] += sign
        if quarter != q3:
            continue  # the other quarter is not in the other tables' period
        frt, fr = str(row["first_responder_type"]), str(row["first_responder"])
        nat = str(row["nationality"]).replace(";", " ")
        for label, sign in (("Sexual", +1), (UNKNOWN, -1)):
            for a in (age, T.TOTAL):
                for g in (gender, T.TOTAL):
                    delta[(EXPLOITATION_TABLE, (label, a, g))] += sign
            for a, g in ((age, gender), (age, T.TOTAL), (T.TOTAL, T.TOTAL)):
                for n in (nat, T.TOTAL):
                    delta[(FIRST_RESPONDER_TABLE, (frt, fr, label, a, g, n))] += sign
    delta.update(_decision_changes(recoded, q3))
    return {k: v for k, v in delta.items() if v}


def _decision_changes(recoded: list[dict[str, object]], q3: str) -> Counter[tuple[str, tuple[str, ...]]]:
    """The decisions table's cells: a decision is counted in the quarter it was made."""
    delta: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for row in recoded:
        for stage, prefix in (("Reasonable Grounds", "rg"), ("Conclusive Grounds", "cg")):
            decided, outcome = row[f"{prefix}_date"], row[f"{prefix}_outcome"]
            if outcome is None or not isinstance(decided, date) or \
                    f"{decided.year}-Q{(decided.month - 1) // 3 + 1}" != q3:
                continue
            for label, sign in (("Sexual", +1), (UNKNOWN, -1)):
                for o in (str(outcome), T.TOTAL):
                    delta[("decisions_by_exploitation", (stage, o, label))] += sign
    return delta


def test_publish_correct_and_publish_again_lists_exactly_the_changed_cells(extract: Path, tmp_path: Path) -> None:
    store = R.FiguresStore(tmp_path / "published")
    q3, q4 = parse_period("2023-Q3"), parse_period("2023-Q4")
    published = _tables(extract, q3)
    # the quality report of that run named a possible miscoding (published with an override)
    miscoding = Finding("category_shift", "Sexual exploitation may have been recorded as unknown", period="2023-Q3",
                        dimension="Exploitation type", categories=("Sexual", UNKNOWN), severity="fail")
    store.save(q3, published, extract=[("before.parquet", "0" * 64)], findings=[miscoding.to_dict()],
               published_at=datetime(2023, 11, 1, tzinfo=UTC))

    corrected = tmp_path / "after.parquet"
    recoded = _recode_unknown_to_sexual(extract, corrected, ("2023-Q2", "2023-Q3"), every=3)
    assert len(recoded) > 10

    assert R.revision_periods(store, q4) == [q3]
    current = _tables(corrected, q4)
    again = _tables(corrected, q3)  # the earlier period's tables recomputed with the current data
    report = R.revise(store, q4, current, again)
    assert report.compared_with == ["2023-Q3"]

    expected = _expected_changes(recoded, "2023-Q3")
    old = {(f.table_id, f.cell): f.value for f in store.load("2023-Q3").figures
           if f.column == T.table(f.table_id).measure}
    got = {(r.table_id, r.cell): r for r in report.revisions}
    assert set(got) == set(expected)
    for key, change in expected.items():
        r = got[key]
        before = int(str(old.get(key, 0)))
        assert r.old == before
        assert r.new == before + change
        assert r.change == change
        quarter = key[1][0] if key[0] == SERIES_TABLE else "2023-Q3"
        assert r.reference_period == quarter
        assert r.published_in == "2023-Q3"
        assert r.column == T.table(key[0]).measure
    # recoding exploitation type touches no other table
    assert {r.table_id for r in report.revisions} == {EXPLOITATION_TABLE, FIRST_RESPONDER_TABLE, SERIES_TABLE,
                                                       "decisions_by_exploitation"}
    # the earlier run's data-quality finding explains those of its quarter
    assert {r.cause for r in report.revisions if r.reference_period == "2023-Q3"} == {miscoding.message}
    assert {r.cause for r in report.revisions if r.reference_period == "2023-Q2"} == {None}
    assert any(miscoding.message in line for line in R.revisions_summary(report.revisions))

    columns, rows = R.revisions_sheet(report.revisions)
    assert columns == R.REVISIONS_COLUMNS
    assert len(rows) == len(expected)


def test_no_revisions_when_nothing_changed(extract: Path, tmp_path: Path) -> None:
    store = R.FiguresStore(tmp_path / "published")
    q3, q4 = parse_period("2023-Q3"), parse_period("2023-Q4")
    store.save(q3, _tables(extract, q3))
    report = R.revise(store, q4, _tables(extract, q4), _tables(extract, q3))
    assert report.revisions == []
    assert R.revisions_summary([]) == ["No figures published earlier have been revised in this release."]


def _result(table: T.TableDef, period: str, rows: list[tuple[engine.Value, ...]]) -> engine.TableResult:
    p = parse_period(period)
    return engine.TableResult(table=table, rows=rows, period=p, quarters=[q for q in p.quarters()])


SERIES = T.table("referrals_by_quarter_age_location")


def _series(values: dict[str, int], period: str = "2023-Q3") -> engine.TableResult:
    rows: list[tuple[engine.Value, ...]] = []
    for q, n in values.items():
        rows.append((q, "Child (17 or under)", "UK", n))
        rows.append((q, UNKNOWN, "UK", 10))
        rows.append((q, T.TOTAL, T.TOTAL, n + 10))
    return _result(SERIES, period, rows)


def test_tidy_tables_store_compare_mark_and_explain(tmp_path: Path) -> None:
    store = R.FiguresStore(tmp_path / "store")
    store.save("2023-Q2", [_series({"2023-Q1": 5, "2023-Q2": 7}, "2023-Q2")],
               published_at=datetime(2023, 8, 1, tzinfo=UTC))
    store.save(
        "2023-Q3",
        [_series({"2023-Q1": 5, "2023-Q2": 8, "2023-Q3": 9})],
        findings=[Finding("category_shift", "Sexual recorded as unknown in 2023-Q2", period="2023-Q2",
                          dimension="Age at exploitation", categories=("Child (17 or under)",)).to_dict()],
        published_at=datetime(2023, 11, 1, tzinfo=UTC),
    )
    loaded = store.load("2023-Q3")
    assert loaded.label == "2023-Q3"
    assert len(loaded.figures) == 9
    assert loaded.tables[SERIES.id].dimensions == ("Quarter", "Age at exploitation", "Location of exploitation")
    assert store.labels() == ["2023-Q2", "2023-Q3"]

    now = _series({"2023-Q1": 6, "2023-Q2": 8, "2023-Q3": 9, "2023-Q4": 4}, "2023-Q4")
    report = R.revise(store, "2023-Q4", [now])
    # 2023-Q1 changed (5 -> 6) in both its cells; 2023-Q2 is compared with its latest value (8), unchanged
    assert [(r.reference_period, r.cell, r.old, r.new) for r in report.revisions] == [
        ("2023-Q1", ("2023-Q1", "Child (17 or under)", "UK"), 5, 6),
        ("2023-Q1", ("2023-Q1", T.TOTAL, T.TOTAL), 15, 16),
    ]
    assert all(r.published_in == "2023-Q3" for r in report.revisions)
    assert report.revisions[0].cell_label == "Quarter 2023-Q1; Age at exploitation Child (17 or under); " \
        "Location of exploitation UK"

    marked = R.revised_columns(now, report.revisions)  # the figures stay numbers; [r] goes in its own column
    assert marked[0] == ["People"]
    assert now.rows[0] == ("2023-Q1", "Child (17 or under)", "UK", 6)
    assert marked[2] == ["People"]
    assert now.rows[2] == ("2023-Q1", T.TOTAL, T.TOTAL, 16)
    assert marked[1] == []
    assert marked[3] == []

    # a cause is attached where a finding names the period and a category of the cell
    cause = R.RevisionCause("Processing error corrected", period="2023-Q1", categories=("Child (17 or under)",))
    explained = R.explain(report.revisions, [cause])
    assert explained[0].cause == "Processing error corrected"
    assert explained[1].cause is None
    _columns, rows = R.revisions_sheet(explained)
    assert rows[0][-1] == "Processing error corrected"
    assert rows[1][-1] == "Updated case records"
    html = R.revisions_html(explained)
    assert "Processing error corrected" in html
    assert "2 figures published earlier have been revised" in html


def test_cells_that_disappear_or_appear_count_as_zero_and_statistics_compare_rounded(tmp_path: Path) -> None:
    table = T.table("days_to_decision")
    store = R.FiguresStore(tmp_path / "store")
    store.save("2023-Q3", [_result(table, "2023-Q3", [
        ("Reasonable Grounds", "2023-Q2", "Adult (18 or over)", 4, 10.0, 12.04),
        ("Reasonable Grounds", "2023-Q2", "Child (17 or under)", 2, 8.0, 9.0),
    ])])
    now = _result(table, "2023-Q4", [
        ("Reasonable Grounds", "2023-Q2", "Adult (18 or over)", 4, 10.0, 12.0),  # same to one decimal place
        ("Reasonable Grounds", "2023-Q2", UNKNOWN, 1, 30.0, 30.0),  # new cell
    ])
    revs = R.revise(store, "2023-Q4", [now]).revisions
    got = {(r.cell[2], r.column): (r.old, r.new) for r in revs}
    assert got == {
        ("Child (17 or under)", "Decisions"): (2, 0),
        ("Child (17 or under)", "Median days"): (8.0, None),
        ("Child (17 or under)", "Mean days"): (9.0, None),
        (UNKNOWN, "Decisions"): (0, 1),
        (UNKNOWN, "Median days"): (None, 30.0),
        (UNKNOWN, "Mean days"): (None, 30.0),
    }


def test_suppressed_values_are_compared_as_published(tmp_path: Path) -> None:
    table = T.table("referrals_by_police_force")
    store = R.FiguresStore(tmp_path / "store")
    store.save("2023-Q3", [_result(table, "2023-Q3", [("London", "Metropolitan Police", T.TOTAL, "[c]")])])
    same = _result(table, "2023-Q3", [("London", "Metropolitan Police", T.TOTAL, "[c]")])
    grown = _result(table, "2023-Q3", [("London", "Metropolitan Police", T.TOTAL, 7)])
    assert R.revise(store, "2023-Q4", [], [same]).revisions == []
    [rev] = R.revise(store, "2023-Q4", [], [grown]).revisions
    assert (rev.old, rev.new, rev.change) == ("[c]", 7, None)


def test_store_rejects_bad_labels_and_earlier_skips_the_same_period(tmp_path: Path) -> None:
    store = R.FiguresStore(tmp_path / "store")
    with pytest.raises(ValueError, match="named by its period"):
        store.load("../../etc")
    store.save("2023", [_series({"2023-Q1": 1})])
    store.save("2023-Q4", [_series({"2023-Q1": 1})])
    assert [p.label for p in store.earlier("2023-Q4")] == ["2023"]
    assert [p.label for p in store.earlier("2024-Q1")] == ["2023", "2023-Q4"]
    assert R.revision_periods(store, "2024-Q1", depth=2) == [parse_period("2023"), parse_period("2023-Q4")]
    assert R.revise(R.FiguresStore(tmp_path / "empty"), "2024-Q1", []).revisions == []
