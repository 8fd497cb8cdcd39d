"""A period published again (a corrected re-issue) keeps the issue users saw, marks and
lists what changed against it, and names why: the 2020-Q3 miscoding."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from nrm.analytics import cli, quality, revisions, storage
from nrm.analytics.publish import publish

UNKNOWN = "Not specified or unknown"
EXPLOITATION_TABLE = "referrals_by_exploitation_age_gender"
OVERRIDE_REASON = "Known recording error at one first responder in 2020; corrected figures follow"
CORRECTION = "Sexual exploitation recorded as unknown by one first responder, now recoded"


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corrected extract (2018-2021) and the same with half of the sexual exploitation
    referrals of 2020 Q2 and Q3 recorded as unknown."""
    from nrm.analytics.synthetic.extract import generate_referrals

    referrals = generate_referrals(16000, 3, date(2018, 1, 1), date(2021, 12, 31))
    when = referrals.column("referral_date")
    in_2020_q2_q3 = pc.and_(pc.greater_equal(when, pa.scalar(date(2020, 4, 1))),
                            pc.less_equal(when, pa.scalar(date(2020, 9, 30))))
    sexual = pc.match_substring_regex(referrals.column("exploitation_types"), r"(^|;)Sexual(;|$)")
    pick = pc.and_(pc.and_(in_2020_q2_q3, sexual), pa.array(np.random.default_rng(1).random(referrals.num_rows) < 0.5))
    i = referrals.schema.get_field_index("exploitation_types")
    bad = referrals.set_column(
        i, referrals.schema.field(i), pc.if_else(pick, pa.scalar(UNKNOWN), referrals.column("exploitation_types"))
    )
    root = tmp_path_factory.mktemp("reissue")
    clean_path, bad_path = root / "clean" / "extract.parquet", root / "miscoded" / "extract.parquet"
    clean_path.parent.mkdir()
    bad_path.parent.mkdir()
    pq.write_table(referrals, clean_path)
    pq.write_table(bad, bad_path)
    return clean_path, bad_path


def _publish_miscoded(miscoded: Path, store: Path, out: Path) -> None:
    failing = quality.run_quality(miscoded, "2020-Q3").blocking_failures
    assert failing  # the gate sees the miscoding
    overrides = [quality.Override(r.id, OVERRIDE_REASON, by="Head of profession") for r in failing]
    # one table at a time: the revisions are compared cell by cell, unprotected
    first = publish(miscoded, "2020-Q3", out, progress=False, store=store, quality_overrides=overrides, linked=False)
    assert first.revisions["revised_figures"] == 0
    assert first.revisions["reissue_of"] is None


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_reissue_keeps_the_first_issue_and_lists_what_changed_with_the_override_reason(
    extracts: tuple[Path, Path], tmp_path: Path
) -> None:
    clean, miscoded = extracts
    store = tmp_path / "store"
    _publish_miscoded(miscoded, store, tmp_path / "first")
    figures = storage.figures_store(store)
    seen = {f.key: f.value for f in figures.load("2020-Q3").figures}

    again = publish(clean, "2020-Q3", tmp_path / "again", progress=False, store=store, linked=False)

    # the issue users saw is kept, unchanged, as version 1; the re-issue is version 2
    issues = figures.issues("2020-Q3")
    assert [p.version for p in issues] == [1, 2]
    assert {f.key: f.value for f in issues[0].figures} == seen
    assert issues[0].overrides
    assert issues[0].overrides[0]["reason"] == OVERRIDE_REASON
    assert (store / "published" / "2020-Q3" / "versions" / "1" / "figures.parquet").is_file()
    now = {f.key: f.value for f in issues[1].figures}
    assert now != seen

    # every figure of the period that changed is a revision, and no other
    assert again.revisions["reissue_of"]["version"] == 1
    assert again.revisions["reissue_of"]["period"] == "2020-Q3"
    rows = _csv_rows(tmp_path / "again" / "csv" / "revisions.csv")
    assert again.revisions["revised_figures"] == len(rows) > 0
    # counted at the level a reader sees: totals and one-way breakdowns apart from detailed cells
    headline = [r for r in rows if len([p for p in r["Cell"].split("; ") if not p.startswith("Quarter ")]) <= 1]
    assert 0 < again.revisions["headline_figures"] == len(headline) < len(rows)
    in_period = [r for r in rows if r["Period"] == "2020-Q3"]
    title = issues[1].tables[EXPLOITATION_TABLE].title
    changed = {k for k in set(seen) | set(now) if k[0] == EXPLOITATION_TABLE and seen.get(k, 0) != now.get(k, 0)}
    assert changed
    assert len([r for r in in_period if r["Table"] == title]) == len(changed)
    # the sexual exploitation total rises back, and the cause is the override given for the first issue
    total = next(r for r in in_period if r["Table"] == title
                 and r["Cell"] == "Exploitation type Sexual" and r["Column"] == "People")
    assert int(total["Revised figure"]) > int(total["Previously published"])
    assert OVERRIDE_REASON in total["Reason"]
    assert all("Correction of the 2020-Q3 release" in r["Reason"] for r in in_period)
    assert not any(r["Reason"] == "Updated case records" for r in in_period)

    # the table marks it [r]; the bulletin says what the re-issue replaces
    table = _csv_rows(tmp_path / "again" / "csv" / f"{EXPLOITATION_TABLE}.csv")
    sexual_total = next(r for r in table if r["Exploitation type"] == "Sexual"
                        and all(v == "Total" for k, v in r.items() if k in ("Age at exploitation", "Gender")))
    assert sexual_total["People"].isdigit()
    assert sexual_total["Shorthand"] == revisions.REVISED
    bulletin = (tmp_path / "again" / "index.html").read_text(encoding="utf-8")
    assert "re-issues 2020-Q3" in bulletin
    assert f"Of these, {len(headline):,} are totals or one-way breakdowns" in bulletin
    assert "There is no earlier publication" not in bulletin


def test_cli_reissue_names_the_stated_reason(extracts: tuple[Path, Path], tmp_path: Path) -> None:
    clean, miscoded = extracts
    store = tmp_path / "store"
    _publish_miscoded(miscoded, store, tmp_path / "first")
    out = io.StringIO()
    args = ["publish", "--period", "2020-Q3", "--source", str(clean), "--out", str(tmp_path / "again"),
            "--store", str(store), "--no-progress", "--reason", CORRECTION]
    assert cli.main(args, stdout=out, stderr=io.StringIO()) == 0
    assert "figure(s) published earlier revised" in out.getvalue()
    assert "; 0 figure(s)" not in out.getvalue()
    rows = _csv_rows(tmp_path / "again" / "csv" / "revisions.csv")
    assert rows
    assert all(CORRECTION in r["Reason"] for r in rows if r["Period"] == "2020-Q3")
    meta = json.loads((store / "published" / "2020-Q3" / "publication.json").read_text(encoding="utf-8"))
    assert meta["version"] == 2
    assert meta["reason"] == CORRECTION
    # a third issue keeps both earlier ones
    assert cli.main([*args[:6], str(tmp_path / "third"), *args[7:]], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    assert [p.version for p in storage.figures_store(store).issues("2020-Q3", figures=False)] == [1, 2, 3]
    assert _csv_rows(tmp_path / "third" / "csv" / "revisions.csv") == []
