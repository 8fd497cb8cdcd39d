from __future__ import annotations

from datetime import date

import pytest

from nrm.analytics.engine import series_quarters
from nrm.analytics.periods import Period, PeriodError, Quarter, parse_period, quarter_of, quarters_between


def test_parse_quarter() -> None:
    p = parse_period("2023-Q4")
    assert p == Period(2023, 4)
    assert p.is_quarter
    assert p.start == date(2023, 10, 1)
    assert p.end == date(2023, 12, 31)
    assert p.label == "2023-Q4"
    assert p.title == "October to December 2023"
    assert [q.label for q in p.quarters()] == ["2023-Q4"]
    assert parse_period(" 2023-q1 ") == Period(2023, 1)


def test_parse_year() -> None:
    p = parse_period("2023")
    assert p == Period(2023)
    assert not p.is_quarter
    assert (p.start, p.end) == (date(2023, 1, 1), date(2023, 12, 31))
    assert [q.label for q in p.quarters()] == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]
    assert p.title == "January to December 2023"


@pytest.mark.parametrize(
    "text", ["2023-Q5", "2023-Q0", "2023Q4", "23-Q4", "Q4 2023", "2023-12", "", "2023-Q4-1", "abcd"]
)
def test_bad_periods_are_rejected_clearly(text: str) -> None:
    with pytest.raises(PeriodError, match=r"expected a quarter like '2023-Q4'|quarter number"):
        parse_period(text)


def test_comparison_is_same_quarter_last_year() -> None:
    assert parse_period("2023-Q1").comparison() == Period(2022, 1)
    assert parse_period("2023").comparison() == Period(2022)


def test_quarters() -> None:
    assert Quarter(2023, 1).end == date(2023, 3, 31)
    assert Quarter(2024, 1).end == date(2024, 3, 31)
    assert Quarter(2023, 4).next() == Quarter(2024, 1)
    assert Quarter(2024, 1).previous() == Quarter(2023, 4)
    assert Quarter(2024, 1).shift(-5) == Quarter(2022, 4)
    assert quarter_of(date(2023, 8, 15)) == Quarter(2023, 3)
    assert len(quarters_between(Quarter(2022, 3), Quarter(2023, 2))) == 4
    assert quarters_between(Quarter(2023, 2), Quarter(2022, 3)) == []


def test_series_covers_comparison() -> None:
    s = series_quarters(parse_period("2023-Q4"), 8)
    assert (s[0].label, s[-1].label, len(s)) == ("2022-Q1", "2023-Q4", 8)
    s = series_quarters(parse_period("2023"), 4)
    assert (s[0].label, s[-1].label) == ("2022-Q1", "2023-Q4")
