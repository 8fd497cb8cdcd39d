"""A small, deterministic synthetic extract for tests and benchmarks.

``generate_extract(n, seed)`` returns the extract tables (referrals, Duty to Notify,
reviews, support, reconsiderations) following :mod:`nrm.analytics.extract_schema`, vectorised with NumPy so
that ten million referrals take seconds. The same ``n``, ``seed``, ``start`` and ``end``
always give the same tables. The data only looks plausible; it is not a model of the NRM.
"""

from __future__ import annotations

import binascii
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nrm.analytics import extract_schema as xs
from nrm.analytics.dated import days_in_force
from nrm.analytics.extract_io import Extract
from nrm.analytics.synthetic.extract import generate_reconsiderations

__all__ = ["FIRST_RESPONDERS", "NATIONALITIES", "POLICE_FORCES", "Extract", "generate_extract"]

_EPOCH = date(1970, 1, 1)
DEFAULT_START, DEFAULT_END = date(2022, 1, 1), date(2023, 12, 31)

FIRST_RESPONDERS: dict[str, tuple[str, ...]] = {
    "Government agency": (
        "Home Office - UK Visas and Immigration UKVI",
        "Home Office - Immigration Enforcement IE",
        "Home Office - UK Border Force UKBF",
        "National Crime Agency NCA",
        "Gangmasters and Labour Abuse Authority GLAA",
    ),
    "NGO and third sector": (
        "The Salvation Army",
        "Migrant Help",
        "Barnardo's",
        "Medaille Trust",
        "Unseen",
        "Kalayaan",
    ),
    "Police": ("Police",),
    "Local authority": ("Local Authority",),
    "Health and social care": ("Health and Social Care Trust",),
    "Other": ("Other first responder",),
}

POLICE_FORCES: tuple[tuple[str, str], ...] = (
    ("Metropolitan Police", "London"),
    ("City of London Police", "London"),
    ("West Midlands Police", "West Midlands"),
    ("Staffordshire Police", "West Midlands"),
    ("Greater Manchester Police", "North West"),
    ("Merseyside Police", "North West"),
    ("Lancashire Constabulary", "North West"),
    ("West Yorkshire Police", "Yorkshire and the Humber"),
    ("South Yorkshire Police", "Yorkshire and the Humber"),
    ("Northumbria Police", "North East"),
    ("Thames Valley Police", "South East"),
    ("Kent Police", "South East"),
    ("Sussex Police", "South East"),
    ("Essex Police", "East of England"),
    ("Bedfordshire Police", "East of England"),
    ("Avon and Somerset Constabulary", "South West"),
    ("Devon and Cornwall Police", "South West"),
    ("Leicestershire Police", "East Midlands"),
    ("Nottinghamshire Police", "East Midlands"),
    ("South Wales Police", "Wales"),
    ("Dyfed-Powys Police", "Wales"),
    ("Police Scotland", "Scotland"),
    ("Police Service of Northern Ireland", "Northern Ireland"),
)

NATIONALITIES: tuple[str, ...] = (
    "UK",
    "Albanian",
    "Vietnamese",
    "Eritrean",
    "Sudanese",
    "Romanian",
    "Iranian",
    "Afghan",
    "Indian",
    "Chinese",
    "Nigerian",
    "Iraqi",
    "Polish",
    "Ethiopian",
    "Pakistani",
    "Bangladeshi",
    "Egyptian",
    "Kuwaiti",
    "Filipino",
    "Ghanaian",
    "Sri Lankan",
    "Syrian",
    "Brazilian",
    "Citizen of Guinea-Bissau",
    "Congolese (DRC)",
    "South Sudanese",
    "Ukrainian",
    "Lithuanian",
    "Slovak",
    "Czech",
    "Unknown",
)

_EXPLOITATION_MIX: tuple[tuple[str, float], ...] = (
    ("Criminal", 0.28),
    ("Labour", 0.20),
    ("Sexual", 0.12),
    ("Domestic", 0.05),
    ("Not specified or unknown", 0.10),
    ("Labour;Criminal", 0.08),
    ("Sexual;Labour", 0.05),
    ("Sexual;Criminal", 0.03),
    ("Labour;Domestic", 0.03),
    ("Sexual;Domestic", 0.02),
    ("Domestic;Criminal", 0.01),
    ("Sexual;Labour;Criminal", 0.01),
    ("Labour;Domestic;Criminal", 0.005),
    ("Sexual;Labour;Domestic", 0.005),
    ("Organ Harvesting", 0.002),
    ("Labour;Organ Harvesting", 0.001),
    ("Criminal;Sexual;Labour;Domestic;Organ Harvesting", 0.001),
)

RG_REASONS = (
    "Insufficient evidence of exploitation",
    "Not recognised as a victim of modern slavery",
    "Public order grounds",
    "Bad faith",
)
CG_REASONS = (
    "Insufficient evidence of exploitation",
    "Not recognised as a victim of modern slavery",
    "Credibility concerns",
    "Public order grounds",
)


def _days(d: date) -> int:
    return (d - _EPOCH).days


def _pick(rng: np.random.Generator, n: int, weights: np.ndarray | list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right").astype(np.int32)


def _strings(values: tuple[str, ...] | list[str], idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(list(values), type=pa.string()).take(pa.array(idx))
    if mask is not None:
        arr = pc.if_else(pa.array(mask), pa.nulls(len(arr), pa.string()), arr)
    return arr


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    s = pc.utf8_lpad(pa.array(numbers.astype(np.int64)).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), s, "")


def _hex_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random 64-character lowercase hex strings (stand-ins for HMAC-SHA256 digests)."""
    data = binascii.hexlify(rng.bytes(32 * n)) if n else b""
    offsets = np.arange(0, 64 * n + 1, 64, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]).cast(
        pa.string()
    )


def generate_extract(
    n: int,
    seed: int = 0,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    *,
    extract_date: date | None = None,
) -> Extract:
    """``n`` referrals made between ``start`` and ``end`` (inclusive), with the cases'
    progress as at ``extract_date`` (default ``end``), plus Duty to Notify reports,
    reviews, support and reconsiderations (the generator's, from their own random stream)."""
    rng = np.random.default_rng(seed)
    ext = _days(extract_date or end)
    d0, d1 = _days(start), _days(end)
    ref_day = np.sort(rng.integers(d0, d1 + 1, n))

    # People: about 5% of referrals are a second referral of an earlier person.
    person_hash = _hex_ids(rng, n)
    repeat = rng.random(n) < 0.05
    src = np.where(repeat, rng.integers(0, max(n, 1), n), np.arange(n))
    person_id = person_hash.take(pa.array(src))

    frt_names = list(FIRST_RESPONDERS)
    frt = _pick(rng, n, [0.40, 0.12, 0.22, 0.18, 0.05, 0.03])
    fr_flat: list[str] = []
    fr_offset: list[int] = []
    for t in frt_names:
        fr_offset.append(len(fr_flat))
        fr_flat.extend(FIRST_RESPONDERS[t])
    sizes = np.array([len(FIRST_RESPONDERS[t]) for t in frt_names])
    fr_within = np.floor(rng.random(n) ** 1.6 * sizes[frt]).astype(np.int32)
    fr = np.array(fr_offset)[frt] + fr_within

    age = _pick(rng, n, [0.52, 0.44, 0.04])
    gender = _pick(rng, n, [0.21, 0.78, 0.003, 0.007])
    nat_w = 1.0 / (np.arange(len(NATIONALITIES)) + 1.5) ** 1.1
    nat1 = _pick(rng, n, nat_w)
    dual = rng.random(n) < 0.015
    nat2 = (nat1 + 1 + rng.integers(0, len(NATIONALITIES) - 1, n)) % len(NATIONALITIES)
    nat_single = _strings(NATIONALITIES, nat1)
    nat_other = _strings(NATIONALITIES, nat2)
    nationality = pc.if_else(
        pa.array(dual), pc.binary_join_element_wise(nat_single, nat_other, xs.LIST_SEPARATOR), nat_single
    )

    combos = [c for c, _ in _EXPLOITATION_MIX]
    combo = _pick(rng, n, [w for _, w in _EXPLOITATION_MIX])
    has_criminal = np.array(["Criminal" in c for c in combos])[combo]
    county_lines = has_criminal & (rng.random(n) < np.where(age == 1, 0.45, 0.15))

    location = _pick(rng, n, [0.62, 0.22, 0.08, 0.08])
    in_uk = (location == 0) | (location == 2)
    force = _pick(rng, n, 1.0 / (np.arange(len(POLICE_FORCES)) + 2.0))
    force_names = [f for f, _ in POLICE_FORCES]
    region_names = [r for _, r in POLICE_FORCES]

    ca = np.where(frt == 0, _pick(rng, n, [0.15, 0.85]), _pick(rng, n, [0.9, 0.1]))

    # Decisions.
    rg_day = ref_day + np.floor(rng.exponential(25.0, n)).astype(np.int64)
    has_rg = rg_day <= ext
    rg_pos = rng.random(n) < 0.72
    recovery = days_in_force("recovery_period_days", rg_day)  # a CG comes after the recovery period
    cg_day = rg_day + recovery + np.floor(rng.exponential(420.0, n)).astype(np.int64)
    has_cg = has_rg & rg_pos & (cg_day <= ext)
    cg_pos = rng.random(n) < 0.7

    # Withdrawn, suspended or disqualified cases stop at a date before any later decision.
    stop_kind = _pick(rng, n, [0.94, 0.04, 0.01, 0.01])  # none, Withdrawn, Suspended, Disqualified
    stop_day = ref_day + np.floor(rng.random(n) * np.maximum(ext - ref_day, 0)).astype(np.int64)
    stopped = (stop_kind > 0) & (stop_day <= ext)
    has_rg &= ~(stopped & (rg_day > stop_day))
    has_cg &= has_rg & ~(stopped & (cg_day > stop_day))
    negative_rg = has_rg & ~rg_pos
    stopped &= ~negative_rg & ~has_cg

    status = np.where(
        stopped,
        stop_kind + 2,  # CASE_STATUSES[3..5]
        np.where(has_cg | negative_rg, 2, np.where(has_rg, 1, 0)),
    )
    status_day = np.where(
        stopped,
        stop_day,
        np.where(has_cg, cg_day, np.where(has_rg, rg_day, ref_day)),
    )

    rg_reason = _pick(rng, n, [0.5, 0.35, 0.1, 0.05])
    cg_reason = _pick(rng, n, [0.45, 0.35, 0.15, 0.05])
    outcome_idx_rg = np.where(rg_pos, 0, 1)
    outcome_idx_cg = np.where(cg_pos, 0, 1)

    referrals = pa.Table.from_arrays(
        [
            _ids("NRM", np.arange(1, n + 1), 9),
            person_id,
            _dates(ref_day),
            _strings(xs.COMPETENT_AUTHORITIES, ca),
            _strings(frt_names, frt),
            _strings(fr_flat, fr),
            _strings(xs.AGES, age),
            _strings(xs.GENDERS, gender),
            nationality,
            _strings(combos, combo),
            _strings(xs.LOCATIONS, location),
            _strings(force_names, force, ~in_uk),
            _strings(region_names, force, ~in_uk),
            pa.array(county_lines),
            _strings(xs.OUTCOMES, outcome_idx_rg, ~has_rg),
            _dates(rg_day, ~has_rg),
            _strings(RG_REASONS, rg_reason, ~negative_rg),
            _strings(xs.OUTCOMES, outcome_idx_cg, ~has_cg),
            _dates(cg_day, ~has_cg),
            _strings(CG_REASONS, cg_reason, ~(has_cg & ~cg_pos)),
            _strings(xs.CASE_STATUSES, status),
            _dates(status_day),
        ],
        schema=xs.REFERRALS,
    )

    # Duty to Notify: about a quarter as many reports as referrals.
    m = n // 4
    dtn_day = np.sort(rng.integers(d0, d1 + 1, m))
    dtn_frt = _pick(rng, m, [0.2, 0.0, 0.6, 0.1, 0.05, 0.05])
    dtn_fr = np.array(fr_offset)[dtn_frt]
    dtn_loc = _pick(rng, m, [0.6, 0.25, 0.1, 0.05])
    dtn_force = _pick(rng, m, 1.0 / (np.arange(len(POLICE_FORCES)) + 2.0))
    dtn_nat = _pick(rng, m, nat_w)
    duty_to_notify = pa.Table.from_arrays(
        [
            _ids("DTN", np.arange(1, m + 1), 9),
            _dates(dtn_day),
            _strings(frt_names, dtn_frt),
            _strings(fr_flat, dtn_fr),
            _strings(xs.GENDERS, _pick(rng, m, [0.3, 0.68, 0.005, 0.015])),
            _strings(NATIONALITIES, dtn_nat),
            _strings(xs.DTN_AGE_BANDS, _pick(rng, m, [0.3, 0.35, 0.18, 0.1, 0.04, 0.03])),
            _strings(combos, _pick(rng, m, [w for _, w in _EXPLOITATION_MIX])),
            _strings(xs.LOCATIONS, dtn_loc),
            _strings(force_names, dtn_force, ~((dtn_loc == 0) | (dtn_loc == 2))),
        ],
        schema=xs.DUTY_TO_NOTIFY,
    )

    # Reviews: some negative decisions go to a review.
    ids = referrals.column("referral_id")
    rev_parts: list[pa.Table] = []
    for stage, day, neg in (
        ("RG", rg_day, has_rg & ~rg_pos),
        ("CG", cg_day, has_cg & ~cg_pos),
    ):
        pick = np.flatnonzero(neg & (rng.random(n) < 0.3))
        k = len(pick)
        referred = day[pick] + rng.integers(1, 30, k)
        keep = referred <= ext
        pick, referred = pick[keep], referred[keep]
        k = len(pick)
        out_day = referred + np.floor(rng.exponential(40.0, k)).astype(np.int64)
        decided = out_day <= ext
        rev_parts.append(
            pa.Table.from_arrays(
                [
                    ids.take(pa.array(pick)),
                    pa.array([stage] * k, type=pa.string()),
                    _strings(xs.REVIEW_KINDS, _pick(rng, k, [0.3, 0.7])),
                    _dates(referred),
                    _strings(xs.REVIEW_OUTCOMES, _pick(rng, k, [0.8, 0.2]), ~decided),
                    _dates(out_day, ~decided),
                ],
                schema=xs.REVIEWS,
            )
        )
    reviews = pa.concat_tables(rev_parts)

    # Support: positive RG decisions start support.
    pick = np.flatnonzero(has_rg & rg_pos & (rng.random(n) < 0.6))
    k = len(pick)
    kind = _pick(rng, k, [0.35, 0.25, 0.15, 0.08, 0.07, 0.05, 0.05])
    s_day = rg_day[pick] + rng.integers(0, 14, k)
    ok = s_day <= ext
    pick, kind, s_day = pick[ok], kind[ok], s_day[ok]
    k = len(pick)
    e_day = s_day + np.floor(rng.exponential(200.0, k)).astype(np.int64)
    ended = e_day <= ext
    assessment = kind == xs.SUPPORT_KINDS.index("Recovery needs assessment")
    support = pa.Table.from_arrays(
        [
            ids.take(pa.array(pick)),
            _strings(xs.SUPPORT_KINDS, kind),
            _strings(xs.PROVIDER_TYPES, _pick(rng, k, [0.85, 0.15])),
            _dates(s_day),
            _dates(e_day, ~ended),
            _strings(("Needs met", "Ongoing needs"), _pick(rng, k, [0.6, 0.4]), ~(assessment & ended)),
        ],
        schema=xs.SUPPORT,
    )
    reconsiderations = generate_reconsiderations(referrals, seed, as_of=extract_date or end)
    return Extract(referrals, duty_to_notify, reviews, support, reconsiderations=reconsiderations)
