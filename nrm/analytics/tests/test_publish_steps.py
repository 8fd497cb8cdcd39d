"""The publication's steps on their own: compute (gate and tables, writing nothing), revise
(against the figures store) and write (files and manifest); publish runs them in order."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from nrm.analytics import engine, revisions
from nrm.analytics.publish import compute, publish, remember, revise, write
from nrm.analytics.tables import TABLES, DisclosureControl
from nrm.analytics.tests.helpers import extract_path, extract_tables

__all__ = ["extract_path", "extract_tables"]  # fixtures

PERIOD = "2023-Q4"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _bump_first_count(res: engine.TableResult) -> tuple[engine.TableResult, bool]:
    """``res`` with its first positive whole-number cell one higher (and whether there was one)."""
    for i, row in enumerate(res.rows):
        for j, value in enumerate(row):
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                bumped = (*row[:j], value + 1, *row[j + 1:])
                return replace(res, rows=[*res.rows[:i], bumped, *res.rows[i + 1:]]), True
    return res, False


def test_compute_finds_every_table_and_writes_nothing(extract_path: Path, tmp_path: Path) -> None:
    before = set(extract_path.parent.iterdir())
    computed = compute(extract_path, PERIOD)
    assert [r.table.id for r in computed.results] == [t.id for t in TABLES]
    assert computed.period.label == PERIOD
    assert computed.figures
    assert computed.recomputed == []  # no store: nothing to compare with
    assert {f.path for f in computed.extract_files} >= {"extract.parquet"}
    assert set(extract_path.parent.iterdir()) == before


def test_compute_refuses_an_unknown_table_override(extract_path: Path) -> None:
    with pytest.raises(KeyError, match="no_such_table"):
        compute(extract_path, PERIOD, disclosure_overrides={"no_such_table": DisclosureControl(threshold=5)})


def test_compute_applies_a_disclosure_override(extract_path: Path) -> None:
    control = DisclosureControl(threshold=10)
    computed = compute(extract_path, PERIOD, disclosure_overrides={"referrals_by_police_force": control})
    [police] = [r for r in computed.results if r.table.id == "referrals_by_police_force"]
    assert police.table.disclosure == control
    assert police.suppressed > 0


def test_revise_without_a_store_revises_nothing(extract_path: Path) -> None:
    computed = compute(extract_path, PERIOD)
    revised = revise(computed, figures_store=None)
    assert revised.report is None
    assert revised.rows is None
    assert revised.text == []
    assert revised.published == computed.results


def test_revise_finds_a_changed_figure_published_earlier(extract_path: Path, tmp_path: Path) -> None:
    store = revisions.FiguresStore(tmp_path / "published")
    earlier = compute(extract_path, "2023-Q3", linked=False)  # one figure bumped: compared unprotected
    changed_table = ""
    results = []
    for res in earlier.results:
        if not changed_table and not res.table.time_series:
            res, bumped = _bump_first_count(res)
            changed_table = res.table.id if bumped else ""
        results.append(res)
    assert changed_table
    remember(replace(earlier, results=results), figures_store=store)

    computed = compute(extract_path, PERIOD, figures_store=store, linked=False)
    assert computed.recomputed  # the earlier quarter's tables as they would be published now
    revised = revise(computed, figures_store=store)
    assert revised.report is not None
    assert revised.report.compared_with
    assert [(r.table_id, r.reference_period) for r in revised.report.revisions] == [(changed_table, "2023-Q3")]
    assert revised.rows is not None
    assert len(revised.rows[1]) == 1
    assert "2023-Q3" in revised.text[0]


def test_revise_with_an_empty_store_says_there_is_nothing_to_compare(extract_path: Path, tmp_path: Path) -> None:
    store = revisions.FiguresStore(tmp_path / "published")
    revised = revise(compute(extract_path, PERIOD, figures_store=store), figures_store=store)
    assert revised.report is not None
    assert revised.report.revisions == []
    assert revised.text == ["There is no earlier publication to compare with, so no figures have been revised."]


def test_the_steps_give_what_publish_gives(extract_path: Path, tmp_path: Path) -> None:
    by_publish = publish(extract_path, PERIOD, tmp_path / "publish", progress=False)
    computed = compute(extract_path, PERIOD)
    by_steps = write(computed, revise(computed, figures_store=None), tmp_path / "steps")
    assert _files(tmp_path / "steps") == _files(tmp_path / "publish")
    assert replace(by_steps, out_dir=by_publish.out_dir) == by_publish


def test_write_writes_only_what_the_manifest_lists(extract_path: Path, tmp_path: Path) -> None:
    computed = compute(extract_path, PERIOD)
    manifest = write(computed, revise(computed, figures_store=None), tmp_path / "out")
    assert set(_files(tmp_path / "out")) == {f.path for f in manifest.files} | {"manifest.json"}
    assert manifest.revisions == {}
    assert manifest.back_series == {}
