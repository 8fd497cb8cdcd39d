"""The standard of proof each decision applies, as dated data (``data/decision_standards.csv``).

The reasonable grounds threshold changed wording twice in 2023; a decision records the
standard in force on its date, so a 2022 case is decided by the 2022 test.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from nrm.core.errors import ServiceError

STANDARDS_FILE = Path(__file__).parent / "data" / "decision_standards.csv"


@dataclass(frozen=True)
class Standard:
    code: str
    stage: str
    label: str
    effective_from: date
    effective_to: date | None  # exclusive
    source: str

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


@lru_cache(maxsize=1)
def standards() -> tuple[Standard, ...]:
    with STANDARDS_FILE.open(newline="", encoding="utf-8") as handle:
        return tuple(
            Standard(
                code=row["code"],
                stage=row["stage"],
                label=row["label"],
                effective_from=date.fromisoformat(row["effective_from"]),
                effective_to=date.fromisoformat(row["effective_to"]) if row["effective_to"] else None,
                source=row["source"],
            )
            for row in csv.DictReader(handle)
        )


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
