"""Checks on the reference data CSV files in ``nrm/reference/data`` (no database needed).

Run with: ``.venv/bin/python -m pytest nrm/reference/tests/test_data_files.py -q -p no:django``
"""

from __future__ import annotations

import csv
import glob
import re
from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
REPO = Path(__file__).resolve().parents[3]
PUBLISHED = REPO / "data" / "published"

DATES = ["effective_from", "effective_to"]
FILES = {
    "police_forces.csv": (["code", "name", "nation", "region"], "code"),
    "local_authorities.csv": (
        [
            "code",
            "name",
            "nation",
            "police_force_code",
            "upper_tier_code",
            "upper_tier_name",
        ],
        "code",
    ),
    "countries.csv": (["code", "name", "demonym"], "code"),
    "nationality_aliases.csv": (["alias", "country_code", "note"], "alias"),
    "organisations.csv": (
        [
            "slug",
            "name",
            "short_name",
            "organisation_type",
            "nation",
            "is_first_responder",
            "roles",
        ],
        "slug",
    ),
    "exploitation_types.csv": (["code", "name", "reported_as"], "code"),
    "negative_decision_reasons.csv": (
        ["code", "stage", "label", "description"],
        "code",
    ),
}

ORG_TYPES = {
    "Government agency",
    "Police",
    "Local authority",
    "NGO and third sector",
    "Health and social care",
    "Competent authority",
    "Decision panel",
    "Assurance panel",
    "Support provider",
    "Service team",
    "Other",
}
ROLES = {
    "first_responder",
    "contributor",
    "concerned_professional",
    "caseworker",
    "senior_decision_maker",
    "panel_member",
    "panel_chair",
    "support_provider",
    "partner_recipient",
    "childrens_services",
    "analyst",
    "administrator",
}
NATIONS = {"England", "Wales", "Scotland", "Northern Ireland"}
GSS_PREFIX = {
    "England": ("E06", "E07", "E08", "E09"),
    "Wales": ("W06",),
    "Scotland": ("S12",),
    "Northern Ireland": ("N09",),
}
# Strings in the published tables that are subtotals, not nationalities.
NOT_A_NATIONALITY = {"Total"}


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def current(name: str) -> list[dict[str, str]]:
    return [r for r in rows(name) if not r["effective_to"]]


def published(pattern: str) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(PUBLISHED / pattern)))


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@cache
def nationality_index() -> dict[str, str]:
    """Every accepted nationality string (demonym or alias) -> country code."""
    index: dict[str, str] = {}
    for row in rows("countries.csv"):
        if row["demonym"]:
            assert row["demonym"] not in index, f"duplicate demonym {row['demonym']!r}"
            index[row["demonym"]] = row["code"]
    for row in rows("nationality_aliases.csv"):
        assert row["alias"] not in index, (
            f"alias {row['alias']!r} duplicates a demonym or alias"
        )
        index[row["alias"]] = row["country_code"]
    return index


def resolve(printed: str) -> tuple[str, ...]:
    """Resolve a printed nationality ('Albanian' or dual 'Albanian Greek') to country codes.

    Raises AssertionError when the string cannot be resolved or splits in more than one way.
    """
    index = nationality_index()
    text = clean(printed)
    splits = []
    words = text.split(" ")
    for i in range(1, len(words)):
        left, right = " ".join(words[:i]), " ".join(words[i:])
        if left in index and right in index:
            splits.append((index[left], index[right]))
    if text in index:
        assert not splits, f"{printed!r} is both one demonym and a pair {splits}"
        return (index[text],)
    assert splits, f"{printed!r} does not resolve to one or two demonyms"
    assert len(splits) == 1, f"{printed!r} splits ambiguously: {splits}"
    return splits[0]


# --- every file -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FILES))
def test_columns_present(name: str) -> None:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    required, _key = FILES[name]
    missing = [c for c in [*required, *DATES] if c not in header]
    assert not missing, f"{name} is missing columns {missing}"
    assert len(header) == len(set(header))


@pytest.mark.parametrize("name", sorted(FILES))
def test_keys_unique_and_present(name: str) -> None:
    _required, key = FILES[name]
    values = [r[key] for r in rows(name)]
    assert all(values), f"{name} has an empty {key}"
    dupes = [v for v, n in Counter(values).items() if n > 1]
    assert not dupes, f"{name} has duplicate {key}: {dupes}"


@pytest.mark.parametrize("name", sorted(FILES))
def test_dates_parse_and_are_ordered(name: str) -> None:
    for row in rows(name):
        start = date.fromisoformat(row["effective_from"])
        if row["effective_to"]:
            end = date.fromisoformat(row["effective_to"])
            assert end > start, f"{name}: {row} ends before it starts"
        for column, value in row.items():
            assert value is not None, f"{name}: ragged row {row}"
            assert value == value.strip(), (
                f"{name}: stray whitespace in {column} of {row}"
            )


# --- police forces ----------------------------------------------------------------------


def test_police_forces() -> None:
    forces = {r["code"]: r for r in rows("police_forces.csv")}
    assert len(forces) == 46
    assert forces["S23000009"]["name"] == "Police Scotland"
    assert forces["S23000009"]["effective_from"] == "2013-04-01"
    assert forces["N23000001"]["name"] == "Police Service of Northern Ireland"
    assert forces["BTP"]["name"] == "British Transport Police"
    assert forces["BTP"]["region"] == "National"
    assert forces["E23000001"]["name"] == "Metropolitan Police"
    by_nation = Counter(r["nation"] for r in forces.values())
    assert by_nation["England"] == 39
    assert by_nation["Wales"] == 4
    assert all(
        re.fullmatch(r"[EW](23|15)\d{6}", c)
        for c in forces
        if forces[c]["nation"] in {"England", "Wales"}
    )
    regions = {r["region"] for r in forces.values() if r["nation"] == "England"}
    assert regions == {
        "North East",
        "North West",
        "Yorkshire and The Humber",
        "East Midlands",
        "West Midlands",
        "East of England",
        "London",
        "South East",
        "South West",
    }


# --- local authorities ------------------------------------------------------------------


def test_local_authorities_reference_real_police_forces() -> None:
    forces = {r["code"]: r for r in rows("police_forces.csv")}
    for la in rows("local_authorities.csv"):
        assert la["police_force_code"] in forces, la
        assert la["police_force_code"] != "BTP", la
        force_nation = forces[la["police_force_code"]]["nation"]
        assert force_nation == la["nation"], (
            f"{la['name']} is in {la['nation']} but policed by {force_nation}"
        )


def test_every_territorial_force_has_an_authority() -> None:
    used = {la["police_force_code"] for la in current("local_authorities.csv")}
    territorial = {r["code"] for r in rows("police_forces.csv")} - {"BTP"}
    assert territorial == used


def test_local_authority_counts_by_nation() -> None:
    counts = Counter(la["nation"] for la in current("local_authorities.csv"))
    assert set(counts) == NATIONS
    assert counts["Wales"] == 22
    assert counts["Scotland"] == 32
    assert counts["Northern Ireland"] == 11
    assert 290 <= counts["England"] <= 300
    assert 355 <= sum(counts.values()) <= 365


def test_local_authority_codes_and_upper_tier() -> None:
    for la in rows("local_authorities.csv"):
        assert re.fullmatch(r"[EWSN]\d{8}", la["code"]), la
        assert la["code"].startswith(GSS_PREFIX[la["nation"]]), la
        if la["code"].startswith("E07"):
            assert la["upper_tier_code"].startswith("E10"), la
        else:
            assert la["upper_tier_code"] == la["code"], la
            assert la["upper_tier_name"] == la["name"], la


def test_upper_tier_names_are_consistent() -> None:
    names: dict[str, set[str]] = {}
    for la in rows("local_authorities.csv"):
        names.setdefault(la["upper_tier_code"], set()).add(la["upper_tier_name"])
    assert all(len(v) == 1 for v in names.values()), {
        k: v for k, v in names.items() if len(v) > 1
    }


def test_recent_reorganisations_present() -> None:
    las = {r["code"]: r for r in rows("local_authorities.csv")}
    for code, start in [
        ("E06000060", "2020-04-01"),  # Buckinghamshire
        ("E06000061", "2021-04-01"),  # North Northamptonshire
        ("E06000062", "2021-04-01"),  # West Northamptonshire
        ("E06000063", "2023-04-01"),  # Cumberland
        ("E06000064", "2023-04-01"),  # Westmorland and Furness
        ("E06000065", "2023-04-01"),  # North Yorkshire
        ("E06000066", "2023-04-01"),  # Somerset
    ]:
        assert las[code]["effective_from"] == start
        assert not las[code]["effective_to"]
    # abolished predecessors end the day their successors start
    assert las["E07000028"]["effective_to"] == "2023-04-01"  # Carlisle
    assert las["E07000154"]["effective_to"] == "2021-04-01"  # Northampton
    assert las["E07000004"]["effective_to"] == "2020-04-01"  # Aylesbury Vale


# --- countries and nationalities ---------------------------------------------------------


def test_countries_cover_iso_and_specials() -> None:
    codes = {r["code"] for r in rows("countries.csv")}
    iso = {c for c in codes if re.fullmatch(r"[A-Z]{2}", c)}
    assert len(iso) == 250  # 249 ISO 3166-1 alpha-2 codes plus XK (Kosovo)
    for code in ("GB", "XK", "ZZ-STATELESS", "ZZ-UNKNOWN", "VN", "AL", "ER", "SD"):
        assert code in codes
    demonyms = {r["code"]: r["demonym"] for r in rows("countries.csv")}
    assert demonyms["GB"] == "UK"
    assert demonyms["XK"] == "Kosovan"
    assert demonyms["ZZ-STATELESS"] == "Stateless"
    assert demonyms["ZZ-UNKNOWN"] == "Unknown"


def test_demonyms_unique_ignoring_case() -> None:
    index = nationality_index()
    folded: dict[str, set[str]] = {}
    for text, code in index.items():
        folded.setdefault(text.casefold(), set()).add(code)
    clashes = {k: v for k, v in folded.items() if len(v) > 1}
    assert not clashes


def test_aliases_point_at_countries() -> None:
    codes = {r["code"] for r in rows("countries.csv")}
    for alias in rows("nationality_aliases.csv"):
        assert alias["country_code"] in codes, alias


def published_nationalities() -> set[str]:
    files = published("nrm_referrals_*_20*_q*.csv") + published(
        "nrm_duty_to_notify_20*_q*.csv"
    )
    assert files, f"no published files found in {PUBLISHED}"
    found: set[str] = set()
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            found |= {row["Nationality"] for row in csv.DictReader(handle)}
    return found - NOT_A_NATIONALITY


def test_every_published_nationality_resolves() -> None:
    failures = []
    for printed in sorted(published_nationalities()):
        try:
            resolve(printed)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)


def test_resolver_examples() -> None:
    assert resolve("Albanian") == ("AL",)
    assert resolve("Albanian Greek") == ("AL", "GR")
    assert resolve("Sierra Leonean UK") == ("SL", "GB")
    assert resolve("South Sudanese Sudanese") == ("SS", "SD")
    assert resolve("Sudanese South Sudanese") == ("SD", "SS")
    assert resolve("Citizen of the Dominican Republic Spanish") == ("DO", "ES")
    assert resolve("Congolese Congo ") == ("CG",)
    assert resolve("Not Known") == ("ZZ-UNKNOWN",)


# --- organisations -----------------------------------------------------------------------


def orgs() -> dict[str, dict[str, str]]:
    return {r["slug"]: r for r in rows("organisations.csv")}


def test_organisation_fields() -> None:
    names = Counter(r["name"] for r in rows("organisations.csv"))
    assert not [n for n, c in names.items() if c > 1], (
        "organisation names must be unique"
    )
    for org in rows("organisations.csv"):
        assert org["organisation_type"] in ORG_TYPES, org
        assert org["is_first_responder"] in {"true", "false"}, org
        roles = org["roles"].split(";")
        assert roles, org
        assert set(roles) <= ROLES, org
        assert (org["is_first_responder"] == "true") == ("first_responder" in roles), (
            org
        )
        assert org["short_name"], org


def test_every_police_force_is_an_organisation() -> None:
    by_slug = orgs()
    for force in rows("police_forces.csv"):
        org = by_slug[f"police-{force['code'].lower()}"]
        assert org["name"] == force["name"]
        assert org["organisation_type"] == "Police"
        assert org["roles"] == "first_responder;partner_recipient"


def test_every_childrens_services_authority_is_an_organisation() -> None:
    by_slug = orgs()
    upper = {
        la["upper_tier_code"]
        for la in rows("local_authorities.csv")
        if not la["code"].startswith("N09")
    }
    for code in upper:
        org = by_slug[f"la-{code.lower()}"]
        assert org["organisation_type"] == "Local authority"
        # Children's services: they refer, receive safeguarding notifications and support children.
        assert org["roles"] == "first_responder;partner_recipient;childrens_services;support_provider"
    trusts = [
        o
        for o in by_slug.values()
        if o["organisation_type"] == "Health and social care"
    ]
    assert len(trusts) == 5
    assert all(
        t["nation"] == "Northern Ireland" and t["is_first_responder"] == "true"
        for t in trusts
    )


def published_first_responders() -> set[str]:
    files = published("nrm_referrals_government_*.csv") + published(
        "nrm_referrals_ngo_*.csv"
    )
    assert files
    found: set[str] = set()
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            found |= {row["First responder"] for row in csv.DictReader(handle)}
    return {name for name in found if not name.lower().endswith(" total")}


def test_every_published_first_responder_is_an_organisation() -> None:
    names = {o["name"]: o for o in orgs().values()}
    missing = sorted(published_first_responders() - set(names))
    assert not missing, f"printed first responders without an organisation: {missing}"
    for printed in published_first_responders():
        assert names[printed]["is_first_responder"] == "true", printed


@pytest.mark.parametrize(
    ("slug", "organisation_type", "roles"),
    [
        ("sca", "Competent authority", "caseworker;senior_decision_maker"),
        ("ieca", "Competent authority", "caseworker;senior_decision_maker"),
        ("maap", "Assurance panel", "panel_member;panel_chair"),
        ("vcc-salvation-army", "Support provider", "support_provider"),
        ("ho-analysis", "Government agency", "analyst"),
        ("service-team", "Service team", None),
        ("ho-ukvi", "Government agency", "first_responder"),
        ("ho-border-force", "Government agency", "first_responder"),
        ("ho-immigration-enforcement", "Government agency", "first_responder"),
        ("nca", "Government agency", "first_responder"),
        ("glaa", "Government agency", "first_responder"),
    ],
)
def test_named_organisations_present(slug: str, organisation_type: str, roles: str | None) -> None:
    org = orgs()[slug]
    assert org["organisation_type"] == organisation_type
    if roles is not None:
        assert org["roles"] == roles


@pytest.mark.parametrize(
    "short_name",
    [
        "Salvation Army",
        "Barnardo's",
        "Migrant Help",
        "Medaille Trust",
        "Kalayaan",
        "BAWSO",
        "TARA",
        "NSPCC",
        "Unseen",
        "New Pathways",
        "Refugee Council",
        "Causeway",
    ],
)
def test_named_ngo_first_responders_present(short_name: str) -> None:
    matches = [
        o
        for o in orgs().values()
        if o["short_name"] == short_name
        and o["organisation_type"] == "NGO and third sector"
    ]
    assert len(matches) == 1
    assert matches[0]["is_first_responder"] == "true"
    assert matches[0]["roles"] == "first_responder"


def test_support_providers_by_nation() -> None:
    providers = [
        o for o in orgs().values() if o["organisation_type"] == "Support provider"
    ]
    nations = {o["nation"] for o in providers}
    assert {"England and Wales", "Scotland", "Northern Ireland"} <= nations
    assert all(o["roles"] == "support_provider" for o in providers)


# --- exploitation types and decision reasons ---------------------------------------------


def test_exploitation_types() -> None:
    types = {r["code"]: r for r in rows("exploitation_types.csv")}
    assert set(types) == {
        "labour",
        "sexual",
        "criminal",
        "domestic",
        "organ_harvesting",
        "other",
        "unknown",
    }
    assert types["criminal"]["effective_from"] == "2019-10-01"
    assert types["domestic"]["reported_as"] == "Domestic"
    assert types["organ_harvesting"]["reported_as"] == "Organ Harvesting"
    # every exploitation type printed in the published tables is a reported_as value
    reported = {r["reported_as"] for r in types.values()}
    printed: set[str] = set()
    for path in published("nrm_referrals_*_20*_q*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                printed |= {
                    p.strip() for p in re.split(r",|&", row["Exploitation type"])
                }
    assert printed - {"Total"} <= reported


def test_negative_decision_reasons() -> None:
    reasons = rows("negative_decision_reasons.csv")
    by_stage = Counter(r["stage"] for r in reasons)
    assert set(by_stage) == {"RG", "CG"}
    assert all(6 <= n <= 10 for n in by_stage.values()), by_stage
    for r in reasons:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", r["code"]), r
        assert r["label"], r
        assert r["description"], r


def test_every_organisation_the_area_policy_names_is_in_force_from_its_first_day() -> None:
    """The dated per-area policy (nrm/core/data/policy_by_area.csv) names children's decision panels
    and guardian services by slug: each is an organisation, in force on the day the policy starts,
    a panel able to decide (caseworkers and seniors) and a guardian service able to receive messages."""
    path = Path(__file__).resolve().parents[2] / "core" / "data" / "policy_by_area.csv"
    by_slug = orgs()
    with path.open(newline="", encoding="utf-8") as handle:
        named = list(csv.DictReader(handle))
    assert named
    for row in named:
        org = by_slug.get(row["value"])
        assert org is not None, row
        assert org["effective_from"] <= row["effective_from"], row
        assert not org["effective_to"] or (row["effective_to"] and row["effective_to"] <= org["effective_to"]), row
        family = row["key"].split(".")[0]
        roles = set(org["roles"].split(";"))
        if family == "child_decision_panel":
            assert org["organisation_type"] == "Decision panel", row
            assert {"caseworker", "senior_decision_maker"} <= roles, row
        else:
            assert family == "child_guardian_service", row
            assert "partner_recipient" in roles, row
