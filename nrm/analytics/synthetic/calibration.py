"""Target distributions for synthetic NRM data, loaded from the published statistics.

Everything here is read from ``data/published`` (Home Office NRM statistics as tidy CSV) and,
where present, from the reference data in ``nrm/reference/data`` (police forces, organisations,
countries and nationality aliases, negative-decision reasons). :func:`load_calibration` is
cached, so the CSVs are parsed once per process and data directory.

What comes from where
---------------------
* Referral volume by quarter: ``nrm_referrals_longitudinal.csv`` (2009 Q2 to 2023 Q4). After
  2023 Q4 the 2024 annual total from the bulletin (19,125) is spread evenly over the four
  quarters of 2024; later years repeat 2024.
* Age x location of exploitation per quarter: the same file. After 2023 the mix of the same
  quarter of 2023 is used.
* First-responder type, organisation, exploitation-type combination, gender and nationality:
  the first-responder tables for 2022 Q2 to 2023 Q3 (Government agency, NGO, Local authority).
  The referrals in the longitudinal totals that those tables do not cover (by age) are the
  other first-responder types; they are split 92 / 4 / 4 between Police, Health and social care
  and Other (an assumption: the tables do not publish them), and take the pooled mix of all
  three tables for their age. The six table quarters use their own quarter's cells; every
  other quarter uses the six quarters pooled. Sampling a cell conditional on age keeps each
  nationality's own mix of age, exploitation type and gender (and dual nationalities).
* Recording rules: before 2019-10-01 criminal exploitation was recorded as Labour, age
  "Not specified or unknown" did not exist and dual nationality was not recorded (the first
  known nationality is kept).
* RG and CG outcome rates by quarter x age, and decision volumes by quarter (which drive the
  queues in :mod:`nrm.analytics.synthetic.extract` so that the CG backlog grows through 2019-2022 as the
  published figures imply): ``nrm_reasonable_grounds.csv`` / ``nrm_conclusive_grounds.csv``,
  2014 Q1 to 2023 Q4; 2024 uses the bulletin's headline figures (RG 20,090 made, 53% positive;
  CG 17,304 made, 56% positive) with the 2023 age pattern; later years repeat 2024.
* Duty to Notify volume by quarter (2015 Q4 on) and nationality (2022 Q2 to 2023 Q3).
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from nrm.analytics import extract_schema as xs
from nrm.core import policy

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_REFERENCE_DIR",
    "GUIDANCE_CHANGE",
    "HEADLINE_2024",
    "RECORDING_CHANGE",
    "Calibration",
    "Profile",
    "load_calibration",
    "parse_exploitation",
    "quarter_index",
    "quarter_label",
    "quarter_start",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "published"
DEFAULT_REFERENCE_DIR = REPO_ROOT / "nrm" / "reference" / "data"

# The dates of policy changes come from the policy registry (nrm/core/data/policy.csv).
RECORDING_CHANGE = policy.effective_from("criminal_exploitation_recorded", "1")
"""Criminal exploitation, age 'Not specified or unknown' and dual nationality recorded from."""
GUIDANCE_CHANGE = policy.schedule("rg_guidance_version")[1].effective_from  # the Nationality and Borders Act guidance
"""RG threshold guidance change (the first revision of policy ``rg_guidance_version``), when the recovery
period was also shortened and public-order disqualification began."""
MAAP_FROM = policy.effective_from("independent_review_mode", "panel")
MAAP_TO = policy.effective_from("independent_review_mode", "second_line") - timedelta(days=1)
RNA_FROM = date(2020, 9, 28)
"""Recovery needs assessments under the Victim Care Contract."""

HEADLINE_2024 = {
    "referrals": 19_125,
    "rg_made": 20_090,
    "rg_positive": 0.53,
    "cg_made": 17_304,
    "cg_positive": 0.56,
    "duty_to_notify": 5_598,
}

FRT = xs.FIRST_RESPONDER_TYPES
GOV, NGO, POLICE, LA, HSC, OTHER = (FRT.index(t) for t in (
    "Government agency", "NGO and third sector", "Police", "Local authority", "Health and social care", "Other"
))
RESIDUAL_SPLIT = {POLICE: 0.92, HSC: 0.04, OTHER: 0.04}
"""How referrals outside the published first-responder tables split between the other types."""
OTHER_FIRST_RESPONDER = "Other first responder"
LOCAL_AUTHORITY_PRINTED = "Local Authority"

# Published order of exploitation types in a combination ("Sexual, Labour, Domestic & Criminal").
EXPLOITATION_ORDER = ("Sexual", "Labour", "Domestic", "Organ Harvesting", "Criminal", "Not specified or unknown")

_TABLE_TYPES = {"Government agency": GOV, "NGO and third sector": NGO, "Local Authority": LA, "Local authority": LA}
_AGE_LABELS = {
    "Adult (18 or over)": 0,
    "Child (17 or under)": 1,
    "Age not specified or unknown": 2,
    "Not specified or unknown": 2,
}
_GENDER_MAP = {"Female": "Female", "Male": "Male", "Other": "Other", "Not Recorded": "Not specified or unknown",
               "Not specified or unknown": "Not specified or unknown"}
UNKNOWN_NATIONALITY = "Unknown"

# Approximate relative weights of police force areas in NRM referrals (population, with London
# weighted up and Scotland / Northern Ireland down, as in the published force-area tables). Not
# published in data/published; used only to spread referrals over forces.
_FORCE_WEIGHTS = {
    "Metropolitan Police": 12.0, "Cumbria": 0.5, "Lancashire": 1.5, "Merseyside": 1.5,
    "Greater Manchester": 3.0, "Cheshire": 1.0, "Northumbria": 1.4, "Durham": 0.6,
    "North Yorkshire": 0.8, "West Yorkshire": 2.4, "South Yorkshire": 1.4, "Humberside": 0.9,
    "Cleveland": 0.6, "West Midlands": 3.2, "Staffordshire": 1.1, "West Mercia": 1.2,
    "Warwickshire": 0.6, "Derbyshire": 1.0, "Nottinghamshire": 1.2, "Lincolnshire": 0.8,
    "Leicestershire": 1.1, "Northamptonshire": 0.8, "Cambridgeshire": 0.9, "Norfolk": 0.9,
    "Suffolk": 0.8, "Bedfordshire": 0.8, "Hertfordshire": 1.2, "Essex": 1.9,
    "Thames Valley": 2.4, "Hampshire": 2.0, "Surrey": 1.1, "Kent": 2.0, "Sussex": 1.6,
    "City of London": 0.1, "Devon and Cornwall": 1.6, "Avon and Somerset": 1.7,
    "Gloucestershire": 0.6, "Wiltshire": 0.7, "Dorset": 0.7, "North Wales": 0.6, "Gwent": 0.6,
    "South Wales": 1.3, "Dyfed-Powys": 0.4, "Police Scotland": 2.5,
    "Police Service of Northern Ireland": 0.8, "British Transport Police": 0.3,
}
_FORCE_REGIONS_FALLBACK = {
    "Metropolitan Police": "London", "City of London": "London", "Cumbria": "North West", "Lancashire": "North West",
    "Merseyside": "North West", "Greater Manchester": "North West", "Cheshire": "North West",
    "Northumbria": "North East", "Durham": "North East", "Cleveland": "North East",
    "North Yorkshire": "Yorkshire and The Humber", "West Yorkshire": "Yorkshire and The Humber",
    "South Yorkshire": "Yorkshire and The Humber", "Humberside": "Yorkshire and The Humber",
    "West Midlands": "West Midlands", "Staffordshire": "West Midlands", "West Mercia": "West Midlands",
    "Warwickshire": "West Midlands", "Derbyshire": "East Midlands", "Nottinghamshire": "East Midlands",
    "Lincolnshire": "East Midlands", "Leicestershire": "East Midlands", "Northamptonshire": "East Midlands",
    "Cambridgeshire": "East of England", "Norfolk": "East of England", "Suffolk": "East of England",
    "Bedfordshire": "East of England", "Hertfordshire": "East of England", "Essex": "East of England",
    "Thames Valley": "South East", "Hampshire": "South East", "Surrey": "South East", "Kent": "South East",
    "Sussex": "South East", "Devon and Cornwall": "South West", "Avon and Somerset": "South West",
    "Gloucestershire": "South West", "Wiltshire": "South West", "Dorset": "South West", "North Wales": "Wales",
    "Gwent": "Wales", "South Wales": "Wales", "Dyfed-Powys": "Wales", "Police Scotland": "Scotland",
    "Police Service of Northern Ireland": "Northern Ireland", "British Transport Police": "National",
}
_HSC_FALLBACK = (
    "Belfast Health and Social Care Trust", "Northern Health and Social Care Trust",
    "South Eastern Health and Social Care Trust", "Southern Health and Social Care Trust",
    "Western Health and Social Care Trust",
)
# Relative weights of reason codes for negative decisions (an assumption; the published data give
# no reasons). Codes not listed get weight 0.2.
_REASON_WEIGHTS = {
    "rg_no_indicators": 3.0, "rg_insufficient_information": 4.0, "rg_credibility": 1.5,
    "rg_not_at_relevant_time": 0.8, "rg_not_modern_slavery": 1.2, "rg_no_purpose": 0.5,
    "cg_credibility": 3.0, "cg_insufficient_information": 2.5, "cg_no_indicators": 1.5,
    "cg_not_at_relevant_time": 1.0, "cg_rg_threshold_only": 2.0, "cg_not_modern_slavery": 0.8,
}
_REASON_FALLBACK = {
    "RG": ("no_indicators", "insufficient_information", "credibility", "not_victim_at_relevant_time"),
    "CG": ("no_indicators", "insufficient_information", "credibility", "not_victim_at_relevant_time"),
}
IECA_FROM_FALLBACK = date(2021, 11, 1)


# ---------------------------------------------------------------------------
# Quarters


def quarter_index(d: date) -> int:
    """A quarter as one integer: year * 4 + (quarter - 1)."""
    return d.year * 4 + (d.month - 1) // 3


def quarter_start(qi: int) -> date:
    return date(qi // 4, (qi % 4) * 3 + 1, 1)


def quarter_end(qi: int) -> date:
    """Last day of the quarter."""
    nxt = quarter_start(qi + 1)
    return date.fromordinal(nxt.toordinal() - 1)


def quarter_label(qi: int) -> str:
    return f"{qi // 4} Q{qi % 4 + 1}"


def _qi(year: int, quarter: str) -> int:
    return year * 4 + int(quarter.strip().upper().lstrip("Q")) - 1


FIRST_REFERRAL_QUARTER = _qi(2009, "Q2")
LAST_PUBLISHED_QUARTER = _qi(2023, "Q4")
RECORDING_CHANGE_QUARTER = quarter_index(RECORDING_CHANGE)


# ---------------------------------------------------------------------------
# Labels


def parse_exploitation(printed: str) -> str:
    """'Sexual, Labour & Criminal' -> 'Sexual;Labour;Criminal' (published order kept)."""
    text = " ".join(printed.split())
    if text == "Not specified or unknown":
        return text
    parts = [p.strip() for chunk in text.split(",") for p in chunk.split("&")]
    parts = [p for p in parts if p]
    unknown = [p for p in parts if p not in EXPLOITATION_ORDER]
    if unknown:
        raise ValueError(f"unknown exploitation type {unknown!r} in {printed!r}")
    ordered = sorted(set(parts), key=EXPLOITATION_ORDER.index)
    return xs.LIST_SEPARATOR.join(ordered)


def recode_exploitation_pre_2019(combo: str) -> str:
    """Before 2019-10-01 criminal exploitation was recorded as labour."""
    parts = combo.split(xs.LIST_SEPARATOR)
    if "Criminal" not in parts:
        return combo
    parts = ["Labour" if p == "Criminal" else p for p in parts]
    return xs.LIST_SEPARATOR.join(sorted(set(parts), key=EXPLOITATION_ORDER.index))


_MULTIWORD_FALLBACK = (
    "British Virgin Islander", "Cape Verdean", "Cayman Islander", "Central African",
    "Citizen of Antigua and Barbuda", "Citizen of Bosnia and Herzegovina", "Citizen of Guinea-Bissau",
    "Citizen of Seychelles", "Citizen of the Dominican Republic", "Congolese (Congo)", "Congolese (DRC)",
    "Costa Rican", "East Timorese", "Equatorial Guinean", "Hong Konger", "New Zealander", "North Korean",
    "Saudi Arabian", "Sierra Leonean", "South African", "South Korean", "South Sudanese", "Sri Lankan",
    "St Helenian", "St Lucian",
)
_ALIAS_FALLBACK = {
    "Not Known": UNKNOWN_NATIONALITY, "Congolese (Drc)": "Congolese (DRC)", "Congolese Drc": "Congolese (DRC)",
    "Congolese Congo": "Congolese (Congo)", "Citizen of Guinea Bissau": "Citizen of Guinea-Bissau",
    "UKrainian": "Ukrainian",
}


class NationalityResolver:
    """Printed nationality -> tuple of demonyms (two for a dual nationality).

    Follows ``nrm/reference/data/README.md``: a whole string that is a demonym or alias is one
    nationality; otherwise exactly one split point must give two known demonyms.
    """

    def __init__(self, demonyms: dict[str, str], *, lenient: bool = False) -> None:
        self.demonyms = demonyms  # printed form (demonym or alias) -> canonical demonym
        self.lenient = lenient

    def resolve(self, printed: str) -> tuple[str, ...]:
        text = " ".join(printed.split())
        if text in self.demonyms:
            return (self.demonyms[text],)
        words = text.split(" ")
        splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
        good = [(a, b) for a, b in splits if a in self.demonyms and b in self.demonyms]
        if len(good) == 1:
            a, b = good[0]
            return (self.demonyms[a], self.demonyms[b])
        if self.lenient:
            half = [(a, b) for a, b in splits if (a in self.demonyms) != (b in self.demonyms)]
            if half:
                a, b = half[-1] if half[-1][1] in self.demonyms else half[0]
                return (self.demonyms.get(a, a), self.demonyms.get(b, b))
            return (text,)
        raise ValueError(f"cannot resolve published nationality {printed!r}")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _in_force(row: dict[str, str], on: date) -> bool:
    start = date.fromisoformat(row["effective_from"]) if row.get("effective_from") else date.min
    end = date.fromisoformat(row["effective_to"]) if row.get("effective_to") else date.max
    return start <= on < end


# ---------------------------------------------------------------------------
# The calibration


@dataclass(frozen=True)
class Profile:
    """The joint first-responder x exploitation x gender x nationality mix, conditional on age.

    ``fr_given_age[a, f]`` is P(first-responder type f | age a). The cells are the published
    innermost cells (``cell_org`` -1 for the residual types, whose organisation is drawn later).
    """

    name: str
    fr_given_age: F64
    cell_type: I64
    cell_org: I64
    cell_expl: I64
    cell_gender: I64
    cell_nat: I64
    cell_age: I64
    cell_weight: F64

    def nat_given_age_type(self, n_nat: int) -> F64:
        """M[a, f, nat] = P(f | a) * P(nat | f, a)."""
        out = np.zeros((len(xs.AGES), len(FRT), n_nat))
        np.add.at(out, (self.cell_age, self.cell_type, self.cell_nat), self.cell_weight)
        tot = out.sum(axis=2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(tot > 0, out / tot, 0.0)
        result: F64 = out * self.fr_given_age[:, :, None]
        return result


@dataclass(frozen=True)
class Calibration:
    """Target distributions. Category indices refer to the tuples held here and to
    :mod:`nrm.analytics.extract_schema` (AGES, GENDERS, LOCATIONS, FIRST_RESPONDER_TYPES)."""

    data_dir: Path
    referrals: dict[int, float]  # published referrals by quarter index
    age_location: dict[int, F64]  # quarter -> (3 ages, 4 locations) counts
    rg: dict[int, F64]  # quarter -> (3 ages, [positive, negative]) decisions made
    cg: dict[int, F64]
    dtn: dict[int, float]
    dtn_nationality: dict[str, F64]  # profile name -> weights over nationalities
    nationalities: tuple[str, ...]  # canonical, dual as 'A;B'
    nationality_collapsed: I64  # index of the single nationality recorded before 2019-10-01
    exploitations: tuple[str, ...]  # canonical combinations 'Sexual;Labour'
    exploitation_recoded: I64  # index of the pre-2019-10-01 recording of each combination
    exploitation_flags: npt.NDArray[np.bool_]  # (combos, len(EXPLOITATION_TYPES))
    organisations: tuple[str, ...]  # first-responder organisation names
    organisation_type: I64  # index into FIRST_RESPONDER_TYPES
    profiles: tuple[Profile, ...]
    table_quarters: tuple[int, ...]
    forces: tuple[str, ...]
    force_regions: tuple[str, ...]
    force_weights: F64
    force_from: tuple[date, ...]
    force_org: I64  # organisation index of each force (as first responder)
    la_org: I64  # organisation index of each local authority
    la_force: I64  # police force of each local authority
    la_from: tuple[date, ...]
    la_to: tuple[date, ...]
    hsc_org: I64
    other_org: int
    rg_reasons: tuple[str, ...]
    rg_reason_weights: F64
    cg_reasons: tuple[str, ...]
    cg_reason_weights: F64
    ieca_from: date
    notes: tuple[str, ...]  # fallbacks used (reference files missing, ...)

    # -- profiles -----------------------------------------------------------
    def profile_index(self, qi: int) -> int:
        if qi in self.table_quarters:
            return 2 + self.table_quarters.index(qi)
        return 0 if qi < RECORDING_CHANGE_QUARTER else 1

    @property
    def profile_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.profiles)

    # -- referral volume and age x location --------------------------------
    def referral_volume(self, qi: int) -> float:
        if qi < FIRST_REFERRAL_QUARTER:
            raise ValueError(f"no published referrals before {quarter_label(FIRST_REFERRAL_QUARTER)}")
        if qi <= LAST_PUBLISHED_QUARTER:
            return self.referrals[qi]
        return HEADLINE_2024["referrals"] / 4.0

    def age_location_probs(self, qi: int) -> F64:
        """P(age, location | quarter), (3, 4), honouring the recording rules."""
        src = qi if qi <= LAST_PUBLISHED_QUARTER else _qi(2023, "Q1") + qi % 4
        counts = self.age_location[src].copy()
        if qi < RECORDING_CHANGE_QUARTER:
            counts[2, :] = 0.0
        total = counts.sum()
        result: F64 = counts / total
        return result

    # -- decisions ------------------------------------------------------------
    def _decision(self, table: dict[int, F64], qi: int, made_2024: float, positive_2024: float) -> F64:
        first = min(table)
        if qi < first:
            return table[first] * (self.referral_volume(qi) / self.referral_volume(first))
        if qi <= LAST_PUBLISHED_QUARTER:
            return table[qi]
        # 2024 and later: the bulletin's annual figures with the 2023 H2 age pattern.
        pattern = sum((table[q] for q in range(_qi(2023, "Q3"), LAST_PUBLISHED_QUARTER + 1)), np.zeros((3, 2)))
        share = pattern.sum(axis=1) / pattern.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(pattern.sum(axis=1) > 0, pattern[:, 0] / pattern.sum(axis=1), positive_2024)
        overall = float((share * rate).sum())
        rate = np.clip(rate * positive_2024 / overall, 0.0, 1.0)
        made = made_2024 / 4.0 * share
        out: F64 = np.stack([made * rate, made * (1 - rate)], axis=1)
        return out

    def rg_decisions(self, qi: int) -> F64:
        return self._decision(self.rg, qi, HEADLINE_2024["rg_made"], HEADLINE_2024["rg_positive"])

    def cg_decisions(self, qi: int) -> F64:
        return self._decision(self.cg, qi, HEADLINE_2024["cg_made"], HEADLINE_2024["cg_positive"])

    @staticmethod
    def _rates(made: F64) -> F64:
        tot = made.sum(axis=1)
        overall = made[:, 0].sum() / max(made.sum(), 1e-12)
        with np.errstate(invalid="ignore", divide="ignore"):
            out: F64 = np.where(tot > 0, made[:, 0] / tot, overall)
        return out

    def rg_positive_rate(self, qi: int) -> F64:
        """P(positive | RG made in quarter qi, age), shape (3,)."""
        return self._rates(self.rg_decisions(qi))

    def cg_positive_rate(self, qi: int) -> F64:
        return self._rates(self.cg_decisions(qi))

    # -- Duty to Notify --------------------------------------------------------
    def dtn_volume(self, qi: int) -> float:
        if qi <= LAST_PUBLISHED_QUARTER:
            return self.dtn.get(qi, 0.0)
        return HEADLINE_2024["duty_to_notify"] / 4.0

    def dtn_nationality_probs(self, qi: int) -> F64:
        w = self.dtn_nationality[self.profile_names[self.profile_index(qi)]]
        result: F64 = w / w.sum()
        return result


# ---------------------------------------------------------------------------
# Loading


def load_calibration(data_dir: str | Path | None = None, reference_dir: str | Path | None = None) -> Calibration:
    """The calibration for ``data_dir`` (default ``<repo>/data/published``), cached."""
    d = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    r = Path(reference_dir) if reference_dir is not None else DEFAULT_REFERENCE_DIR
    return _load_cached(str(d.resolve()), str(r.resolve()))


@functools.lru_cache(maxsize=8)
def _load_cached(data_dir: str, reference_dir: str) -> Calibration:
    return _load(Path(data_dir), Path(reference_dir))


def _load(data_dir: Path, ref_dir: Path) -> Calibration:
    if not (data_dir / "nrm_referrals_longitudinal.csv").exists():
        raise FileNotFoundError(f"published NRM statistics not found in {data_dir}")
    notes: list[str] = []

    # --- referrals: volume and age x location -------------------------------
    age_location = _age_location(data_dir)
    referrals = {qi: float(a.sum()) for qi, a in age_location.items()}

    # --- decisions ------------------------------------------------------------
    rg = _decisions(data_dir / "nrm_reasonable_grounds.csv")
    cg = _decisions(data_dir / "nrm_conclusive_grounds.csv")

    # --- reference data -------------------------------------------------------
    resolver = _resolver(ref_dir, data_dir, notes)

    # --- first-responder tables -------------------------------------------------
    cells = _table_cells(data_dir, resolver)
    table_quarters = tuple(sorted(set(cells["qi"].to_list())))
    dtn_raw = _dtn_nationality(data_dir, resolver)
    nationalities, nat_index, nationality_collapsed = _nationality_index(cells, dtn_raw)
    exploitations, expl_index, exploitation_recoded, flags = _exploitation_index(cells)

    # --- organisations ----------------------------------------------------------
    orgs = _Organisations()
    table_orgs = cells.select("ftype", "org").unique().sort("ftype", "org")
    org_index: dict[tuple[int, str], int] = {}
    for ftype, name in table_orgs.iter_rows():
        org_index[(ftype, name)] = orgs.add(name, ftype)

    forces, regions, force_from, force_w = _police_forces(ref_dir, notes)
    force_org = np.array([orgs.add(f, POLICE) for f in forces], dtype=np.int64)
    org_rows = _read_csv(ref_dir / "organisations.csv") if (ref_dir / "organisations.csv").exists() else []
    hsc_names = [r["name"] for r in org_rows if r["organisation_type"] == "Health and social care"] or list(
        _HSC_FALLBACK)
    hsc_org = np.array([orgs.add(n, HSC) for n in hsc_names], dtype=np.int64)
    other_org = orgs.add(OTHER_FIRST_RESPONDER, OTHER)
    la_org, la_force, la_from, la_to = _local_authorities(ref_dir, org_rows, forces, orgs.add, notes)
    if len(la_org) == 0:
        la_org = np.array([org_index[(LA, LOCAL_AUTHORITY_PRINTED)]], dtype=np.int64)
        la_force = np.array([-1], dtype=np.int64)
        la_from, la_to = (date.min,), (date.max,)

    # --- profiles ------------------------------------------------------------------
    cells = cells.with_columns(
        pl.struct("ftype", "org").map_elements(lambda s: org_index[(s["ftype"], s["org"])],
                                               return_dtype=pl.Int64).alias("org_i"),
        pl.col("nat").replace_strict(nat_index, return_dtype=pl.Int64).alias("nat_i"),
        pl.col("expl").replace_strict(expl_index, return_dtype=pl.Int64).alias("expl_i"),
        pl.col("gender").replace_strict({g: i for i, g in enumerate(xs.GENDERS)}, return_dtype=pl.Int64)
        .alias("gender_i"),
    )
    residual = _residual(cells, table_quarters, age_location)
    recoding = _Recoding(exploitation_recoded, nationality_collapsed)
    pooled_resid = sum((residual[q] for q in table_quarters), np.zeros(3))
    profiles = [
        _profile("pooled, recorded as before 2019-10-01", cells, pooled_resid, recoding),
        _profile("pooled 2022 Q2 to 2023 Q3", cells, pooled_resid, None),
    ]
    for qi in table_quarters:
        profiles.append(_profile(quarter_label(qi), cells.filter(pl.col("qi") == qi), residual[qi], None))

    # --- Duty to Notify -------------------------------------------------------------
    dtn_lon = pl.read_csv(data_dir / "nrm_duty_to_notify_longitudinal.csv", infer_schema_length=0)
    dtn = {_qi(int(y), q): float(t) for y, q, t in dtn_lon.filter(pl.col("Quarter") != "Total").iter_rows()}
    dtn_raw = dtn_raw.with_columns(pl.col("nat").replace_strict(nat_index, return_dtype=pl.Int64).alias("nat_i"))
    dtn_w = _dtn_weights(dtn_raw, table_quarters, len(nationalities), nationality_collapsed,
                         recoded_name=profiles[0].name, pooled_name=profiles[1].name)

    rg_reasons, rg_w, cg_reasons, cg_w = _reasons(ref_dir, notes)

    return Calibration(
        data_dir=data_dir,
        referrals=referrals,
        age_location=age_location,
        rg=rg,
        cg=cg,
        dtn=dtn,
        dtn_nationality=dtn_w,
        nationalities=nationalities,
        nationality_collapsed=nationality_collapsed,
        exploitations=exploitations,
        exploitation_recoded=exploitation_recoded,
        exploitation_flags=flags,
        organisations=tuple(orgs.names),
        organisation_type=np.array(orgs.types, dtype=np.int64),
        profiles=tuple(profiles),
        table_quarters=table_quarters,
        forces=forces,
        force_regions=regions,
        force_weights=force_w,
        force_from=force_from,
        force_org=force_org,
        la_org=la_org,
        la_force=la_force,
        la_from=la_from,
        la_to=la_to,
        hsc_org=hsc_org,
        other_org=other_org,
        rg_reasons=rg_reasons,
        rg_reason_weights=rg_w,
        cg_reasons=cg_reasons,
        cg_reason_weights=cg_w,
        ieca_from=_ieca_from(org_rows),
        notes=tuple(notes),
    )


def _age_location(data_dir: Path) -> dict[int, F64]:
    """Referrals by quarter index: an array of age x location of exploitation."""
    lon = pl.read_csv(data_dir / "nrm_referrals_longitudinal.csv", infer_schema_length=0)
    lon = lon.filter((pl.col("Quarter") != "Total") & (pl.col("Location of exploitation") != "Total"))
    age_location: dict[int, F64] = {}
    for row in lon.iter_rows(named=True):
        qi = _qi(int(row["Year"]), row["Quarter"])
        arr = age_location.setdefault(qi, np.zeros((3, 4)))
        arr[_AGE_LABELS[row["Age at exploitation"]], xs.LOCATIONS.index(row["Location of exploitation"])] += float(
            row["NRM referrals"]
        )
    return age_location


def _nationality_index(
    cells: pl.DataFrame, dtn_raw: pl.DataFrame
) -> tuple[tuple[str, ...], dict[str, int], I64]:
    """Every nationality of the tables (with its form recorded before 2019-10-01), the index of each and the
    index of each one's collapsed form."""
    nat_names = set(cells["nat"].to_list())
    nat_names |= set(dtn_raw["nat"].to_list())
    collapsed_of = {n: _collapse(n) for n in nat_names}
    nat_names |= set(collapsed_of.values())
    nationalities = tuple(sorted(nat_names))
    nat_index = {n: i for i, n in enumerate(nationalities)}
    nationality_collapsed = np.array([nat_index[_collapse(n)] for n in nationalities], dtype=np.int64)
    return nationalities, nat_index, nationality_collapsed


def _exploitation_index(cells: pl.DataFrame) -> tuple[tuple[str, ...], dict[str, int], I64, npt.NDArray[np.bool_]]:
    """Every exploitation (combination) of the tables with its pre-2019 recoding, the index of each, the index of
    each one's recoded form and the flags of its types."""
    expl_names = set(cells["expl"].to_list())
    expl_names |= {recode_exploitation_pre_2019(e) for e in expl_names}
    exploitations = tuple(sorted(expl_names, key=lambda e: (e.count(";"), [EXPLOITATION_ORDER.index(p) for p in
                                                                           e.split(";")])))
    expl_index = {e: i for i, e in enumerate(exploitations)}
    exploitation_recoded = np.array([expl_index[recode_exploitation_pre_2019(e)] for e in exploitations],
                                    dtype=np.int64)
    flags = np.zeros((len(exploitations), len(xs.EXPLOITATION_TYPES)), dtype=np.bool_)
    for i, e in enumerate(exploitations):
        for p in e.split(";"):
            flags[i, xs.EXPLOITATION_TYPES.index(p)] = True
    return exploitations, expl_index, exploitation_recoded, flags


class _Organisations:
    """The first-responder organisations in the order they are added, with their types."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.types: list[int] = []

    def add(self, name: str, ftype: int) -> int:
        """Add an organisation; its index."""
        self.names.append(name)
        self.types.append(ftype)
        return len(self.names) - 1


def _ieca_from(org_rows: Sequence[dict[str, str]]) -> date:
    ieca_from = IECA_FROM_FALLBACK
    for r in org_rows:
        if r["slug"] == "ieca" and r.get("effective_from"):
            ieca_from = date.fromisoformat(r["effective_from"])
    return ieca_from


def _residual(cells: pl.DataFrame, table_quarters: Sequence[int], age_location: dict[int, F64]) -> dict[int, F64]:
    """The referrals by quarter and age of the first-responder types outside the tables."""
    table_by_age = cells.group_by("qi", "age").agg(pl.col("w").sum())
    residual: dict[int, F64] = {}
    for qi in table_quarters:
        tot = age_location[qi].sum(axis=1)
        got = np.zeros(3)
        for _, a, w in table_by_age.filter(pl.col("qi") == qi).iter_rows():
            got[a] = w
        residual[qi] = np.maximum(tot - got, 0.0)
    return residual


@dataclass(frozen=True)
class _Recoding:
    """How a profile is recorded as before 2019-10-01: exploitations recoded, nationalities collapsed."""

    exploitation_recoded: I64
    nationality_collapsed: I64


def _profile(name: str, frame: pl.DataFrame, resid: F64, recoding: _Recoding | None) -> Profile:
    """The profile of the table cells in ``frame`` and the ``resid`` referrals of the other types by age."""
    fr_counts = np.zeros((3, len(FRT)))
    for f, a, w in frame.group_by("ftype", "age").agg(pl.col("w").sum()).iter_rows():
        fr_counts[a, f] += w
    for f, share in RESIDUAL_SPLIT.items():
        fr_counts[:, f] += resid * share
    tot = fr_counts.sum(axis=1, keepdims=True)
    fr_given_age = np.where(tot > 0, fr_counts / np.where(tot > 0, tot, 1.0), 0.0)
    ftype = frame["ftype"].to_numpy().astype(np.int64)
    org = frame["org_i"].to_numpy().astype(np.int64)
    expl = frame["expl_i"].to_numpy().astype(np.int64)
    gender = frame["gender_i"].to_numpy().astype(np.int64)
    nat = frame["nat_i"].to_numpy().astype(np.int64)
    age = frame["age"].to_numpy().astype(np.int64)
    w = frame["w"].to_numpy().astype(np.float64)
    # The other types take the pooled mix of all tables for their age.
    parts_t, parts_o = [ftype], [org]
    parts_e, parts_g, parts_n, parts_a, parts_w = [expl], [gender], [nat], [age], [w]
    for f in RESIDUAL_SPLIT:
        parts_t.append(np.full(len(w), f, dtype=np.int64))
        parts_o.append(np.full(len(w), -1, dtype=np.int64))
        parts_e.append(expl)
        parts_g.append(gender)
        parts_n.append(nat)
        parts_a.append(age)
        parts_w.append(w)
    ct, co, ce, cg_, cn, ca, cw = (np.concatenate(p) for p in
                                   (parts_t, parts_o, parts_e, parts_g, parts_n, parts_a, parts_w))
    if recoding is not None:
        ce = recoding.exploitation_recoded[ce]
        cn = recoding.nationality_collapsed[cn]
        keep = ca != 2
        ct, co, ce, cg_, cn, ca, cw = (x[keep] for x in (ct, co, ce, cg_, cn, ca, cw))
        fr_given_age = fr_given_age.copy()
        fr_given_age[2, :] = 0.0
    return Profile(name, fr_given_age, ct, co, ce, cg_, cn, ca, cw.astype(np.float64))


def _dtn_weights(
    dtn_raw: pl.DataFrame,
    table_quarters: Sequence[int],
    n_nat: int,
    nationality_collapsed: I64,
    *,
    recoded_name: str,
    pooled_name: str,
) -> dict[str, F64]:
    """Duty to Notify reports by nationality for each table quarter's profile and the two pooled ones."""
    dtn_w: dict[str, F64] = {}
    pooled = np.zeros(n_nat)
    for qi in table_quarters:
        w = np.zeros(n_nat)
        sub = dtn_raw.filter(pl.col("qi") == qi)
        np.add.at(w, sub["nat_i"].to_numpy(), sub["w"].to_numpy().astype(np.float64))
        dtn_w[quarter_label(qi)] = w
        pooled += w
    dtn_w[pooled_name] = pooled
    pre = np.zeros(n_nat)
    np.add.at(pre, nationality_collapsed, pooled)
    dtn_w[recoded_name] = pre
    return dtn_w


def _decisions(path: Path) -> dict[int, F64]:
    frame = pl.read_csv(path, infer_schema_length=0).filter(pl.col("Quarter") != "Total")
    out: dict[int, F64] = {}
    for row in frame.iter_rows(named=True):
        arr = np.zeros((3, 2))
        for col, value in row.items():
            if " - " not in col:
                continue
            age_label, outcome = col.split(" - ", 1)
            if outcome.startswith("Positive"):
                arr[_AGE_LABELS[age_label], 0] = float(value)
            elif outcome.startswith("Negative"):
                arr[_AGE_LABELS[age_label], 1] = float(value)
        out[_qi(int(row["Year"]), row["Quarter"])] = arr
    return out


def _collapse(nat: str) -> str:
    """The nationality as recorded before 2019-10-01: the first known one of a dual."""
    parts = nat.split(xs.LIST_SEPARATOR)
    known = [p for p in parts if p != UNKNOWN_NATIONALITY]
    return known[0] if known else UNKNOWN_NATIONALITY


def _resolver(ref_dir: Path, data_dir: Path, notes: list[str]) -> NationalityResolver:
    countries = ref_dir / "countries.csv"
    aliases = ref_dir / "nationality_aliases.csv"
    if countries.exists():
        rows = _read_csv(countries)
        by_code = {r["code"]: r["demonym"] for r in rows if r["demonym"]}
        demonyms = {d: d for d in by_code.values()}
        if aliases.exists():
            for r in _read_csv(aliases):
                if r["country_code"] in by_code:
                    demonyms[r["alias"]] = by_code[r["country_code"]]
        return NationalityResolver(demonyms)
    notes.append("nrm/reference/data/countries.csv not found: nationalities resolved with an internal list")
    singles: dict[str, str] = {m: m for m in _MULTIWORD_FALLBACK}
    singles.update(_ALIAS_FALLBACK)
    for path in sorted(data_dir.glob("nrm_*_20*_q*.csv")):
        for name in pl.read_csv(path, infer_schema_length=0)["Nationality"].unique().to_list():
            text = " ".join(str(name).split())
            if " " not in text and text != "Total":
                singles.setdefault(text, text)
    singles[UNKNOWN_NATIONALITY] = UNKNOWN_NATIONALITY
    return NationalityResolver(singles, lenient=True)


_TABLE_COLUMNS = ("First responder", "Exploitation type", "Age at exploitation", "Gender", "Nationality")


def _table_cells(data_dir: Path, resolver: NationalityResolver) -> pl.DataFrame:
    frames = []
    for path in sorted(data_dir.glob("nrm_referrals_*_20*_q*.csv")):
        stem = path.stem.split("_")
        qi = _qi(int(stem[-2]), stem[-1])
        raw = pl.read_csv(path, infer_schema_length=0)
        is_total = pl.any_horizontal([pl.col(c).str.contains("(?i)total") for c in _TABLE_COLUMNS])
        raw = raw.filter(~is_total).with_columns(pl.col("People").cast(pl.Int64)).filter(pl.col("People") > 0)
        frames.append(raw.with_columns(pl.lit(qi).alias("qi")))
    if not frames:
        raise FileNotFoundError(f"no first-responder tables (nrm_referrals_*_YYYY_qN.csv) in {data_dir}")
    raw = pl.concat(frames)
    nat_map = {n: xs.LIST_SEPARATOR.join(resolver.resolve(n)) for n in raw["Nationality"].unique().to_list()}
    expl_map = {e: parse_exploitation(e) for e in raw["Exploitation type"].unique().to_list()}
    return raw.select(
        pl.col("qi"),
        pl.col("First responder type").replace_strict(_TABLE_TYPES, return_dtype=pl.Int64).alias("ftype"),
        pl.col("First responder").alias("org"),
        pl.col("Exploitation type").replace_strict(expl_map).alias("expl"),
        pl.col("Age at exploitation").replace_strict(_AGE_LABELS, return_dtype=pl.Int64).alias("age"),
        pl.col("Gender").replace_strict(_GENDER_MAP).alias("gender"),
        pl.col("Nationality").replace_strict(nat_map).alias("nat"),
        pl.col("People").cast(pl.Float64).alias("w"),
    )


def _dtn_nationality(data_dir: Path, resolver: NationalityResolver) -> pl.DataFrame:
    frames = []
    for path in sorted(data_dir.glob("nrm_duty_to_notify_20*_q*.csv")):
        stem = path.stem.split("_")
        qi = _qi(int(stem[-2]), stem[-1])
        raw = pl.read_csv(path, infer_schema_length=0).filter(pl.col("Nationality") != "Total")
        raw = raw.with_columns(pl.col("Total").cast(pl.Float64)).filter(pl.col("Total") > 0)
        frames.append(raw.with_columns(pl.lit(qi).alias("qi")))
    raw = pl.concat(frames)
    nat_map = {n: xs.LIST_SEPARATOR.join(resolver.resolve(n)) for n in raw["Nationality"].unique().to_list()}
    return raw.select(pl.col("qi"), pl.col("Nationality").replace_strict(nat_map).alias("nat"),
                      pl.col("Total").alias("w"))


def _police_forces(ref_dir: Path, notes: list[str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[date, ...], F64]:
    path = ref_dir / "police_forces.csv"
    if path.exists():
        rows = _read_csv(path)
        names = tuple(r["name"] for r in rows)
        regions = tuple(r["region"] for r in rows)
        starts = tuple(date.fromisoformat(r["effective_from"]) if r.get("effective_from") else date.min
                       for r in rows)
    else:
        notes.append("nrm/reference/data/police_forces.csv not found: internal list of the 46 forces used")
        names = tuple(_FORCE_WEIGHTS)
        regions = tuple(_FORCE_REGIONS_FALLBACK[n] for n in names)
        starts = tuple(date(2013, 4, 1) if n == "Police Scotland" else date(2009, 4, 1) for n in names)
    weights = np.array([_FORCE_WEIGHTS.get(n, 1.0) for n in names], dtype=np.float64)
    return names, regions, starts, weights


def _local_authorities(
    ref_dir: Path,
    org_rows: Sequence[dict[str, str]],
    forces: tuple[str, ...],
    add_org: Callable[[str, int], int],
    notes: list[str],
) -> tuple[I64, I64, tuple[date, ...], tuple[date, ...]]:
    la_path = ref_dir / "local_authorities.csv"
    force_path = ref_dir / "police_forces.csv"
    if not (org_rows and la_path.exists() and force_path.exists()):
        notes.append("reference local authorities not found: local-authority first responders are printed "
                     "'Local Authority' as in the published tables")
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), (), ()
    code_to_force = {r["code"]: forces.index(r["name"]) for r in _read_csv(force_path) if r["name"] in forces}
    la_rows = _read_csv(la_path)
    force_of: dict[str, int] = {}
    votes: dict[str, dict[int, int]] = {}
    for r in la_rows:
        f = code_to_force.get(r["police_force_code"], -1)
        force_of[r["code"]] = f
        votes.setdefault(r["upper_tier_code"], {}).setdefault(f, 0)
        votes[r["upper_tier_code"]][f] += 1
    for code, v in votes.items():
        force_of.setdefault(code, max(v, key=lambda k: v[k]))
    org_i: list[int] = []
    la_force: list[int] = []
    starts: list[date] = []
    ends: list[date] = []
    for r in org_rows:
        if r["organisation_type"] != "Local authority" or not r["slug"].startswith("la-"):
            continue
        code = r["slug"][3:].upper()
        if force_of.get(code, -1) < 0:
            continue
        org_i.append(add_org(r["name"], LA))
        la_force.append(force_of[code])
        starts.append(date.fromisoformat(r["effective_from"]) if r.get("effective_from") else date.min)
        ends.append(date.fromisoformat(r["effective_to"]) if r.get("effective_to") else date.max)
    return np.array(org_i, dtype=np.int64), np.array(la_force, dtype=np.int64), tuple(starts), tuple(ends)


def _reasons(ref_dir: Path, notes: list[str]) -> tuple[tuple[str, ...], F64, tuple[str, ...], F64]:
    path = ref_dir / "negative_decision_reasons.csv"
    out: dict[str, list[str]] = {"RG": [], "CG": []}
    if path.exists():
        for r in _read_csv(path):
            if not r.get("effective_to") and r.get("stage") in out:
                out[r["stage"]].append(r["code"])
    if not out["RG"] or not out["CG"]:
        notes.append("nrm/reference/data/negative_decision_reasons.csv not found: internal reason codes used")
        out = {k: list(v) for k, v in _REASON_FALLBACK.items()}
    rg_w = np.array([_REASON_WEIGHTS.get(c, 0.2) for c in out["RG"]])
    cg_w = np.array([_REASON_WEIGHTS.get(c, 0.2) for c in out["CG"]])
    return tuple(out["RG"]), rg_w / rg_w.sum(), tuple(out["CG"]), cg_w / cg_w.sum()
