from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nrm.analytics import engine, extract_io
from nrm.analytics import tables as T
from nrm.analytics.extract_io import Extract
from nrm.analytics.periods import Period, Quarter, parse_period
from nrm.analytics.tests.helpers import count, extract_csv_path, extract_path, extract_tables, groups_sum_problems

__all__ = ["extract_csv_path", "extract_path", "extract_tables"]  # fixtures

PERIODS = ["2023-Q4", "2023", "2022-Q1"]


@pytest.fixture(scope="module")
def con(extract_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = extract_io.connect(threads=2)
    extract_io.attach(c, extract_path)
    yield c
    c.close()


@pytest.fixture(scope="module")
def referrals(extract_tables: Extract) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = extract_tables.referrals.to_pylist()
    return rows


def _in(p: Period, d: date | None) -> bool:
    return d is not None and p.start <= d <= p.end


def _label(types: str) -> str:
    parts = [t for t in T.EXPLOITATION_ORDER if t in types.split(";")]
    if not parts:
        return "Not specified or unknown"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " & " + parts[-1]


@pytest.mark.parametrize("period", PERIODS)
def test_every_table_adds_up(con: duckdb.DuckDBPyConnection, period: str) -> None:
    """In every table, each total equals the sum of the cells under it, along every
    dimension, and every cell has its totals."""
    p = parse_period(period)
    for res in engine.compute_all(con, p).values():
        assert res.rows, res.table.id
        assert list(groups_sum_problems(res.table, res.rows)) == []
        k = res.n_dims
        keys = {r[:k] for r in res.rows}
        assert len(keys) == len(res.rows), f"{res.table.id}: duplicate rows"
        for r in res.rows:
            for chain in res.table.chains():
                deepest = [j for j in chain if r[j] != T.TOTAL]
                if deepest:
                    parent = list(r[:k])
                    parent[deepest[-1]] = T.TOTAL
                    assert tuple(parent) in keys, f"{res.table.id}: {r[:k]} has no total row"
                # roll-up: once a dimension of a chain is Total, the rest of the chain is too
                seen_total = False
                for j in chain:
                    if r[j] == T.TOTAL:
                        seen_total = True
                    else:
                        assert not seen_total, f"{res.table.id}: {r[:k]} breaks the roll-up"


@pytest.mark.parametrize("period", PERIODS)
def test_totals_equal_referrals_in_period(
    con: duckdb.DuckDBPyConnection, referrals: list[dict[str, Any]], period: str
) -> None:
    p = parse_period(period)
    n = sum(1 for r in referrals if _in(p, r["referral_date"]))
    assert n > 0
    results = engine.compute_all(con, p)
    for res in results.values():
        t = res.table
        if t.source == "referrals" and not t.filters and not t.time_series and not t.snapshot:
            assert res.total() == n, t.id
    series = results["referrals_by_quarter_age_location"]
    in_period = {q.label for q in p.quarters()}
    assert sum(count(r[3]) for r in series.rows if r[0] in in_period and r[1] == r[2] == T.TOTAL) == n
    assert {r[0] for r in series.rows if not engine.is_year(r[0])} == {q.label for q in series.quarters}
    county = sum(1 for r in referrals if _in(p, r["referral_date"]) and r["county_lines"])
    assert results["referrals_county_lines"].total() == county
    for short, col in (("rg", "rg_date"), ("cg", "cg_date")):
        made = sum(1 for r in referrals if _in(p, r[col]))
        rows = results[f"{short}_decisions"].rows
        assert sum(count(r[4]) for r in rows if r[0] in in_period and r[1:4] == (T.TOTAL,) * 3) == made
        negative = sum(1 for r in referrals if _in(p, r[col]) and r[f"{short}_outcome"] == "Negative")
        assert results[f"{short}_negative_reasons"].total() == negative


def test_exploitation_table_matches_a_plain_python_count(
    con: duckdb.DuckDBPyConnection, referrals: list[dict[str, Any]]
) -> None:
    p = parse_period("2023")
    want: Counter[tuple[str, ...]] = Counter()
    for r in referrals:
        if _in(p, r["referral_date"]):
            cell = (_label(r["exploitation_types"]), r["age_at_exploitation"], r["gender"])
            for mask in itertools.product((False, True), repeat=3):
                want[tuple(T.TOTAL if m else str(v) for m, v in zip(mask, cell, strict=True))] += 1
    res = engine.compute_table(con, T.table("referrals_by_exploitation_age_gender"), p)
    got = {tuple(r[:3]): r[3] for r in res.rows}
    assert got == dict(want)
    labels = {r[0] for r in res.rows}
    assert "Sexual, Labour, Domestic, Organ Harvesting & Criminal" in labels  # stored as "Criminal;Sexual;..."
    assert not any(";" in str(v) for v in labels)


def test_first_responder_table(con: duckdb.DuckDBPyConnection, referrals: list[dict[str, Any]]) -> None:
    p = parse_period("2023-Q4")
    res = engine.compute_table(con, T.table("referrals_by_first_responder"), p)
    inner = Counter(
        (
            r["first_responder_type"],
            r["first_responder"],
            _label(r["exploitation_types"]),
            r["age_at_exploitation"],
            r["gender"],
            r["nationality"].replace(";", " "),
        )
        for r in referrals
        if _in(p, r["referral_date"])
    )
    got_inner = {tuple(r[:6]): r[6] for r in res.rows if T.TOTAL not in r[:6]}
    assert got_inner == dict(inner)
    assert any(" " in str(r[5]) and str(r[5]).split(" ")[0] in ("UK", "Albanian") for r in res.rows)
    # The Home Office's levels: type, first responder, exploitation, age, gender; each by nationality and in total.
    levels = {tuple(v == T.TOTAL for v in r[:5]) for r in res.rows}
    assert levels == {
        (False,) * 5,
        (False, False, False, False, True),
        (False, False, False, True, True),
        (False, False, True, True, True),
        (False, True, True, True, True),
        (True,) * 5,
    }


def test_nationality_top_20_and_other(con: duckdb.DuckDBPyConnection, referrals: list[dict[str, Any]]) -> None:
    p = parse_period("2023")
    res = engine.compute_table(con, T.table("referrals_by_nationality_age"), p)
    counts = Counter(r["nationality"].replace(";", " ") for r in referrals if _in(p, r["referral_date"]))
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    by_nat = {r[0]: r[2] for r in res.rows if r[1] == T.TOTAL}
    for nat, n in top:
        assert by_nat[nat] == n
    assert by_nat["Other nationalities"] == sum(counts.values()) - sum(n for _, n in top)
    assert len(by_nat) == 22  # 20, other, total
    order = [r[0] for r in res.rows if r[1] == T.TOTAL]
    assert order[-2:] == ["Other nationalities", T.TOTAL]
    assert order[0] == top[0][0]


def test_awaiting_cg_matches_definition(con: duckdb.DuckDBPyConnection, referrals: list[dict[str, Any]]) -> None:
    p = parse_period("2023-Q2")
    end = p.end
    closed = {"Withdrawn", "Suspended", "Disqualified"}
    n = sum(
        1
        for r in referrals
        if r["rg_outcome"] == "Positive"
        and r["rg_date"] <= end
        and (r["cg_date"] is None or r["cg_date"] > end)
        and not (r["status"] in closed and (r["status_date"] or r["referral_date"]) <= end)
    )
    res = engine.compute_table(con, T.table("cases_awaiting_cg"), p)
    assert res.total() == n > 0


def test_days_to_decision(con: duckdb.DuckDBPyConnection, referrals: list[dict[str, Any]]) -> None:
    p = parse_period("2023-Q3")
    res = engine.compute_table(con, T.table("days_to_decision"), p)
    for stage, col in (("Reasonable Grounds", "rg_date"), ("Conclusive Grounds", "cg_date")):
        days = [(r[col] - r["referral_date"]).days for r in referrals if _in(p, r[col])]
        row = next(r for r in res.rows if r[0] == stage and r[1] == "2023-Q3" and r[2] == T.TOTAL)
        assert row[3] == len(days)
        assert row[4] == round(statistics.median(days), 1)
        assert row[5] == round(sum(days) / len(days), 1)


@pytest.mark.parametrize("period", ["2023-Q4", "2023-Q2", "2023"])
def test_a_time_series_shows_each_whole_year_after_its_quarters(
    con: duckdb.DuckDBPyConnection, referrals: list[dict[str, Any]], period: str
) -> None:
    """Every year whose four quarters a time series shows has its total, after its fourth
    quarter: a count is the sum of its quarters' (so a year reveals nothing they do not), a
    median and mean are the year's own; a year only partly shown has none, and a year has no
    breakdown (that is the annual release's)."""
    p = parse_period(period)
    for t in T.TABLES:
        if not t.time_series:
            continue
        res = engine.compute_table(con, t, p)
        qi = next(i for i, d in enumerate(t.dimensions) if d.name == "Quarter")
        k = len(t.dimensions)
        whole = {str(y) for y in {q.year for q in res.quarters}
                 if all(Quarter(y, n) in res.quarters for n in range(1, 5))}
        assert whole, t.id
        assert {str(r[qi]) for r in res.rows if engine.is_year(r[qi])} == whole, t.id
        by_cell = {tuple(r[:k]): r[k] for r in res.rows}
        for r in res.rows:
            label = str(r[qi])
            if not engine.is_year(label):
                continue
            assert all(r[i] == T.TOTAL for i, d in enumerate(t.dimensions) if d.totals), (t.id, r)
            quarters = [(*r[:qi], f"{label}-Q{n}", *r[qi + 1:k]) for n in range(1, 5)]
            assert r[k] == sum(count(by_cell.get(q, 0)) for q in quarters), (t.id, r)
            later = [i for i, x in enumerate(res.rows) if x[:qi] == r[:qi] and str(x[qi]).startswith(label + "-Q")]
            assert res.rows.index(r) > max(later), (t.id, r)
    series = engine.compute_table(con, T.table("referrals_by_quarter_age_location"), p)
    for year in {str(r[0]) for r in series.rows if engine.is_year(r[0])}:
        row = next(r for r in series.rows if r[0] == year and r[1] == r[2] == T.TOTAL)
        assert row[3] == sum(1 for r in referrals if r["referral_date"].year == int(year))
    days = engine.compute_table(con, T.table("days_to_decision"), p)
    for stage, col in (("Reasonable Grounds", "rg_date"), ("Conclusive Grounds", "cg_date")):
        for row in (r for r in days.rows if r[0] == stage and engine.is_year(r[1]) and r[2] == T.TOTAL):
            made = [(r[col] - r["referral_date"]).days for r in referrals if r[col] and r[col].year == int(str(row[1]))]
            assert row[3:] == (len(made), round(statistics.median(made), 1), round(sum(made) / len(made), 1))


def test_years_summed_from_quarters_leave_out_a_year_not_on_one_basis() -> None:
    """A year with a quarter not available, or with quarters on both sides of a new basis, gets no row."""
    t = T.table("referrals_county_lines_by_quarter")
    qs = [Quarter(2022, n) for n in range(1, 5)] + [Quarter(2023, n) for n in range(1, 5)]
    rows: list[tuple[engine.Value, ...]] = [(q.label, T.TOTAL, 10) for q in qs]
    rows[1] = ("2022-Q2", T.TOTAL, None)
    assert [r[0] for r in engine.with_years(t, rows, qs) if engine.is_year(r[0])] == ["2023"]
    ok = [row for q in qs for row in ((q.label, "Child (17 or under)", 3), (q.label, T.TOTAL, 10))]
    assert [r for r in engine.with_years(t, ok, qs) if engine.is_year(r[0])] == [
        ("2022", T.TOTAL, 40), ("2023", T.TOTAL, 40)]
    split = engine.with_years(t, ok, qs, basis_from=Quarter(2023, 3))
    assert [r for r in split if engine.is_year(r[0])] == [("2022", T.TOTAL, 40)]
    assert engine.with_years(t, split, qs) == engine.with_years(t, ok, qs)  # years are summed again, never twice
    res = engine.TableResult(t, engine.with_years(t, ok, qs), parse_period("2023-Q4"), qs)
    assert [r[0] for r in engine.without_years_before(res, Quarter(2022, 2)).rows if engine.is_year(r[0])] == ["2023"]
    assert engine.without_years_before(res, Quarter(2022, 1)) is res
    with pytest.raises(ValueError, match="count-only"):
        engine.with_years(T.table("days_to_decision"), [], qs)


def test_csv_and_parquet_extracts_give_the_same_tables(extract_path: Path, extract_csv_path: Path) -> None:
    p = parse_period("2023")
    out = []
    for path in (extract_path, extract_csv_path):
        c = extract_io.connect()
        extract_io.attach(c, path)
        out.append({k: v.rows for k, v in engine.compute_all(c, p).items()})
        c.close()
    assert out[0] == out[1]


def test_key_figures(con: duckdb.DuckDBPyConnection, referrals: list[dict[str, Any]]) -> None:
    figs = {f.id: f for f in engine.key_figures(con, parse_period("2023-Q4"))}
    p, c = parse_period("2023-Q4"), parse_period("2022-Q4")
    assert figs["referrals"].value == sum(1 for r in referrals if _in(p, r["referral_date"]))
    assert figs["referrals"].comparison == sum(1 for r in referrals if _in(c, r["referral_date"]))
    # The extract starts in 2022: no comparison for 2022.
    early = {f.id: f for f in engine.key_figures(con, parse_period("2022-Q4"))}
    assert early["referrals"].comparison is None
    assert early["referrals"].change is None


def test_reconsideration_requests_by_stage_and_fresh_outcome(con: duckdb.DuckDBPyConnection,
                                                            extract_tables: Extract) -> None:
    from nrm.analytics import disclosure

    p = parse_period("2023")
    rows = [r for r in extract_tables.reconsiderations.to_pylist() if _in(p, r["requested_date"])]
    want = Counter((r["stage"], r["outcome"] or "Awaiting decision") for r in rows)
    assert "Awaiting decision" in {o for _, o in want}
    table = T.table("reconsideration_requests")
    assert T.DECISION_STAGES == table.dimension("Decision").order, "labelled as the decision tables are"
    res = engine.compute_table(con, table, p)
    got = {(r[0], r[1]): r[2] for r in res.rows if T.TOTAL not in r[:2]}
    assert got == dict(want)
    assert res.total() == len(rows) > 0
    assert list(groups_sum_problems(table, res.rows)) == []
    # Protected like every table under linked protection: no count below 5 shown, none worked out.
    protected = disclosure.apply(res, T.PROTECTED)
    assert protected.suppressed > 0
    counts = [r[2] for r in protected.rows]
    assert not any(isinstance(v, int) and 0 < v < 5 for v in counts)
    for total, members in disclosure.constraint_groups(table, protected.rows):
        assert sum(protected.rows[c][2] == disclosure.SUPPRESSED for c in [total, *members]) != 1
