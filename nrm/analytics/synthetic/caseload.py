"""A case load for load tests: cases received every day from ``start`` to ``today``, each in a
lifecycle state plausible for its age, with the decision dates that state implies.

Intake grows over time (about three times from 2019 to now); the older a case, the likelier it
is closed. Recovery periods and the earliest CG dates follow the dated policy registry. The
generator's ``queue`` profile (:mod:`nrm.analytics.synthetic.generator`) uses it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from nrm.core import policy

__all__ = ["CG_DECIDED", "CG_NEGATIVE", "RG_DECIDED", "RG_NEGATIVE", "CaseLoadCase", "case_load"]

OPEN_BY_AGE = ((30, 0.95), (180, 0.6), (365, 0.35), (730, 0.2), (10**6, 0.05))
NATIONS = (("england", 0.82), ("scotland", 0.1), ("wales", 0.05), ("northern_ireland", 0.03))
RG_DECIDED = frozenset({"rg_under_review", "negative_rg", "positive_rg", "awaiting_cg", "cg_under_review",
                        "cg_referred_back", "cg_reconsideration", "negative_cg", "positive_cg", "disqualified",
                        "closed", "rg_referred_back", "rg_reconsideration"})
RG_NEGATIVE = frozenset({"rg_under_review", "negative_rg", "rg_referred_back", "rg_reconsideration"})
CG_DECIDED = frozenset({"cg_under_review", "cg_referred_back", "cg_reconsideration", "negative_cg", "positive_cg",
                        "closed"})
CG_NEGATIVE = frozenset({"cg_under_review", "cg_referred_back", "cg_reconsideration", "negative_cg"})
CLOSED = frozenset({"positive_cg", "negative_rg", "negative_cg", "withdrawn", "disqualified", "closed"})


@dataclass(frozen=True, kw_only=True)
class CaseLoadCase:
    received_on: date
    state: str
    nation: str
    competent_authority: str
    rg_date: date | None
    cg_date: date | None
    recovery_period_days: int | None
    is_child: bool
    safety_risk: bool
    suspended_from: str

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for value, weight in weighted:
        x -= weight
        if x <= 0:
            return value
    return weighted[-1][0]


def _open_state(rng: random.Random, age: int) -> str:
    if rng.random() < 0.02:
        return "suspended"
    if age < 20:
        return _pick(rng, (("awaiting_rg", 0.82), ("rg_under_review", 0.05), ("positive_rg", 0.1),
                           ("rg_referred_back", 0.01), ("rg_reconsideration", 0.02)))
    if age < 60:
        return _pick(rng, (("positive_rg", 0.6), ("awaiting_rg", 0.25), ("rg_under_review", 0.05),
                           ("awaiting_cg", 0.1)))
    return _pick(rng, (("awaiting_cg", 0.86), ("cg_under_review", 0.05), ("cg_referred_back", 0.02),
                       ("cg_reconsideration", 0.02), ("awaiting_rg", 0.05)))


def _state_for(rng: random.Random, age: int) -> str:
    p_open = next(p for limit, p in OPEN_BY_AGE if age < limit)
    if rng.random() < p_open:
        return _open_state(rng, age)
    return _pick(rng, (("positive_cg", 0.55), ("negative_rg", 0.1), ("negative_cg", 0.1), ("withdrawn", 0.1),
                       ("disqualified", 0.01), ("closed", 0.14)))


def _has_rg(rng: random.Random, state: str, age: int) -> bool:
    return state in RG_DECIDED or (state == "suspended" and age > 30) or (state == "withdrawn" and rng.random() < .6)


def _case(rng: random.Random, age: int, today: date) -> CaseLoadCase:
    received = today - timedelta(days=age)
    state = _state_for(rng, age)
    nation = _pick(rng, NATIONS)
    authority = "SCA" if rng.random() < 0.85 else "IECA"
    rg_date = cg_date = None
    recovery = None
    if _has_rg(rng, state, age):
        rg_date = min(today, received + timedelta(days=rng.randint(2, max(3, min(age, 60)))))
        if state not in RG_NEGATIVE:
            recovery = policy.recovery_period_days(on=rg_date, nation=nation)
    if state in CG_DECIDED and rg_date is not None and recovery is not None:
        earliest = rg_date + timedelta(days=recovery)
        if earliest > today:
            state = "awaiting_cg"  # the recovery period has not run yet: no CG decision can have been made
        else:
            cg_date = earliest + timedelta(days=rng.randint(0, (today - earliest).days))
    return CaseLoadCase(
        received_on=received, state=state, nation=nation, competent_authority=authority, rg_date=rg_date,
        cg_date=cg_date, recovery_period_days=recovery, is_child=rng.random() < 0.45,
        safety_risk=rng.random() < 0.08,
        suspended_from=("awaiting_cg" if age > 60 else "awaiting_rg") if state == "suspended" else "",
    )


def case_load(n: int, *, seed: int, start: date, today: date) -> Iterator[CaseLoadCase]:
    """``n`` cases received from ``start`` to ``today``, in the same order for the same arguments."""
    rng = random.Random(seed)
    days = (today - start).days
    for _ in range(n):
        # intake grows over time: sample the case's age with a linear ramp
        yield _case(rng, int(days * (1 - (rng.random() ** 0.75))), today)
