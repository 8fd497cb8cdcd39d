from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nrm.core import policy


@pytest.mark.parametrize(
    ("on", "days"),
    [
        (date(2019, 6, 1), 45),
        (date(2022, 6, 1), 45),
        (date(2023, 1, 29), 45),
        (date(2023, 1, 30), 30),
        (date(2023, 6, 1), 30),
    ],
)
def test_recovery_period_follows_the_rule_in_force(on: date, days: int) -> None:
    assert policy.recovery_period_days(on=on) == days


@pytest.mark.parametrize(
    ("on", "mode"),
    [
        (date(2019, 3, 31), "none"),
        (date(2019, 4, 1), "panel"),
        (date(2021, 7, 1), "panel"),
        (date(2022, 12, 31), "panel"),
        (date(2023, 1, 1), "second_line"),
        (date(2024, 5, 1), "second_line"),
    ],
)
def test_independent_review_mode_by_date(on: date, mode: str) -> None:
    assert policy.independent_review_mode(on=on) == mode


def test_fixed_targets() -> None:
    assert policy.rg_target_working_days(on=date(2024, 1, 1)) == 5
    assert policy.move_on_support_min_days(on=date(2024, 1, 1)) == 45
    assert policy.int_value("panel_outcome_target_working_days", on=date(2021, 1, 1)) == 10


def test_every_key_has_no_overlapping_periods() -> None:
    by_key: dict[str, list[policy.PolicyEntry]] = {}
    for entry in policy.entries():
        by_key.setdefault(entry.key, []).append(entry)
    for key, entries in by_key.items():
        entries.sort(key=lambda e: e.effective_from)
        for earlier, later in pairwise(entries):
            assert earlier.effective_to is not None, key
            assert earlier.effective_to <= later.effective_from, key


def test_a_date_before_any_policy_is_a_clear_error() -> None:
    with pytest.raises(policy.PolicyNotInForce, match="recovery_period_days"):
        policy.recovery_period_days(on=date(2000, 1, 1))


def test_the_date_a_policy_changed() -> None:
    assert policy.effective_from("recovery_period_days", "30") == date(2023, 1, 30)
    assert policy.effective_from("independent_review_mode", "panel") == date(2019, 4, 1)
    assert policy.effective_from("criminal_exploitation_recorded", "1") == date(2019, 10, 1)
    with pytest.raises(policy.PolicyNotInForce, match="never had"):
        policy.effective_from("recovery_period_days", "7")


@given(st.dates(min_value=date(2009, 4, 1), max_value=date(2040, 12, 31)),
       st.sampled_from(sorted({e.key for e in policy.entries()})))
def test_schedule_agrees_with_the_value_on_every_date(on: date, key: str) -> None:
    steps = [s for s in policy.schedule(key) if s.effective_from <= on and (s.effective_to is None or on < s.effective_to)]
    try:
        expected = [policy.value(key, on=on)]
    except policy.PolicyNotInForce:
        expected = []
    assert [s.value for s in steps] == expected


def test_schedule_of_an_unknown_key_is_a_clear_error() -> None:
    with pytest.raises(policy.PolicyNotInForce):
        policy.schedule("no_such_policy")
