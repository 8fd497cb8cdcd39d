"""Working days for targets shown in lists, in constant time.

``nrm.core.workdays.working_days_between`` walks day by day, which is fine for one case but
not for a page of cases whose targets are years apart. This computes the same number by
arithmetic: weekdays in whole weeks, the few days left over, minus the bank holidays of the
nation that fall on weekdays in between (tested equal to the core function).
"""

from __future__ import annotations

from datetime import date, timedelta

from nrm.core.workdays import is_working_day


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


def working_days_between(start: date, end: date, nation: str = "england") -> int:
    """Working days after ``start`` up to and including ``end``; negative if ``end`` is earlier."""
    if end < start:
        return -working_days_between(end, start, nation)
    holidays_on_weekdays = 0
    for year in range(start.year, end.year + 1):
        for holiday in _weekday_holidays(nation, year):
            if start < holiday <= end:
                holidays_on_weekdays += 1
    return _weekdays_after(start, end) - holidays_on_weekdays


_CACHE: dict[tuple[str, int], tuple[date, ...]] = {}


def _weekday_holidays(nation: str, year: int) -> tuple[date, ...]:
    key = (nation, year)
    found = _CACHE.get(key)
    if found is None:
        day = date(year, 1, 1)
        days: list[date] = []
        while day.year == year:
            if day.weekday() < 5 and not is_working_day(day, nation):
                days.append(day)
            day += timedelta(days=1)
        found = _CACHE[key] = tuple(days)
    return found
