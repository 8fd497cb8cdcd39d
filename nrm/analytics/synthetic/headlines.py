"""The Home Office's published headline shares (``data/published/headlines.csv``).

Each row is one share the bulletins state for a year or a quarter: the competent authority
split, the most common nationalities (people of one nationality only, as published), the share
of criminal exploitation only, the gender split and the share referred by government agencies,
each with the release it comes from; a few are of one age group only (the most common type of
exploitation of adults and of children). The generator is calibrated to them (nationality and the
competent authority) and ``nrm synth report`` compares generated data with every one of them.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nrm.analytics.synthetic.calibration import DEFAULT_DATA_DIR

__all__ = ["FILE", "MEASURES", "Headline", "load_headlines", "shares_for_quarter"]

FILE = "headlines.csv"
MEASURES = {
    "competent_authority": "competent_authority",
    "nationality": "nationality",
    "exploitation": "exploitation_types",
    "gender": "gender",
    "first_responder_type": "first_responder_type",
}
"""Each measure and the referrals column it is a share of."""


@dataclass(frozen=True)
class Headline:
    """A published share: ``share`` percent of the referrals of ``period`` (a year, ``2023``, or a
    quarter, ``2023-Q4``) had ``category`` as their ``measure``."""

    period: str
    measure: str
    category: str
    share: float
    source: str
    age: str = ""  # the share is of the referrals of this age at exploitation only ("": all)

    @property
    def year(self) -> int:
        return int(self.period[:4])


def load_headlines(data_dir: str | Path | None = None) -> tuple[Headline, ...]:
    """The published headline shares (none if the file is absent)."""
    d = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    return _load(str((d / FILE).resolve()))


@functools.lru_cache(maxsize=4)
def _load(path: str) -> tuple[Headline, ...]:
    p = Path(path)
    if not p.is_file():
        return ()
    with p.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        if r["measure"] not in MEASURES:
            raise ValueError(f"{p}: unknown measure {r['measure']!r}")
        if not r["source"].strip():
            raise ValueError(f"{p}: the {r['period']} {r['measure']} share of {r['category']} has no source")
        out.append(Headline(r["period"], r["measure"], r["category"], float(r["share"]), r["source"],
                            r.get("age", "")))
    return tuple(out)


def shares_for_quarter(headlines: tuple[Headline, ...], measure: str, qi: int) -> Mapping[str, float]:
    """The published shares (0 to 1) of ``measure`` among all referrals of quarter ``qi``: the
    quarter's own where it has any, else its year's; empty if neither is published."""
    label = f"{qi // 4}-Q{qi % 4 + 1}"
    mine = [h for h in headlines if h.measure == measure and not h.age]
    own = {h.category: h.share / 100.0 for h in mine if h.period == label}
    if own:
        return own
    return {h.category: h.share / 100.0 for h in mine if h.period == label[:4]}
