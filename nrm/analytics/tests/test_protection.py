"""The interval attack across linked tables and releases, and suppression that defeats it."""

from __future__ import annotations

import io
import random
from collections import Counter
from pathlib import Path

from nrm.analytics import cli, disclosure, protection
from nrm.analytics.engine import TableResult, Value
from nrm.analytics.periods import parse_period
from nrm.analytics.revisions import FiguresStore
from nrm.analytics.tables import DisclosureControl, table
from nrm.analytics.tests.helpers import Cells, table_result

FORCE = table("referrals_by_police_force")
AGE = table("referrals_by_competent_authority")  # shares the age totals with the police-force table
QUARTERS = ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4")


def _force_cells(rng: random.Random) -> dict[tuple[str, ...], int]:
    cells: dict[tuple[str, ...], int] = {}
    for region, forces in (("Wales", ("Dyfed-Powys", "Gwent", "South Wales")), ("London", ("Met", "City"))):
        for force in forces:
            cells[(region, force, "Adult (18 or over)")] = rng.randint(15, 60)
            cells[(region, force, "Child (17 or under)")] = rng.randint(5, 30)
            cells[(region, force, "Not specified or unknown")] = rng.choice((1, 2, 3, 4, 9))
    return cells


def _releases(seed: int = 3) -> tuple[dict[str, dict[tuple[str, ...], int]], dict[tuple[str, ...], int]]:
    rng = random.Random(seed)
    quarters = {q: _force_cells(rng) for q in QUARTERS}
    year: Counter[tuple[str, ...]] = Counter()
    for cells in quarters.values():
        year.update(cells)
    return quarters, dict(year)


def _one_table_at_a_time() -> list[tuple[str, list[TableResult]]]:
    """The old practice: each table suppressed on its own, one period at a time."""
    quarters, year = _releases()
    out = []
    for label, cells in [*quarters.items(), ("2023", year)]:
        out.append((label, [disclosure.apply(table_result(FORCE, cells, label))]))
    return out


def test_one_table_at_a_time_leaks_through_the_year_and_its_quarters() -> None:
    audit = protection.audit_publications(_one_table_at_a_time(), exact=True)
    assert audit.protected > 0
    assert audit.exact > 0  # year minus three quarters, at least
    assert not audit.passed


def test_year_minus_three_quarters_is_found() -> None:
    cells_q: dict[tuple[str, ...], int] = {("Wales", "Gwent", "Adult (18 or over)"): 20, ("Wales", "Gwent", "Not specified or unknown"): 2}
    pubs = []
    for q in QUARTERS:
        res = table_result(FORCE, cells_q, q)
        pubs.append((q, [res if q != "2023-Q4" else disclosure.apply(res)]))
    year = {k: 4 * v for k, v in cells_q.items()}
    pubs.append(("2023", [table_result(FORCE, year, "2023")]))  # the annual table shows 8 unknown-age referrals
    audit = protection.audit_publications(pubs, exact=True)
    assert audit.exact >= 1
    hidden = [k for k, iv in audit.intervals.items() if iv.exact]
    assert any(iv.low == 2 for k, iv in audit.intervals.items() if k in hidden)


def test_protection_across_tables_and_releases_defeats_the_attack() -> None:
    quarters, year = _releases()
    earlier: list[tuple[str, list[TableResult]]] = []
    for label, cells in [*quarters.items(), ("2023", year)]:
        raw = [table_result(FORCE, cells, label), table_result(AGE, _by_age(cells), label)]
        done, _linked = protection.protect(raw, release=label, earlier=earlier)
        earlier.append((label, done))
    audit = protection.audit_publications(earlier, exact=True)
    assert audit.protected > 0
    assert audit.exact == 0
    assert audit.passed, audit.to_text()
    for _label, tables in earlier:  # every small count is suppressed
        for res in tables:
            k = res.n_dims
            counts = [r[k] for r in res.rows]
            assert not any(isinstance(v, int) and 0 < v < 5 for v in counts)


def test_the_same_population_is_suppressed_in_every_table_that_shows_it() -> None:
    quarters, _year = _releases()
    cells = quarters["2023-Q1"]
    raw = [table_result(FORCE, cells, "2023-Q1"), table_result(AGE, _by_age(cells), "2023-Q1")]
    done, _linked = protection.protect(raw, release="2023-Q1")
    shown: dict[protection.CellKey, set[Value]] = {}
    for res in done:
        k = res.n_dims
        for r in res.rows:
            shown.setdefault(protection.cell_key(res.table, r[:k], res.period), set()).add(r[k])
    both = [v for v in shown.values() if len(v) > 1]
    assert both == []


def _by_age(cells: Cells) -> dict[tuple[str, ...], int]:
    out: Counter[tuple[str, ...]] = Counter()
    for (_r, _f, age), n in cells.items():
        out[("SCA", age)] += n
    return dict(out)


def _store(tmp_path: Path, pubs: list[tuple[str, list[TableResult]]]) -> Path:
    store = FiguresStore(tmp_path / "published")
    for label, tables in pubs:
        store.save(label, tables)
    return tmp_path


def test_audit_command_fails_on_a_leaking_store(tmp_path: Path) -> None:
    root = _store(tmp_path, _one_table_at_a_time())
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["disclosure-audit", "--store", str(root)], stdout=out, stderr=err)
    assert status == 1
    assert "FAIL" in out.getvalue()
    assert "referrals_by_police_force" in out.getvalue()


def test_audit_command_passes_a_protected_store(tmp_path: Path) -> None:
    quarters, year = _releases()
    earlier: list[tuple[str, list[TableResult]]] = []
    for label, cells in [*quarters.items(), ("2023", year)]:
        done, _linked = protection.protect([table_result(FORCE, cells, label)], release=label, earlier=earlier)
        earlier.append((label, done))
    root = _store(tmp_path, earlier)
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["disclosure-audit", "--store", str(root), "--exact"], stdout=out, stderr=err)
    assert status == 0, out.getvalue() + err.getvalue()
    assert "0 recovered exactly" in out.getvalue()
    assert "PASS" in out.getvalue()


def test_a_control_without_secondary_suppression_is_left_to_the_audit() -> None:
    quarters, _year = _releases()
    control = {FORCE.id: DisclosureControl(threshold=5, secondary=False)}
    done, linked = protection.protect([table_result(FORCE, quarters["2023-Q1"], "2023-Q1")], release="2023-Q1",
                                      controls=control)
    assert not protection.audit(linked).passed
    assert done[0].suppressed == sum(1 for r in done[0].rows if r[3] == protection.SUPPRESSED)


def _revised(cells: dict[tuple[str, ...], int], rng: random.Random) -> dict[tuple[str, ...], int]:
    """The same quarter after corrections: a few counts one more or one less (never below 1)."""
    out = dict(cells)
    for key in rng.sample(sorted(out), 4):
        out[key] = max(1, out[key] + rng.choice((-1, 1)))
    return out


def _quarterly_releases(quarters: dict[str, dict[tuple[str, ...], int]]) -> list[tuple[str, list[TableResult]]]:
    """The four quarters, each protected with the ones before, as published."""
    earlier: list[tuple[str, list[TableResult]]] = []
    for label in QUARTERS:
        done, _linked = protection.protect([table_result(FORCE, quarters[label], label)], release=label,
                                           earlier=earlier)
        earlier.append((label, done))
    return earlier


def _annual_release(quarters: dict[str, dict[tuple[str, ...], int]]) -> list[TableResult]:
    """The annual release's tables (true counts): the year, and each quarter again."""
    year: Counter[tuple[str, ...]] = Counter()
    for cells in quarters.values():
        year.update(cells)
    return [table_result(FORCE, dict(year), "2023"), *(table_result(FORCE, c, q) for q, c in quarters.items())]


def test_a_revised_release_keeps_its_own_figures_and_the_year_is_still_protected() -> None:
    """A later release revises counts an earlier one published (a suppressed cell among them);
    the relations of each hold as it was published, protection finishes, and the attack over
    every release, the revised ones included, recovers nothing."""
    for seed in range(4):
        rng = random.Random(seed)
        quarters, _year = _releases(seed)
        earlier = _quarterly_releases(quarters)
        # the year is published from corrected data: each quarter's counts have changed since
        corrected = {q: _revised(cells, rng) for q, cells in quarters.items()}
        # the annual release shows the year and each quarter again, as they are now
        current = _annual_release(corrected)
        done, linked = protection.protect(current, release="2023", earlier=earlier)
        assert linked.versions, "the revised quarters keep their suppressed cells to themselves"
        assert protection.audit(linked).passed
        audit = protection.audit_publications([*earlier, ("2023", done)], exact=True)
        assert audit.exact == 0
        assert audit.passed, audit.to_text()


def test_a_combination_no_longer_counted_is_a_revision_to_zero() -> None:
    """An earlier release counted a combination the corrected data no longer has (a row the
    table now leaves out, as it leaves out every combination with no cases): its count now is 0,
    so the earlier release keeps its figures to itself; each of its cells is found by the
    population it counts; and the year, protected with it, gives nothing away."""
    for seed in range(3):
        quarters, _year = _releases(seed)
        earlier = _quarterly_releases(quarters)
        gone = max(quarters["2023-Q2"], key=lambda c: quarters["2023-Q2"][c])
        corrected = {q: {c: n for c, n in cells.items() if not (q == "2023-Q2" and c == gone)}
                     for q, cells in quarters.items()}
        current = _annual_release(corrected)
        done, linked = protection.protect(current, release="2023", earlier=earlier)
        plain = protection.cell_key(FORCE, gone, parse_period("2023-Q2"))
        assert plain in linked.versions, "the count published for the combination is that release's own"
        q2 = dict(earlier)["2023-Q2"][0]
        assert linked.values[linked.versions[plain]] == next(r[q2.n_dims] for r in q2.rows if r[:q2.n_dims] == gone)
        assert protection.audit(linked).passed
        audit = protection.audit_publications([*earlier, ("2023", done)], exact=True)
        assert audit.exact == 0, audit.to_text()


def test_a_table_total_is_not_suppressed_while_another_cell_can_be() -> None:
    """A release shows how many people it counts: whatever the small counts under it, a total of
    20 or more is published as a number here (other cells can protect them), and the attack still
    recovers nothing."""
    for seed in range(6):
        rng = random.Random(seed)
        cells: dict[tuple[str, ...], int] = {(region, force, age): rng.choice((1, 2, 3, 4, 6, 9, 25))
                 for region, forces in (("Wales", ("Dyfed-Powys", "Gwent")), ("London", ("Met",)))
                 for force in forces
                 for age in ("Adult (18 or over)", "Child (17 or under)", "Not specified or unknown")}
        done, linked = protection.protect([table_result(FORCE, cells, "2023-Q1")], release="2023-Q1")
        k = done[0].n_dims
        totals = [r for r in done[0].rows if all(v == "Total" for v in r[:k])]
        assert totals
        assert all(isinstance(r[k], int) for r in totals), totals
        assert protection.audit(linked).passed


def test_the_rest_of_a_time_series_top_values_is_not_the_rest_of_one_quarters() -> None:
    """'Other nationalities' of a time series (the rest of the 20 most common over its quarters) and
    of a quarter's table (the rest of that quarter's 20) are different people: two cells, not one."""
    p = parse_period("2023-Q4")
    series = protection.cell_key(table("referrals_by_quarter_nationality"), ("2023-Q4", "Other nationalities"), p)
    quarter = protection.cell_key(table("referrals_by_nationality_age"), ("Other nationalities", "Total"), p)
    assert series[:2] == quarter[:2]  # the same people referred in the same quarter...
    assert series != quarter  # ...but not the same population


def test_suppressing_another_cell_never_narrows_an_interval() -> None:
    """Why protection does not attack again a cell already shown wide enough: suppressing a further
    cell turns a published count into an unknown, so every feasible interval can only widen."""
    for seed in range(4):
        rng = random.Random(seed)
        quarters, _year = _releases(seed)
        _done, linked = protection.protect([table_result(FORCE, quarters["2023-Q1"], "2023-Q1")], release="2023-Q1")
        before = protection.attack(linked)
        numbers = sorted(k for k in linked.current if isinstance(v := linked.values[k], int) and v > 0)
        for key in rng.sample(numbers, 3):
            linked.values[key] = protection.SUPPRESSED
            after = protection.attack(linked)
            for k, iv in before.items():
                now = after[k]
                assert now.low <= iv.low, seed
                assert now.high is None or (iv.high is not None and now.high >= iv.high), seed
            before = after
