"""Publication under linked disclosure control: every release of a year protected together,
and the interval attack as a blocking check."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nrm.analytics import cli, protection
from nrm.analytics.publish import PROTECTION_TEXT, DisclosureGateError, publish
from nrm.analytics.revisions import FiguresStore
from nrm.analytics.tables import TABLES, DisclosureControl, table
from nrm.analytics.tests.helpers import extract_path, extract_tables

__all__ = ["extract_path", "extract_tables"]  # fixtures

# Tables linked by their age totals: enough for the attack to have something to work with, quick to publish.
LINKED_TABLES = tuple(table(t) for t in ("referrals_by_police_force", "referrals_by_competent_authority",
                                         "referrals_by_quarter_age_location", "referrals_county_lines"))
LEAKY = {"referrals_by_police_force": DisclosureControl(threshold=10, secondary=False)}


def test_a_leaking_release_is_blocked_and_nothing_is_written(extract_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(DisclosureGateError) as caught:
        publish(extract_path, "2023-Q4", out, progress=False, disclosure_overrides=LEAKY, tables=LINKED_TABLES,
                linked=True)
    assert not caught.value.audit.passed
    assert any(t.table_id == "referrals_by_police_force" and t.narrow for t in caught.value.audit.tables)
    assert not out.exists() or not any(out.iterdir())


def test_a_year_of_releases_passes_the_attack_together(extract_path: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    for period in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2023"):
        manifest = publish(extract_path, period, tmp_path / period, progress=False, store=store,
                           tables=LINKED_TABLES, linked=True)
        assert all(t.disclosure_threshold == 5 for t in manifest.tables if t.id in {x.id for x in LINKED_TABLES})
    assert PROTECTION_TEXT.split(":")[0] in (tmp_path / "2023" / "index.html").read_text(encoding="utf-8")
    figures = FiguresStore(store / "published")
    pubs = [(label, protection.results_from_figures(label, figures.load(label).figures)) for label in figures.labels()]
    audit = protection.audit_publications(pubs, exact=True)
    assert audit.protected > 0
    assert audit.exact == 0
    assert audit.passed, audit.to_text()
    for _label, results in pubs:  # no small count is shown
        for res in results:
            counts = [r[res.n_dims] for r in res.rows]
            assert not any(isinstance(v, int) and 0 < v < 5 for v in counts), res.table.id
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["disclosure-audit", "--store", str(store)], stdout=out, stderr=err) == 0, out.getvalue()


def test_the_same_releases_one_table_at_a_time_fail_the_audit(extract_path: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    for period in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2023"):
        publish(extract_path, period, tmp_path / period, progress=False, store=store, tables=LINKED_TABLES,
                linked=False)
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["disclosure-audit", "--store", str(store)], stdout=out, stderr=err) == 1
    assert "FAIL" in out.getvalue()


def test_linked_publication_protects_every_table_the_first_responder_table_by_first_responder(
        extract_path: Path, tmp_path: Path) -> None:
    manifest = publish(extract_path, "2023-Q4", tmp_path / "out", progress=False, store=tmp_path / "store",
                       linked=True)
    by_id = {t.id: t for t in manifest.tables}
    assert set(by_id) >= {t.id for t in TABLES}, "no table is withheld"
    fr = by_id["referrals_by_first_responder"]
    assert fr.columns[:3] == ("First responder type", "First responder", "People")
    assert all(t.disclosure_threshold == 5 for t in manifest.tables if t.id in {x.id for x in TABLES})
    text = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert PROTECTION_TEXT.split(":")[0] in text
    assert "Withheld" not in text
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["disclosure-audit", "--store", str(tmp_path / "store"), "--exact"], stdout=out,
                    stderr=err) == 0, out.getvalue()
    assert "referrals_by_first_responder" in out.getvalue() or fr.suppressed_cells == 0
