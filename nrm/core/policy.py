"""Policy registry: every rule that has changed over time, with the dates it was in force.

The values live in ``nrm/core/data/policy.csv``. A rule is looked up for a date, so a
2021 case is decided by 2021 rules and a 2024 case by 2024 rules::

    recovery_period_days(on=rg_date)
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

POLICY_FILE = Path(__file__).parent / "data" / "policy.csv"
# Policy that differs by area (a local authority's GSS code, or a nation): ``key.AREA`` rows, read by
# :func:`for_area`. Apart only to keep the main file readable; the registry is the two together.
AREA_POLICY_FILE = Path(__file__).parent / "data" / "policy_by_area.csv"


@dataclass(frozen=True, kw_only=True)
class InForce:
    """A row of dated data: in force from ``effective_from`` until ``effective_to`` (exclusive)."""

    effective_from: date
    effective_to: date | None

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


def read_dated[T: InForce](path: Path, build: Callable[..., T]) -> tuple[T, ...]:
    """Every row of a dated CSV file (columns ``effective_from``, ``effective_to`` and others),
    built with ``build(**row)``: the one reader for policy, standards and other dated rules."""

    def row_values(row: dict[str, str]) -> dict[str, Any]:
        return {
            **row,
            "effective_from": date.fromisoformat(row["effective_from"]),
            "effective_to": date.fromisoformat(row["effective_to"]) if row["effective_to"] else None,
        }

    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(build(**row_values(row)) for row in csv.DictReader(handle))


@dataclass(frozen=True, kw_only=True)
class PolicyEntry(InForce):
    key: str
    value: str
    source: str


class PolicyNotInForce(LookupError):
    pass


@lru_cache(maxsize=1)
def entries() -> tuple[PolicyEntry, ...]:
    return read_dated(POLICY_FILE, PolicyEntry) + read_dated(AREA_POLICY_FILE, PolicyEntry)


def entry(key: str, *, on: date) -> PolicyEntry:
    matches = [e for e in entries() if e.key == key and e.in_force(on)]
    if not matches:
        raise PolicyNotInForce(f"No policy {key!r} in force on {on.isoformat()}")
    if len(matches) > 1:
        raise PolicyNotInForce(f"Policy {key!r} has overlapping entries on {on.isoformat()}")
    return matches[0]


def effective_from(key: str, value: str) -> date:
    """The date from which policy ``key`` first took ``value``, for code that needs the date of
    a change (series breaks, synthetic data) rather than the value on a date."""
    for e in sorted(entries(), key=lambda e: e.effective_from):
        if e.key == key and e.value == value:
            return e.effective_from
    raise PolicyNotInForce(f"Policy {key!r} never had the value {value!r}")


def value(key: str, *, on: date) -> str:
    return entry(key, on=on).value


def int_value(key: str, *, on: date) -> int:
    return int(value(key, on=on))


def for_nation(key: str, *, nation: str | None, on: date) -> str:
    """Policy ``key`` for a nation: its own entry (``key.nation``) where one is in force, else the
    entry for the whole of the UK. Devolved rules are data, not code branches."""
    if nation is not None and any(e.key == f"{key}.{nation}" and e.in_force(on) for e in entries()):
        return value(f"{key}.{nation}", on=on)
    return value(key, on=on)


def for_area(key: str, *, area: str | None, nation: str | None, on: date) -> str | None:
    """Policy ``key`` for a place: the area's own entry (``key.AREA``, an area being a local
    authority's GSS code), else its nation's (``key.nation``), else the UK-wide entry (``key``);
    None where none is in force on ``on`` (the arrangement does not cover the place that day)."""
    for candidate in (f"{key}.{area}" if area else None, f"{key}.{nation}" if nation else None, key):
        if candidate is not None and any(e.key == candidate and e.in_force(on) for e in entries()):
            return value(candidate, on=on)
    return None


def values_of(prefix: str) -> frozenset[str]:
    """Every value any ``prefix.*`` entry has ever had (for example every organisation the
    registry names as a children's decision panel)."""
    return frozenset(e.value for e in entries() if e.key.startswith(f"{prefix}."))


def recovery_period_days(*, on: date, nation: str | None = None) -> int:
    """Minimum recovery period after a positive RG made on ``on`` in ``nation`` (Scotland sets its own)."""
    return int(for_nation("recovery_period_days", nation=nation, on=on))


def rg_target_working_days(*, on: date) -> int:
    return int_value("rg_target_working_days", on=on)


def child_panel_rg_target_days(*, on: date) -> int:
    """Calendar days a devolved children's decision panel has for the RG decision."""
    return int_value("child_panel_rg_target_days", on=on)


def independent_review_mode(*, on: date) -> str:
    """'panel', 'second_line' or 'none' for a negative decision made on ``on``."""
    return value("independent_review_mode", on=on)


def move_on_support_min_days(*, on: date) -> int:
    return int_value("move_on_support_min_days", on=on)


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step of a policy's schedule: ``value`` in force from ``effective_from``."""

    effective_from: date
    effective_to: date | None
    value: str


def schedule(key: str) -> tuple[Step, ...]:
    """Every value policy ``key`` has had, oldest first, for vectorised code (statistics,
    synthetic data) that must apply the same dated values as :func:`value` to many dates at once.

    The steps are contiguous: each ends where the next begins, so a date maps to exactly one step.
    """
    steps = tuple(
        Step(effective_from=e.effective_from, effective_to=e.effective_to, value=e.value)
        for e in sorted((e for e in entries() if e.key == key), key=lambda e: e.effective_from)
    )
    if not steps:
        raise PolicyNotInForce(f"No policy {key!r}")
    for earlier, later in pairwise(steps):
        if earlier.effective_to != later.effective_from:
            raise PolicyNotInForce(f"Policy {key!r} has a gap or overlap at {later.effective_from.isoformat()}")
    return steps
