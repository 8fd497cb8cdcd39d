"""The calibration report at 200,000 rows: every tolerance passes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from nrm.analytics.synthetic import extract
from nrm.analytics.synthetic.report import NATIONALITY_NOTE, Row, calibration_report, format_report, report_chart

N = 200_000
START_2023Q4, END_2023Q4 = date(2023, 10, 1), date(2023, 12, 31)


def _rows() -> list[Row]:
    return calibration_report(extract.generate_referrals(N, 2024))


def test_calibration_tolerances_at_200k(tmp_path: Path) -> None:
    rows = _rows()  # its speed is measured by bench/synth.py, not here
    failed = [r for r in rows if r.passed is False]
    assert not failed, format_report(failed)
    measures = {r.measure for r in rows if r.passed is not None}
    assert {"Referrals", "Age share (%)", "Nationality rank"} <= measures
    # checked against the published figures themselves, not the generator's inputs
    assert {"Published competent authority share (%)", "Published nationality share (%)",
            "Published exploitation share (%)", "Published gender share (%)",
            "Published first responder type share (%)"} <= measures
    assert all(r.note.startswith(("https://", "data/published/")) for r in rows if r.measure.startswith("Published"))
    inputs = {r.measure for r in rows if r.passed is None}
    assert {"Gender share (%)", "Exploitation type share (%)", "First-responder type share (%)"} <= inputs
    years = {r.year for r in rows if r.measure == "Referrals"}
    assert years == set(range(2019, 2025))
    ranks = [r for r in rows if r.measure == "Nationality rank"]
    assert {r.year for r in ranks} == set(range(2019, 2024))
    assert len(ranks) == 50
    assert ranks[0].note == NATIONALITY_NOTE
    text = format_report(rows)
    assert "0 failed" in text
    assert "Nationality ranks: Target ranks come from" in text
    chart = report_chart(rows, tmp_path / "report.svg")
    root = ET.fromstring(chart.read_text(encoding="utf-8"))  # noqa: S314 - our own file
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title") is not None
    assert root.find(f"{ns}desc") is not None
    assert "passed" in (root.find(f"{ns}desc").text or "")  # type: ignore[union-attr]


def test_report_flags_a_bad_table() -> None:
    table = extract.generate_referrals(20_000, 1)
    # Halve the children: the age shares must fail.
    import pyarrow as pa
    import pyarrow.compute as pc

    ages = table["age_at_exploitation"]
    flipped = pc.if_else(pc.equal(ages, "Child (17 or under)"), pa.scalar("Adult (18 or over)"), ages)
    bad = table.set_column(table.schema.get_field_index("age_at_exploitation"), "age_at_exploitation", flipped)
    rows = calibration_report(bad)
    assert any(r.passed is False and r.measure == "Age share (%)" for r in rows)


def test_the_report_says_where_data_miss_the_published_figures() -> None:
    """Data whose competent authority split is not the published one fail those rows, and only
    those: the report checks the figures, it does not pass whatever it is given."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = extract.generate_referrals(50_000, 7)
    col = table.schema.get_field_index("competent_authority")
    all_sca = pa.array(["SCA"] * table.num_rows, type=table.schema.field(col).type)
    rows = calibration_report(table.set_column(col, table.schema.field(col), all_sca))
    failed = {(r.measure, r.category) for r in rows if r.passed is False}
    assert ("Published competent authority share (%)", "IECA") in failed
    assert ("Published competent authority share (%)", "IECA, 2023-Q4") in failed
    assert all(m == "Published competent authority share (%)" for m, _c in failed), failed
    assert pc.sum(pc.equal(table.column(col), "IECA")).as_py() > 0


def test_generated_2023_q4_leads_with_the_published_nationality_and_exploitation() -> None:
    """The demo's bulletin for 2023-Q4 says what the real one says: UK the most common
    nationality, criminal exploitation the most common type."""
    import polars as pl

    frame = pl.from_arrow(extract.generate_referrals(100_000, 3, START_2023Q4, END_2023Q4))
    assert isinstance(frame, pl.DataFrame)
    top_nationality = frame["nationality"].value_counts(sort=True)["nationality"][0]
    types = frame.filter(pl.col("exploitation_types") != "Not specified or unknown")["exploitation_types"]
    assert top_nationality == "UK"
    assert types.value_counts(sort=True)["exploitation_types"][0] == "Criminal"
