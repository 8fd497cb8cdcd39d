"""Invariants that must hold on every generated row."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import polars as pl
import pyarrow as pa
import pytest

from nrm.analytics import extract_schema as xs
from nrm.analytics.synthetic.calibration import (
    DEFAULT_REFERENCE_DIR,
    GUIDANCE_CHANGE,
    RECORDING_CHANGE,
    load_calibration,
)
from nrm.analytics.synthetic.tests import _data

TABLES = {
    "main": (_data.main_table, _data.START, _data.END),
    "early": (_data.early_table, _data.EARLY_START, _data.EARLY_END),
}


@pytest.fixture(scope="module", params=sorted(TABLES))
def case(request: pytest.FixtureRequest) -> tuple[pl.DataFrame, date, date]:
    make, start, end = TABLES[request.param]
    frame = pl.from_arrow(make())
    assert isinstance(frame, pl.DataFrame)
    return frame, start, end


def _none(frame: pl.DataFrame, condition: pl.Expr) -> None:
    bad = frame.filter(condition)
    assert bad.height == 0, bad.head(5)


def test_schema_exact() -> None:
    table = _data.main_table()
    assert table.schema.equals(xs.REFERRALS)
    assert table.schema.names == xs.REFERRALS.names
    assert table.num_rows == 60_000
    for field in xs.REFERRALS:
        if not field.nullable:
            assert table[field.name].null_count == 0, field.name


def test_identifiers(case: tuple[pl.DataFrame, date, date]) -> None:
    frame, _, _ = case
    assert frame["referral_id"].n_unique() == frame.height
    assert frame["referral_id"].str.contains(r"^NRM-\d{4}-\d{6,}$").all()
    year = frame["referral_id"].str.slice(4, 4).cast(pl.Int32)
    assert (year == frame["referral_date"].dt.year()).all()
    assert frame["person_id"].str.contains(r"^[0-9a-f]{64}$").all()
    assert frame["referral_date"].is_sorted()


def test_categories(case: tuple[pl.DataFrame, date, date]) -> None:
    frame, _, _ = case
    cal = load_calibration()
    allowed = {
        "competent_authority": xs.COMPETENT_AUTHORITIES,
        "first_responder_type": xs.FIRST_RESPONDER_TYPES,
        "age_at_exploitation": xs.AGES,
        "gender": xs.GENDERS,
        "location_of_exploitation": xs.LOCATIONS,
        "status": xs.CASE_STATUSES,
        "rg_outcome": xs.OUTCOMES,
        "cg_outcome": xs.OUTCOMES,
        "police_force": cal.forces,
        "rg_reason": cal.rg_reasons,
        "cg_reason": cal.cg_reasons,
    }
    for column, values in allowed.items():
        assert set(frame[column].drop_nulls().unique().to_list()) <= set(values), column
    types = frame["exploitation_types"].str.split(xs.LIST_SEPARATOR).explode().unique().to_list()
    assert set(types) <= set(xs.EXPLOITATION_TYPES)


def test_reason_codes_from_reference_file() -> None:
    with (DEFAULT_REFERENCE_DIR / "negative_decision_reasons.csv").open(newline="", encoding="utf-8") as f:
        codes = {row["code"] for row in csv.DictReader(f)}
    frame = pl.from_arrow(_data.main_table())
    assert isinstance(frame, pl.DataFrame)
    used = set(frame["rg_reason"].drop_nulls().to_list()) | set(frame["cg_reason"].drop_nulls().to_list())
    assert used
    assert used <= codes


def test_dates_inside_span(case: tuple[pl.DataFrame, date, date]) -> None:
    frame, start, end = case
    assert (frame["referral_date"] <= start + timedelta(days=3)).any()
    for column in ("referral_date", "rg_date", "cg_date", "status_date"):
        values = frame[column].drop_nulls()
        assert (values <= end).all(), column
        assert (values >= start).all(), column
    _none(frame, pl.col("rg_date") < pl.col("referral_date"))
    _none(frame, pl.col("status_date") < pl.col("referral_date"))


def test_decisions_consistent(case: tuple[pl.DataFrame, date, date]) -> None:
    frame, _, _ = case
    _none(frame, pl.col("rg_outcome").is_null() != pl.col("rg_date").is_null())
    _none(frame, pl.col("cg_outcome").is_null() != pl.col("cg_date").is_null())
    _none(frame, pl.col("rg_reason").is_not_null() != (pl.col("rg_outcome") == "Negative").fill_null(False))
    _none(frame, pl.col("cg_reason").is_not_null() != (pl.col("cg_outcome") == "Negative").fill_null(False))
    # No CG without a positive RG.
    _none(frame, pl.col("cg_date").is_not_null() & (pl.col("rg_outcome") != "Positive").fill_null(True))
    # CG never before the end of the recovery period in force on the RG date.
    recovery = pl.when(pl.col("rg_date") < GUIDANCE_CHANGE).then(45).otherwise(30)
    _none(frame, pl.col("cg_date") < pl.col("rg_date") + pl.duration(days=recovery))


def test_recording_rules(case: tuple[pl.DataFrame, date, date]) -> None:
    frame, _, _ = case
    before = frame.filter(pl.col("referral_date") < RECORDING_CHANGE)
    if before.height == 0:
        return
    assert before.height > 1000
    _none(before, pl.col("exploitation_types").str.contains("Criminal"))
    _none(before, pl.col("age_at_exploitation") == "Not specified or unknown")
    _none(before, pl.col("nationality").str.contains(xs.LIST_SEPARATOR, literal=True))
    _none(before, pl.col("county_lines"))
    after = frame.filter(pl.col("referral_date") >= RECORDING_CHANGE)
    assert after["exploitation_types"].str.contains("Criminal").any()
    assert (after["age_at_exploitation"] == "Not specified or unknown").any()
    assert after["nationality"].str.contains(xs.LIST_SEPARATOR, literal=True).any()


def test_status_consistent_with_dates(case: tuple[pl.DataFrame, date, date]) -> None:
    frame, _, _ = case
    status = pl.col("status")
    rg_none = pl.col("rg_date").is_null()
    cg_none = pl.col("cg_date").is_null()
    positive = (pl.col("rg_outcome") == "Positive").fill_null(False)
    negative = (pl.col("rg_outcome") == "Negative").fill_null(False)
    _none(frame, (status == "Awaiting RG") & ~(rg_none & (pl.col("status_date") == pl.col("referral_date"))))
    _none(frame, (status == "Awaiting CG") & ~(positive & cg_none & (pl.col("status_date") == pl.col("rg_date"))))
    concluded_rg = negative & cg_none & (pl.col("status_date") == pl.col("rg_date"))
    concluded_cg = positive & ~cg_none & (pl.col("status_date") == pl.col("cg_date"))
    _none(frame, (status == "Concluded") & ~(concluded_rg | concluded_cg))
    _none(frame, (status == "Withdrawn") & ~(cg_none & (rg_none | positive)))
    _none(frame, status.is_in(["Suspended", "Disqualified"]) & ~(positive & cg_none
                                                                   & (pl.col("status_date") > pl.col("rg_date"))))
    _none(frame, (status == "Disqualified") & (pl.col("status_date") < GUIDANCE_CHANGE))
    _none(frame, ~cg_none & (status != "Concluded"))
    _none(frame, negative & (status != "Concluded"))


def test_force_and_region(case: tuple[pl.DataFrame, date, date]) -> None:
    frame, _, _ = case
    cal = load_calibration()
    in_uk = pl.col("location_of_exploitation").is_in(["UK", "UK and Overseas"])
    _none(frame, in_uk != pl.col("police_force").is_not_null())
    _none(frame, pl.col("police_force").is_null() != pl.col("region").is_null())
    region = dict(zip(cal.forces, cal.force_regions, strict=True))
    pairs = frame.select("police_force", "region").drop_nulls().unique()
    for force, reg in pairs.iter_rows():
        assert region[force] == reg
    police = frame.filter(pl.col("first_responder_type") == "Police")
    assert set(police["first_responder"].unique().to_list()) <= set(cal.forces)
    _none(police, pl.col("police_force").is_not_null() & (pl.col("police_force") != pl.col("first_responder")))


def test_competent_authority_rules(case: tuple[pl.DataFrame, date, date]) -> None:
    frame, _, _ = case
    cal = load_calibration()
    _none(frame, (pl.col("competent_authority") == "IECA") & (pl.col("referral_date") < cal.ieca_from))
    _none(frame, (pl.col("competent_authority") == "IECA") & pl.col("nationality").str.starts_with("UK"))


def test_lifecycle_volumes_plausible() -> None:
    frame = pl.from_arrow(_data.main_table())
    assert isinstance(frame, pl.DataFrame)
    shares = frame["status"].value_counts(normalize=True)
    share = dict(zip(shares["status"].to_list(), shares["proportion"].to_list(), strict=True))
    assert set(share) == set(xs.CASE_STATUSES)
    assert share["Concluded"] > 0.5
    rg_2023 = frame.filter(pl.col("rg_date").dt.year() == 2023)
    assert 0.45 < (rg_2023["rg_outcome"] == "Positive").mean() < 0.65  # type: ignore[operator]
    rg_2021 = frame.filter(pl.col("rg_date").dt.year() == 2021)
    assert (rg_2021["rg_outcome"] == "Positive").mean() > 0.85  # type: ignore[operator]


def test_cg_backlog_grows_2021_to_2023() -> None:
    frame = pl.from_arrow(_data.main_table())
    assert isinstance(frame, pl.DataFrame)

    def waiting(t: date) -> int:
        return frame.filter(
            (pl.col("rg_outcome") == "Positive") & (pl.col("rg_date") <= t)
            & (pl.col("cg_date").is_null() | (pl.col("cg_date") > t))
            & ~(pl.col("status").is_in(["Withdrawn", "Suspended", "Disqualified"]) & (pl.col("status_date") <= t))
        ).height

    # As the published decisions imply (positive RGs less CGs): growth through 2021 and 2022, a
    # plateau near the peak through 2023 (35,588 in mid-2023, 34,597 at its end against 36,103),
    # then a fall as 2024's 17,304 CG decisions catch up.
    series = [waiting(date(y, 12, 31)) for y in (2019, 2020, 2021, 2022)]
    assert series == sorted(series), series
    assert series[-1] > 1.3 * series[1], series
    peak = series[-1]
    assert 0.9 * peak <= waiting(date(2023, 6, 30)) <= 1.05 * peak
    assert 0.85 * peak <= waiting(date(2023, 12, 31)) <= 1.05 * peak
    assert waiting(date(2024, 12, 31)) < 0.85 * peak


def test_schema_fields_are_pa_types() -> None:
    assert isinstance(_data.main_table(), pa.Table)
