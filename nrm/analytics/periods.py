"""Reporting periods for the NRM publication: calendar quarters and calendar years.

A period is written ``2023-Q4`` (a quarter) or ``2023`` (a year). Quarters are
calendar quarters (Q1 is January to March). The comparison period of a quarter is
the same quarter a year earlier; of a year, the year before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "Period",
    "PeriodError",
    "Quarter",
    "parse_period",
    "quarter_of",
    "quarters_between",
]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_QUARTER_RE = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")
_MIN_YEAR = 1900
_MAX_YEAR = 9998


class PeriodError(ValueError):
    """A period string that is not ``YYYY-QN`` or ``YYYY``."""


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise PeriodError(f"quarter number must be 1 to 4, not {self.number}")

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The last day of the quarter (inclusive)."""
        nxt = self.next()
        return nxt.start - timedelta(days=1)

    @property
    def label(self) -> str:
        """The machine-readable label, ``2023-Q4``."""
        return f"{self.year}-Q{self.number}"

    @property
    def code(self) -> int:
        """``year * 10 + quarter``, the integer the engine groups by."""
        return self.year * 10 + self.number

    @property
    def title(self) -> str:
        """The label readers see, ``October to December 2023``."""
        first = _MONTHS[3 * self.number - 3]
        last = _MONTHS[3 * self.number - 1]
        return f"{first} to {last} {self.year}"

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def shift(self, quarters: int) -> Quarter:
        index = self.year * 4 + (self.number - 1) + quarters
        return Quarter(index // 4, index % 4 + 1)

    def __str__(self) -> str:
        return self.label


def quarter_of(day: date) -> Quarter:
    """The quarter a date falls in."""
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive (empty if ``last`` is earlier)."""
    out: list[Quarter] = []
    q = first
    while q <= last:
        out.append(q)
        q = q.next()
    return out


@dataclass(frozen=True)
class Period:
    """A reporting period: one calendar quarter (``quarter`` set) or one calendar year."""

    year: int
    quarter: int | None = None

    def __post_init__(self) -> None:
        if not _MIN_YEAR <= self.year <= _MAX_YEAR:
            raise PeriodError(f"year {self.year} is out of range")
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise PeriodError(f"quarter number must be 1 to 4, not {self.quarter}")

    @property
    def is_quarter(self) -> bool:
        return self.quarter is not None

    @property
    def kind(self) -> str:
        return "quarter" if self.is_quarter else "year"

    def quarters(self) -> list[Quarter]:
        """The quarters in the period, in order."""
        if self.quarter is not None:
            return [Quarter(self.year, self.quarter)]
        return [Quarter(self.year, n) for n in range(1, 5)]

    @property
    def first_quarter(self) -> Quarter:
        return self.quarters()[0]

    @property
    def last_quarter(self) -> Quarter:
        return self.quarters()[-1]

    @property
    def start(self) -> date:
        return self.first_quarter.start

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        return self.last_quarter.end

    def comparison(self) -> Period:
        """The same quarter last year, or the previous year."""
        return Period(self.year - 1, self.quarter)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        """``2023-Q4`` or ``2023``: the form :func:`parse_period` reads."""
        if self.quarter is not None:
            return f"{self.year}-Q{self.quarter}"
        return str(self.year)

    @property
    def title(self) -> str:
        """``October to December 2023`` or ``January to December 2023``."""
        if self.quarter is not None:
            return Quarter(self.year, self.quarter).title
        return f"January to December {self.year}"

    @property
    def slug(self) -> str:
        return self.label.lower().replace("-", "_")

    def __str__(self) -> str:
        return self.label


def parse_period(text: str) -> Period:
    """Parse ``2023-Q4`` (a quarter) or ``2023`` (a calendar year).

    Raises :class:`PeriodError` with a message that says what was expected.
    """
    if not isinstance(text, str):
        raise PeriodError(f"period must be a string like '2023-Q4' or '2023', not {text!r}")
    value = text.strip()
    m = _QUARTER_RE.match(value)
    if m:
        return Period(int(m.group(1)), int(m.group(2)))
    m = _YEAR_RE.match(value)
    if m:
        return Period(int(m.group(1)))
    raise PeriodError(f"invalid period {text!r}: expected a quarter like '2023-Q4' (Q1 to Q4) or a year like '2023'")
