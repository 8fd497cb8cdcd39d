"""Same seed -> byte-identical files; another seed -> different files."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from nrm.analytics import extract_schema as xs
from nrm.analytics.synthetic import cli, extract

N = 3_000


def _digests(directory: Path, suffix: str, seed: int) -> dict[str, str]:
    out = directory / f"referrals{suffix}"
    assert cli.run({"referrals": N, "seed": seed, "start": "2019-01-01", "end": "2024-12-31", "out": str(out)}) == 0
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in cli.sibling_paths(out).items()}


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_same_seed_same_bytes(tmp_path: Path, suffix: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    first = _digests(tmp_path / "a", suffix, 42)
    second = _digests(tmp_path / "b", suffix, 42)
    assert first == second
    other = _digests(tmp_path / "c", suffix, 43)
    for name in first:
        assert other[name] != first[name], name


def test_streamed_file_equals_write_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "ROW_GROUP_SIZE", 1_000)  # several row groups
    start, end = date(2020, 1, 1), date(2023, 6, 30)
    for suffix in (".parquet", ".csv"):
        streamed = tmp_path / f"streamed{suffix}"
        whole = tmp_path / f"whole{suffix}"
        extract.write_referrals(3_500, 8, start, end, streamed)
        extract.write_table(extract.generate_referrals(3_500, 8, start, end), whole)
        assert streamed.read_bytes() == whole.read_bytes()
    meta = pq.ParquetFile(tmp_path / "whole.parquet").metadata
    assert meta.num_row_groups == 4
    assert pq.read_table(tmp_path / "whole.parquet").schema.equals(xs.REFERRALS)


def test_parquet_round_trip_and_csv_header(tmp_path: Path) -> None:
    table = extract.generate_referrals(500, 1)
    extract.write_table(table, tmp_path / "r.parquet")
    assert pq.read_table(tmp_path / "r.parquet").equals(table)
    extract.write_table(table, tmp_path / "r.csv")
    header = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.replace('"', "").split(",") == xs.REFERRALS.names


def test_unknown_suffix() -> None:
    with pytest.raises(ValueError, match="unknown output format"):
        extract.write_table(extract.generate_referrals(10, 1), "x.json")


def test_same_seed_same_arrays() -> None:
    a = extract.generate_referrals(2_000, 5)
    b = extract.generate_referrals(2_000, 5)
    c = extract.generate_referrals(2_000, 6)
    assert a.equals(b)
    assert not a.equals(c)
