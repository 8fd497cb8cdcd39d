from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Mapping, Sequence

from nrm.analytics import disclosure
from nrm.analytics.disclosure import SUPPRESSED, constraint_groups, suppress
from nrm.analytics.engine import TableResult, Value
from nrm.analytics.periods import parse_period
from nrm.analytics.tables import TOTAL, Dimension, DisclosureControl, TableDef

CUBE = TableDef(
    id="test_cube",
    title="Test",
    source="referrals",
    dimensions=(Dimension("Area", "a"), Dimension("Age", "b")),
    disclosure=DisclosureControl(threshold=5),
)
NESTED = TableDef(
    id="test_nested",
    title="Test",
    source="referrals",
    dimensions=(Dimension("Region", "r"), Dimension("Force", "f"), Dimension("Age", "a")),
    hierarchies=(("Region", "Force"),),
    disclosure=DisclosureControl(threshold=5),
)


def _tidy(table: TableDef, cells: Mapping[tuple[str, ...], int]) -> list[tuple[Value, ...]]:
    """All totals of ``cells`` (innermost cells) for the table's grouping sets."""
    from nrm.analytics.engine import grouping_sets

    k = len(table.dimensions)
    out: Counter[tuple[str, ...]] = Counter()
    for key, n in cells.items():
        for gs in grouping_sets(table):
            out[tuple(key[i] if i in gs else TOTAL for i in range(k))] += n
    return [(*key, n) for key, n in sorted(out.items())]


def _check_protected(table: TableDef, rows: Sequence[tuple[Value, ...]]) -> None:
    k = len(table.dimensions)
    for total, members in constraint_groups(table, rows):
        cells = [total, *members]
        n_sup = sum(rows[c][k] == SUPPRESSED for c in cells)
        assert n_sup != 1, f"group of {rows[total][:k]} has exactly one suppressed cell: it can be worked out"


def test_primary_and_secondary_suppression_in_a_simple_table() -> None:
    cells: dict[tuple[str, ...], int] = {
        ("North", "Adult"): 20,
        ("North", "Child"): 3,  # primary
        ("South", "Adult"): 30,
        ("South", "Child"): 12,
        ("East", "Adult"): 40,
        ("East", "Child"): 25,
    }
    rows = _tidy(CUBE, cells)
    res = disclosure.apply(TableResult(CUBE, rows, parse_period("2023")))
    got = {r[:2]: r[2] for r in res.rows}
    assert got[("North", "Child")] == SUPPRESSED
    # North's row has one other cell (20): suppressed so the North total can't reveal the 3.
    assert got[("North", "Adult")] == SUPPRESSED
    # The Child column: next smallest child cell (12) is suppressed.
    assert got[("South", "Child")] == SUPPRESSED
    # ... which forces the South row's other cell, and then the Adult column balances with two.
    assert got[("South", "Adult")] == SUPPRESSED
    assert got[("East", "Adult")] == 40
    assert got[("East", "Child")] == 25
    assert got[(TOTAL, TOTAL)] == 130
    assert res.suppressed == 4
    _check_protected(CUBE, res.rows)


def test_zero_threshold_turns_suppression_off() -> None:
    rows = _tidy(CUBE, {("North", "Child"): 1, ("South", "Adult"): 2})
    res = disclosure.apply(TableResult(CUBE, rows, parse_period("2023")), DisclosureControl(threshold=0))
    assert SUPPRESSED not in [r[2] for r in res.rows]


def test_small_totals_are_suppressed_too() -> None:
    rows = _tidy(CUBE, {("North", "Child"): 2, ("North", "Adult"): 1, ("South", "Adult"): 50, ("South", "Child"): 40})
    res = disclosure.apply(TableResult(CUBE, rows, parse_period("2023")))
    got = {r[:2]: r[2] for r in res.rows}
    assert got[("North", TOTAL)] == SUPPRESSED
    _check_protected(CUBE, res.rows)


def test_nested_table_groups_follow_the_hierarchy() -> None:
    cells: dict[tuple[str, ...], int] = {
        ("London", "Met", "Adult"): 50,
        ("London", "Met", "Child"): 2,
        ("London", "City", "Adult"): 7,
        ("London", "City", "Child"): 9,
        ("Wales", "South Wales", "Adult"): 12,
        ("Wales", "South Wales", "Child"): 8,
        ("Wales", "Dyfed-Powys", "Adult"): 6,
    }
    rows = _tidy(NESTED, cells)
    groups = constraint_groups(NESTED, rows)
    as_keys = {(rows[t][:3], frozenset(rows[m][:3] for m in ms)) for t, ms in groups}
    # Forces within a region add up to the region...
    assert (
        ("London", TOTAL, "Adult"),
        frozenset({("London", "Met", "Adult"), ("London", "City", "Adult")}),
    ) in as_keys
    # ... regions add up to the total, and there is no "force total across regions".
    assert ((TOTAL, TOTAL, TOTAL), frozenset({("London", TOTAL, TOTAL), ("Wales", TOTAL, TOTAL)})) in as_keys
    assert all(rows[t][0] != TOTAL or rows[t][1] == TOTAL for t, _ in groups)
    res = disclosure.apply(TableResult(NESTED, rows, parse_period("2023")))
    got = {r[:3]: r[3] for r in res.rows}
    assert got[("London", "Met", "Child")] == SUPPRESSED
    _check_protected(NESTED, res.rows)


def test_random_tables_never_leave_a_single_suppressed_cell_in_a_group() -> None:
    rng = random.Random(7)
    for trial in range(60):
        table = NESTED if trial % 2 else CUBE
        k = len(table.dimensions)
        values = [["A", "B", "C", "D"], ["p", "q", "r"], ["x", "y", "z"]][:k]
        cells: dict[tuple[str, ...], int] = {}
        for key in itertools.product(*values):
            if rng.random() < 0.8:
                cells[key] = rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 15, 30, 100])
        if not cells:
            continue
        rows = _tidy(table, cells)
        threshold = rng.choice([3, 5, 10])
        control = DisclosureControl(threshold=threshold)
        res = disclosure.apply(TableResult(table, rows, parse_period("2023")), control)
        for before, after in zip(rows, res.rows, strict=True):
            n = before[k]
            assert isinstance(n, int)
            if 0 < n < threshold:
                assert after[k] == SUPPRESSED  # primary
            if after[k] != SUPPRESSED:
                assert after == before
        _check_protected(table, res.rows)


def test_suppress_is_deterministic_and_prefers_the_smallest() -> None:
    # total 0 = cells 1, 2, 3 ; threshold 2 suppresses the 1, then the next smallest is the 2.
    counts = [6, 1, 2, 3]
    flags = suppress(counts, [(0, [1, 2, 3])], DisclosureControl(threshold=2))
    assert flags == [False, True, True, False]
