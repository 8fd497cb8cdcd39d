"""What a case page offers (``actions_for``), tested without a database: every decision offered
is one the lifecycle table allows from the state, and only to someone who may take it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nrm.cases import actions as a
from nrm.cases.actions import CaseCapabilities, actions_for
from nrm.cases.lifecycle import Event, State, allowed_events

CASEWORKER = CaseCapabilities(decision_maker=True)
SENIOR = CaseCapabilities(decision_maker=True, senior=True)
FIRST_RESPONDER = CaseCapabilities(first_responder=True, reconsideration=True)
SUPPORT_PROVIDER = CaseCapabilities(reconsideration=True)  # holds no other capability on the case
NOBODY = CaseCapabilities()

# Each action that takes a lifecycle step, and the events that step may be.
STEP_EVENTS: dict[a.CaseAction, set[Event]] = {
    a.RG_DECISION: {Event.RG_POSITIVE, Event.RG_NEGATIVE},
    a.CG_DECISION: {Event.CG_POSITIVE, Event.CG_NEGATIVE},
    a.RG_REVIEW: {Event.REVIEW_AGREE, Event.REVIEW_DISAGREE},
    a.SUSPEND: {Event.SUSPEND},
    a.REACTIVATE: {Event.REACTIVATE},
    # A disqualification is asked for, then decided by a senior (s.63): both lead to the DISQUALIFY step.
    a.DISQUALIFICATION_REQUEST: {Event.DISQUALIFY},
    a.DISQUALIFICATION_DECIDE: {Event.DISQUALIFY},
    a.WITHDRAW: {Event.WITHDRAW},
    a.CLOSE: {Event.CLOSE},
    a.RECONSIDERATION: {Event.REQUEST_RECONSIDERATION},
}


def test_no_reasonable_grounds_decision_is_offered_before_the_case_is_routed() -> None:
    assert a.RG_DECISION not in actions_for(State.SUBMITTED, SENIOR)


@pytest.mark.parametrize("state", [State.AWAITING_RG, State.RG_REFERRED_BACK, State.RG_RECONSIDERATION])
def test_a_reasonable_grounds_decision_is_offered_where_the_table_allows_it(state: State) -> None:
    assert a.RG_DECISION in actions_for(state, CASEWORKER)
    assert a.CG_DECISION not in actions_for(state, CASEWORKER)


@pytest.mark.parametrize("state", [State.POSITIVE_RG, State.AWAITING_CG, State.CG_REFERRED_BACK,
                                   State.CG_RECONSIDERATION])
def test_a_conclusive_grounds_decision_is_offered_where_the_table_allows_it(state: State) -> None:
    assert a.CG_DECISION in actions_for(state, CASEWORKER)
    assert a.RG_DECISION not in actions_for(state, CASEWORKER)


def test_the_review_of_a_negative_rg_is_offered_to_seniors_only() -> None:
    assert a.RG_REVIEW in actions_for(State.RG_UNDER_REVIEW, SENIOR)
    assert a.RG_REVIEW not in actions_for(State.RG_UNDER_REVIEW, CASEWORKER)
    # A negative CG may be with a panel: its review is concluded from the reviews pages.
    assert a.RG_REVIEW not in actions_for(State.CG_UNDER_REVIEW, SENIOR)


def test_allocation_is_for_seniors_and_open_cases() -> None:
    assert a.ALLOCATE in actions_for(State.AWAITING_RG, SENIOR)
    assert a.ALLOCATE not in actions_for(State.AWAITING_RG, CASEWORKER)
    assert a.ALLOCATE not in actions_for(State.NEGATIVE_CG, SENIOR)


def test_a_first_responder_is_offered_reconsideration_of_a_served_negative_decision_only() -> None:
    assert actions_for(State.NEGATIVE_RG, FIRST_RESPONDER) == [a.RECONSIDERATION]
    assert actions_for(State.NEGATIVE_CG, FIRST_RESPONDER) == [a.RECONSIDERATION]
    assert actions_for(State.AWAITING_RG, FIRST_RESPONDER) == []
    assert a.RECONSIDERATION not in actions_for(State.NEGATIVE_RG, CASEWORKER)


def test_reconsideration_is_offered_to_whoever_the_capability_table_lets_ask() -> None:
    assert actions_for(State.NEGATIVE_CG, SUPPORT_PROVIDER) == [a.RECONSIDERATION]
    assert actions_for(State.POSITIVE_CG, SUPPORT_PROVIDER) == []
    # Following a referral is not enough: asking is its own capability.
    assert actions_for(State.NEGATIVE_CG, CaseCapabilities(first_responder=True)) == []


def test_a_closed_case_offers_only_a_note() -> None:
    assert actions_for(State.CLOSED, SENIOR) == [a.NOTE]


capabilities = st.builds(CaseCapabilities, decision_maker=st.booleans(), senior=st.booleans(),
                         first_responder=st.booleans(), reconsideration=st.booleans())


@given(st.sampled_from(list(State)), capabilities)
def test_every_step_offered_is_allowed_by_the_table_and_the_user(state: State, user: CaseCapabilities) -> None:
    offered = actions_for(state, user)
    events = set(allowed_events(state))
    assert len(offered) == len(set(offered))
    for action in offered:
        if action in STEP_EVENTS:
            assert STEP_EVENTS[action] & events, f"{action.text} offered from {state}"
        if action is a.RECONSIDERATION:
            assert user.reconsideration
        else:
            assert user.decision_maker or user.senior
        if action in {a.ALLOCATE, a.RG_REVIEW}:
            assert user.senior
    if not (user.decision_maker or user.senior or user.reconsideration):
        assert offered == []


@given(st.sampled_from(list(State)))
def test_every_step_the_table_allows_a_decision_maker_is_offered(state: State) -> None:
    offered = set(actions_for(state, SENIOR))
    events = set(allowed_events(state)) - {Event.ROUTE, Event.RECOVERY_PERIOD_ENDS, Event.REQUEST_RECONSIDERATION}
    if state == State.CG_UNDER_REVIEW:
        events -= {Event.REVIEW_AGREE, Event.REVIEW_DISAGREE}
    for event in events:
        assert any(event in STEP_EVENTS[action] for action in offered & set(STEP_EVENTS)), f"{event} from {state}"


@pytest.mark.parametrize("state", [State.POSITIVE_RG, State.AWAITING_CG])
def test_no_conclusive_grounds_decision_is_offered_while_the_recovery_period_runs(state: State) -> None:
    assert a.CG_DECISION not in actions_for(state, CASEWORKER, recovery_period_running=True)
    assert a.CG_DECISION in actions_for(state, CASEWORKER, recovery_period_running=False)
