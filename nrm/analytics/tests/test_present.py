"""The publication's layout: figures stay numbers, shorthand stands alone, [r] in a column of its
own, [z] for categories before they existed; reason labels; the cover's release information."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nrm.analytics import extract_io, present
from nrm.analytics import release as R
from nrm.analytics import tables as T
from nrm.analytics.engine import TableResult, Value
from nrm.analytics.periods import parse_period

SERIES = T.table("referrals_by_quarter_age_location")
UNKNOWN = "Not specified or unknown"
ADULT, CHILD = "Adult (18 or over)", "Child (17 or under)"


def _series(rows: list[tuple[Value, ...]]) -> TableResult:
    p = parse_period("2019-Q4")
    return TableResult(table=SERIES, rows=rows, period=p, quarters=p.quarters())


def test_a_category_not_yet_recorded_is_shown_as_z_before_it_existed() -> None:
    res = _series([
        ("2019-Q3", ADULT, "UK", 3), ("2019-Q3", ADULT, T.TOTAL, 3), ("2019-Q3", T.TOTAL, "UK", 3),
        ("2019-Q3", T.TOTAL, T.TOTAL, 3),
        ("2019-Q4", ADULT, "UK", 2), ("2019-Q4", UNKNOWN, "UK", 1), ("2019-Q4", T.TOTAL, T.TOTAL, 3),
    ])
    lay = present.layout(res)
    assert lay.columns == SERIES.columns  # no Shorthand column without earlier releases to compare with
    q3 = [r for r in lay.rows if r[0] == "2019-Q3"]
    # beside every row of 2019-Q3, the same row for the category not yet recorded, in the table's order
    assert q3 == [
        ("2019-Q3", ADULT, "UK", 3), ("2019-Q3", ADULT, T.TOTAL, 3),
        ("2019-Q3", UNKNOWN, "UK", "[z]"), ("2019-Q3", UNKNOWN, T.TOTAL, "[z]"),
        ("2019-Q3", T.TOTAL, "UK", 3), ("2019-Q3", T.TOTAL, T.TOTAL, 3),
    ]
    assert [r for r in lay.rows if r[0] == "2019-Q4"] == [r for r in res.rows if r[0] == "2019-Q4"]
    # a quarter that shows the category is left as it is, and so is a quarter with no figures at all
    assert present.layout(_series([("2019-Q3", UNKNOWN, T.TOTAL, 0), ("2019-Q3", T.TOTAL, T.TOTAL, 0)])).rows == [
        ("2019-Q3", UNKNOWN, T.TOTAL, 0), ("2019-Q3", T.TOTAL, T.TOTAL, 0)]
    assert present.layout(_series([("2019-Q3", T.TOTAL, T.TOTAL, None)])).rows == [
        ("2019-Q3", T.TOTAL, T.TOTAL, "[x]")]
    # a year's row is its total only: no [z] breakdown beside it, before the category existed or after
    rows = present.layout(_series([("2018", T.TOTAL, T.TOTAL, 12), ("2019-Q4", UNKNOWN, "UK", 1),
                                   ("2019-Q4", T.TOTAL, T.TOTAL, 1)])).rows
    assert [r for r in rows if r[0] == "2018"] == [("2018", T.TOTAL, T.TOTAL, 12)]


def test_criminal_combinations_are_z_before_october_2019() -> None:
    t = T.table("referrals_by_quarter_exploitation")
    p = parse_period("2019-Q4")
    res = TableResult(table=t, rows=[
        ("2019-Q3", "Labour", T.TOTAL, 4), ("2019-Q3", T.TOTAL, T.TOTAL, 4),
        ("2019-Q4", "Labour", T.TOTAL, 1), ("2019-Q4", "Labour & Criminal", T.TOTAL, 2),
        ("2019-Q4", "Criminal", T.TOTAL, 3), ("2019-Q4", T.TOTAL, T.TOTAL, 6),
    ], period=p, quarters=p.quarters())
    q3 = [r for r in present.layout(res).rows if r[0] == "2019-Q3"]
    assert ("2019-Q3", "Labour & Criminal", T.TOTAL, "[z]") in q3
    assert ("2019-Q3", "Criminal", T.TOTAL, "[z]") in q3
    assert q3[-1] == ("2019-Q3", T.TOTAL, T.TOTAL, 4)


def test_revised_figures_stay_numbers_with_r_in_their_own_column() -> None:
    res = _series([("2019-Q4", ADULT, "UK", 2), ("2019-Q4", UNKNOWN, "UK", 1), ("2019-Q4", T.TOTAL, T.TOTAL, 3)])
    lay = present.layout(res, [["People"], [], ["People"]])
    assert lay.columns == [*SERIES.columns, "Shorthand"]
    assert lay.rows == [("2019-Q4", ADULT, "UK", 2, "[r]"), ("2019-Q4", UNKNOWN, "UK", 1, ""),
                        ("2019-Q4", T.TOTAL, T.TOTAL, 3, "[r]")]
    days = T.table("days_to_decision")
    p = parse_period("2019-Q4")
    res2 = TableResult(table=days, rows=[("Reasonable Grounds", "2019-Q4", T.TOTAL, 5, 10.0, 12.5)], period=p,
                       quarters=p.quarters())
    # a row with more than one figure names the ones revised
    assert present.layout(res2, [["Median days"]]).rows[0][-1] == "[r] Median days"
    assert present.layout(res2, [["Decisions", "Median days", "Mean days"]]).rows[0][-1] == "[r]"
    with pytest.raises(ValueError, match="revision marks"):
        present.layout(res2, [])


def test_negative_decision_reasons_are_shown_by_their_labels() -> None:
    labels = extract_io.reason_labels()
    assert labels["rg_credibility"] == "Credibility: material inconsistencies"
    con = extract_io.connect()
    got = con.execute("SELECT reason_label('rg_credibility'), reason_label('rg_no_means;rg_credibility'), "
                      "reason_label('Some label already'), reason_label(NULL)").fetchone()
    assert got == ("Credibility: material inconsistencies",
                   "Human trafficking: no means element (adults only); Credibility: material inconsistencies",
                   "Some label already", None)
    assert "reason_label" in T.table("rg_negative_reasons").dimension("Reason").label


def test_release_information_from_the_file_and_the_environment(tmp_path: Path) -> None:
    default = R.load(environ={})
    assert default.contact_email
    assert default.responsible_statistician
    config = tmp_path / "release.toml"
    config.write_text('contact_name = "Team"\ncontact_email = "t@example.gov.uk"\nrelease_date = "2024-02-29"\n')
    info = R.load(environ={"NRM_STATS_RELEASE_CONFIG": str(config), "NRM_STATS_NEXT_RELEASE_DATE": "2024-05-30",
                           "NRM_STATS_RESPONSIBLE_STATISTICIAN": "Jo Bloggs"})
    assert info == R.ReleaseInfo("Team", "t@example.gov.uk", "Jo Bloggs", date(2024, 2, 29), date(2024, 5, 30))
    assert info.cover_rows() == [
        "Release date: 29 February 2024",
        "Next release date: 30 May 2024",
        "Responsible statistician: Jo Bloggs",
        "Contact: Team (t@example.gov.uk)",
    ]
    assert R.ReleaseInfo().cover_rows()[0] == "Release date: to be announced"
    with pytest.raises(R.ReleaseConfigError, match="release_date must be a date"):
        R.load(config, environ={"NRM_STATS_RELEASE_DATE": "soon"})
    config.write_text('contact = "x"\n')
    with pytest.raises(R.ReleaseConfigError, match="unknown key"):
        R.load(config, environ={})
    with pytest.raises(R.ReleaseConfigError, match="cannot read"):
        R.load(tmp_path / "missing.toml", environ={})
