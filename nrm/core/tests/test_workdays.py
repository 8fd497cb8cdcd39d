from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrm.core.workdays import add_working_days, is_working_day, working_days_between


def test_weekends_are_skipped() -> None:
    # Friday 7 June 2024 + 5 working days = Friday 14 June 2024
    assert add_working_days(date(2024, 6, 7), 5) == date(2024, 6, 14)


def test_bank_holidays_differ_by_nation() -> None:
    # 5 August 2024 is a bank holiday in Scotland only; 26 August 2024 in England only.
    assert not is_working_day(date(2024, 8, 5), "scotland")
    assert is_working_day(date(2024, 8, 5), "england")
    assert not is_working_day(date(2024, 8, 26), "england")
    assert is_working_day(date(2024, 8, 26), "scotland")
    # St Patrick's Day (Monday 17 March 2025) in Northern Ireland only.
    assert not is_working_day(date(2025, 3, 17), "northern_ireland")
    assert is_working_day(date(2025, 3, 17), "wales")


def test_rg_target_across_christmas() -> None:
    # Referral on Monday 23 December 2024: 25, 26 Dec and 1 Jan are holidays in England.
    assert add_working_days(date(2024, 12, 23), 5, "england") == date(2025, 1, 2)


def test_working_days_between_is_the_inverse_of_adding() -> None:
    start = date(2023, 3, 1)
    for days in range(0, 30):
        assert working_days_between(start, add_working_days(start, days)) == days
    assert working_days_between(date(2024, 6, 14), date(2024, 6, 7)) == -5


def test_unknown_nation_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Unknown nation"):
        is_working_day(date(2024, 1, 2), "atlantis")


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)),
       st.integers(min_value=-800, max_value=800),
       st.sampled_from(["england", "wales", "scotland", "northern_ireland"]))
def test_counting_by_arithmetic_equals_counting_day_by_day(start: date, offset: int, nation: str) -> None:
    end = start + timedelta(days=offset)
    low, high = min(start, end), max(start, end)
    by_day = sum(1 for n in range(1, (high - low).days + 1) if is_working_day(low + timedelta(days=n), nation))
    assert working_days_between(start, end, nation) == (by_day if end >= start else -by_day)
