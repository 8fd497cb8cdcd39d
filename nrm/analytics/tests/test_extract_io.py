from __future__ import annotations

import argparse
import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nrm.analytics import cli, extract_io
from nrm.analytics import extract_schema as xs
from nrm.analytics.extract_io import Extract, ExtractInvalid, Problem
from nrm.analytics.tests.helpers import N_REFERRALS, extract_csv_path, extract_path, extract_tables

__all__ = ["extract_csv_path", "extract_path", "extract_tables"]  # fixtures


def _copy_csv(src: Path, dest_dir: Path, name: str = "bad") -> Path:
    """Copy the extract (all its files) under a new name."""
    files = extract_io.sibling_paths(src)
    out = dest_dir / f"{name}.csv"
    for table, f in files.items():
        target = out if table == "referrals" else dest_dir / f"{name}_{table}.csv"
        shutil.copy(f, target)
    return out


def _edit(path: Path, edits: dict[tuple[int, str], str]) -> None:
    """Set (data row number, column) to a value in a CSV file."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for (row, column), value in edits.items():
        rows[row][header.index(column)] = value
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)


def _find_row(path: Path, predicate: str) -> int:
    with path.open(newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=1):
            if eval(predicate, {}, {"r": row}):  # noqa: S307 - test helper over our own expressions
                return i
    raise AssertionError(predicate)


def test_the_fixture_extract_is_valid(extract_path: Path, extract_csv_path: Path) -> None:
    assert extract_io.validate(extract_path) == []
    assert extract_io.validate(extract_csv_path) == []


def test_siblings_are_found_and_combined(extract_path: Path, extract_tables: Extract) -> None:
    assert set(extract_io.sibling_paths(extract_path)) == {"referrals", "duty_to_notify", "reviews", "support",
                                                            "disqualifications", "casework", "reconsiderations"}
    combined = extract_io.read_extract(extract_path)
    for name, table in extract_tables.tables().items():
        assert combined.tables()[name].equals(table), name


def test_missing_siblings_are_empty_tables(tmp_path: Path, extract_tables: Extract) -> None:
    path = tmp_path / "only.parquet"
    pq.write_table(extract_tables.referrals, path)
    combined = extract_io.read_extract(path)
    assert combined.referrals.num_rows == N_REFERRALS
    assert combined.reviews.num_rows == 0
    assert combined.reviews.schema == xs.REVIEWS
    assert combined.reconsiderations.num_rows == 0, "an extract made before the table existed still loads"
    assert combined.reconsiderations.schema == xs.RECONSIDERATIONS


def test_bad_reconsideration_rows_are_named(tmp_path: Path, extract_csv_path: Path) -> None:
    path = _copy_csv(extract_csv_path, tmp_path)
    recon = tmp_path / "bad_reconsiderations.csv"
    with recon.open(newline="") as fh:
        rows = list(enumerate(csv.DictReader(fh), start=1))
    decided = [i for i, r in rows if r["outcome"] and i > 3][:2]
    waiting = next(i for i, r in rows if not r["outcome"] and i > 3)
    _edit(
        recon,
        {
            (1, "stage"): "RG",
            (2, "referral_id"): "NRM-NOT-THERE",
            (3, "requested_date"): "",
            (decided[0], "outcome_date"): "2001-01-01",
            (decided[1], "outcome"): "Maybe",
            (waiting, "outcome"): "Positive",
        },
    )
    problems = [p for p in extract_io.validate(path) if p.file == "bad_reconsiderations.csv"]
    by_place = {(p.row, p.column): p.message for p in problems}
    assert by_place[(1, "stage")] == (
        "'RG' is not an allowed value (allowed: 'Reasonable Grounds', 'Conclusive Grounds')")
    assert by_place[(2, "referral_id")] == "no referral 'NRM-NOT-THERE' in the extract"
    assert by_place[(3, "requested_date")] == "missing required value"
    assert by_place[(decided[0], "requested_date")].startswith("requested_date ")
    assert by_place[(decided[0], "requested_date")].endswith("is after outcome_date 2001-01-01")
    assert by_place[(decided[1], "outcome")] == "'Maybe' is not an allowed value (allowed: 'Positive', 'Negative')"
    assert by_place[(waiting, "outcome_date")] == "outcome_date is missing but outcome is 'Positive'"
    assert len(problems) == 6


def test_bad_rows_are_named_by_row_column_and_problem(tmp_path: Path, extract_csv_path: Path) -> None:
    path = _copy_csv(extract_csv_path, tmp_path)
    decided = _find_row(path, "r['cg_date'] != ''")
    _edit(
        path,
        {
            (3, "gender"): "Femail",
            (5, "referral_date"): "2023-02-30",
            (7, "age_at_exploitation"): "",
            (decided, "rg_date"): "2099-01-01",
            (12, "exploitation_types"): "Labour;Fishing",
            (13, "person_id"): "Jane Smith",
            (14, "county_lines"): "maybe",
            (15, "competent_authority"): "MI5",
        },
    )
    problems = extract_io.validate(path)
    by_place = {(p.row, p.column): p.message for p in problems}
    assert by_place[(3, "gender")].startswith("'Femail' is not an allowed value")
    assert by_place[(5, "referral_date")] == "bad date '2023-02-30': expected a date written YYYY-MM-DD"
    assert by_place[(7, "age_at_exploitation")] == "missing required value"
    assert "rg_date 2099-01-01 is after cg_date" in by_place[(decided, "rg_date")]
    assert "'Labour;Fishing' has a value that is not allowed" in by_place[(12, "exploitation_types")]
    assert "keyed hash" in by_place[(13, "person_id")]
    assert "Jane Smith" not in str(problems)  # a would-be name is not echoed back
    assert by_place[(14, "county_lines")] == "bad value 'maybe': expected true or false"
    assert "'MI5' is not an allowed value (allowed: 'SCA', 'IECA')" == by_place[(15, "competent_authority")]
    assert all(p.file == "bad.csv" for p in problems)
    assert str(problems[0]).startswith("bad.csv row 3, column gender: 'Femail'")


def test_cross_table_and_duplicate_checks(tmp_path: Path, extract_csv_path: Path) -> None:
    path = _copy_csv(extract_csv_path, tmp_path)
    _edit(path, {(20, "referral_id"): "NRM000000001"})
    _edit(tmp_path / "bad_reviews.csv", {(2, "referral_id"): "NRM999999999", (3, "outcome"): "Maybe"})
    _edit(tmp_path / "bad_support.csv", {(4, "kind"): "Holiday"})
    problems = extract_io.validate(path)
    assert (
        Problem("bad.csv", 20, "referral_id", "duplicate referral_id 'NRM000000001' (first on row 1)", "NRM000000001")
        in problems
    )
    places = {(p.file, p.row, p.column) for p in problems}
    assert ("bad_reviews.csv", 2, "referral_id") in places
    assert ("bad_reviews.csv", 3, "outcome") in places
    assert ("bad_support.csv", 4, "kind") in places


def test_malformed_csv_and_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("referral_id,person_id\nA,B,C\n")
    problems = extract_io.validate(path)
    assert problems
    assert problems[0].row == 1
    assert "cannot be read" in problems[0].message
    path.write_text("referral_id,name\nA,Jane Smith\n")
    problems = extract_io.validate(path)
    messages = {(p.column, p.message) for p in problems}
    assert ("referral_date", "missing column") in messages
    assert ("name", "unexpected column: an extract holds only the documented columns") in messages
    assert extract_io.validate(tmp_path / "nope.parquet")[0].message.endswith("no such file")


def test_parquet_rows_are_checked_too(tmp_path: Path, extract_tables: Extract) -> None:
    t = extract_tables.referrals
    status = t.column("status").to_pylist()
    status[41] = "Lost"
    t = t.set_column(t.schema.get_field_index("status"), "status", pa.array(status, pa.string()))
    path = tmp_path / "x.parquet"
    pq.write_table(t, path)
    problems = extract_io.validate(path)
    assert [(p.row, p.column) for p in problems] == [(42, "status")]


def test_an_import_with_a_bad_row_loads_nothing(tmp_path: Path, extract_csv_path: Path) -> None:
    path = _copy_csv(extract_csv_path, tmp_path)
    _edit(path, {(9, "location_of_exploitation"): "Mars"})
    store = tmp_path / "store"
    with pytest.raises(ExtractInvalid) as err:
        extract_io.import_extract(path, store)
    assert "bad.csv row 9, column location_of_exploitation: 'Mars' is not an allowed value" in str(err.value)
    assert not store.exists() or list(store.iterdir()) == []
    # A good extract loads, as Parquet in the sibling layout.
    written = extract_io.import_extract(extract_csv_path, store)
    assert sorted(p.name for p in store.iterdir()) == sorted(
        ["extract.parquet", "extract_duty_to_notify.parquet", "extract_reviews.parquet", "extract_support.parquet",
         "extract_disqualifications.parquet", "extract_casework.parquet", "extract_reconsiderations.parquet"]
    )
    assert extract_io.read_extract(written["referrals"]).referrals.num_rows == N_REFERRALS


def _run(argv: list[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(parser.parse_args(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_import(tmp_path: Path, extract_csv_path: Path) -> None:
    code, out, _ = _run(["import", str(extract_csv_path)])
    assert (code, out) == (0, "The extract is valid\n")
    path = _copy_csv(extract_csv_path, tmp_path)
    _edit(path, {(2, "rg_outcome"): "Perhaps"})
    store = tmp_path / "store"
    code, out, err = _run(["import", str(path), "--into", str(store)])
    assert code == 1
    assert "bad.csv row 2, column rg_outcome: 'Perhaps' is not an allowed value" in err
    assert "nothing was loaded" in err
    assert not store.exists() or list(store.iterdir()) == []


def test_cli_rejects_a_bad_period(extract_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["publish", "--period", "2023-Q7", "--source", str(extract_path), "--out", str(tmp_path)])
    assert "expected a quarter like '2023-Q4'" in capsys.readouterr().err


def _rewrite_columns(path: Path, order: Callable[[list[str]], list[str]]) -> None:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=order(header), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def test_a_csv_extract_is_read_by_its_column_names_in_any_order(tmp_path: Path, extract_csv_path: Path) -> None:
    reordered = _copy_csv(extract_csv_path, tmp_path, "reordered")
    for f in extract_io.sibling_paths(reordered).values():
        _rewrite_columns(f, lambda header: list(reversed(header)))
    assert extract_io.validate(reordered) == []
    mine, theirs = extract_io.sibling_paths(reordered), extract_io.sibling_paths(extract_csv_path)
    for table in ("referrals", "reviews", "support"):
        assert extract_io.read_table(mine[table], table).equals(extract_io.read_table(theirs[table], table))
    con = extract_io.connect()
    extract_io.attach(con, reordered)
    counted = con.execute("SELECT count(*), count(rg_date), min(referral_date) FROM referrals").fetchone()
    con2 = extract_io.connect()
    extract_io.attach(con2, extract_csv_path)
    assert counted == con2.execute("SELECT count(*), count(rg_date), min(referral_date) FROM referrals").fetchone()


def test_publishing_an_extract_with_a_missing_column_names_it(tmp_path: Path, extract_csv_path: Path) -> None:
    import io

    from nrm.analytics import cli

    broken = _copy_csv(extract_csv_path, tmp_path, "broken")
    _rewrite_columns(broken, lambda header: [c for c in header if c != "gender"])
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["publish", "--source", str(broken), "--period", "2023-Q4", "--out", str(tmp_path / "out"),
                       "--no-store", "--no-progress"], stdout=out, stderr=err)
    assert status == 1
    assert "gender" in err.getvalue()
    assert "cannot be published" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert not (tmp_path / "out").exists()


def test_publishing_an_extract_with_its_columns_in_another_order_reads_them_by_name(
    tmp_path: Path, extract_csv_path: Path
) -> None:
    import io

    from nrm.analytics import cli

    reordered = _copy_csv(extract_csv_path, tmp_path, "reordered")
    for f in extract_io.sibling_paths(reordered).values():
        _rewrite_columns(f, lambda header: list(reversed(header)))
    outputs = {}
    for name, source in (("reordered", reordered), ("as_written", extract_csv_path)):
        out, err = io.StringIO(), io.StringIO()
        status = cli.main(["publish", "--source", str(source), "--period", "2023-Q4", "--out",
                           str(tmp_path / name), "--no-store", "--no-progress"], stdout=out, stderr=err)
        assert status == 0, err.getvalue()
        outputs[name] = {p.name: p.read_bytes() for p in sorted((tmp_path / name / "csv").glob("*.csv"))}
    assert outputs["reordered"] == outputs["as_written"]  # the same tables, whatever the column order


def test_publishing_with_a_bad_release_configuration_says_so(
    tmp_path: Path, extract_csv_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from nrm.analytics import cli

    monkeypatch.setenv("NRM_STATS_RELEASE_DATE", "next Thursday")
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["publish", "--source", str(extract_csv_path), "--period", "2023-Q4", "--out",
                       str(tmp_path / "out"), "--no-store", "--no-progress"], stdout=out, stderr=err)
    assert status == 2
    assert "release_date must be a date" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert not (tmp_path / "out").exists()
