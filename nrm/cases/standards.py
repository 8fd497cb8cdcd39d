"""The standard of proof each decision applies, as dated data (``data/decision_standards.csv``).

The reasonable grounds threshold changed wording twice in 2023; a decision records the
standard in force on its date, so a 2022 case is decided by the 2022 test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from nrm.core.errors import ServiceError
from nrm.core.policy import InForce, read_dated

STANDARDS_FILE = Path(__file__).parent / "data" / "decision_standards.csv"


@dataclass(frozen=True, kw_only=True)
class Standard(InForce):
    code: str
    stage: str
    label: str
    source: str


@lru_cache(maxsize=1)
def standards() -> tuple[Standard, ...]:
    return read_dated(STANDARDS_FILE, Standard)


def standard_in_force(stage: str, *, on: date) -> Standard:
    matches = [s for s in standards() if s.stage == stage and s.in_force(on)]
    if len(matches) != 1:
        raise LookupError(f"Expected one {stage} standard in force on {on.isoformat()}, found {len(matches)}")
    return matches[0]


def standard_resolve(stage: str, given: str, *, on: date) -> Standard:
    """The standard in force on ``on``, if ``given`` names it (by code or wording); else a clear error."""
    current = standard_in_force(stage, on=on)
    if given.strip() in {current.code, current.label}:
        return current
    raise ServiceError(
        f"The standard in force on {on.day} {on:%B %Y} is: {current.label}. Apply that standard.",
        field="standard_applied",
    )
