"""The extract's casework table (ADR 0028): per referral, the nation, the devolved children's
decision panel that decides it, and the guidance its served decisions recorded. The referrals
table keeps its columns."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from nrm.accounts.roles import Role
from nrm.analytics import extract_io
from nrm.analytics import extract_schema as xs
from nrm.cases.lifecycle import State
from nrm.cases.models import Outcome
from nrm.cases.tests.factories import make_case, make_staff, rg_decide
from nrm.cases.tests.test_child_decision_panels import child_case
from nrm.core import rules
from nrm.stats.db_extract import build_extract, referral_pseudonym

pytestmark = pytest.mark.django_db


def test_the_casework_table_carries_nation_panel_and_guidance(tmp_path: Path) -> None:
    adult = make_case(State.POSITIVE_CG)
    child = child_case()
    panel_member = make_staff(Role.CASEWORKER, "child-panel-hull")
    decided = timezone.localdate() - timedelta(days=1)
    rg_decide(child, panel_member, Outcome.POSITIVE, on=decided)

    extract = build_extract()
    assert extract.referrals.schema == xs.REFERRALS
    rows = {r["referral_id"]: r for r in extract.casework.to_pylist()}
    assert set(rows) == set(extract.referrals.column("referral_id").to_pylist())

    child_row = rows[referral_pseudonym(child.reference)]
    assert child_row["nation"] == "England"
    assert child_row["decision_panel"] == "Hull child decision-making panel"
    assert child_row["rg_guidance_version"] == rules.rg_guidance_version(on=decided)
    assert child_row["cg_standard"] is None

    adult_row = rows[referral_pseudonym(adult.reference)]
    assert adult_row["decision_panel"] is None
    assert adult.rg_date is not None
    assert adult_row["rg_guidance_version"] == rules.rg_guidance_version(on=adult.rg_date)
    assert adult_row["cg_standard"]

    written = extract_io.write_extract(extract, tmp_path / "extract.parquet")
    assert "casework" in written
    assert extract_io.validate(tmp_path / "extract.parquet") == []
    assert extract_io.read_extract(tmp_path / "extract.parquet").casework.equals(extract.casework)
