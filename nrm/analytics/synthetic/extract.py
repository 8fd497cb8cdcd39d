"""Synthetic NRM analytical extract, calibrated to the published statistics.

All generation is vectorised with NumPy (loops run over quarters, categories or digits, never
over rows). The tables follow :mod:`nrm.analytics.extract_schema` exactly.

How a referral is made
----------------------
1. Referrals per quarter are the published quarterly shape scaled to ``n`` (largest remainder,
   so yearly totals match the target to the referral).
2. Nationality is drawn per quarter by systematic sampling (every nationality's count is within
   one of its expected value in each quarter), then shuffled within the quarter.
3. Age given quarter and nationality; location given quarter and age; first-responder type
   given age and nationality; then a published cell (organisation, exploitation combination,
   gender) given type, age and nationality. Police, local authorities and HSC trusts are
   organisations from the reference data; the force area is the first responder's own force
   when it is a police force or local authority, otherwise drawn by weight.
4. About 5% of referrals are repeat referrals of an earlier person with the same nationality,
   gender and age group (same ``person_id``); :func:`repeat_referral_truth` lists them.
5. RG decisions come out of a queue whose capacity each quarter is the published number of RG
   decisions scaled like the referrals; CG decisions out of a queue fed by positive RGs (after
   the recovery period), with the published CG decision volumes as capacity and the positive
   RGs awaiting a CG before ``start`` as the starting backlog, so the CG backlog grows through
   2019-2022 as the published figures imply and falls as 2024's decisions catch up. Outcomes
   follow the published positive rates of the decision's quarter and the person's age.
6. The status is the case's status on ``end`` (the extract date); later events are not shown.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from nrm.analytics import extract_schema as xs
from nrm.analytics.dated import days_in_force
from nrm.analytics.synthetic.calibration import (
    FRT,
    GOV,
    GUIDANCE_CHANGE,
    HSC,
    LA,
    MAAP_FROM,
    MAAP_TO,
    OTHER,
    POLICE,
    RNA_FROM,
    Calibration,
    load_calibration,
    quarter_end,
    quarter_index,
    quarter_start,
)
from nrm.analytics.synthetic.headlines import Headline, load_headlines, shares_for_quarter
from nrm.analytics.synthetic.model import SpanModel, allocate, day_number

__all__ = [
    "DEFAULT_END",
    "DEFAULT_START",
    "ROW_GROUP_SIZE",
    "ReferralArrays",
    "duty_to_notify_count",
    "generate_duty_to_notify",
    "generate_reconsiderations",
    "generate_referrals",
    "generate_reviews",
    "generate_support",
    "iter_referral_batches",
    "reconsiderations_for",
    "repeat_referral_truth",
    "reviews_for",
    "simulate_referrals",
    "support_for",
    "write_referrals",
    "write_table",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
B = npt.NDArray[np.bool_]
Arr = npt.NDArray[Any]

DEFAULT_START = date(2019, 1, 1)
DEFAULT_END = date(2024, 12, 31)
ROW_GROUP_SIZE = 1 << 20
"""Rows per Parquet row group and per generated batch (fixed, for byte-identical files)."""

REPEAT_SHARE = 0.05
WITHDRAWN_BEFORE_RG = 0.01
AFTER_POSITIVE_RG = (0.04, 0.015, 0.01)  # withdrawn, suspended, disqualified (from 2023-01-30)
RG_BASE_DAYS = (2.0, 3.5)  # gamma shape, scale: days from referral until a case is ready for RG
CG_READY_DAYS = (2.0, 15.0)  # gamma: days after the recovery period until a CG can be made
CG_PRIORITY_SPREAD = 300.0  # mean days (exponential) by which a CG case's place in the queue varies
VIRTUAL_FACTOR = 0.6
"""Share of the backlog implied by the published decisions (positive RGs less CGs since 2014) that
is taken to be still awaiting a CG at the start of the span: the implied figure ignores cases that
leave without a CG (withdrawn, missing, suspended)."""
RECOVERY = "recovery_period_days"  # policy keys (nrm/core/data/policy.csv)
MOVE_ON = "move_on_support_min_days"
MOVE_ON_EXTRA_DAYS = 60.0  # mean days (exponential) of move-on support beyond the minimum
COUNTY_LINES_RATE = np.array([0.22, 0.55, 0.35])  # of criminal exploitation in the UK, by age
IECA_RATE_GOV, IECA_RATE_OTHER = 0.75, 0.08
DTN_TYPE_SHARES = {GOV: 0.55, POLICE: 0.40, LA: 0.05}
DTN_AGE_SHARES = np.array([0.24, 0.38, 0.20, 0.10, 0.04, 0.04])

_STATUS = {s: i for i, s in enumerate(xs.CASE_STATUSES)}
AWAITING_RG, AWAITING_CG, CONCLUDED, WITHDRAWN, SUSPENDED, DISQUALIFIED = (
    _STATUS[s] for s in ("Awaiting RG", "Awaiting CG", "Concluded", "Withdrawn", "Suspended", "Disqualified")
)
POSITIVE, NEGATIVE = 0, 1
UK_LOCATIONS = np.array([loc in ("UK", "UK and Overseas") for loc in xs.LOCATIONS])
_CATEGORICAL = frozenset({
    "competent_authority", "first_responder_type", "first_responder", "age_at_exploitation", "gender",
    "nationality", "exploitation_types", "location_of_exploitation", "police_force", "region", "rg_outcome",
    "rg_reason", "cg_outcome", "cg_reason", "status", "age_band", "decision_stage", "review_kind", "outcome",
    "kind", "provider_type", "stage",
})
"""String columns written with Parquet dictionary encoding (ids and hashes are not)."""


NEAR = 4
"""Quarters without a published share of their own or their year's take the nearest one at most
this many quarters away, part of the way."""


def _near_share(headlines: tuple[Headline, ...], measure: str, category: str, qi: int,
                age: str = "") -> tuple[float, int] | None:
    """The published share nearest in time to quarter ``qi`` and how many quarters away it is (a
    year's share is as near as the nearest of its quarters; the quarter's own, then its year's,
    first); None if none is within :data:`NEAR` quarters."""

    def distance(h: Headline) -> tuple[int, int]:
        if "-Q" in h.period:
            return abs(h.year * 4 + int(h.period[-1]) - 1 - qi), 1
        first = h.year * 4
        return max(first - qi, qi - first - 3, 0), 0

    near = sorted((distance(h), h.share) for h in headlines
                  if h.measure == measure and h.category == category and h.age == age)
    if not near or near[0][0][0] > NEAR:
        return None
    return near[0][1] / 100.0, near[0][0][0]


Feature = tuple[str, str, str]
"""A published share to reach: measure, category and age at exploitation ("": all referrals)."""


def _cells_sample(u: F64, model: SpanModel, q_local: npt.NDArray[np.int32], strata: I64, age: npt.NDArray[np.int8],
                  cells: tuple[I64, F64, I64, I64, I64], features: Sequence[tuple[B, Feature]]) -> I64:
    """Cell index per row, drawn within the row's stratum, each feature (cells that have it, and the
    published share: criminal exploitation only, female, labour only of adults...) at the published
    share of each quarter where there is one near (:func:`_published_groups`)."""
    n_g = 1 << len(features)
    group = np.zeros(len(cells[0]), dtype=np.int64)
    for j, (has, _f) in enumerate(features):
        group |= has.astype(np.int64) << j
    size = int(max(cells[0].max(), strata.max())) + 1
    weight = np.stack([np.bincount(cells[0], weights=cells[1] * (group == g), minlength=size) for g in range(n_g)],
                      axis=1)
    p_group = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-300)  # (strata, groups)
    row_group, rest = _published_groups(u, model, q_local, p_group, strata, age, [f for _h, f in features])
    out = np.zeros(len(u), dtype=np.int64)
    plain = np.flatnonzero(row_group < 0)  # quarters with no published share near: drawn as they always were
    out[plain] = _sparse_sample(u[plain], strata[plain], cells[0], cells[1])
    for g in range(n_g):
        rows = np.flatnonzero(row_group == g)
        sub = np.flatnonzero(group == g)
        if len(rows):
            out[rows] = sub[_sparse_sample(rest[rows], strata[rows], cells[0][sub], cells[1][sub])]
    return out


def _published_groups(u: F64, model: SpanModel, q_local: npt.NDArray[np.int32], p_group: F64, strata: I64,
                      age: npt.NDArray[np.int8], features: Sequence[Feature]) -> tuple[I64, F64]:
    """Each row's group (bit j: it has feature j, a published measure and category) drawn from its
    stratum's ``p_group`` (strata x groups) with each feature's odds in the quarter scaled by one
    factor (:func:`_group_tilt`) so that its share is the published one; and the rest of the row's
    uniform ``u``, rescaled, for the draw within the group. Rows of quarters with no published
    share near get group -1: the caller draws them as it would without any."""
    headlines = load_headlines(model.cal.data_dir)
    n_g = p_group.shape[1]
    has_feature = np.array([[(g >> j) & 1 for j in range(len(features))] for g in range(n_g)], dtype=np.float64)
    row_group = np.full(len(u), -1, dtype=np.int64)
    rest = np.zeros(len(u))
    for q, qi in enumerate(model.qis.tolist()):
        rows = np.flatnonzero(q_local == q)
        near = [_near_share(headlines, measure, category, qi, of) for measure, category, of in features]
        if all(x is None for x in near):
            continue
        # fitted over the quarter's strata (each counted by its rows), applied to each row's
        kinds, first, which, count = np.unique(strata[rows], return_index=True, return_inverse=True,
                                               return_counts=True)
        among = np.stack([np.ones(len(kinds), dtype=bool) if not of else age[rows[first]] == xs.AGES.index(of)
                          for _m, _c, of in features], axis=1)
        probs = _group_tilt(p_group[kinds], has_feature, near, among, count.astype(np.float64))[which]
        at = np.arange(len(rows))
        cdf = np.cumsum(probs, axis=1)
        g = np.minimum((u[rows, None] >= cdf).sum(axis=1), n_g - 1)
        while np.any(bad := (probs[at, g] <= 0) & (g > 0)):  # rounding past the end: the group before
            g[bad] -= 1
        row_group[rows] = g
        lo = np.where(g > 0, cdf[at, np.maximum(g - 1, 0)], 0.0)
        rest[rows] = np.clip((u[rows] - lo) / np.maximum(probs[at, g], 1e-300), 0.0, 1.0)
    return row_group, rest


def _group_tilt(p: F64, has_feature: F64, near: Sequence[tuple[float, int] | None], among: B, count: F64,
                rounds: int = 4) -> F64:
    """Strata's group probabilities ``p`` (strata x groups) with each feature's odds scaled by one
    factor, in the strata it is published for (``among``: strata x features), so that its share
    there, each stratum counted ``count`` times, is the published one (``near``: share and quarters
    away, or None)."""
    log_k = np.zeros(has_feature.shape[1])
    want = [(j, share, away) for j, x in enumerate(near) if x is not None and among[:, j].any()
            for share, away in (x,)]
    if not want:
        return p

    def tilted(lk: F64) -> F64:
        w = p * np.exp((among * lk[None, :]) @ has_feature.T)
        out: F64 = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)
        return out

    for _ in range(rounds):
        for j, share, _away in want:
            strata = among[:, j]
            weight, target = count[strata], share * count[strata].sum()
            lo, hi = -20.0, 20.0
            for _ in range(50):
                log_k[j] = (lo + hi) / 2
                if float(weight @ (tilted(log_k)[strata] @ has_feature[:, j])) < target:
                    lo = log_k[j]
                else:
                    hi = log_k[j]
    for j, _share, away in want:  # a quarter without its own figure moves part of the way
        log_k[j] *= 1.0 - away / (NEAR + 1)
    return tilted(log_k)


def _ieca_scale(model: SpanModel, q_local: npt.NDArray[np.int32], weight: F64) -> F64:
    """Per quarter, the factor on ``weight`` (the relative chance of each eligible referral going to
    the IECA: adults and children not of UK nationality, from government agencies far more often)
    that gives the published share of referrals sent to the IECA: the quarter's own, its year's,
    or, for a year with none published, the nearest year's."""
    headlines = load_headlines(model.cal.data_dir)
    years = sorted({h.year for h in headlines if h.measure == "competent_authority"})
    have = np.bincount(q_local, weights=weight, minlength=len(model.qis))
    out = np.zeros(len(model.qis))
    for q, qi in enumerate(model.qis.tolist()):
        share = shares_for_quarter(headlines, "competent_authority", qi).get("IECA")
        if share is None and years:
            nearest = min(years, key=lambda y: (abs(y - qi // 4), y))
            share = shares_for_quarter(headlines, "competent_authority", (nearest - qi // 4) * 4 + qi).get("IECA")
        if share is None:
            out[q] = 1.0  # nothing published: the relative chances as they are
        elif have[q] > 0:
            out[q] = share * model.counts[q] / have[q]
    return out


# ---------------------------------------------------------------------------
# Random streams and sampling


def _rng(seed: int, stream: int) -> np.random.Generator:
    """An independent generator per purpose, so changing one step leaves the others alone."""
    return np.random.default_rng([int(seed), 0x4E524D, stream])


def _dense_sample(u: F64, strata: I64, probs: F64) -> I64:
    """Category per row from P(category | stratum) (rows of ``probs``) by inverse CDF at ``u``."""
    s, k = probs.shape
    cdf = np.cumsum(probs, axis=1)
    tot = cdf[:, -1:]
    cdf = np.where(tot > 0, cdf / np.where(tot > 0, tot, 1.0), np.linspace(1.0 / k, 1.0, k)[None, :])
    cdf[:, -1] = 1.0
    if k <= 16:
        # Few categories: count the CDF steps at or below u (same result as the search below,
        # but gathers instead of a binary search per row).
        flat = cdf.ravel()
        base = strata.astype(np.int64) * k
        cat = np.zeros(len(u), dtype=np.int64)
        for j in range(k - 1):
            cat += u >= flat[base + j]
        return cat
    g = (cdf + np.arange(s, dtype=np.float64)[:, None]).ravel()
    idx = np.searchsorted(g, strata.astype(np.float64) + u, side="right")
    out: I64 = np.minimum(idx - strata * k, k - 1).astype(np.int64)
    return out


def _sparse_sample(u: F64, strata: I64, cell_stratum: I64, cell_weight: F64) -> I64:
    """Cell index per row, cells sorted by stratum, drawn with probability proportional to weight
    within the row's stratum."""
    csum = np.cumsum(cell_weight)
    first = np.searchsorted(cell_stratum, cell_stratum, side="left")
    last = np.searchsorted(cell_stratum, cell_stratum, side="right") - 1
    before = np.where(first > 0, csum[first - 1], 0.0)
    total = csum[last] - before
    within = np.where(total > 0, (csum - before) / np.where(total > 0, total, 1.0), 1.0)
    within[last == np.arange(len(within))] = 1.0
    g = cell_stratum.astype(np.float64) + within
    idx = np.searchsorted(g, strata.astype(np.float64) + u, side="right")
    out: I64 = np.minimum(idx, len(g) - 1).astype(np.int64)
    return out


def _systematic(rng: np.random.Generator, counts: I64, probs: F64) -> I64:
    """For each stratum q, ``counts[q]`` categories by systematic sampling from ``probs[q]``: each
    category's count is within one of its expectation. Rows come out sorted by stratum."""
    strata = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(strata), dtype=np.int64) - starts[strata]
    u0 = rng.random(len(counts))
    u = (pos + u0[strata]) / np.maximum(counts, 1)[strata]
    return _dense_sample(u, strata, probs)


def _shuffle_within(rng: np.random.Generator, strata: Arr) -> I64:
    """A permutation that shuffles rows within each (contiguous, ascending) stratum."""
    order: I64 = np.argsort(strata + rng.random(len(strata)), kind="stable").astype(np.int64)
    return order


def _fluid_queue(priority: F64, knots_t: F64, knots_c: F64) -> F64:
    """Departure times of unit jobs served in priority order by a server whose cumulative capacity
    is the piecewise-linear ``knots_c`` over ``knots_t`` (reflection formula of the Lindley
    recursion). A job is never served before its priority time; ``inf`` beyond the last knot."""
    if len(priority) == 0:
        return np.zeros(0)
    kc = knots_c + np.arange(len(knots_c)) * 1e-9  # strictly increasing for the inverse
    order = np.argsort(priority, kind="stable")
    p = priority[order]
    c_at = np.interp(p, knots_t, kc)
    k = np.arange(len(p), dtype=np.float64)
    work = k + 1.0 + np.maximum.accumulate(c_at - k)
    d = np.interp(work, kc, knots_t, right=np.inf)
    d = np.maximum(d, p)
    out = np.empty_like(d)
    out[order] = d
    return out


def _splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        out: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
        return out


def _hex_ids(person: I64, key: int) -> pa.Array:
    """64 hex characters per person (looks like an HMAC-SHA256), keyed by the seed."""
    n = len(person)
    lanes = np.empty((n, 4), dtype=np.uint64)
    base = person.astype(np.uint64) * np.uint64(4)
    k = np.uint64(key)
    for j in range(4):
        lanes[:, j] = _splitmix64(_splitmix64(base + np.uint64(j)) ^ k)
    raw = lanes.astype(">u8").view(np.uint8).reshape(n, 32)
    out = _HEX_PAIRS.take(raw)  # (n, 32) two-character pairs
    offsets = np.arange(0, 64 * (n + 1), 64, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(out)))


_HEX_PAIRS = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint16)
"""Byte value -> its two hex characters as one uint16 (in memory order)."""


def _fixed_ids(prefix: str, year: I64, seq: I64, width: int) -> pa.Array:
    """'NRM-2021-000123': prefix, year, zero-padded sequence number, as fixed-width strings."""
    n = len(seq)
    head = f"{prefix}-".encode()
    length = len(head) + 5 + width
    out = np.empty((n, length), dtype=np.uint8)
    out[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    p = len(head)
    for i, div in enumerate((1000, 100, 10, 1)):
        out[:, p + i] = 48 + (year // div) % 10
    out[:, p + 4] = ord("-")
    for i in range(width):
        out[:, length - 1 - i] = 48 + (seq // 10**i) % 10
    offsets = np.arange(0, length * (n + 1), length, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(out))
    ).cast(pa.string())


def _strings(names: tuple[str, ...] | list[str], codes: npt.NDArray[np.integer]) -> pa.Array:
    """Strings from category codes; negative codes are null."""
    idx = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pc.take(pa.array(list(names), type=pa.string()), idx)


def _dates(days: npt.NDArray[np.integer], mask: B | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def _ids_width(max_seq: int) -> int:
    return max(6, len(str(max_seq)))


# ---------------------------------------------------------------------------
# Referrals


@dataclass
class ReferralArrays:
    """The generated referrals as compact NumPy arrays, one element per referral in referral-date
    order. Codes index the calibration's tuples (``-1`` is null). Use
    :func:`iter_referral_batches` or :func:`generate_referrals` for the Arrow form."""

    model: SpanModel
    seed: int
    day: Arr
    year: Arr
    seq: Arr
    id_width: int
    person: Arr  # index of the person's first referral
    repeat_of: Arr  # -1, or the index of an earlier referral of the same person
    person_key: int
    ca: Arr
    ftype: Arr
    org: Arr
    age: Arr
    gender: Arr
    nat: Arr
    expl: Arr
    loc: Arr
    force: Arr
    county: Arr
    rg_outcome: Arr
    rg_day: Arr
    rg_reason: Arr
    cg_outcome: Arr
    cg_day: Arr
    cg_reason: Arr
    status: Arr
    status_day: Arr

    @property
    def n(self) -> int:
        return len(self.day)

    @property
    def cal(self) -> Calibration:
        return self.model.cal

    def referral_ids(self, rows: I64 | slice) -> pa.Array:
        return _fixed_ids("NRM", self.year[rows], self.seq[rows], self.id_width)

    def batch(self, lo: int, hi: int) -> pa.RecordBatch:
        cal = self.cal
        s = slice(lo, hi)
        force = self.force[s]
        rg_none = self.rg_outcome[s] < 0
        cg_none = self.cg_outcome[s] < 0
        region_names = tuple(cal.force_regions)
        arrays = [
            self.referral_ids(s),
            _hex_ids(self.person[s], self.person_key),
            _dates(self.day[s]),
            _strings(xs.COMPETENT_AUTHORITIES, self.ca[s]),
            _strings(FRT, self.ftype[s]),
            _strings(cal.organisations, self.org[s]),
            _strings(xs.AGES, self.age[s]),
            _strings(xs.GENDERS, self.gender[s]),
            _strings(cal.nationalities, self.nat[s]),
            _strings(cal.exploitations, self.expl[s]),
            _strings(xs.LOCATIONS, self.loc[s]),
            _strings(cal.forces, force),
            _strings(region_names, force),
            pa.array(self.county[s], type=pa.bool_()),
            _strings(xs.OUTCOMES, self.rg_outcome[s]),
            _dates(self.rg_day[s], rg_none),
            _strings(cal.rg_reasons, self.rg_reason[s]),
            _strings(xs.OUTCOMES, self.cg_outcome[s]),
            _dates(self.cg_day[s], cg_none),
            _strings(cal.cg_reasons, self.cg_reason[s]),
            _strings(xs.CASE_STATUSES, self.status[s]),
            _dates(self.status_day[s]),
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=xs.REFERRALS)


def _check_span(n: int, start: date, end: date) -> None:
    if n <= 0:
        raise ValueError(f"the number of referrals must be positive, not {n}")
    if end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")


def simulate_referrals(
    n: int,
    seed: int,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    *,
    data_dir: str | Path | None = None,
) -> ReferralArrays:
    """Generate ``n`` referrals made ``start``..``end`` (inclusive) as NumPy arrays."""
    _check_span(n, start, end)
    cal = load_calibration(data_dir)
    model = SpanModel(cal, n, start, end)
    n_nat = len(cal.nationalities)
    n_q = len(model.qis)
    n_f = len(FRT)
    q_local = np.repeat(np.arange(n_q, dtype=np.int32), model.counts)

    # Nationality: systematic per quarter, then shuffled within the quarter.
    rng = _rng(seed, 1)
    p_nat = model.age_nat.sum(axis=1)  # (Q, Nn)
    nat = _systematic(rng, model.counts, p_nat).astype(np.int16)
    nat = nat[_shuffle_within(rng, q_local)]

    # Age | quarter, nationality.
    rng = _rng(seed, 2)
    probs = model.age_nat.transpose(0, 2, 1).reshape(n_q * n_nat, len(xs.AGES))
    age = _dense_sample(rng.random(n), q_local.astype(np.int64) * n_nat + nat, probs).astype(np.int8)

    # Location | quarter, age.
    rng = _rng(seed, 3)
    probs = model.age_location.reshape(n_q * len(xs.AGES), len(xs.LOCATIONS))
    loc = _dense_sample(rng.random(n), q_local.astype(np.int64) * len(xs.AGES) + age, probs).astype(np.int8)

    # First-responder type | profile, age, nationality.
    rng = _rng(seed, 4)
    prof = model.profile[q_local]
    probs = model.nat_given_age_type.transpose(0, 1, 3, 2).reshape(-1, n_f)  # (P*3*Nn, F)
    # (government agencies at the published share of referrals, as a group of their own)
    type_strata = (prof * 3 + age) * n_nat + nat
    p_gov = probs[:, GOV] / np.maximum(probs.sum(axis=1), 1e-300)
    u = rng.random(n)
    is_gov, rest = _published_groups(u, model, q_local, np.stack([1.0 - p_gov, p_gov], axis=1),
                                     type_strata, age, [("first_responder_type", "Government agency", "")])
    ftype = np.where(is_gov == 1, GOV, _dense_sample(rest, type_strata, np.where(np.arange(n_f) == GOV, 0.0, probs)))
    ftype = np.where(is_gov < 0, _dense_sample(u, type_strata, probs), ftype)  # as always where nothing is near
    ftype = ftype.astype(np.int8)
    del type_strata, p_gov, is_gov, rest

    # Cell (organisation, exploitation, gender) | profile, type, age, nationality.
    rng = _rng(seed, 5)
    cells = _cell_table(cal)
    cell_strata = ((prof * n_f + ftype) * 3 + age) * n_nat + nat
    criminal, labour = (cells[3] == cal.exploitations.index(e) for e in ("Criminal", "Labour"))
    features = ((criminal, ("exploitation", "Criminal", "")), (cells[4] == xs.GENDERS.index("Female"),
                                                               ("gender", "Female", "")),
                (criminal, ("exploitation", "Criminal", xs.AGES[1])), (labour, ("exploitation", "Labour", xs.AGES[0])))
    idx = _cells_sample(rng.random(n), model, q_local, cell_strata, age, cells, features)
    del criminal, labour, prof, cell_strata
    org = cells[2][idx].astype(np.int16)
    expl = cells[3][idx].astype(np.int8)
    gender = cells[4][idx].astype(np.int8)
    del idx

    # Referral day: uniform within the part of the quarter in the span; rows end up date-ordered.
    rng = _rng(seed, 6)
    lo, hi = model.lo_day[q_local], model.hi_day[q_local]
    day = np.sort(lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)).astype(np.int32)
    del lo, hi

    # Organisations and force areas.
    rng = _rng(seed, 7)
    force, org = _forces_and_organisations(rng, model, q_local, ftype, org, loc)

    # Competent authority and county lines.
    rng = _rng(seed, 8)
    first_uk = np.array([n.split(xs.LIST_SEPARATOR)[0] in ("UK", "Unknown") for n in cal.nationalities])
    weight = np.where((day >= day_number(cal.ieca_from)) & ~first_uk[nat],
                      np.where(ftype == GOV, IECA_RATE_GOV, IECA_RATE_OTHER), 0.0)
    ieca = rng.random(n) < np.minimum(1.0, weight * _ieca_scale(model, q_local, weight)[q_local])
    del weight
    ca = np.where(ieca, xs.COMPETENT_AUTHORITIES.index("IECA"), xs.COMPETENT_AUTHORITIES.index("SCA")).astype(np.int8)
    del ieca
    criminal = cal.exploitation_flags[expl, xs.EXPLOITATION_TYPES.index("Criminal")]
    county = criminal & UK_LOCATIONS[loc] & (rng.random(n) < COUNTY_LINES_RATE[age])
    del criminal

    # Repeat referrals.
    rng = _rng(seed, 9)
    person, repeat_of = _repeats(rng, nat, gender, age, day)

    # Ids: year and sequence within the year.
    year = np.array([quarter_start(q).year for q in model.qis.tolist()], dtype=np.int16)[q_local]
    del q_local
    year_start = np.searchsorted(year, year, side="left")
    seq = (np.arange(n, dtype=np.int64) - year_start + 1).astype(np.int32)
    del year_start

    arrays = ReferralArrays(
        model=model, seed=seed, day=day, year=year, seq=seq, id_width=_ids_width(int(seq.max())),
        person=person, repeat_of=repeat_of,
        person_key=int(_splitmix64(np.array([seed ^ 0x5EED5EED], dtype=np.uint64))[0]),
        ca=ca, ftype=ftype, org=org, age=age, gender=gender, nat=nat, expl=expl, loc=loc,
        force=force, county=county,
        rg_outcome=np.full(n, -1, dtype=np.int8), rg_day=np.zeros(n, dtype=np.int32),
        rg_reason=np.full(n, -1, dtype=np.int8), cg_outcome=np.full(n, -1, dtype=np.int8),
        cg_day=np.zeros(n, dtype=np.int32), cg_reason=np.full(n, -1, dtype=np.int8),
        status=np.zeros(n, dtype=np.int8), status_day=day,
    )
    _lifecycle(arrays, seed)
    return arrays


def _cell_table(cal: Calibration) -> tuple[I64, F64, I64, I64, I64]:
    """All profiles' cells sorted by stratum ((profile * F + type) * 3 + age) * Nn + nationality."""
    n_nat, n_f = len(cal.nationalities), len(FRT)
    strata, weight, org, expl, gender = [], [], [], [], []
    for pi, p in enumerate(cal.profiles):
        strata.append(((pi * n_f + p.cell_type) * 3 + p.cell_age) * n_nat + p.cell_nat)
        weight.append(p.cell_weight)
        org.append(p.cell_org)
        expl.append(p.cell_expl)
        gender.append(p.cell_gender)
    s = np.concatenate(strata)
    order = np.argsort(s, kind="stable")
    return (s[order], np.concatenate(weight)[order], np.concatenate(org)[order], np.concatenate(expl)[order],
            np.concatenate(gender)[order])


def _force_weights(model: SpanModel, restrict: B | None = None) -> F64:
    """(Q, forces) weights of force areas in force at each quarter's start."""
    cal = model.cal
    out = np.zeros((len(model.qis), len(cal.forces)))
    for i, qi in enumerate(model.qis.tolist()):
        on = quarter_end(qi)
        active = np.array([f <= on for f in cal.force_from])
        if restrict is not None:
            active &= restrict
        out[i] = np.where(active, cal.force_weights, 0.0)
    return out


def _forces_and_organisations(
    rng: np.random.Generator, model: SpanModel, q_local: Arr, ftype: Arr, org: Arr, loc: Arr
) -> tuple[Arr, Arr]:
    cal = model.cal
    n = len(q_local)
    n_forces = len(cal.forces)
    force = _dense_sample(rng.random(n), q_local, _force_weights(model))
    u = rng.random(n)
    org = org.copy()
    # Police: the force is the first responder.
    police = ftype == POLICE
    org[police] = cal.force_org[force[police]]
    # Local authorities: a force area with local authorities, then one of its authorities in force.
    la_rows = ftype == LA
    if cal.la_force.min() >= 0:
        has_la = np.zeros(n_forces, dtype=np.bool_)
        has_la[cal.la_force] = True
        f_la = _dense_sample(rng.random(n), q_local, _force_weights(model, has_la))
        force = np.where(la_rows, f_la, force)
        strata, weight, which = [], [], []
        for i, qi in enumerate(model.qis.tolist()):
            on = max(quarter_end(qi), date(2019, 4, 1))
            live = np.array([a <= on < b for a, b in zip(cal.la_from, cal.la_to, strict=True)])
            for f in np.unique(cal.la_force).tolist():
                members = np.flatnonzero((cal.la_force == f) & live)
                if len(members) == 0:
                    members = np.flatnonzero(cal.la_force == f)
                strata.append(np.full(len(members), i * n_forces + f, dtype=np.int64))
                weight.append(np.ones(len(members)))
                which.append(members)
        s = np.concatenate(strata)
        order = np.argsort(s, kind="stable")
        idx = _sparse_sample(u[la_rows], q_local[la_rows] * n_forces + force[la_rows], s[order],
                             np.concatenate(weight)[order])
        org[la_rows] = cal.la_org[np.concatenate(which)[order][idx]]
    else:
        org[la_rows] = cal.la_org[0]
    # Northern Ireland health and social care trusts.
    hsc = ftype == HSC
    org[hsc] = cal.hsc_org[np.floor(u[hsc] * len(cal.hsc_org)).astype(np.int64)]
    psni = [i for i, f in enumerate(cal.forces) if "Northern Ireland" in f]
    if psni:
        force[hsc] = psni[0]
    org[ftype == OTHER] = cal.other_org
    force = np.where(UK_LOCATIONS[loc], force, -1).astype(np.int16)
    return force, org.astype(np.int16)


def _repeats(rng: np.random.Generator, nat: Arr, gender: Arr, age: Arr, day: Arr) -> tuple[Arr, Arr]:
    """Pick about REPEAT_SHARE of referrals as repeats of an earlier referral with the same
    nationality, gender and age group. Returns (person, repeat_of) as int32 row indices."""
    n = len(nat)
    group = (nat.astype(np.int32) * len(xs.GENDERS) + gender) * len(xs.AGES) + age
    order = np.argsort(group, kind="stable").astype(np.int32)  # rows are date-ordered, so each group is too
    g = group[order]
    del group
    first = np.searchsorted(g, g, side="left").astype(np.int32)
    del g
    pos = np.arange(n, dtype=np.int32) - first
    share = REPEAT_SHARE * n / max(int((pos >= 1).sum()), 1)
    is_rep = (pos >= 1) & (rng.random(n) < share)
    src_sorted = first[is_rep] + np.floor(rng.random(int(is_rep.sum())) * pos[is_rep]).astype(np.int32)
    del first, pos
    rows, src = order[is_rep], order[src_sorted]
    del order, is_rep, src_sorted
    keep = day[src] < day[rows]
    rows, src = rows[keep], src[keep]
    repeat_of = np.full(n, -1, dtype=np.int32)
    repeat_of[rows] = src
    person = np.arange(n, dtype=np.int32)
    person[rows] = src
    while True:  # follow chains of repeats back to the first referral (a few rounds)
        nxt = person[person]
        if np.array_equal(nxt, person):
            break
        person = nxt
    return person, repeat_of


def _capacity_knots(q_from: int, from_day: int, to_day: int, per_quarter: F64) -> tuple[F64, F64]:
    """Cumulative capacity over days ``from_day``..``to_day`` (inclusive): ``per_quarter[i]`` (already
    scaled) is spread evenly over the days of quarter ``q_from + i``; parts of quarters outside the
    days get their share only."""
    t: list[float] = []
    c: list[float] = [0.0]
    for i, cap in enumerate(per_quarter.tolist()):
        q = q_from + i
        a, b = day_number(quarter_start(q)), day_number(quarter_end(q))
        lo, hi = max(a, from_day), min(b, to_day)
        if hi < lo:
            continue
        if not t:
            t.append(float(lo))
        t.append(float(hi + 1))
        c.append(c[-1] + cap * (hi - lo + 1) / (b - a + 1))
    return np.array(t), np.array(c)


def _lifecycle(a: ReferralArrays, seed: int) -> None:
    """RG and CG decisions, withdrawals, suspensions, disqualifications and the status at the end."""
    model, cal = a.model, a.cal
    n, s = a.n, model.scale
    end = int(model.hi_day[-1])
    guidance = day_number(GUIDANCE_CHANGE)
    age = a.age.astype(np.intp)
    rng = _rng(seed, 10)

    # Withdrawn before an RG decision.
    wd_pre = rng.random(n) < WITHDRAWN_BEFORE_RG
    wd_day = (a.day + 1 + np.floor(rng.exponential(20.0, n))).astype(np.int32)

    # RG queue (no backlog at the start of the span).
    q0 = int(model.qis[0])
    rg_caps = np.array([cal.rg_decisions(q).sum() for q in model.qis.tolist()]) * s
    t, c = _capacity_knots(q0, int(model.lo_day[0]), end, rg_caps)
    prio = a.day + rng.gamma(RG_BASE_DAYS[0], RG_BASE_DAYS[1], n) + 1.0
    prio += rng.exponential(3.0, n)
    queued = ~wd_pre
    rg_time = _fluid_queue(prio[queued], t, c)
    del prio
    has_rg = np.zeros(n, dtype=np.bool_)
    rg_day = np.zeros(n, dtype=np.int32)
    ok = np.isfinite(rg_time) & (rg_time < end + 1)
    has_rg[queued] = ok
    rg_day[queued] = np.where(ok, np.floor(np.where(ok, rg_time, 0.0)), 0).astype(np.int32)
    del rg_time, ok, queued
    rg_rate = np.stack([cal.rg_positive_rate(q) for q in model.qis.tolist()])  # (Q, 3)
    rg_pos = has_rg & (rng.random(n) < rg_rate[model.quarter_of_day(rg_day), age])
    rg_neg = has_rg & ~rg_pos

    # After a positive RG: withdrawn, suspended or disqualified before a CG.
    rng = _rng(seed, 11)
    u = rng.random(n)
    w, su, dq = AFTER_POSITIVE_RG
    event_day = (rg_day + 1 + np.floor(rng.exponential(240.0, n))).astype(np.int32)
    event = np.full(n, -1, dtype=np.int8)
    event[u < w + su + dq] = DISQUALIFIED
    event[u < w + su] = SUSPENDED
    event[u < w] = WITHDRAWN
    del u
    event[(event == DISQUALIFIED) & (event_day < guidance)] = -1
    event[~rg_pos] = -1

    # CG queue: cohort positive RGs plus the backlog of positive RGs made before the span.
    cohort = np.flatnonzero(rg_pos & (event < 0))
    m = len(cohort)
    rgc = rg_day[cohort]
    prio = (rgc + days_in_force(RECOVERY, rgc)
            + rng.gamma(CG_READY_DAYS[0], CG_READY_DAYS[1], m) + rng.exponential(CG_PRIORITY_SPREAD, m))
    del rgc
    first_rg_q = min(cal.rg)
    qv0 = min(max(first_rg_q, q0 - 24), q0)
    v_counts, v_lo, v_hi = [], [], []
    for q in range(qv0, q0 + 1):
        a_day, b_day = day_number(quarter_start(q)), day_number(quarter_end(q))
        b_day = min(b_day, int(model.lo_day[0]) - 1)
        if b_day < a_day:
            continue
        frac = (b_day - a_day + 1) / (day_number(quarter_end(q)) - a_day + 1)
        expected = s * cal.rg_decisions(q)[:, 0].sum() * frac * (1.0 - sum(AFTER_POSITIVE_RG)) * VIRTUAL_FACTOR
        v_counts.append(int(np.floor(expected + rng.random())))
        v_lo.append(a_day)
        v_hi.append(b_day)
    vc = np.array(v_counts, dtype=np.int64)
    v_rg = np.repeat(np.array(v_lo, dtype=np.int64), vc)
    v_rg = v_rg + np.floor(rng.random(len(v_rg)) * (np.repeat(np.array(v_hi, dtype=np.int64), vc) - v_rg + 1))
    v_prio = (v_rg + days_in_force(RECOVERY, v_rg) + rng.gamma(CG_READY_DAYS[0], CG_READY_DAYS[1], len(v_rg))
              + rng.exponential(CG_PRIORITY_SPREAD, len(v_rg)))
    del v_rg
    cg_caps = np.array([cal.cg_decisions(q).sum() for q in range(qv0, int(model.qis[-1]) + 1)]) * s
    t, c = _capacity_knots(qv0, day_number(quarter_start(qv0)), end, cg_caps)
    times = _fluid_queue(np.concatenate([v_prio, prio]), t, c)[len(v_prio):]
    del prio, v_prio
    ok = np.isfinite(times) & (times < end + 1)
    has_cg = np.zeros(n, dtype=np.bool_)
    has_cg[cohort] = ok
    cg_day = np.zeros(n, dtype=np.int32)
    cg_day[cohort] = np.where(ok, np.floor(np.where(ok, times, 0.0)), 0).astype(np.int32)
    del times, ok, cohort
    cg_rate = np.stack([cal.cg_positive_rate(q) for q in model.qis.tolist()])
    cg_pos = has_cg & (rng.random(n) < cg_rate[model.quarter_of_day(cg_day), age])
    cg_neg = has_cg & ~cg_pos

    # Reasons for negative decisions.
    rng = _rng(seed, 12)
    rg_reason = np.full(n, -1, dtype=np.int8)
    k = int(rg_neg.sum())
    rg_reason[rg_neg] = _dense_sample(rng.random(k), np.zeros(k, dtype=np.int64), cal.rg_reason_weights[None, :])
    cg_reason = np.full(n, -1, dtype=np.int8)
    k = int(cg_neg.sum())
    cg_reason[cg_neg] = _dense_sample(rng.random(k), np.zeros(k, dtype=np.int64), cal.cg_reason_weights[None, :])

    # Status on the end date.
    status = np.full(n, AWAITING_RG, dtype=np.int8)
    status_day = a.day.copy()
    pre = wd_pre & (wd_day <= end)
    status[pre], status_day[pre] = WITHDRAWN, wd_day[pre]
    del pre, wd_pre, wd_day
    status[rg_neg], status_day[rg_neg] = CONCLUDED, rg_day[rg_neg]
    waiting = rg_pos & ~has_cg
    status[waiting], status_day[waiting] = AWAITING_CG, rg_day[waiting]
    del waiting
    stopped = (event >= 0) & (event_day <= end)
    status[stopped], status_day[stopped] = event[stopped], event_day[stopped]
    del stopped, event, event_day
    status[has_cg], status_day[has_cg] = CONCLUDED, cg_day[has_cg]

    rg_outcome = np.full(n, -1, dtype=np.int8)
    rg_outcome[rg_pos], rg_outcome[rg_neg] = POSITIVE, NEGATIVE
    cg_outcome = np.full(n, -1, dtype=np.int8)
    cg_outcome[cg_pos], cg_outcome[cg_neg] = POSITIVE, NEGATIVE
    a.rg_outcome, a.rg_day, a.rg_reason = rg_outcome, rg_day, rg_reason
    a.cg_outcome, a.cg_day, a.cg_reason = cg_outcome, cg_day, cg_reason
    a.status, a.status_day = status, status_day


def iter_referral_batches(arrays: ReferralArrays, batch_size: int | None = None) -> Iterator[pa.RecordBatch]:
    """The referrals as Arrow record batches of ``batch_size`` rows (default ROW_GROUP_SIZE; the
    last may be shorter)."""
    batch_size = batch_size or ROW_GROUP_SIZE
    for lo in range(0, arrays.n, batch_size):
        yield arrays.batch(lo, min(lo + batch_size, arrays.n))


def _prefetch(arrays: ReferralArrays) -> Iterator[pa.RecordBatch]:
    """Like :func:`iter_referral_batches`, building the next batch on another thread while the
    caller writes the current one (NumPy and Arrow release the GIL). Order is unchanged."""
    size = ROW_GROUP_SIZE
    bounds = [(lo, min(lo + size, arrays.n)) for lo in range(0, arrays.n, size)]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-batch") as pool:
        pending: Future[pa.RecordBatch] | None = pool.submit(arrays.batch, *bounds[0]) if bounds else None
        for i in range(len(bounds)):
            assert pending is not None
            batch = pending.result()
            pending = pool.submit(arrays.batch, *bounds[i + 1]) if i + 1 < len(bounds) else None
            yield batch


def generate_referrals(
    n: int,
    seed: int,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    *,
    data_dir: str | Path | None = None,
) -> pa.Table:
    """``n`` synthetic referrals made ``start``..``end``, following ``extract_schema.REFERRALS``.

    Rows are in referral-date order and self-contained (names, not codes), so the table can be
    consumed row by row (``table.to_pylist()``) to create model objects. For very large ``n``
    prefer :func:`write_referrals`, which streams batches to a file.
    """
    arrays = simulate_referrals(n, seed, start, end, data_dir=data_dir)
    return pa.Table.from_batches(list(iter_referral_batches(arrays)), schema=xs.REFERRALS)


def repeat_referral_truth(table: pa.Table) -> pl.DataFrame:
    """The repeat referrals in a referrals table: one row per referral whose person was referred
    before, with ``referral_id``, ``person_id`` and ``earlier_referral_id`` (that person's previous
    referral). Works on any table with those columns, e.g. one read back from a file."""
    frame = pl.from_arrow(table.select(["referral_id", "person_id", "referral_date"]))
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_row_index("_row").sort(["person_id", "referral_date", "_row"])
    frame = frame.with_columns(pl.col("referral_id").shift(1).over("person_id").alias("earlier_referral_id"))
    return (frame.filter(pl.col("earlier_referral_id").is_not_null()).sort("_row")
            .select("referral_id", "person_id", "earlier_referral_id"))


# ---------------------------------------------------------------------------
# Duty to Notify


def duty_to_notify_count(n_referrals: int, start: date, end: date, *, data_dir: str | Path | None = None) -> int:
    """The number of Duty to Notify reports that goes with ``n_referrals`` referrals over the span
    (published DtN volume over the span, scaled like the referrals)."""
    _check_span(n_referrals, start, end)
    cal = load_calibration(data_dir)
    model = SpanModel(cal, n_referrals, start, end)
    dtn = sum(cal.dtn_volume(int(q)) * f for q, f in zip(model.qis, model.fraction, strict=True))
    return round(float(dtn) * model.scale)


def generate_duty_to_notify(
    n: int,
    seed: int,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    *,
    data_dir: str | Path | None = None,
) -> pa.Table:
    """``n`` Duty to Notify reports made ``start``..``end``, following ``extract_schema.DUTY_TO_NOTIFY``.

    Volume by quarter and nationality follow the published tables; first-responder type
    (Government agency 55%, Police 40%, Local authority 5%) and age band are assumptions; gender
    and exploitation type follow the adult referrals of the same nationality.
    """
    cal = load_calibration(data_dir)
    if n < 0:
        raise ValueError(f"the number of reports must not be negative, not {n}")
    if end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")
    model = SpanModel(cal, max(n, 1), start, end)
    weights = np.array([cal.dtn_volume(int(q)) * f for q, f in zip(model.qis, model.fraction, strict=True)])
    if n > 0 and weights.sum() <= 0:
        raise ValueError("no Duty to Notify reports were published for that span (they start in 2015 Q4)")
    if n == 0:
        return xs.DUTY_TO_NOTIFY.empty_table()
    counts = allocate(n, weights)
    q_local = np.repeat(np.arange(len(model.qis), dtype=np.int64), counts)
    n_nat = len(cal.nationalities)

    rng = _rng(seed, 21)
    p_nat = np.stack([cal.dtn_nationality_probs(int(q)) for q in model.qis])
    nat = _systematic(rng, counts, p_nat)
    nat = nat[_shuffle_within(rng, q_local)]

    rng = _rng(seed, 22)
    type_codes = np.array(list(DTN_TYPE_SHARES))
    ftype = type_codes[_dense_sample(rng.random(n), np.zeros(n, dtype=np.int64),
                                     np.array(list(DTN_TYPE_SHARES.values()))[None, :])]
    # Gender and exploitation | nationality, from the adult cells (any first-responder type).
    prof = np.where(model.qis < quarter_index(date(2019, 10, 1)), 0, 1)[q_local]
    strata_l, weight_l, gender_l, expl_l = [], [], [], []
    for pi in (0, 1):
        p = cal.profiles[pi]
        adult = (p.cell_age == 0) & (p.cell_org >= 0)
        overall_g, overall_e, overall_w = p.cell_gender[adult], p.cell_expl[adult], p.cell_weight[adult]
        present = np.zeros(n_nat, dtype=np.bool_)
        present[p.cell_nat[adult]] = True
        strata_l.append(pi * n_nat + p.cell_nat[adult])
        weight_l.append(p.cell_weight[adult])
        gender_l.append(p.cell_gender[adult])
        expl_l.append(p.cell_expl[adult])
        for missing in np.flatnonzero(~present).tolist():
            strata_l.append(np.full(len(overall_w), pi * n_nat + missing, dtype=np.int64))
            weight_l.append(overall_w)
            gender_l.append(overall_g)
            expl_l.append(overall_e)
    s = np.concatenate(strata_l)
    order = np.argsort(s, kind="stable")
    idx = _sparse_sample(rng.random(n), prof * n_nat + nat, s[order], np.concatenate(weight_l)[order])
    gender = np.concatenate(gender_l)[order][idx]
    expl = np.concatenate(expl_l)[order][idx]
    org = np.full(n, -1, dtype=np.int64)
    gov = ftype == GOV
    gov_cells = cal.profiles[1]
    gsel = (gov_cells.cell_type == GOV) & (gov_cells.cell_age == 0)
    gov_w = np.zeros(len(cal.organisations))
    np.add.at(gov_w, gov_cells.cell_org[gsel], gov_cells.cell_weight[gsel])
    org[gov] = _dense_sample(rng.random(int(gov.sum())), np.zeros(int(gov.sum()), dtype=np.int64), gov_w[None, :])
    band = _dense_sample(rng.random(n), np.zeros(n, dtype=np.int64), DTN_AGE_SHARES[None, :])
    adult_loc = model.age_location[:, 0, :]
    loc = _dense_sample(rng.random(n), q_local, adult_loc)

    rng = _rng(seed, 23)
    force, org = _forces_and_organisations(rng, model, q_local, ftype, org, loc)
    lo, hi = model.lo_day[q_local], model.hi_day[q_local]
    day = np.sort(lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64))
    year = np.array([quarter_start(int(q)).year for q in model.qis], dtype=np.int64)[q_local]
    seq = np.arange(n, dtype=np.int64) - np.searchsorted(year, year, side="left") + 1
    return pa.Table.from_arrays(
        [
            _fixed_ids("DTN", year, seq, _ids_width(int(seq.max()))),
            _dates(day),
            _strings(FRT, ftype),
            _strings(cal.organisations, org),
            _strings(xs.GENDERS, gender),
            _strings(cal.nationalities, nat),
            _strings(xs.DTN_AGE_BANDS, band),
            _strings(cal.exploitations, expl),
            _strings(xs.LOCATIONS, loc),
            _strings(cal.forces, force),
        ],
        schema=xs.DUTY_TO_NOTIFY,
    )


# ---------------------------------------------------------------------------
# Reviews and support


@dataclass
class _Core:
    """The referral columns that reviews and support depend on."""

    ids: pa.Array
    age: I64
    uk: B
    rg_outcome: I64
    rg_day: I64
    cg_outcome: I64
    cg_day: I64
    status: I64
    status_day: I64
    as_of: int


def _core_from_arrays(a: ReferralArrays) -> _Core:
    first_uk = np.array([n.split(xs.LIST_SEPARATOR)[0] == "UK" for n in a.cal.nationalities])
    return _Core(
        ids=pa.chunked_array([a.referral_ids(slice(lo, min(lo + ROW_GROUP_SIZE, a.n)))
                              for lo in range(0, a.n, ROW_GROUP_SIZE)], type=pa.string()),
        age=a.age.astype(np.int64), uk=first_uk[a.nat], rg_outcome=a.rg_outcome.astype(np.int64),
        rg_day=a.rg_day.astype(np.int64), cg_outcome=a.cg_outcome.astype(np.int64), cg_day=a.cg_day.astype(np.int64),
        status=a.status.astype(np.int64), status_day=a.status_day.astype(np.int64), as_of=int(a.model.hi_day[-1]),
    )


def _codes(column: pa.ChunkedArray | pa.Array, values: tuple[str, ...]) -> I64:
    idx = pc.index_in(column, value_set=pa.array(list(values)))
    out: I64 = idx.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return out


def _days_of(column: pa.ChunkedArray | pa.Array) -> I64:
    out: I64 = column.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    return out


def _core_from_table(table: pa.Table, as_of: date | None) -> _Core:
    dates = [_days_of(table[c]) for c in ("referral_date", "rg_date", "cg_date", "status_date")]
    last = max(int(d.max()) for d in dates) if table.num_rows else 0
    nationality = table["nationality"]
    uk = pc.or_(pc.equal(nationality, "UK"), pc.starts_with(nationality, "UK;"))
    return _Core(
        ids=table["referral_id"],
        age=_codes(table["age_at_exploitation"], xs.AGES),
        uk=uk.to_numpy(zero_copy_only=False).astype(np.bool_),
        rg_outcome=_codes(table["rg_outcome"], xs.OUTCOMES),
        rg_day=dates[1],
        cg_outcome=_codes(table["cg_outcome"], xs.OUTCOMES),
        cg_day=dates[2],
        status=_codes(table["status"], xs.CASE_STATUSES),
        status_day=dates[3],
        as_of=day_number(as_of) if as_of is not None else last,
    )


def generate_reviews(referrals: pa.Table, seed: int = 0, *, as_of: date | None = None) -> pa.Table:
    """Reviews of negative CG decisions, following ``extract_schema.REVIEWS``.

    Negative CGs made 2019-04-01..2022-12-31 went to a Multi-Agency Assurance Panel before the
    decision was issued (referred 7-27 days before it; the panel agreed, as it did for every
    negative decision that stood). Negative CGs made later get a second-line review, requested
    after the decision, with outcome Agree (85%) or Disagree, null while under review on
    ``as_of`` (default: the latest date in the table)."""
    return _reviews(_core_from_table(referrals, as_of), seed)


def _reviews(core: _Core, seed: int) -> pa.Table:
    rng = _rng(seed, 31)
    maap_from, maap_to = day_number(MAAP_FROM), day_number(MAAP_TO)
    rows = np.flatnonzero((core.cg_outcome == NEGATIVE) & (core.cg_day >= maap_from) & (core.cg_day <= core.as_of))
    m = len(rows)
    cg = core.cg_day[rows]
    maap = cg <= maap_to
    u1, u2, u3 = rng.random(m), rng.exponential(10.0, m), rng.exponential(40.0, m)
    referred = np.where(maap, cg - 7 - np.floor(u1 * 21).astype(np.int64),
                        np.minimum(cg + np.floor(u2).astype(np.int64), core.as_of))
    outcome_day = np.where(maap, cg, referred + 14 + np.floor(u3).astype(np.int64))
    decided = outcome_day <= core.as_of
    outcome = np.where(maap, 0, np.where(rng.random(m) < 0.85, 0, 1))
    outcome = np.where(decided, outcome, -1)
    return pa.Table.from_arrays(
        [
            pc.take(core.ids, pa.array(rows)),
            pa.array(["CG"] * m, type=pa.string()) if m else pa.array([], type=pa.string()),
            _strings(xs.REVIEW_KINDS, np.where(maap, 0, 1)),
            _dates(referred),
            _strings(xs.REVIEW_OUTCOMES, outcome),
            _dates(outcome_day, ~decided),
        ],
        schema=xs.REVIEWS,
    )


# Reconsideration of negative decisions. The published NRM statistics in ../shared/data/published
# give no figures for reconsiderations, so these are assumptions, not calibrated values: the share
# of negative decisions (by stage: RG, CG) whose reconsideration is asked for, the days from the
# negative decision to the request (at least the first, plus an exponential with the mean of the
# second), the days from the request to the fresh decision (likewise) and the share of fresh
# decisions that are positive.
RECONSIDERATION_SHARE = (0.10, 0.15)
RECONSIDERATION_REQUEST_DAYS = (7, 30.0)
RECONSIDERATION_DECISION_DAYS = (14, 70.0)
RECONSIDERATION_POSITIVE = 0.35
RECONSIDERATION_STREAM = 51
"""The random stream of the reconsiderations (:func:`_rng`): their own, so adding them changed no
other generated column or row."""


def generate_reconsiderations(referrals: pa.Table, seed: int = 0, *, as_of: date | None = None) -> pa.Table:
    """Requests to reconsider negative RG and CG decisions, following ``extract_schema.RECONSIDERATIONS``.

    A share of the negative decisions (:data:`RECONSIDERATION_SHARE`) is asked to be reconsidered
    some days after the decision, and a fresh decision (positive for :data:`RECONSIDERATION_POSITIVE`
    of them) follows some weeks after the request; a request after ``as_of`` (default: the latest
    date in the table) is left out and a fresh decision after it is not yet made (null outcome).
    The referrals table is not changed: it keeps the original negative decision."""
    return _reconsiderations(_core_from_table(referrals, as_of), seed)


def _reconsiderations(core: _Core, seed: int) -> pa.Table:
    rng = _rng(seed, RECONSIDERATION_STREAM)
    parts: list[tuple[I64, I64, I64, I64]] = []  # row, stage, requested, outcome (-1: waiting)
    outcome_days: list[I64] = []
    for stage, (outcome, day) in enumerate(((core.rg_outcome, core.rg_day), (core.cg_outcome, core.cg_day))):
        negative = np.flatnonzero((outcome == NEGATIVE) & (day <= core.as_of))
        m = len(negative)
        u = rng.random((m, 4))
        asked = u[:, 0] < RECONSIDERATION_SHARE[stage]
        requested = (day[negative] + RECONSIDERATION_REQUEST_DAYS[0]
                     + np.floor(-np.log1p(-u[:, 1]) * RECONSIDERATION_REQUEST_DAYS[1]).astype(np.int64))
        decided_day = (requested + RECONSIDERATION_DECISION_DAYS[0]
                       + np.floor(-np.log1p(-u[:, 2]) * RECONSIDERATION_DECISION_DAYS[1]).astype(np.int64))
        keep = asked & (requested <= core.as_of)
        fresh = np.where(u[:, 3] < RECONSIDERATION_POSITIVE, POSITIVE, NEGATIVE)
        fresh = np.where(decided_day <= core.as_of, fresh, -1)
        parts.append((negative[keep], np.full(int(keep.sum()), stage, dtype=np.int64), requested[keep], fresh[keep]))
        outcome_days.append(decided_day[keep])
    row = np.concatenate([p[0] for p in parts])
    stage_code = np.concatenate([p[1] for p in parts])
    requested = np.concatenate([p[2] for p in parts])
    fresh = np.concatenate([p[3] for p in parts])
    decided_day = np.concatenate(outcome_days)
    order = np.lexsort((stage_code, row, requested))
    row, stage_code, requested, fresh, decided_day = (
        row[order], stage_code[order], requested[order], fresh[order], decided_day[order])
    waiting = fresh < 0
    return pa.Table.from_arrays(
        [
            pc.take(core.ids, pa.array(row, type=pa.int64())),
            _strings(xs.RECONSIDERATION_STAGES, stage_code),
            _dates(requested),
            _strings(xs.OUTCOMES, fresh),
            _dates(np.where(waiting, 0, decided_day), waiting),
        ],
        schema=xs.RECONSIDERATIONS,
    )


_SUPPORT_KIND = {k: i for i, k in enumerate(xs.SUPPORT_KINDS)}
RNA_OUTCOMES = ("Ongoing needs identified", "No ongoing needs")
# Probability of each kind of support in the recovery period: (adult, child).
_SUPPORT_RATES = {
    "Financial": (0.85, 0.0),
    "Legal advice": (0.35, 0.30),
    "Counselling": (0.20, 0.30),
}


def generate_support(referrals: pa.Table, seed: int = 0, *, as_of: date | None = None) -> pa.Table:
    """Support for people with a positive RG, following ``extract_schema.SUPPORT``.

    Children are supported by their local authority, adults (and people of unknown age) through
    the Victim Care Contract. Every positive RG gets accommodation or outreach from the RG date,
    and other kinds (financial, legal advice, counselling, interpreter, and from 2020-09-28 a
    recovery needs assessment for adults) starting within the recovery period in force at the RG
    (policy ``recovery_period_days``). Support ends at the CG (9 days after a negative one), withdrawal,
    suspension or disqualification, and is open (null end) while the case is awaiting a CG on
    ``as_of``. A positive CG starts move-on support (kind ``Outreach``, starting on the CG date)
    of at least the minimum in force at the CG (policy ``move_on_support_min_days``), longer after
    a recovery needs assessment."""
    return _support(_core_from_table(referrals, as_of), seed)


def _support(core: _Core, seed: int) -> pa.Table:
    rng = _rng(seed, 41)
    base = np.flatnonzero((core.rg_outcome == POSITIVE) & (core.rg_day <= core.as_of))
    rg = core.rg_day[base]
    child = core.age[base] == 1
    recovery = days_in_force(RECOVERY, rg)
    cg_o, cg_d = core.cg_outcome[base], core.cg_day[base]
    st, st_d = core.status[base], core.status_day[base]
    stop = np.where(cg_o == POSITIVE, cg_d, np.where(cg_o == NEGATIVE, cg_d + 9,
                    np.where(np.isin(st, [WITHDRAWN, SUSPENDED, DISQUALIFIED]), st_d, np.iinfo(np.int64).max)))
    m = len(base)
    parts: list[tuple[I64, I64, I64, I64, I64]] = []  # row, kind, start, end, outcome

    def add(mask: B, kind: str, start: I64, end: I64, outcome: I64 | None = None) -> None:
        keep = mask & (start <= core.as_of) & (start <= end)
        o = outcome[keep] if outcome is not None else np.full(int(keep.sum()), -1, dtype=np.int64)
        parts.append((base[keep], np.full(int(keep.sum()), _SUPPORT_KIND[kind], dtype=np.int64), start[keep],
                      end[keep], o))

    u = rng.random((m, 8))
    accommodation = u[:, 0] < np.where(child, 0.60, 0.45)
    first = rg.copy()  # accommodation or outreach from the RG date, so every positive RG has support
    add(accommodation, "Accommodation", first, stop)
    add(~accommodation, "Outreach", first, stop)
    within = rg + np.floor(u[:, 2] * recovery).astype(np.int64)
    for i, (name, (adult_p, child_p)) in enumerate(_SUPPORT_RATES.items()):
        add(u[:, 3 + i] < np.where(child, child_p, adult_p), name, within, stop)
    add(u[:, 6] < np.where(core.uk[base], 0.02, 0.7), "Interpreter", within, stop)
    rna = ~child & (rg >= day_number(RNA_FROM)) & (u[:, 7] < 0.6)
    rna_day = rg + np.floor(recovery * (0.5 + 0.5 * u[:, 2])).astype(np.int64)
    rna_outcome = (rng.random(m) < 0.3).astype(np.int64)
    add(rna, "Recovery needs assessment", np.minimum(rna_day, rg + recovery - 1),
        np.minimum(rna_day, rg + recovery - 1), rna_outcome)
    move_on = (cg_o == POSITIVE) & (cg_d <= core.as_of)
    move_on_days = days_in_force(MOVE_ON, cg_d) + np.floor(rng.exponential(MOVE_ON_EXTRA_DAYS, m)).astype(np.int64)
    add(move_on, "Outreach", cg_d, cg_d + move_on_days)

    row = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([p[1] for p in parts])
    start = np.concatenate([p[2] for p in parts])
    end = np.concatenate([p[3] for p in parts])
    outcome = np.concatenate([p[4] for p in parts])
    order = np.lexsort((start, kind, row))
    row, kind, start, end, outcome = row[order], kind[order], start[order], end[order], outcome[order]
    open_end = end > core.as_of
    return pa.Table.from_arrays(
        [
            pc.take(core.ids, pa.array(row)),
            _strings(xs.SUPPORT_KINDS, kind),
            _strings(xs.PROVIDER_TYPES, (core.age[row] == 1).astype(np.int64)),
            _dates(start),
            _dates(np.where(open_end, 0, end), open_end),
            _strings(RNA_OUTCOMES, outcome),
        ],
        schema=xs.SUPPORT,
    )


# ---------------------------------------------------------------------------
# Files


def _parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    dictionary = [f.name for f in schema if f.name in _CATEGORICAL]
    return pq.ParquetWriter(
        str(path),
        schema,
        compression="zstd",
        compression_level=1,
        use_dictionary=dictionary,
        write_statistics=True,
        version="2.6",
        data_page_version="1.0",
        store_schema=True,
    )


_CSV_OPTIONS = pacsv.WriteOptions(include_header=True, delimiter=",", quoting_style="needed")


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".csv":
        return "csv"
    raise ValueError(f"unknown output format {path.suffix!r} for {path}: use .parquet or .csv")


def _rechunk(table: pa.Table) -> Iterator[pa.RecordBatch]:
    for lo in range(0, table.num_rows, ROW_GROUP_SIZE):
        part = table.slice(lo, ROW_GROUP_SIZE).combine_chunks()
        batches = part.to_batches()
        if batches:
            yield batches[0]


def _write_batches(batches: Iterator[pa.RecordBatch], schema: pa.Schema, path: Path) -> int:
    kind = _format(path)
    rows = 0
    if kind == "parquet":
        with _parquet_writer(path, schema) as writer:
            for batch in batches:
                writer.write_batch(batch, row_group_size=ROW_GROUP_SIZE)
                rows += batch.num_rows
            if rows == 0:
                writer.write_table(schema.empty_table())
    else:
        with pacsv.CSVWriter(str(path), schema, write_options=_CSV_OPTIONS) as csv_writer:
            for batch in batches:
                csv_writer.write_batch(batch)
                rows += batch.num_rows
    return rows


def write_table(table: pa.Table, path: str | Path) -> Path:
    """Write ``table`` to ``path`` as Parquet (``.parquet``) or CSV (``.csv``), with fixed options
    so the same table always gives the same bytes (no timestamps; fixed row groups)."""
    p = Path(path)
    _format(p)
    _write_batches(_rechunk(table), table.schema, p)
    return p


def write_referrals(
    n: int,
    seed: int,
    start: date,
    end: date,
    path: str | Path,
    *,
    data_dir: str | Path | None = None,
) -> ReferralArrays:
    """Generate ``n`` referrals and stream them to ``path`` one row group at a time (memory stays
    low for tens of millions of rows). The file is byte-identical to
    ``write_table(generate_referrals(n, seed, start, end), path)``. Returns the arrays, from which
    the sibling tables can be made without materialising the referrals table."""
    p = Path(path)
    _format(p)
    arrays = simulate_referrals(n, seed, start, end, data_dir=data_dir)
    _write_batches(_prefetch(arrays), xs.REFERRALS, p)
    return arrays


def reviews_for(arrays: ReferralArrays, seed: int) -> pa.Table:
    """Same as ``generate_reviews(generate_referrals(...), seed, as_of=end)`` from the arrays."""
    return _reviews(_core_from_arrays(arrays), seed)


def support_for(arrays: ReferralArrays, seed: int) -> pa.Table:
    """Same as ``generate_support(generate_referrals(...), seed, as_of=end)`` from the arrays."""
    return _support(_core_from_arrays(arrays), seed)


def reconsiderations_for(arrays: ReferralArrays, seed: int) -> pa.Table:
    """Same as ``generate_reconsiderations(generate_referrals(...), seed, as_of=end)`` from the arrays."""
    return _reconsiderations(_core_from_arrays(arrays), seed)
