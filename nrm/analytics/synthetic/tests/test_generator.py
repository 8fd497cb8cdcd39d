"""One generator, a profile for each use: every profile is deterministic and applies the dated
policy (recovery period, move-on support) that the service applies."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from nrm.analytics import extract_schema as xs
from nrm.analytics.dated import days_in_force
from nrm.analytics.linkage import LINKAGE_INPUT
from nrm.analytics.synthetic.caseload import CG_DECIDED, RG_NEGATIVE
from nrm.analytics.synthetic.generator import Profile, generate
from nrm.core import policy

START, END = date(2021, 7, 1), date(2023, 12, 31)  # across the change of recovery period


def _days(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


@pytest.mark.parametrize("profile", [Profile.FIXTURE, Profile.CALIBRATED, Profile.LINKAGE, Profile.QUEUE])
def test_every_profile_is_deterministic(profile: Profile) -> None:
    one, again = (generate(profile, n=400, seed=3, start=START, end=END) for _ in range(2))
    other = generate(profile, n=400, seed=4, start=START, end=END)
    assert one == again
    assert one != other


def test_profiles_are_named_and_unknown_ones_refused() -> None:
    assert generate("fixture", n=10, seed=1).profile is Profile.FIXTURE
    with pytest.raises(ValueError, match="nonsense"):
        generate("nonsense", n=10)


@pytest.mark.parametrize("profile", [Profile.FIXTURE, Profile.CALIBRATED])
def test_extract_profiles_follow_the_schema_and_the_recovery_period(profile: Profile) -> None:
    extract = generate(profile, n=3000, seed=2, start=START, end=END).extract
    assert extract is not None
    assert extract.referrals.schema.equals(xs.REFERRALS)
    assert extract.support.schema.equals(xs.SUPPORT)
    both = pc.and_(pc.is_valid(extract.referrals.column("rg_date")), pc.is_valid(extract.referrals.column("cg_date")))
    decided = extract.referrals.filter(both)
    rg, cg = _days(decided.column("rg_date")), _days(decided.column("cg_date"))
    assert len(rg) > 50
    assert (cg - rg >= days_in_force("recovery_period_days", rg)).all()


def test_calibrated_move_on_support_lasts_at_least_the_minimum_in_force() -> None:
    extract = generate(Profile.CALIBRATED, n=4000, seed=5, start=START, end=END).extract
    assert extract is not None
    referrals = extract.referrals.select(["referral_id", "cg_date", "cg_outcome"])
    support = extract.support.join(referrals, "referral_id")
    move_on = support.filter(pc.and_(pc.equal(support.column("cg_outcome"), "Positive"),
                                     pc.and_(pc.equal(support.column("start_date"), support.column("cg_date")),
                                             pc.is_valid(support.column("end_date")))))
    start, end = _days(move_on.column("start_date")), _days(move_on.column("end_date"))
    assert len(start) > 10
    assert (end - start >= days_in_force("move_on_support_min_days", start)).all()


def test_linkage_profile_gives_input_and_truth_for_every_referral() -> None:
    made = generate(Profile.LINKAGE, n=1500, seed=8, start=START, end=END)
    assert made.extract is not None
    assert made.linkage_input is not None
    assert made.truth is not None
    assert made.linkage_input.schema.equals(LINKAGE_INPUT)
    ids = made.extract.referrals.column("referral_id").to_pylist()
    assert made.linkage_input.column("referral_id").to_pylist() == ids
    assert sorted(made.truth.column("referral_id").to_pylist()) == sorted(ids)
    assert len(made.truth.column("person").unique()) < len(ids)  # some people are referred again


def test_queue_profile_recovery_period_and_cg_dates_follow_policy() -> None:
    cases = generate(Profile.QUEUE, n=3000, seed=6, start=date(2019, 5, 1), end=date(2025, 6, 30)).cases
    assert len(cases) == 3000
    recovering = [c for c in cases if c.rg_date is not None and c.state not in RG_NEGATIVE]
    every_value = {int(s.value) for s in policy.schedule("recovery_period_days")}
    every_value |= {int(s.value) for s in policy.schedule("recovery_period_days.scotland")}
    assert {c.recovery_period_days for c in recovering} == every_value
    for c in recovering:
        assert c.rg_date is not None
        assert c.recovery_period_days == policy.recovery_period_days(on=c.rg_date, nation=c.nation)
    concluded = [c for c in cases if c.state in CG_DECIDED and c.cg_date is not None]
    assert concluded
    for c in concluded:
        assert c.rg_date is not None
        assert c.cg_date is not None
        assert c.recovery_period_days is not None
        assert c.cg_date >= c.rg_date + timedelta(days=c.recovery_period_days)
