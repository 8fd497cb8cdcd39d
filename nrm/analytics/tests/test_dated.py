"""Vectorised dated policy gives, for every day, the value the service reads from the registry."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pytest

from nrm.analytics.dated import days_in_force, describe_days, sql_days_in_force
from nrm.core import policy

KEYS = ("recovery_period_days", "move_on_support_min_days", "rg_target_working_days")


def _days_around_changes(key: str) -> list[date]:
    """Every change of ``key``, the day before it, and a day long before and long after."""
    changes = [s.effective_from for s in policy.schedule(key)]
    days = {d + timedelta(days=k) for d in changes for k in (-1, 0, 1)} | {changes[0], date(2040, 1, 1)}
    return sorted(d for d in days if d >= changes[0])


def _number(d: date) -> int:
    return (d - date(1970, 1, 1)).days


@pytest.mark.parametrize("key", KEYS)
def test_days_in_force_matches_the_registry(key: str) -> None:
    days = _days_around_changes(key)
    got = days_in_force(key, np.array([_number(d) for d in days]))
    assert got.tolist() == [policy.int_value(key, on=d) for d in days]


@pytest.mark.parametrize("key", KEYS)
def test_sql_matches_the_registry(key: str) -> None:
    days = _days_around_changes(key)
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT {sql_days_in_force(key, 'd')} FROM unnest(?::DATE[]) AS t(d) ORDER BY d",  # noqa: S608 (policy data)
        [days],
    ).fetchall()
    assert [r[0] for r in rows] == [policy.int_value(key, on=d) for d in days]


def test_describe_days_names_every_value_and_change() -> None:
    text = describe_days("recovery_period_days")
    for s in policy.schedule("recovery_period_days"):
        assert s.value in text
    for s in policy.schedule("recovery_period_days")[1:]:
        assert f"{s.effective_from:%-d %B %Y}" in text
    assert describe_days("rg_target_working_days") == f"{policy.schedule('rg_target_working_days')[0].value} days"
