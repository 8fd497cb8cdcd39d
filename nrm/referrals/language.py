"""Language guidance: words in an account that suggest compliance rather than victimisation.

The word list is data (``data/language_guidance.csv``: term, the word forms that match it,
a plain-English reason and factual wording to use instead). The same patterns are sent to the
browser, so the flags shown as the user types are the ones shown after saving. Guidance never
blocks anything: it only advises.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

GUIDANCE_FILE = Path(__file__).parent / "data" / "language_guidance.csv"


@dataclass(frozen=True)
class GuidanceTerm:
    term: str
    forms: tuple[str, ...]
    reason: str
    instead: str

    @property
    def pattern(self) -> str:
        """A regular expression that Python and JavaScript read the same way."""
        alternatives = sorted(self.forms, key=len, reverse=True)
        escaped = [re.escape(form).replace(r"\ ", r"\s+").replace(r"\-", "[-\\s]?") for form in alternatives]
        return r"\b(?:" + "|".join(escaped) + r")\b"


@dataclass(frozen=True)
class LanguageFlag:
    term: str
    found: str  # the words as the user wrote them (first occurrence)
    count: int
    reason: str
    instead: str


@lru_cache(maxsize=1)
def guidance_terms() -> tuple[GuidanceTerm, ...]:
    with GUIDANCE_FILE.open(newline="", encoding="utf-8") as handle:
        return tuple(
            GuidanceTerm(
                term=row["term"].strip(),
                forms=tuple(f.strip().lower() for f in row["forms"].split(";") if f.strip()),
                reason=row["reason"].strip(),
                instead=row["instead"].strip(),
            )
            for row in csv.DictReader(handle)
        )


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def language_flags(text: str) -> list[LanguageFlag]:
    """The guidance terms found in ``text``, in the order of the word list."""
    flags: list[LanguageFlag] = []
    if not text:
        return flags
    for term in guidance_terms():
        matches = list(_compiled(term.pattern).finditer(text))
        if matches:
            flags.append(LanguageFlag(term.term, matches[0].group(0), len(matches), term.reason, term.instead))
    return flags


def guidance_for_browser() -> list[dict[str, Any]]:
    """The word list as the page's JavaScript reads it (embedded as JSON, never executed)."""
    return [{"term": t.term, "pattern": t.pattern, "reason": t.reason, "instead": t.instead} for t in guidance_terms()]
