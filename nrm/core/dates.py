"""The one check of a GOV.UK date input (day, month and year boxes), with the Design System's
error messages. Pure Python: the referral journey, Django forms and the API all use it.

Each box is read as typed; a part is a number only if it is made of ASCII digits of a sensible
length, so no input (a year of 99999999999, ``1_000``, Arabic-Indic digits, a NUL byte) can make
the calculation overflow or fail: it is reported as a date that is not real.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

PARTS = ("day", "month", "year")
EARLIEST = date(1900, 1, 1)

_DIGITS = {"day": re.compile(r"^[0-9]{1,2}$"), "month": re.compile(r"^[0-9]{1,2}$"), "year": re.compile(r"^[0-9]+$")}
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_NAMES = {**{m: n for n, m in enumerate(_MONTHS, 1)}, **{m[:3]: n for n, m in enumerate(_MONTHS, 1)}, "sept": 9}


@dataclass(frozen=True)
class DateProblem:
    """What is wrong with a date, and which box to highlight (``parts``; the first has focus)."""

    message: str
    parts: tuple[str, ...]

    @property
    def first_part(self) -> str:
        return self.parts[0]


def _written(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def date_parts(value: object) -> dict[str, str]:
    """The three boxes of a stored or posted date, as strings ('' where missing)."""
    if not isinstance(value, Mapping):
        return dict.fromkeys(PARTS, "")
    return {part: str(value.get(part) or "").strip() for part in PARTS}


def _month(text: str) -> str:
    """A month typed as a name or its abbreviation ('Jan', 'march') as its number, as GOV.UK asks."""
    number = _MONTH_NAMES.get(text.lower().rstrip("."))
    return str(number) if number else text


def _shape_problem(label: str, parts: Mapping[str, str]) -> DateProblem | None:
    missing = tuple(p for p in PARTS if not parts[p])
    if missing:
        return DateProblem(f"{label} must include a {' and '.join(missing)}", missing)
    wrong = tuple(p for p in PARTS if not _DIGITS[p].match(parts[p]))
    if wrong:
        return DateProblem(f"{label} must be a real date", wrong)
    if len(parts["year"]) != 4:
        return DateProblem(f"{label} year must include 4 numbers", ("year",))
    return None


def parse_date(value: object) -> date | None:
    """The date typed into the three boxes, or None if it is incomplete or not a real date."""
    parts = date_parts(value)
    parts["month"] = _month(parts["month"])
    if _shape_problem("", parts) is not None:
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None


def date_problem(value: object, *, label: str, required: bool = True, required_message: str = "",
                 earliest: date | None = EARLIEST, latest: date | None = None,
                 past: bool = False, today: date | None = None) -> DateProblem | None:
    """What is wrong with a typed date, or None if it is fine (or blank and not required).

    ``label`` starts each message ("Date of birth must include a month"); ``past`` means not after
    ``today``; ``earliest`` and ``latest`` are inclusive bounds."""
    parts = date_parts(value)
    if not any(parts.values()):
        return DateProblem(required_message or f"Enter the {label.lower()}", ("day",)) if required else None
    parts["month"] = _month(parts["month"])
    shape = _shape_problem(label, parts)
    if shape is not None:
        return shape
    parsed = parse_date(parts)
    if parsed is None:
        return DateProblem(f"{label} must be a real date", ("day", "month", "year"))
    return _range_problem(parsed, label=label, earliest=earliest, latest=latest, past=past, today=today)


def _range_problem(parsed: date, *, label: str, earliest: date | None, latest: date | None, past: bool,
                   today: date | None) -> DateProblem | None:
    everything = ("day", "month", "year")
    if past and parsed > (today or date.today()):
        return DateProblem(f"{label} must be in the past", everything)
    if earliest is not None and parsed < earliest:
        return DateProblem(f"{label} must be the same as or after {_written(earliest)}", everything)
    if latest is not None and parsed > latest:
        return DateProblem(f"{label} must be the same as or before {_written(latest)}", everything)
    return None
