"""The calibration report at 200,000 rows: every tolerance passes."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

from nrm.analytics.synthetic import extract
from nrm.analytics.synthetic.report import NATIONALITY_NOTE, Row, calibration_report, format_report, report_chart

N = 200_000


def _rows() -> tuple[list[Row], float]:
    began = time.perf_counter()
    table = extract.generate_referrals(N, 2024)
    rows = calibration_report(table)
    return rows, time.perf_counter() - began


def test_calibration_tolerances_at_200k(tmp_path: Path) -> None:
    rows, took = _rows()
    assert took < 30, f"generation and report took {took:.1f} s"
    failed = [r for r in rows if r.passed is False]
    assert not failed, format_report(failed)
    measures = {r.measure for r in rows if r.passed is not None}
    assert {"Referrals", "Age share (%)", "Gender share (%)", "Exploitation type share (%)",
            "First-responder type share (%)", "Nationality rank"} <= measures
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
