"""The casework date rules, without a database: every boundary date of the policy they read."""

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nrm.core import policy, rules
from nrm.core.workdays import NATIONS, is_working_day, working_days_between

POLICY_DAYS = st.dates(min_value=date(2009, 4, 1), max_value=date(2040, 12, 31))


# --- RG target ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("referred_on", "nation", "due"), [
    (date(2024, 1, 1), "england", date(2024, 1, 8)),          # New Year's Day is itself a holiday
    (date(2023, 12, 22), "england", date(2024, 1, 3)),        # Christmas, Boxing Day, New Year
    (date(2023, 12, 22), "scotland", date(2024, 1, 4)),       # and 2 January in Scotland
    (date(2024, 3, 15), "northern_ireland", date(2024, 3, 25)),  # St Patrick's Day (Monday 18th)
    (date(2024, 3, 15), "england", date(2024, 3, 22)),
])
def test_rg_target_counts_working_days_of_the_case_nation(referred_on: date, nation: str, due: date) -> None:
    assert rules.rg_target_date(referred_on=referred_on, nation=nation) == due


@given(POLICY_DAYS, st.sampled_from(sorted(NATIONS)))
def test_rg_target_is_the_policy_number_of_working_days_later(referred_on: date, nation: str) -> None:
    due = rules.rg_target_date(referred_on=referred_on, nation=nation)
    assert is_working_day(due, nation)
    assert working_days_between(referred_on, due, nation) == policy.rg_target_working_days(on=referred_on)


# --- Recovery period ------------------------------------------------------------------------------


@pytest.mark.parametrize(("rg_date", "days", "end"), [
    (date(2009, 4, 1), 45, date(2009, 5, 16)),
    (date(2023, 1, 29), 45, date(2023, 3, 15)),
    (date(2023, 1, 30), 30, date(2023, 3, 1)),
    (date(2024, 2, 1), 30, date(2024, 3, 2)),  # a leap year
])
def test_recovery_period_by_the_policy_of_the_rg_date(rg_date: date, days: int, end: date) -> None:
    period = rules.recovery_period(rg_date=rg_date)
    assert (period.start, period.end, period.days) == (rg_date, end, days)
    assert not period.has_run(on=end - timedelta(days=1))
    assert period.has_run(on=end)


def test_a_recorded_recovery_period_is_kept() -> None:
    # A case records the days in force when its RG was made; a later policy change does not move it.
    assert rules.recovery_period(rg_date=date(2023, 1, 30), days=45).end == date(2023, 3, 16)


def test_no_recovery_period_before_the_nrm_began() -> None:
    with pytest.raises(policy.PolicyNotInForce):
        rules.recovery_period(rg_date=date(2009, 3, 31))


@given(POLICY_DAYS)
def test_the_recovery_period_runs_the_days_in_force_on_the_rg_date(rg_date: date) -> None:
    period = rules.recovery_period(rg_date=rg_date)
    assert period.days == policy.recovery_period_days(on=rg_date)
    assert (period.end - period.start).days == period.days
    assert period.has_run(on=period.end)
    assert not period.has_run(on=period.end - timedelta(days=1))
    assert period.days >= rules.shortest_recovery_period_days()


def test_the_shortest_recovery_period_is_the_current_one() -> None:
    assert rules.shortest_recovery_period_days() == 30


# --- Move-on support ------------------------------------------------------------------------------


@pytest.mark.parametrize(("cg_date", "days"), [
    (date(2009, 4, 1), 14),
    (date(2019, 9, 26), 14),
    (date(2019, 9, 27), 45),
    (date(2024, 1, 1), 45),
])
def test_move_on_support_by_the_policy_of_the_cg_date(cg_date: date, days: int) -> None:
    period = rules.move_on_period(cg_date=cg_date)
    assert (period.start, period.days, period.end) == (cg_date, days, cg_date + timedelta(days=days))
    assert rules.move_on_until(cg_date=cg_date) == period.end


def test_move_on_support_runs_from_service_by_the_policy_of_the_decision() -> None:
    # Decided under the old policy, served under the new: the decision date chooses the length.
    period = rules.move_on_period(cg_date=date(2019, 9, 26), starts_on=date(2019, 10, 3))
    assert (period.start, period.days, period.end) == (date(2019, 10, 3), 14, date(2019, 10, 17))


@given(POLICY_DAYS)
def test_recovery_and_move_on_make_at_least_ninety_days_since_the_2019_reform(cg_date: date) -> None:
    # The 2019 reform's "minimum of 90 days of support" is the recovery period plus move-on support,
    # as long as the recovery period was 45 days; the 2023 change shortened the recovery period.
    move_on = rules.move_on_period(cg_date=cg_date).days
    if cg_date >= date(2019, 9, 27):
        assert move_on == 45
        assert move_on + rules.recovery_period(rg_date=date(2022, 1, 1)).days == 90
    else:
        assert move_on == 14


# --- Independent review ---------------------------------------------------------------------------


@pytest.mark.parametrize(("decided_on", "route"), [
    (date(2008, 1, 1), rules.ReviewRoute.NONE),
    (date(2009, 4, 1), rules.ReviewRoute.NONE),
    (date(2019, 3, 31), rules.ReviewRoute.NONE),
    (date(2019, 4, 1), rules.ReviewRoute.PANEL),
    (date(2022, 12, 31), rules.ReviewRoute.PANEL),
    (date(2023, 1, 1), rules.ReviewRoute.SECOND_LINE),
    (date(2026, 1, 1), rules.ReviewRoute.SECOND_LINE),
])
def test_review_route_by_the_date_of_the_decision(decided_on: date, route: rules.ReviewRoute) -> None:
    assert rules.review_route(decided_on=decided_on) == route


# --- RG guidance versions -------------------------------------------------------------------------


@pytest.mark.parametrize(("on", "words"), [
    (date(2009, 4, 1), "before the Nationality and Borders Act 2022"),
    (date(2023, 1, 29), "before the Nationality and Borders Act 2022"),
    (date(2023, 1, 30), "s.60 objective factors"),
    (date(2023, 7, 23), "s.60 objective factors"),
    (date(2023, 7, 24), "revised after judicial review"),
    (date(2026, 1, 1), "revised after judicial review"),
])
def test_rg_guidance_version_by_date(on: date, words: str) -> None:
    assert words in rules.rg_guidance_version(on=on)


def test_three_rg_guidance_versions_each_sourced() -> None:
    steps = policy.schedule("rg_guidance_version")
    assert [s.effective_from for s in steps] == [date(2009, 4, 1), date(2023, 1, 30), date(2023, 7, 24)]
    assert all(e.source for e in policy.entries() if e.key == "rg_guidance_version")


@given(st.sampled_from(["recovery_period_days", "move_on_support_min_days", "independent_review_mode",
                        "rg_guidance_version", "rg_target_working_days"]), st.data())
def test_every_change_of_a_rule_takes_effect_on_its_date(key: str, data: st.DataObject) -> None:
    steps = policy.schedule(key)
    step = data.draw(st.sampled_from(steps))
    assert policy.value(key, on=step.effective_from) == step.value
    if step.effective_to is not None:
        assert policy.value(key, on=step.effective_to - timedelta(days=1)) == step.value
        assert policy.value(key, on=step.effective_to) != step.value


# --- Decision policy snapshot -------------------------------------------------------------------


@dataclass(frozen=True)
class _Case:
    received_on: date
    nation: str
    rg_target_date: date
    rg_date: date | None = None
    recovery_period_days: int | None = None
    decision_panel_id: int | None = None


def test_a_positive_rg_records_target_guidance_and_recovery_period() -> None:
    case = _Case(received_on=date(2023, 1, 20), nation="england", rg_target_date=date(2023, 1, 27))
    snapshot = rules.decision_policy_snapshot(case=case, stage="RG", positive=True, decided_on=date(2023, 1, 30),
                                              standard_code="objective_factors")
    assert snapshot == {
        "standard": "objective_factors",
        "rg_guidance_version": rules.rg_guidance_version(on=date(2023, 1, 30)),
        "rg_target_working_days": 5,
        "rg_target_date": "2023-01-27",
        "working_days_from_referral": 6,
        "within_target": False,
        "recovery_period_days": 30,
    }
    assert "objective factors" in snapshot["rg_guidance_version"]
    json.dumps(snapshot)


def test_a_negative_rg_records_no_recovery_period() -> None:
    case = _Case(received_on=date(2023, 1, 20), nation="england", rg_target_date=date(2023, 1, 27))
    snapshot = rules.decision_policy_snapshot(case=case, stage="RG", positive=False, decided_on=date(2023, 1, 27),
                                              standard_code="s")
    assert snapshot["within_target"] is True
    assert "recovery_period_days" not in snapshot
    assert "before the Nationality and Borders Act" in snapshot["rg_guidance_version"]


@pytest.mark.parametrize(("decided_on", "mode"), [
    (date(2019, 3, 31), "none"), (date(2019, 4, 1), "panel"), (date(2023, 1, 1), "second_line")])
def test_a_negative_cg_records_its_review_route(decided_on: date, mode: str) -> None:
    case = _Case(received_on=date(2018, 1, 1), nation="england", rg_target_date=date(2018, 1, 8),
                 rg_date=date(2018, 1, 5), recovery_period_days=45)
    snapshot = rules.decision_policy_snapshot(case=case, stage="CG", positive=False, decided_on=decided_on,
                                              standard_code="balance_of_probabilities")
    assert snapshot == {"standard": "balance_of_probabilities", "recovery_period_days": 45,
                        "days_from_rg": (decided_on - date(2018, 1, 5)).days, "independent_review_mode": mode}
    json.dumps(snapshot)


def test_a_positive_cg_records_no_review() -> None:
    case = _Case(received_on=date(2024, 1, 1), nation="wales", rg_target_date=date(2024, 1, 8),
                 rg_date=date(2024, 1, 5), recovery_period_days=30)
    snapshot = rules.decision_policy_snapshot(case=case, stage="CG", positive=True, decided_on=date(2024, 3, 1),
                                              standard_code="b")
    assert "independent_review_mode" not in snapshot
    assert snapshot["days_from_rg"] == 56


def test_an_unknown_stage_is_refused() -> None:
    case = _Case(received_on=date(2024, 1, 1), nation="wales", rg_target_date=date(2024, 1, 8))
    with pytest.raises(ValueError, match="stage"):
        rules.decision_policy_snapshot(case=case, stage="XX", positive=True, decided_on=date(2024, 1, 2),
                                       standard_code="b")


@pytest.mark.parametrize(("nation", "rg_date", "days"), [
    ("scotland", date(2018, 3, 31), 45),   # before the Scottish support regulations
    ("scotland", date(2018, 4, 1), 90),    # SSI 2018/90
    ("scotland", date(2024, 6, 3), 90),    # the UK-wide cut to 30 days does not reach Scotland's own period
    ("england", date(2024, 6, 3), 30),
    ("wales", date(2022, 6, 3), 45),
    ("northern_ireland", date(2024, 6, 3), 30),
])
def test_the_recovery_period_is_set_by_the_nation_where_it_applies(nation: str, rg_date: date, days: int) -> None:
    assert rules.recovery_period(rg_date=rg_date, nation=nation).days == days


def test_a_positive_rg_in_scotland_records_scotlands_period() -> None:
    from types import SimpleNamespace

    case = SimpleNamespace(received_on=date(2024, 6, 3), nation="scotland", rg_target_date=date(2024, 6, 10),
                           rg_date=None, recovery_period_days=None, decision_panel_id=None)
    snapshot = rules.decision_policy_snapshot(case=case, stage="RG", positive=True, decided_on=date(2024, 6, 5),
                                              standard_code="rg")
    assert snapshot["recovery_period_days"] == 90


# --- A children's decision panel's RG target (ADR 0028) -------------------------------------------


@pytest.mark.parametrize(("referred_on", "panel", "due"), [
    (date(2021, 6, 14), True, date(2021, 7, 29)),  # the pilot's first day: 45 calendar days
    (date(2023, 12, 22), True, date(2024, 2, 5)),  # bank holidays do not stop a calendar count
    (date(2021, 6, 11), True, None),  # before the pilot, no panel target exists
    (date(2023, 12, 22), False, date(2024, 1, 3)),  # the competent authority's 5 working days
])
def test_a_panel_has_45_days_and_the_competent_authority_5_working_days(
        referred_on: date, panel: bool, due: date | None) -> None:
    if due is None:
        with pytest.raises(LookupError):
            rules.rg_target_date(referred_on=referred_on, nation="england", decided_by_panel=panel)
        return
    assert rules.rg_target_date(referred_on=referred_on, nation="england", decided_by_panel=panel) == due


def test_a_panels_rg_decision_records_its_calendar_day_target() -> None:
    case = _Case(received_on=date(2023, 3, 1), nation="england", rg_target_date=date(2023, 4, 15),
                 decision_panel_id=7)
    on_time = rules.decision_policy_snapshot(case=case, stage="RG", positive=False, decided_on=date(2023, 4, 15),
                                             standard_code="objective_factors")
    assert on_time["rg_target_days"] == 45
    assert on_time["days_from_referral"] == 45
    assert on_time["within_target"] is True
    assert "rg_target_working_days" not in on_time
    late = rules.decision_policy_snapshot(case=case, stage="RG", positive=False, decided_on=date(2023, 4, 16),
                                          standard_code="objective_factors")
    assert late["within_target"] is False
