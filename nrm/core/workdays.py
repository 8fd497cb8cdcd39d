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


def working_days_between(start: date, end: date, nation: str = "england") -> int:
    """Working days after ``start`` up to and including ``end``; negative if end is earlier."""
    if end < start:
        return -working_days_between(end, start, nation)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current, nation):
            count += 1
    return count
