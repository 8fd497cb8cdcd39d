"""Working days, counting the bank holidays of the UK nation where a case sits."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

# Nation codes used across the service, mapped to the holidays package's subdivisions.
NATIONS = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern_ireland": "NIR",
}


@lru_cache(maxsize=64)
def _bank_holidays(nation: str, year: int) -> frozenset[date]:
    try:
        subdivision = NATIONS[nation]
    except KeyError:
        raise ValueError(f"Unknown nation {nation!r}: use one of {', '.join(NATIONS)}") from None
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year).keys())


def is_working_day(day: date, nation: str = "england") -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(nation, day.year)


def add_working_days(start: date, days: int, nation: str = "england") -> date:
    """The date ``days`` working days after ``start`` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current, nation):
            remaining -= 1
    return current


def _weekdays_after(start: date, end: date) -> int:
    """Weekdays in (start, end], for start <= end."""
    weeks, extra = divmod((end - start).days, 7)
    count = weeks * 5
    day = start + timedelta(days=weeks * 7)
    for _ in range(extra):
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return count


@lru_cache(maxsize=256)
def _weekday_holidays(nation: str, year: int) -> tuple[date, ...]:
    return tuple(sorted(d for d in _bank_holidays(nation, year) if d.weekday() < 5))


def working_days_between(start: date, end: date, nation: str = "england") -> int:
    """Working days after ``start`` up to and including ``end``; negative if end is earlier.

    Constant time in the span (weekdays by arithmetic, less the nation's bank holidays that
    fall on weekdays), so a page of cases whose dates are years apart stays fast."""
    if end < start:
        return -working_days_between(end, start, nation)
    holidays_on_weekdays = sum(
        1 for year in range(start.year, end.year + 1) for day in _weekday_holidays(nation, year) if start < day <= end
    )
    return _weekdays_after(start, end) - holidays_on_weekdays
