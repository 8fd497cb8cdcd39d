"""Devolved children's decision panels and child trafficking guardians: dated, per-area policy
(``nrm/core/data/policy_by_area.csv``) read through ``rules``, checked on each boundary date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from nrm.core import policy, rules
from nrm.core.rules import ChildInArea

HULL = "E06000010"
CAMDEN, ISLINGTON = "E09000007", "E09000019"
MANCHESTER = "E08000003"
DEVON = "E10000008"
PILOT_START = date(2021, 6, 14)


def _child(area: str | None, on: date, *, date_of_birth: date | None = None, age_disputed: bool = False) -> ChildInArea:
    return ChildInArea(area=area, nation="england", referred_on=on, date_of_birth=date_of_birth,
                       age_disputed=age_disputed)


@pytest.mark.parametrize(("area", "on", "panel"), [
    (HULL, PILOT_START - timedelta(days=1), None),
    (HULL, PILOT_START, "child-panel-hull"),
    (HULL, date(2026, 1, 1), "child-panel-hull"),
    (CAMDEN, PILOT_START, "child-panel-camden-islington"),
    (ISLINGTON, PILOT_START, "child-panel-camden-islington"),
    (ISLINGTON, PILOT_START - timedelta(days=1), None),
    (DEVON, date(2026, 1, 1), None),
    (None, date(2026, 1, 1), None),
])
def test_a_pilot_area_panel_decides_from_the_day_the_area_joined(area: str | None, on: date,
                                                                 panel: str | None) -> None:
    assert rules.child_decision_panel(_child(area, on)) == panel


def test_a_child_close_to_18_is_decided_by_the_competent_authority() -> None:
    on = date(2024, 3, 1)
    min_days = policy.int_value("child_decision_panel_min_days_to_18", on=on)
    eighteenth = on + timedelta(days=min_days)
    born = eighteenth.replace(year=eighteenth.year - 18)
    assert rules.days_before_18th_birthday(date_of_birth=born, on=on) == min_days
    assert rules.child_decision_panel(_child(HULL, on, date_of_birth=born)) is None
    younger = born + timedelta(days=1)
    assert rules.child_decision_panel(_child(HULL, on, date_of_birth=younger)) == "child-panel-hull"


@pytest.mark.parametrize(("on", "panel"), [
    (date(2023, 6, 29), "child-panel-hull"),
    (date(2023, 6, 30), None),
])
def test_a_disputed_age_left_the_pilot_on_30_june_2023(on: date, panel: str | None) -> None:
    assert rules.child_decision_panel(_child(HULL, on, age_disputed=True)) == panel
    assert rules.child_decision_panel(_child(HULL, on, age_disputed=False)) == "child-panel-hull"


def test_an_18th_birthday_on_29_february() -> None:
    assert rules.days_before_18th_birthday(date_of_birth=date(2008, 2, 29), on=date(2026, 2, 28)) == 1
    assert rules.days_before_18th_birthday(date_of_birth=date(2008, 2, 29), on=date(2026, 3, 2)) == -1
    assert rules.days_before_18th_birthday(date_of_birth=date(2010, 2, 28), on=date(2028, 2, 27)) == 1


@pytest.mark.parametrize(("area", "nation", "on", "service"), [
    # Early adopter sites of England and Wales, from 30 January 2017.
    (MANCHESTER, "england", date(2017, 1, 29), None),
    (MANCHESTER, "england", date(2017, 1, 30), "ictg-england-wales"),
    ("W06000015", "wales", date(2017, 1, 29), None),
    ("W06000015", "wales", date(2017, 1, 30), "ictg-england-wales"),
    # The May 2021 expansion (London, apart from Croydon's earlier start, and others).
    ("E09000003", "england", date(2021, 4, 30), None),
    ("E09000003", "england", date(2021, 5, 1), "ictg-england-wales"),
    # North Yorkshire: the county council until the unitary council replaced it on 1 April 2023.
    ("E10000023", "england", date(2023, 3, 31), "ictg-england-wales"),
    ("E10000023", "england", date(2023, 4, 1), None),
    ("E06000065", "england", date(2023, 4, 1), "ictg-england-wales"),
    # Scotland: the Scottish Guardianship Service, replaced by Guardianship Scotland on 1 April 2023.
    ("S12000049", "scotland", date(2023, 3, 31), "scottish-guardianship-service"),
    ("S12000049", "scotland", date(2023, 4, 1), "guardianship-scotland"),
    # Northern Ireland: the Independent Guardian Service (2015 Act s.21) from 2018.
    ("N09000003", "northern_ireland", date(2017, 12, 31), None),
    ("N09000003", "northern_ireland", date(2018, 1, 1), "ni-independent-guardian-service"),
    # Not covered.
    (DEVON, "england", date(2026, 1, 1), None),
])
def test_the_guardian_service_that_covers_where_the_child_lives(area: str, nation: str, on: date,
                                                                service: str | None) -> None:
    assert rules.child_guardian_service(area=area, nation=nation, on=on) == service


def test_an_area_row_wins_over_its_nations_and_an_unknown_nation_finds_nothing() -> None:
    assert policy.for_area("child_guardian_service", area="no-such-area", nation="wales",
                           on=date(2024, 1, 1)) == "ictg-england-wales"
    assert policy.for_area("child_guardian_service", area=None, nation=None, on=date(2024, 1, 1)) is None
    assert rules.child_decision_panels() == {"child-panel-hull", "child-panel-barking-dagenham",
                                             "child-panel-camden-islington"}


def test_every_area_policy_row_names_a_source() -> None:
    rows = [e for e in policy.entries() if e.key.startswith(("child_decision_panel", "child_guardian_service"))]
    assert rows
    assert all(e.source for e in rows)
