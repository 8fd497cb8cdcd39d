"""Dated policy values for vectorised code: the statistics and the synthetic data apply the
same values as the service (:mod:`nrm.core.policy`), to many dates at once.

Dates are day numbers (days since 1970-01-01, the Arrow ``date32`` representation)."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from nrm.core import policy

__all__ = ["days_in_force", "describe_days", "sql_days_in_force"]

_EPOCH = date(1970, 1, 1).toordinal()


def _day_number(d: date) -> int:
    return d.toordinal() - _EPOCH


def days_in_force(key: str, days: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The whole-number value of policy ``key`` in force on each day number in ``days``
    (the first value for days before the policy's first entry)."""
    steps = policy.schedule(key)
    bounds = np.array([_day_number(s.effective_from) for s in steps[1:]], dtype=np.int64)
    values = np.array([int(s.value) for s in steps], dtype=np.int64)
    return values[np.searchsorted(bounds, np.asarray(days, dtype=np.int64), side="right")]


def sql_days_in_force(key: str, column: str) -> str:
    """A SQL ``CASE`` giving the whole-number value of policy ``key`` in force on the date in ``column``."""
    parts = []
    for s in policy.schedule(key):
        cond = f"{column} >= DATE '{s.effective_from.isoformat()}'"
        if s.effective_to is not None:
            cond += f" AND {column} < DATE '{s.effective_to.isoformat()}'"
        parts.append(f"WHEN {cond} THEN {int(s.value)}")
    return "CASE " + " ".join(parts) + " ELSE NULL END"


def describe_days(key: str) -> str:
    """Policy ``key``'s values in words, for messages: ``45 days before 30 January 2023, 30 after``."""
    steps = policy.schedule(key)
    if len(steps) == 1:
        return f"{steps[0].value} days"
    words = [f"{steps[0].value} days before {steps[1].effective_from:%-d %B %Y}"]
    words += [f"{s.value} from {s.effective_from:%-d %B %Y}" for s in steps[1:-1]]
    words.append(f"{steps[-1].value} after" if len(steps) == 2 else f"{steps[-1].value} from {steps[-1].effective_from:%-d %B %Y}")
    return ", ".join(words)
