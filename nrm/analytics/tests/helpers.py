"""Shared test data for the statistics tests (plain pytest, no database, no conftest)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import pytest

from nrm.analytics import extract_io
from nrm.analytics.disclosure import constraint_groups
from nrm.analytics.engine import TableResult, Value, grouping_sets
from nrm.analytics.extract_io import Extract
from nrm.analytics.periods import parse_period
from nrm.analytics.synthetic.generator import fixture_extract
from nrm.analytics.tables import TOTAL, TableDef

N_REFERRALS = 3000
START = date(2022, 1, 1)
END = date(2023, 12, 31)
SEED = 20240101


def small_extract() -> Extract:
    return fixture_extract(N_REFERRALS, seed=SEED, start=START, end=END)


@pytest.fixture(scope="module")
def extract_tables() -> Extract:
    return small_extract()


@pytest.fixture(scope="module")
def extract_path(tmp_path_factory: pytest.TempPathFactory, extract_tables: Extract) -> Path:
    path = tmp_path_factory.mktemp("extract") / "extract.parquet"
    extract_io.write_extract(extract_tables, path)
    return path


@pytest.fixture(scope="module")
def extract_csv_path(tmp_path_factory: pytest.TempPathFactory, extract_tables: Extract) -> Path:
    path = tmp_path_factory.mktemp("extract_csv") / "extract.csv"
    extract_io.write_extract(extract_tables, path)
    return path


def count(v: Value) -> int:
    """A count cell as an int (0 for anything else)."""
    return v if isinstance(v, int) else 0


def groups_sum_problems(table: TableDef, rows: Sequence[tuple[Value, ...]]) -> Iterator[str]:
    """Every way a table's totals disagree with the cells under them."""
    k = len(table.dimensions)
    for total, members in constraint_groups(table, rows):
        want = rows[total][k]
        got = sum(count(rows[m][k]) for m in members)
        if want != got:
            yield f"{table.id}: {rows[total][:k]} is {want} but the cells under it add up to {got}"


Cells = Mapping[tuple[str, ...], int]


def table_result(t: TableDef, cells: Cells, period: str) -> TableResult:
    """The published table ``t`` for ``period`` built from its detailed ``cells``: every total and
    subtotal its grouping sets publish, as the engine would give it (empty cells left out)."""
    k = len(t.dimensions)
    out: Counter[tuple[str, ...]] = Counter()
    for key, n in cells.items():
        for gs in grouping_sets(t):
            out[tuple(key[i] if i in gs else TOTAL for i in range(k))] += n
    rows: list[tuple[Value, ...]] = [(*key, n) for key, n in sorted(out.items()) if n]
    p = parse_period(period)
    return TableResult(table=t, rows=rows, period=p, quarters=p.quarters())
