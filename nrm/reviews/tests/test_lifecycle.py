"""The review table, tested without a database: every allowed step with facts that satisfy its
guards, every other (state, event) pair refused with a clear message, each rule of concluding a
review once, and properties over random sequences of events (Hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrm.core.errors import GuardFailed, TransitionNotAllowed
from nrm.reviews.lifecycle import (
    REVIEW_STATE_LABELS,
    REVIEW_TRANSITIONS,
    ReviewEvent,
    ReviewFacts,
    ReviewState,
    ReviewTransition,
    allowed_review_events,
    conclusion_event,
    next_review_state,
)
from nrm.reviews.models import ReviewStatus

REFERRED = date(2024, 3, 5)
MAKER = "decision-maker"
REVIEWER = "reviewer"
ALLOWED_PAIRS = {(t.source, t.event) for t in REVIEW_TRANSITIONS}
REFUSED_PAIRS = [(s, e) for s in ReviewState for e in ReviewEvent if (s, e) not in ALLOWED_PAIRS]


def good_facts(*, panel: bool = False) -> ReviewFacts:
    return ReviewFacts(today=REFERRED + timedelta(days=2), referred_on=REFERRED, panel=panel,
                       rationale="The evidence was weighed.", reviewer_id=REVIEWER, decision_maker_id=MAKER)


def _id(value: object) -> str:
    if isinstance(value, ReviewTransition):
        return f"{value.source.value}-{value.event.value}-{value.target.value}"
    return str(value)


PANEL_EVENTS = {ReviewEvent.PANEL_COMPLETED, ReviewEvent.MEMBER_STOOD_DOWN}


@pytest.mark.parametrize("panel", [True, False])
@pytest.mark.parametrize("transition", REVIEW_TRANSITIONS, ids=_id)
def test_every_allowed_step_succeeds_with_facts_that_satisfy_its_guards(transition: ReviewTransition,
                                                                        panel: bool) -> None:
    facts = good_facts(panel=panel or transition.event in PANEL_EVENTS)
    assert next_review_state(transition.source, transition.event, facts) == transition.target


@pytest.mark.parametrize("event", sorted(PANEL_EVENTS))
def test_a_second_line_review_has_no_panel_steps(event: ReviewEvent) -> None:
    with pytest.raises(GuardFailed, match="no panel"):
        next_review_state(ReviewState.OPEN if event == ReviewEvent.MEMBER_STOOD_DOWN else ReviewState.AWAITING_PANEL,
                          event, good_facts(panel=False))


@pytest.mark.parametrize(("state", "event"), REFUSED_PAIRS, ids=str)
def test_every_other_pair_is_refused_with_a_clear_message(state: ReviewState, event: ReviewEvent) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        next_review_state(state, event, good_facts())
    assert refused.value.message


def test_the_states_are_the_models_statuses() -> None:
    assert {s.value: s.label for s in ReviewState} == dict(ReviewStatus.choices)
    assert set(REVIEW_STATE_LABELS) == set(ReviewState)
    assert {t.target for t in REVIEW_TRANSITIONS} | {ReviewState.AWAITING_PANEL} == set(ReviewState)
    assert allowed_review_events(ReviewState.CONCLUDED) == []


@pytest.mark.parametrize("agree", [True, False])
def test_a_concluded_review_cannot_conclude_again(agree: bool) -> None:
    with pytest.raises(TransitionNotAllowed, match="already concluded"):
        next_review_state(ReviewState.CONCLUDED, conclusion_event(agree=agree), good_facts())


@pytest.mark.parametrize("agree", [True, False])
def test_an_incomplete_panel_cannot_conclude(agree: bool) -> None:
    with pytest.raises(TransitionNotAllowed, match="The panel is not complete"):
        next_review_state(ReviewState.AWAITING_PANEL, conclusion_event(agree=agree), good_facts(panel=True))


# --- Each rule of concluding, once -----------------------------------------------------------


@pytest.mark.parametrize(("panel", "agree", "needed", "message"), [
    (True, True, True, "Enter the panel's rationale"),
    (True, False, True, "Enter the panel's rationale"),
    (False, True, False, ""),
    (False, False, True, "Enter the reasons for returning the decision"),
])
def test_reasons_are_required_to_return_a_decision_and_from_every_panel(panel: bool, agree: bool, needed: bool,
                                                                        message: str) -> None:
    facts = replace(good_facts(panel=panel), rationale="  ")
    event = conclusion_event(agree=agree)
    if not needed:
        assert next_review_state(ReviewState.OPEN, event, facts) == ReviewState.CONCLUDED
        return
    with pytest.raises(GuardFailed, match=message) as refused:
        next_review_state(ReviewState.OPEN, event, facts)
    assert refused.value.field == "rationale"


@pytest.mark.parametrize("panel", [True, False])
@pytest.mark.parametrize("agree", [True, False])
def test_the_decision_maker_cannot_review_their_own_decision(panel: bool, agree: bool) -> None:
    facts = replace(good_facts(panel=panel), reviewer_id=MAKER)
    with pytest.raises(GuardFailed, match="You made this decision"):
        next_review_state(ReviewState.OPEN, conclusion_event(agree=agree), facts)


@pytest.mark.parametrize("agree", [True, False])
def test_a_panel_concludes_only_after_every_member_has_declared(agree: bool) -> None:
    facts = replace(good_facts(panel=True), undeclared=("A Member",))
    with pytest.raises(GuardFailed, match="Still to declare: A Member"):
        next_review_state(ReviewState.OPEN, conclusion_event(agree=agree), facts)
    # A second-line review has no panel to declare.
    assert next_review_state(ReviewState.OPEN, conclusion_event(agree=agree),
                             replace(facts, panel=False)) == ReviewState.CONCLUDED


@pytest.mark.parametrize("agree", [True, False])
def test_a_review_cannot_conclude_before_the_referral(agree: bool) -> None:
    facts = replace(good_facts(), today=REFERRED - timedelta(days=1))
    with pytest.raises(GuardFailed, match="cannot conclude before"):
        next_review_state(ReviewState.OPEN, conclusion_event(agree=agree), facts)
    assert next_review_state(ReviewState.OPEN, conclusion_event(agree=agree),
                             replace(facts, today=REFERRED)) == ReviewState.CONCLUDED


# --- Properties over random sequences ---------------------------------------------------------

step = st.tuples(
    st.sampled_from(list(ReviewEvent)),
    st.booleans(),  # the reviewer made the decision
    st.booleans(),  # a rationale is given
    st.booleans(),  # someone on the panel has not declared
    st.integers(min_value=-2, max_value=2),  # days after the referral
)


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.lists(step, min_size=1, max_size=30))
def test_random_sequences_respect_the_rules(panel: bool,
                                            steps: list[tuple[ReviewEvent, bool, bool, bool, int]]) -> None:
    state = ReviewState.AWAITING_PANEL if panel else ReviewState.OPEN
    for event, own, rationale, undeclared, offset in steps:
        facts = ReviewFacts(today=REFERRED + timedelta(days=offset), referred_on=REFERRED, panel=panel,
                            rationale="Because." if rationale else "", reviewer_id=MAKER if own else REVIEWER,
                            decision_maker_id=MAKER, undeclared=("Member",) if undeclared else ())
        try:
            after = next_review_state(state, event, facts)
        except TransitionNotAllowed:
            assert (state, event) not in ALLOWED_PAIRS
            continue
        except GuardFailed:
            assert (state, event) in ALLOWED_PAIRS
            continue
        if after == ReviewState.CONCLUDED:
            # Only from an open review, by someone else, on or after the referral, with the reasons due.
            assert state == ReviewState.OPEN
            assert not own
            assert offset >= 0
            assert rationale or (not panel and event == ReviewEvent.AGREE)
            assert not (panel and undeclared)
        if not panel:
            assert after != ReviewState.AWAITING_PANEL, "a second-line review never waits for a panel"
        state = after
    if state == ReviewState.CONCLUDED:
        assert allowed_review_events(state) == []
