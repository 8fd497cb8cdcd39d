"""The lifecycle table, tested without a database: every allowed step with facts that satisfy
its guards, every other (state, event) pair refused with a clear message, the guards, and
properties over random sequences of events (Hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrm.cases.lifecycle import (
    STATE_LABELS,
    TERMINAL_STATES,
    TRANSITIONS,
    CaseFacts,
    Event,
    State,
    Transition,
    allowed_events,
    next_state,
    reactivation_target,
)
from nrm.core.errors import GuardFailed, TransitionNotAllowed

TODAY = date(2024, 6, 3)
DM_A = "decision-maker-a"
DM_B = "decision-maker-b"

ALLOWED_PAIRS = {(t.source, t.event) for t in TRANSITIONS}
ALL_PAIRS = [(s, e) for s in State for e in Event]
REFUSED_PAIRS = [pair for pair in ALL_PAIRS if pair not in ALLOWED_PAIRS]

CG_SIDE = {State.AWAITING_CG, State.CG_UNDER_REVIEW, State.CG_REFERRED_BACK, State.CG_RECONSIDERATION,
           State.NEGATIVE_CG, State.POSITIVE_CG}


def good_facts(transition: Transition) -> CaseFacts:
    """Facts that satisfy every guard of ``transition``."""
    return CaseFacts(
        today=TODAY,
        rg_date=TODAY - timedelta(days=60),
        recovery_period_days=30,
        open_information_requests=0,
        actor_id=DM_B,
        last_decision_maker_id=DM_A,
        suspended_from=transition.target if transition.source == State.SUSPENDED else None,
    )


def _id(value: object) -> str:
    if isinstance(value, Transition):
        return f"{value.source.value}-{value.event.value}-{value.target.value}"
    return str(value)


@pytest.mark.parametrize("transition", TRANSITIONS, ids=_id)
def test_every_allowed_transition_succeeds_with_facts_that_satisfy_its_guards(transition: Transition) -> None:
    assert next_state(transition.source, transition.event, good_facts(transition)) == transition.target


@pytest.mark.parametrize(("state", "event"), REFUSED_PAIRS, ids=lambda v: str(v))
def test_every_other_pair_is_refused_with_a_clear_message(state: State, event: Event) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        next_state(state, event, CaseFacts(today=TODAY))
    message = refused.value.message
    assert STATE_LABELS[state] in message
    assert event.value.replace("_", " ") in message


def test_the_table_covers_every_state_and_has_no_duplicate_steps() -> None:
    keys = [(t.source, t.event, t.target) for t in TRANSITIONS]
    assert len(keys) == len(set(keys))
    reachable = {State.SUBMITTED} | {t.target for t in TRANSITIONS}
    assert reachable == set(State), "every state is reachable"
    assert TERMINAL_STATES == {State.CLOSED}
    for state in State:
        assert state.label


@pytest.mark.parametrize("event", [Event.CG_POSITIVE, Event.CG_NEGATIVE])
@pytest.mark.parametrize("source", [State.POSITIVE_RG, State.AWAITING_CG])
def test_cg_refused_before_the_recovery_period_has_run(source: State, event: Event) -> None:
    facts = CaseFacts(today=date(2023, 6, 20), rg_date=date(2023, 6, 1), recovery_period_days=30,
                      actor_id=DM_B, last_decision_maker_id=DM_A)
    with pytest.raises(GuardFailed) as refused:
        next_state(source, event, facts)
    assert "recovery period of 30 days" in refused.value.message
    assert "01 July 2023" in refused.value.message
    # The day the period has run, it is allowed.
    assert next_state(source, event, replace(facts, today=date(2023, 7, 1))) in {State.POSITIVE_CG,
                                                                                  State.CG_UNDER_REVIEW}


def test_cg_refused_without_a_positive_rg() -> None:
    with pytest.raises(GuardFailed, match="no positive reasonable grounds decision"):
        next_state(State.AWAITING_CG, Event.CG_POSITIVE, CaseFacts(today=TODAY))


@pytest.mark.parametrize("source", [State.AWAITING_CG, State.CG_REFERRED_BACK, State.CG_RECONSIDERATION])
def test_cg_refused_while_an_information_request_is_open(source: State) -> None:
    facts = replace(good_facts(Transition(source, Event.CG_POSITIVE, State.POSITIVE_CG)),
                    open_information_requests=2)
    with pytest.raises(GuardFailed, match="2 requests for further information are still open"):
        next_state(source, Event.CG_POSITIVE, facts)


@pytest.mark.parametrize(
    ("source", "event"),
    [(State.RG_REFERRED_BACK, Event.RG_POSITIVE), (State.RG_RECONSIDERATION, Event.RG_NEGATIVE),
     (State.CG_REFERRED_BACK, Event.CG_NEGATIVE), (State.CG_RECONSIDERATION, Event.CG_POSITIVE)],
)
def test_fresh_decisions_need_someone_other_than_the_last_decision_maker(source: State, event: Event) -> None:
    facts = CaseFacts(today=TODAY, rg_date=TODAY - timedelta(days=90), recovery_period_days=45,
                      actor_id=DM_A, last_decision_maker_id=DM_A)
    with pytest.raises(GuardFailed, match="A different decision maker"):
        next_state(source, event, facts)


@pytest.mark.parametrize("transition", [t for t in TRANSITIONS if t.event in {Event.REVIEW_AGREE,
                                                                               Event.REVIEW_DISAGREE}], ids=_id)
def test_concluding_a_review_has_its_rules_in_the_review_table_not_here(transition: Transition) -> None:
    # Who may review, reasons and "not the decision maker" are checked once, by nrm/reviews/lifecycle.py.
    assert transition.guards == ()


def test_reactivation_returns_to_the_state_before_suspension() -> None:
    for target in {t.target for t in TRANSITIONS if t.source == State.SUSPENDED and t.event == Event.REACTIVATE}:
        assert reactivation_target(CaseFacts(today=TODAY, suspended_from=target)) == target
    with pytest.raises(GuardFailed, match="no record of the state"):
        reactivation_target(CaseFacts(today=TODAY))
    with pytest.raises(GuardFailed, match="reactivated into the state it was in"):
        reactivation_target(CaseFacts(today=TODAY, suspended_from=State.NEGATIVE_RG))


def test_allowed_events_match_the_table() -> None:
    for state in State:
        assert set(allowed_events(state)) == {e for (s, e) in ALLOWED_PAIRS if s == state}


# --- Properties over random sequences ---------------------------------------------------------

step = st.tuples(
    st.sampled_from(list(Event)),
    st.booleans(),  # the actor is the last decision maker
    st.booleans(),  # the recovery period has run
    st.integers(min_value=0, max_value=2),  # open requests for information
)


_DECISIONS = frozenset({Event.RG_POSITIVE, Event.RG_NEGATIVE, Event.CG_POSITIVE, Event.CG_NEGATIVE})
_FRESH_DECISION_STATES = frozenset({State.RG_REFERRED_BACK, State.RG_RECONSIDERATION, State.CG_REFERRED_BACK,
                                    State.CG_RECONSIDERATION})


class _Walk:
    """A case walked through a random sequence of events: what the lifecycle must remember of it."""

    def __init__(self) -> None:
        self.state = State.SUBMITTED
        self.suspended_from: State | None = None
        self.rg_positive_seen = False
        self.last_decision_maker: str | None = None
        self.rg_date: date | None = None

    def actor_and_day(self, index: int, actor_is_last: bool, recovery_run: bool) -> tuple[str, date]:
        actor = self.last_decision_maker if actor_is_last and self.last_decision_maker else f"actor-{index}"
        today = (self.rg_date + timedelta(days=45 if recovery_run else 10)) if self.rg_date else TODAY
        return actor, today

    def facts(self, today: date, actor: str, open_requests: int) -> CaseFacts:
        return CaseFacts(today=today, rg_date=self.rg_date, recovery_period_days=45 if self.rg_date else None,
                         open_information_requests=open_requests, actor_id=actor,
                         last_decision_maker_id=self.last_decision_maker, suspended_from=self.suspended_from)

    def check_move(self, event: Event, after: State, actor: str, recovery_run: bool, open_requests: int) -> None:
        """The rules a move from the current state by ``event`` to ``after`` must have kept."""
        before = self.state
        # Terminal states have no exits.
        assert before not in TERMINAL_STATES
        assert Transition(before, event, after) in {Transition(t.source, t.event, t.target) for t in TRANSITIONS}
        # A suspended case only reactivates to where it was.
        if event == Event.REACTIVATE:
            assert after == self.suspended_from
        # A conclusive grounds decision needs the recovery period run and no open request.
        if event in {Event.CG_POSITIVE, Event.CG_NEGATIVE}:
            assert recovery_run
            assert open_requests == 0
            assert self.rg_date is not None
        # A fresh decision is never by the last decision maker.
        if before in _FRESH_DECISION_STATES and event in _DECISIONS:
            assert self.last_decision_maker is None or actor != self.last_decision_maker

    def move(self, event: Event, after: State, actor: str, today: date) -> None:
        before, self.state = self.state, after
        if event == Event.SUSPEND:
            self.suspended_from = before
        elif event == Event.REACTIVATE:
            self.suspended_from = None
        if event in _DECISIONS:
            self.last_decision_maker = actor
        if event == Event.RG_POSITIVE:
            self.rg_positive_seen = True
            self.rg_date = today

    def check_state(self, event: Event) -> None:
        # Conclusive grounds states are only reachable after a positive RG.
        if self.state in CG_SIDE:
            assert self.rg_positive_seen
        if self.state in {State.RG_UNDER_REVIEW, State.CG_UNDER_REVIEW}:
            assert event in {Event.RG_NEGATIVE, Event.CG_NEGATIVE, Event.REACTIVATE}


@settings(max_examples=400, deadline=None)
@given(st.lists(step, min_size=1, max_size=40))
def test_random_sequences_respect_the_rules(steps: list[tuple[Event, bool, bool, int]]) -> None:
    walk = _Walk()
    for index, (event, actor_is_last, recovery_run, open_requests) in enumerate(steps):
        actor, today = walk.actor_and_day(index, actor_is_last, recovery_run)
        try:
            after = next_state(walk.state, event, walk.facts(today, actor, open_requests))
        except TransitionNotAllowed:
            assert (walk.state, event) not in ALLOWED_PAIRS
            continue
        except GuardFailed:
            assert (walk.state, event) in ALLOWED_PAIRS
            continue
        walk.check_move(event, after, actor, recovery_run, open_requests)
        walk.move(event, after, actor, today)
        walk.check_state(event)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(TERMINAL_STATES)), st.sampled_from(list(Event)))
def test_terminal_states_refuse_every_event(state: State, event: Event) -> None:
    with pytest.raises(TransitionNotAllowed):
        next_state(state, event, CaseFacts(today=TODAY, suspended_from=State.AWAITING_RG))

