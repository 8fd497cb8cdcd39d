"""Reproduce the Home Office's published tables from microdata rebuilt from them.

For each first-responder table in ``data/published`` (Tables 11, 12 and 14 of a
quarterly edition) we rebuild one extract row per person counted in its innermost
cells, publish that quarter one table at a time (the Home Office publishes these national
tables unsuppressed), and check that ``referrals_by_first_responder`` gives every
published cell and subtotal. Likewise the Duty to Notify reports by nationality. Under
linked protection (the default publication) every cell it shows that is not ``[c]`` is the
published figure, and its totals agree with the other tables'.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from nrm.analytics import extract_io
from nrm.analytics import extract_schema as xs
from nrm.analytics.extract_io import Extract
from nrm.analytics.periods import Period
from nrm.analytics.publish import publish
from nrm.analytics.tables import EXPLOITATION_ORDER, TOTAL

ROOT = Path(__file__).resolve().parents[3]
PUBLISHED = ROOT / "data" / "published"
COUNTRIES = ROOT / "nrm" / "reference" / "data" / "countries.csv"
FR_FILES = sorted(PUBLISHED.glob("nrm_referrals_*_20*_q*.csv"))
DTN_FILES = sorted(PUBLISHED.glob("nrm_duty_to_notify_20*_q*.csv"))
_PERIOD = re.compile(r"_(\d{4})_q([1-4])\.csv$")

# Where the published files' labels differ from the extract's allowed values.
PUBLISHED_TO_EXTRACT = {
    "First responder type": {"Local Authority": "Local authority"},
    "Gender": {"Not Recorded": "Not specified or unknown"},
}
DIMENSIONS = (
    "First responder type",
    "First responder",
    "Exploitation type",
    "Age at exploitation",
    "Gender",
    "Nationality",
)


def _is_total(v: str) -> bool:
    return v == "Total" or v.endswith(" total")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@functools.cache
def demonyms() -> frozenset[str]:
    """Single nationalities: the demonyms of the reference list (``countries.csv``) if
    another part of the project has written it, and every published string that is not
    two known nationalities joined by a space."""
    known: set[str] = set()
    if COUNTRIES.is_file():
        with COUNTRIES.open(newline="", encoding="utf-8") as fh:
            known = {r["demonym"].strip() for r in csv.DictReader(fh) if r.get("demonym")}
    seen: set[str] = set()
    for f in FR_FILES:
        seen.update(r["Nationality"] for r in _read(f))
    for f in DTN_FILES:
        seen.update(r["Nationality"] for r in _read(f))
    seen.discard("Total")
    stripped = {s.strip() for s in seen} | known

    def is_pair(s: str) -> bool:
        return any(s[i] == " " and s[:i] in stripped and s[i + 1 :].strip() in stripped for i in range(1, len(s) - 1))

    return frozenset(known | {s for s in seen if not is_pair(s)})


def split_nationality(label: str, singles: frozenset[str]) -> list[str]:
    """``Albanian Greek`` -> [``Albanian``, ``Greek``]; a single nationality (even one
    with spaces, ``Citizen of Seychelles``) stays whole."""
    if label in singles:
        return [label]
    stripped = {s.strip() for s in singles}
    for i, ch in enumerate(label):
        if ch == " " and label[:i] in stripped and label[i + 1 :].strip() in stripped:
            return [label[:i], label[i + 1 :]]
    return [label]


def exploitation_types(label: str) -> list[str]:
    """``Sexual, Labour & Domestic`` -> [``Sexual``, ``Labour``, ``Domestic``]."""
    if label == "Not specified or unknown":
        return [label]
    parts = [p.strip() for p in label.replace(" & ", ", ").split(", ")]
    assert all(p in EXPLOITATION_ORDER for p in parts), label
    return parts


def _period(path: Path) -> Period:
    m = _PERIOD.search(path.name)
    assert m, path
    return Period(int(m.group(1)), int(m.group(2)))


def _days(p: Period) -> list[date]:
    return [p.start + timedelta(days=i) for i in range((p.end - p.start).days + 1)]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _referrals(path: Path, p: Period) -> pa.Table:
    singles = demonyms()
    days = _days(p)
    cols: dict[str, list[object]] = {f.name: [] for f in xs.REFERRALS}
    n = 0
    for row in _read(path):
        if any(_is_total(row[d]) for d in DIMENSIONS):
            continue
        people = int(row["People"])
        frt = PUBLISHED_TO_EXTRACT["First responder type"].get(row["First responder type"], row["First responder type"])
        gender = PUBLISHED_TO_EXTRACT["Gender"].get(row["Gender"], row["Gender"])
        nationality = xs.LIST_SEPARATOR.join(split_nationality(row["Nationality"], singles))
        types = xs.LIST_SEPARATOR.join(exploitation_types(row["Exploitation type"]))
        for _ in range(people):
            n += 1
            d = days[n % len(days)]
            values: dict[str, object] = {
                "referral_id": f"P{n:07d}",
                "person_id": _hash(f"{path.name}:{n}"),
                "referral_date": d,
                "competent_authority": "SCA",
                "first_responder_type": frt,
                "first_responder": row["First responder"],
                "age_at_exploitation": row["Age at exploitation"],
                "gender": gender,
                "nationality": nationality,
                "exploitation_types": types,
                "location_of_exploitation": "Not specified or unknown",
                "police_force": None,
                "region": None,
                "county_lines": False,
                "rg_outcome": None,
                "rg_date": None,
                "rg_reason": None,
                "cg_outcome": None,
                "cg_date": None,
                "cg_reason": None,
                "status": "Awaiting RG",
                "status_date": d,
            }
            for k, v in values.items():
                cols[k].append(v)
    return pa.Table.from_pydict(cols, schema=xs.REFERRALS)


def _empty(name: str) -> pa.Table:
    return xs.TABLES[name].empty_table()


def _read_table(path: Path, key: Iterable[str], measure: str) -> dict[tuple[str, ...], int]:
    keys = tuple(key)
    return {tuple(r[k] for k in keys): int(r[measure]) for r in _read(path)}


def _read_shown(path: Path, key: Iterable[str], measure: str) -> dict[tuple[str, ...], str]:
    keys = tuple(key)
    return {tuple(r[k] for k in keys): r[measure] for r in _read(path)}


def _extract_of(path: Path, tmp_path: Path) -> tuple[Path, Period]:
    period = _period(path)
    extract = Extract(_referrals(path, period), _empty("duty_to_notify"), _empty("reviews"), _empty("support"))
    source = tmp_path / "extract.parquet"
    extract_io.write_extract(extract, source)
    return source, period


def test_demonyms_split_dual_nationalities() -> None:
    singles = demonyms()
    assert split_nationality("Albanian Greek", singles) == ["Albanian", "Greek"]
    assert split_nationality("Citizen of Seychelles", singles) == ["Citizen of Seychelles"]
    assert split_nationality("Central African Italian", singles) == ["Central African", "Italian"]
    assert split_nationality("South Sudanese Sudanese", singles) == ["South Sudanese", "Sudanese"]
    assert exploitation_types("Sexual, Labour, Domestic, Organ Harvesting & Criminal") == list(EXPLOITATION_ORDER)


@pytest.mark.parametrize("path", FR_FILES, ids=[f.stem for f in FR_FILES])
def test_first_responder_table_reproduces_the_published_file(path: Path, tmp_path: Path) -> None:
    source, period = _extract_of(path, tmp_path)
    assert extract_io.validate(source) == []
    publish(source, period, tmp_path / "out", progress=False, linked=False)
    ours = _read_table(tmp_path / "out" / "csv" / "referrals_by_first_responder.csv", DIMENSIONS, "People")

    published = _read(path)
    back = {k: {v: k2 for k2, v in m.items()} for k, m in PUBLISHED_TO_EXTRACT.items()}
    checked_inner = checked_totals = 0
    for row in published:
        key = []
        for d in DIMENSIONS:
            v = row[d]
            if _is_total(v):
                v = TOTAL
            key.append(PUBLISHED_TO_EXTRACT.get(d, {}).get(v, v))
        want = int(row["People"])
        got = ours.get(tuple(key), 0)
        assert got == want, f"{path.name}: {row} -> we have {got}"
        if TOTAL in key:
            checked_totals += 1
        else:
            checked_inner += 1
    # And nothing extra: every non-zero innermost cell of ours is in the published file.
    published_inner = {
        tuple(PUBLISHED_TO_EXTRACT.get(d, {}).get(r[d], r[d]) for d in DIMENSIONS)
        for r in published
        if not any(_is_total(r[d]) for d in DIMENSIONS)
    }
    for cell, n in ours.items():
        if TOTAL not in cell and n:
            assert cell in published_inner, f"{path.name}: we have {cell} = {n}, not in the published file"
    assert checked_inner > 1000
    assert checked_totals > 100
    assert back  # the label map is used both ways


@pytest.mark.parametrize("path", DTN_FILES, ids=[f.stem for f in DTN_FILES])
def test_duty_to_notify_by_nationality_reproduces_the_published_file(path: Path, tmp_path: Path) -> None:
    period = _period(path)
    singles = demonyms()
    days = _days(period)
    cols: dict[str, list[object]] = {f.name: [] for f in xs.DUTY_TO_NOTIFY}
    n = 0
    for row in _read(path):
        if row["Nationality"] == "Total":
            continue
        for _ in range(int(row["Total"])):
            n += 1
            for k, v in {
                "report_id": f"D{n:07d}",
                "report_date": days[n % len(days)],
                "first_responder_type": "Police",
                "first_responder": "Police",
                "gender": "Not specified or unknown",
                "nationality": xs.LIST_SEPARATOR.join(split_nationality(row["Nationality"], singles)),
                "age_band": "Not specified or unknown",
                "exploitation_types": "Not specified or unknown",
                "location_of_exploitation": "Not specified or unknown",
                "police_force": None,
            }.items():
                cols[k].append(v)
    dtn = pa.Table.from_pydict(cols, schema=xs.DUTY_TO_NOTIFY)
    extract = Extract(_empty("referrals"), dtn, _empty("reviews"), _empty("support"))
    source = tmp_path / "extract.parquet"
    extract_io.write_extract(extract, source)
    publish(source, period, tmp_path / "out", progress=False, linked=False)
    ours = _read_table(tmp_path / "out" / "csv" / "duty_to_notify_by_nationality.csv", ["Nationality"], "Reports")
    published = _read_table(path, ["Nationality"], "Total")
    assert ours == {k: v for k, v in published.items() if v}

    # the default publication (linked protection): every figure not protected is the published one
    publish(source, period, tmp_path / "linked", progress=False, linked=True)
    shown = _read_shown(tmp_path / "linked" / "csv" / "duty_to_notify_by_nationality.csv", ["Nationality"], "Reports")
    assert shown.keys() == ours.keys()
    assert all(v == "[c]" or int(v) == ours[k] for k, v in shown.items())
    assert not any(v.isdigit() and 0 < int(v) < 5 for v in shown.values())


def test_first_responder_table_under_linked_protection_matches_every_cell_it_shows(tmp_path: Path) -> None:
    """The default publication shows the first-responder table by first responder type and first
    responder (ADR 0020): every figure that is not [c] is the Home Office's, and its total is the
    other tables' total."""
    path = next(f for f in FR_FILES if "ngo" in f.name)
    source, period = _extract_of(path, tmp_path)
    publish(source, period, tmp_path / "out", progress=False, linked=True)
    csv_dir = tmp_path / "out" / "csv"
    ours = _read_shown(csv_dir / "referrals_by_first_responder.csv", DIMENSIONS[:2], "People")
    want: dict[tuple[str, ...], int] = {}
    for row in _read(path):
        if all(_is_total(row[d]) for d in DIMENSIONS[2:]):
            key = tuple(TOTAL if _is_total(row[d]) else PUBLISHED_TO_EXTRACT.get(d, {}).get(row[d], row[d])
                        for d in DIMENSIONS[:2])
            want[key] = int(row["People"])
    want[(TOTAL, TOTAL)] = sum(v for (frt, fr), v in want.items() if fr == TOTAL and frt != TOTAL)
    assert ours.keys() == {k for k, v in want.items() if v}
    protected = [k for k, v in ours.items() if v == "[c]"]
    assert protected, "small counts of first responders are protected"
    assert all(int(v) == want[k] for k, v in ours.items() if v != "[c]")
    total = _read_shown(csv_dir / "referrals_by_competent_authority.csv", ["Competent authority", "Age at exploitation"],
                        "People")[(TOTAL, TOTAL)]
    assert ours[(TOTAL, TOTAL)] == total  # the same cell in every table
    assert ours[(TOTAL, TOTAL)] in ("[c]", str(want[(TOTAL, TOTAL)]))
