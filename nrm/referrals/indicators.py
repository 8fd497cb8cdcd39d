"""Indicator checklists for each exploitation type, from ``data/indicators.csv``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

INDICATORS_FILE = Path(__file__).parent / "data" / "indicators.csv"


@dataclass(frozen=True)
class Indicator:
    exploitation_type: str
    code: str
    text: str


@lru_cache(maxsize=1)
def indicators() -> tuple[Indicator, ...]:
    with INDICATORS_FILE.open(newline="", encoding="utf-8") as handle:
        return tuple(Indicator(r["exploitation_type"], r["code"], r["text"]) for r in csv.DictReader(handle))


def indicators_by_type() -> dict[str, list[Indicator]]:
    grouped: dict[str, list[Indicator]] = {}
    for indicator in indicators():
        grouped.setdefault(indicator.exploitation_type, []).append(indicator)
    return grouped
