"""The back series from the published figures, and series breaks."""

from __future__ import annotations

import argparse
import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest

from nrm.analytics import backseries as B
from nrm.analytics import engine, extract_io
from nrm.analytics import tables as T
from nrm.analytics.periods import Quarter, parse_period
from nrm.analytics.synthetic.generator import fixture_extract

LONGITUDINAL = B.DEFAULT_DATA_DIR / "nrm_referrals_longitudinal.csv"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("back") / "back_series"
    B.import_published(B.DEFAULT_DATA_DIR, path)
    return path


@pytest.fixture(scope="module")
def back(store: Path) -> B.BackSeries:
    loaded = B.load(store)
    assert loaded is not None
    return loaded


def _published_annual() -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    with LONGITUDINAL.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Quarter"].startswith("Q") and row["Location of exploitation"] != "Total":
                out[int(row["Year"])] += int(row["NRM referrals"])
    return dict(out)


def test_annual_totals_2014_to_2023_match_the_published_figures(back: B.BackSeries) -> None:
    published = _published_annual()
    ours = B.annual_totals(back, "referrals_by_quarter_age_location")
    for year in range(2014, 2024):
        assert ours[year] == published[year], year
    # and the headline figures of the bulletins (as revised), from data/published/README.md
    assert {y: ours[y] for y in (2019, 2020, 2021, 2022, 2023)} == {
        2019: 10_606,
        2020: 10_582,
        2021: 12_700,
        2022: 16_921,
        2023: 17_004,
    }


def test_back_series_cells_match_the_published_csv(back: B.BackSeries) -> None:
    rows = {tuple(str(v) for v in r[:3]): int(str(r[3])) for r in back.rows("referrals_by_quarter_age_location")}
    with LONGITUDINAL.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            age = row["Age at exploitation"].replace("Age not specified or unknown", "Not specified or unknown")
            key = (f"{row['Year']}-{row['Quarter']}", age, row["Location of exploitation"])
            assert rows[key] == int(row["NRM referrals"]), key
    # totals over age are added, and every quarter's cells add up
    for q in back.quarters("referrals_by_quarter_age_location"):
        total = rows[(q.label, T.TOTAL, T.TOTAL)]
        assert total == sum(rows[(q.label, age, T.TOTAL)] for age in ("Adult (18 or over)", "Child (17 or under)",
                                                                      "Not specified or unknown"))


def test_back_series_covers_2009_q2_and_the_decision_tables(back: B.BackSeries) -> None:
    assert back.quarters("referrals_by_quarter_age_location")[0] == Quarter(2009, 2)
    assert back.last_quarter("referrals_by_quarter_age_location") == Quarter(2023, 4)
    assert back.quarters("rg_decisions")[0] == Quarter(2014, 1)
    assert B.annual_totals(back, "rg_decisions")[2019] == 10_278
    assert B.annual_totals(back, "cg_decisions")[2019] == 3_615
    assert B.annual_totals(back, "duty_to_notify_by_quarter")[2019] == 2_272
    assert back.problems == ()


def test_time_series_start_at_2009_q2_and_continue_with_own_figures(back: B.BackSeries, tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    extract_io.write_extract(fixture_extract(1500, seed=4), path)  # 2022-2023
    period = parse_period("2023-Q4")
    con = extract_io.connect()
    try:
        extract_io.attach(con, path)
        first, _last = engine.extract_date_range(con)
        assert first is not None
        own_from = B.first_full_quarter(first)
        table = T.table("referrals_by_quarter_age_location")
        result = engine.compute_table(con, table, period, series_length=B.series_length(period))
    finally:
        con.close()
    extended = B.extend(result, back, own_from=own_from)
    assert extended.quarters[0] == Quarter(2009, 2)
    assert extended.quarters[-1] == Quarter(2023, 4)
    by_quarter = {str(r[0]): r[3] for r in extended.rows if r[1] == T.TOTAL and r[2] == T.TOTAL}
    assert by_quarter["2009-Q2"] == 552 - sum(  # 2009 is Q2 to Q4 only
        int(str(v)) for k, v in by_quarter.items() if k in ("2009-Q3", "2009-Q4")
    )
    assert by_quarter["2019-Q4"] == next(r[3] for r in back.rows(table.id) if r[:3] == ("2019-Q4", "Total", "Total"))
    own_total = next(r[3] for r in result.rows if r[:3] == ("2023-Q4", "Total", "Total"))
    assert by_quarter["2023-Q4"] == own_total  # the service's own figures from own_from
    labels = [str(r[0]) for r in extended.rows]
    assert labels == sorted(labels, key=lambda x: (x[:4], engine.is_year(x)))  # each year after its quarters
    years = {int(k): v for k, v in by_quarter.items() if engine.is_year(k)}
    published = B.annual_totals(back, table.id)
    assert set(years) == set(range(2010, 2024))  # 2009 is Q2 to Q4 only
    assert all(years[y] == published[y] for y in range(2010, 2022))  # the back series' own annual totals
    assert years[2023] == sum(int(str(by_quarter[f"2023-Q{n}"])) for n in range(1, 5))
    note = B.back_series_note(back, table.id, own_from)
    assert note is not None
    assert "2009-Q2 to 2021-Q4" in note
    assert "2022-Q1" in note


def test_decisions_back_series_has_no_competent_authority_breakdown(back: B.BackSeries) -> None:
    rows = back.rows("rg_decisions")
    assert {r[3] for r in rows} == {T.TOTAL}
    q = next(r for r in rows if r[:4] == ("2020-Q1", T.TOTAL, T.TOTAL, T.TOTAL))
    assert q[4] == 2840
    positive = next(r for r in rows if r[:4] == ("2020-Q1", "Positive", "Child (17 or under)", T.TOTAL))
    assert positive[4] == 1090


def test_gap_between_back_series_and_own_data_is_not_available(back: B.BackSeries, tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    from datetime import date

    extract_io.write_extract(fixture_extract(800, seed=5, start=date(2024, 4, 1), end=date(2024, 12, 31)), path)
    period = parse_period("2024-Q4")
    con = extract_io.connect()
    try:
        extract_io.attach(con, path)
        table = T.table("referrals_by_quarter_age_location")
        result = engine.compute_table(con, table, period, series_length=B.series_length(period))
    finally:
        con.close()
    extended = B.extend(result, back, own_from=Quarter(2024, 2))
    gap = [r for r in extended.rows if r[0] == "2024-Q1"]
    assert gap == [("2024-Q1", T.TOTAL, T.TOTAL, None)]


def test_series_breaks_follow_the_recording_changes() -> None:
    exploitation = T.table("referrals_by_exploitation_age_gender")
    assert {b.id for b in B.breaks_for(exploitation, parse_period("2019-Q3"))} == {
        "criminal_exploitation",
        "unknown_age",
    }
    assert B.breaks_for(exploitation, parse_period("2019-Q4")) == []
    series = T.table("referrals_by_quarter_age_location")
    quarters = [Quarter(2019, 1).shift(i) for i in range(8)]
    assert [b.id for b in B.breaks_for(series, parse_period("2020-Q4"), quarters)] == ["unknown_age"]
    assert B.chart_breaks(series, quarters) == [(Quarter(2019, 4), "Unknown age recorded")]
    later = [Quarter(2021, 1).shift(i) for i in range(8)]
    assert B.breaks_for(series, parse_period("2022-Q4"), later) == []
    rg = T.table("rg_decisions")
    assert "rg_guidance" in {b.id for b in B.breaks_for(rg, parse_period("2023-Q4"), [Quarter(2022, 1).shift(i) for i in range(8)])}
    assert B.RECORDING_CHANGE.isoformat() == "2019-10-01"
    assert all(text for text in B.NOTES.values())


def test_cli_import_published(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    B.add_arguments(parser)
    options = parser.parse_args(["--into", str(tmp_path / "bs")])
    out, err = io.StringIO(), io.StringIO()
    assert B.run_cli(options, out, err) == 0
    assert "referrals_by_quarter_age_location: 2009-Q2 to 2023-Q4" in out.getvalue()
    assert (tmp_path / "bs" / "back_series.json").is_file()
    options = parser.parse_args(["--data-dir", str(tmp_path / "missing"), "--into", str(tmp_path / "bs2")])
    assert B.run_cli(options, io.StringIO(), err) == 2
    assert "no such file" in err.getvalue()
