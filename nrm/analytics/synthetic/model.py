"""The calibrated distributions laid out over a span of quarters.

:class:`SpanModel` turns a :class:`~nrm.analytics.synthetic.calibration.Calibration` into per-quarter arrays
for a span ``start``..``end`` and a number of referrals ``n``. The generator samples from these
arrays and the calibration report computes its targets from the same arrays, so the two cannot
drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from nrm.analytics import extract_schema as xs
from nrm.analytics.synthetic.calibration import (
    FRT,
    Calibration,
    quarter_end,
    quarter_index,
    quarter_start,
)
from nrm.analytics.synthetic.headlines import load_headlines, shares_for_quarter

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    """Days since 1970-01-01 (the date32 representation)."""
    return d.toordinal() - EPOCH.toordinal()


def from_day_number(n: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(n))


def allocate(total: int, weights: F64) -> I64:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder, ties by
    position, so the result is deterministic)."""
    w = np.asarray(weights, dtype=np.float64)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=np.int64)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        order = np.lexsort((np.arange(len(w)), -(exact - base)))
        base[order[:short]] += 1
    return base


def published_mix(age_nat: F64, targets: Mapping[int, float], iterations: int = 60) -> F64:
    """P(age, nationality) of one quarter (``age_nat``, ages x nationalities) with the share of each
    nationality in ``targets`` (index -> share of all referrals) moved to the published one, each
    age's share kept: every nationality's weight within each age is scaled by one factor per
    nationality (so a nationality keeps its own age mix, and everything sampled given nationality
    follows it: exploitation type, gender, first responder), fitted by iterative proportional
    fitting."""
    p_age = age_nat.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cond = np.where(p_age[:, None] > 0, age_nat / p_age[:, None], 0.0)
    factor = np.ones(age_nat.shape[1])
    tilted = cond
    for _ in range(iterations):
        tilted = cond * factor
        tilted /= np.where(tilted.sum(axis=1, keepdims=True) > 0, tilted.sum(axis=1, keepdims=True), 1.0)
        share = p_age @ tilted
        for j, want in targets.items():
            if share[j] > 0:
                factor[j] *= want / share[j]
    out: F64 = p_age[:, None] * tilted
    return out


@dataclass
class SpanModel:
    cal: Calibration
    n: int
    start: date
    end: date
    qis: I64 = field(init=False)
    lo_day: I64 = field(init=False)  # first day of each quarter inside the span
    hi_day: I64 = field(init=False)  # last day of each quarter inside the span
    fraction: F64 = field(init=False)  # share of the quarter's days inside the span
    weight: F64 = field(init=False)  # published referrals in the part of the quarter in the span
    counts: I64 = field(init=False)  # referrals to generate in each quarter
    scale: float = field(init=False)  # generated referrals per published referral
    profile: I64 = field(init=False)  # profile index of each quarter
    age_location: F64 = field(init=False)  # (Q, 3, 4)
    nat_given_age_type: F64 = field(init=False)  # (P, 3, F, Nn)
    age_nat: F64 = field(init=False)  # (Q, 3, Nn): P(age, nationality | quarter)

    def __post_init__(self) -> None:
        cal = self.cal
        q0, q1 = quarter_index(self.start), quarter_index(self.end)
        self.qis = np.arange(q0, q1 + 1, dtype=np.int64)
        lo, hi, frac, w = [], [], [], []
        for qi in self.qis.tolist():
            a, b = quarter_start(qi), quarter_end(qi)
            lo_d, hi_d = max(a, self.start), min(b, self.end)
            lo.append(day_number(lo_d))
            hi.append(day_number(hi_d))
            f = ((hi_d - lo_d).days + 1) / ((b - a).days + 1)
            frac.append(f)
            w.append(cal.referral_volume(qi) * f)
        self.lo_day = np.array(lo, dtype=np.int64)
        self.hi_day = np.array(hi, dtype=np.int64)
        self.fraction = np.array(frac)
        self.weight = np.array(w)
        self.counts = allocate(self.n, self.weight)
        self.scale = self.n / float(self.weight.sum())
        self.profile = np.array([cal.profile_index(q) for q in self.qis.tolist()], dtype=np.int64)
        self.age_location = np.stack([cal.age_location_probs(q) for q in self.qis.tolist()])
        n_nat = len(cal.nationalities)
        self.nat_given_age_type = np.stack([p.nat_given_age_type(n_nat) for p in cal.profiles])
        p_age = self.age_location.sum(axis=2)  # (Q, 3)
        m = self.nat_given_age_type[self.profile].sum(axis=2)  # (Q, 3, Nn)
        self.age_nat = p_age[:, :, None] * m
        headlines = load_headlines(cal.data_dir)
        index = {name: i for i, name in enumerate(cal.nationalities)}
        for q, qi in enumerate(self.qis.tolist()):
            targets = {index[k]: v for k, v in shares_for_quarter(headlines, "nationality", qi).items() if k in index}
            if targets:
                self.age_nat[q] = published_mix(self.age_nat[q], targets)

    # -- helpers ---------------------------------------------------------------
    @property
    def quarter_start_days(self) -> I64:
        return np.array([day_number(quarter_start(q)) for q in self.qis.tolist()], dtype=np.int64)

    def quarter_of_day(self, days: npt.NDArray[np.integer]) -> I64:
        """Local quarter index (0 = first quarter of the span) of each day; clipped to the span."""
        qs = self.quarter_start_days
        out: I64 = np.clip(np.searchsorted(qs, days, side="right") - 1, 0, len(qs) - 1).astype(np.int64)
        return out

    @property
    def years(self) -> I64:
        return self.qis // 4

    # -- expected marginals (for the report) ---------------------------------------
    def expected_by_quarter(self) -> dict[str, F64]:
        """Expected counts per quarter: 'age' (Q,3), 'location' (Q,4), 'type' (Q,F), 'gender' (Q,4),
        'exploitation' (Q,6; a referral counts under each type it records), 'nationality' (Q,Nn)."""
        cal = self.cal
        n_q = self.counts.astype(np.float64)
        p_age = self.age_location.sum(axis=2)
        out: dict[str, F64] = {
            "age": n_q[:, None] * p_age,
            "location": n_q[:, None] * self.age_location.sum(axis=1),
            "nationality": n_q[:, None] * self.age_nat.sum(axis=1),
        }
        n_prof = len(cal.profiles)
        gender = np.zeros((n_prof, 3, len(xs.GENDERS)))
        expl = np.zeros((n_prof, 3, len(xs.EXPLOITATION_TYPES)))
        ftype = np.zeros((n_prof, 3, len(FRT)))
        for pi, p in enumerate(cal.profiles):
            tot = np.zeros((3, len(FRT)))
            np.add.at(tot, (p.cell_age, p.cell_type), p.cell_weight)
            share = np.where(tot > 0, p.fr_given_age / np.where(tot > 0, tot, 1.0), 0.0)  # per unit weight
            cw = p.cell_weight * share[p.cell_age, p.cell_type]
            np.add.at(gender[pi], (p.cell_age, p.cell_gender), cw)
            flags = cal.exploitation_flags[p.cell_expl].astype(np.float64)
            for t in range(len(xs.EXPLOITATION_TYPES)):
                np.add.at(expl[pi, :, t], p.cell_age, cw * flags[:, t])
            ftype[pi] = p.fr_given_age
        w = n_q[:, None] * p_age  # (Q, 3)
        out["gender"] = np.einsum("qa,qag->qg", w, gender[self.profile])
        out["exploitation"] = np.einsum("qa,qat->qt", w, expl[self.profile])
        out["type"] = np.einsum("qa,qaf->qf", w, ftype[self.profile])
        return out
