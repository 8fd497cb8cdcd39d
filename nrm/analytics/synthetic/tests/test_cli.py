"""The synth command's arguments and errors (no Django needed)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from nrm.analytics import extract_schema as xs
from nrm.analytics.synthetic.cli import SynthArgumentError, add_arguments, run, sibling_paths


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_generate_writes_the_sibling_tables(tmp_path: Path) -> None:
    out = tmp_path / "extract.parquet"
    stdout = io.StringIO()
    status = run(_parse("--referrals", "2000", "--seed", "3", "--from", "2021-01-01", "--to", "2023-12-31",
                        "--out", str(out)), stdout=stdout)
    assert status == 0
    paths = sibling_paths(out)
    assert [p.name for p in paths.values()] == [
        "extract.parquet", "extract_duty_to_notify.parquet", "extract_reviews.parquet", "extract_support.parquet",
        "extract_reconsiderations.parquet"]
    for name, path in paths.items():
        assert pq.read_schema(path).equals(xs.TABLES[name]), name
    assert pq.read_metadata(out).num_rows == 2000
    assert "Wrote 2,000 synthetic referrals" in stdout.getvalue()


def test_report_action(tmp_path: Path) -> None:
    stdout = io.StringIO()
    chart = tmp_path / "chart.svg"
    status = run(_parse("report", "--referrals", "200000", "--seed", "1", "--chart", str(chart)), stdout=stdout)
    assert status == 0, stdout.getvalue()
    assert chart.read_text(encoding="utf-8").startswith("<svg")
    assert "0 failed" in stdout.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--referrals", "0", "--out", "x.parquet"), "must be positive"),
        (("--referrals", "-5", "--out", "x.parquet"), "must be positive"),
        (("--referrals", "many", "--out", "x.parquet"), "whole number"),
        (("--out", "x.parquet"), "--referrals N is required"),
        (("--referrals", "10"), "--out"),
        (("--referrals", "10", "--seed", "-1", "--out", "x.parquet"), "--seed must be at least 0"),
        (("--referrals", "10", "--from", "2024-01-01", "--to", "2023-01-01", "--out", "x.parquet"), "is before"),
        (("--referrals", "10", "--from", "01/01/2020", "--out", "x.parquet"), "YYYY-MM-DD"),
        (("--referrals", "10", "--from", "2005-01-01", "--out", "x.parquet"), "2009-04-01"),
        (("--referrals", "10", "--out", "x.json"), "unknown suffix"),
        (("--referrals", "10", "--out", "x"), "unknown suffix"),
        (("report", "--referrals", "0"), "must be positive"),
        (("report", "--chart", "chart.png"), ".svg"),
    ],
)
def test_bad_arguments(argv: tuple[str, ...], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SynthArgumentError, match=message.replace("(", r"\(").replace(".", r"\.")) as info:
        run(_parse(*argv))
    assert info.value.message
    assert not list(tmp_path.iterdir())  # nothing written


def test_unwritable_paths(tmp_path: Path) -> None:
    with pytest.raises(SynthArgumentError, match="does not exist"):
        run(_parse("--referrals", "10", "--out", str(tmp_path / "missing" / "x.parquet")))
    (tmp_path / "dir.parquet").mkdir()
    with pytest.raises(SynthArgumentError, match="is a directory"):
        run(_parse("--referrals", "10", "--out", str(tmp_path / "dir.parquet")))
    (tmp_path / "file").write_text("x")
    with pytest.raises(SynthArgumentError, match="not a directory"):
        run(_parse("--referrals", "10", "--out", str(tmp_path / "file" / "x.csv")))
    with pytest.raises(SynthArgumentError, match="does not exist"):
        run(_parse("report", "--referrals", "10", "--chart", str(tmp_path / "missing" / "c.svg")))


def test_options_as_mapping(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert run({"referrals": 300, "seed": 0, "out": str(out), "verbosity": 1}, stdout=io.StringIO()) == 0
    assert out.read_text(encoding="utf-8").replace('"', '').startswith("referral_id,person_id,")
    with pytest.raises(SynthArgumentError, match="unknown action"):
        run({"action": "explode"})
