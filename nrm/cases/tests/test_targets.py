"""Working days for targets: the fast calculation equals the core calendar's (no database)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)),
       st.integers(min_value=-800, max_value=800),
       st.sampled_from(["england", "wales", "scotland", "northern_ireland"]))
def test_fast_working_days_match_the_core_calendar(start: date, offset: int, nation: str) -> None:
    from nrm.cases.targets import working_days_between as fast
    from nrm.core.workdays import working_days_between as slow

    end = start + timedelta(days=offset)
    assert fast(start, end, nation) == slow(start, end, nation)
