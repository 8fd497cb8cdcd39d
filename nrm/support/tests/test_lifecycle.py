"""The support referral table, tested without a database: every allowed step with facts that
satisfy its guards, every other (state, event) pair refused with a clear message, each guard, and
properties over random sequences of events (Hypothesis)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrm.core.errors import GuardFailed, TransitionNotAllowed
from nrm.support.lifecycle import (
    CASE_END_REASONS,
    LIVE_STATES,
    PERMITTED_EARLY_END_REASONS,
    PROVIDER_END_REASONS,
    REASONS_NEEDING_DETAILS,
    SUPPORT_STATE_LABELS,
    SUPPORT_TRANSITIONS,
    EndReasonCode,
    SupportEvent,
    SupportFacts,
    SupportState,
    SupportTransition,
    allowed_support_events,
    may_record_support,
    next_support_state,
)
from nrm.support.models import EndReason, SupportReferralStatus

GOOD = SupportFacts(reason="needs_met", details="Settled with family.", negative_cg_served=True, too_early=None)
ALLOWED_PAIRS = {(t.source, t.event) for t in SUPPORT_TRANSITIONS}
REFUSED_PAIRS = [(s, e) for s in SupportState for e in SupportEvent if (s, e) not in ALLOWED_PAIRS]
TOO_EARLY = "You cannot end support before 1 July 2024."


def _id(value: object) -> str:
    if isinstance(value, SupportTransition):
        return f"{value.source.value}-{value.event.value}-{value.target.value}"
    return str(value)


@pytest.mark.parametrize("transition", SUPPORT_TRANSITIONS, ids=_id)
def test_every_allowed_step_succeeds_with_facts_that_satisfy_its_guards(transition: SupportTransition) -> None:
    facts = replace(GOOD, reason=EndReasonCode.CASE_WITHDRAWN) if transition.event == SupportEvent.CASE_ENDED else GOOD
    assert next_support_state(transition.source, transition.event, facts) == transition.target


@pytest.mark.parametrize(("state", "event"), REFUSED_PAIRS, ids=str)
def test_every_other_pair_is_refused_with_a_clear_message(state: SupportState, event: SupportEvent) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        next_support_state(state, event, GOOD)
    assert refused.value.message.endswith(".")


def test_the_states_and_reasons_are_the_models() -> None:
    assert {s.value: s.label for s in SupportState} == dict(SupportReferralStatus.choices)
    assert set(SUPPORT_STATE_LABELS) == set(SupportState)
    assert {r.value for r in EndReasonCode} == set(EndReason.values)
    assert set(LIVE_STATES) == {s for s in SupportState if allowed_support_events(s)}


def test_a_provider_responds_once() -> None:
    for event in (SupportEvent.ACCEPT, SupportEvent.DECLINE):
        with pytest.raises(TransitionNotAllowed, match="already responded"):
            next_support_state(SupportState.ACCEPTED, event, GOOD)


def test_declining_needs_a_reason() -> None:
    with pytest.raises(GuardFailed, match="Enter the reason you cannot accept") as refused:
        next_support_state(SupportState.OFFERED, SupportEvent.DECLINE, replace(GOOD, reason="  "))
    assert refused.value.field == "reason"
    assert next_support_state(SupportState.OFFERED, SupportEvent.ACCEPT, replace(GOOD, reason="")) == \
        SupportState.ACCEPTED


def test_support_ends_for_a_known_reason_with_details_where_needed() -> None:
    with pytest.raises(GuardFailed, match="Select why support is ending"):
        next_support_state(SupportState.ACCEPTED, SupportEvent.END, replace(GOOD, reason="bored"))
    for reason in REASONS_NEEDING_DETAILS:
        with pytest.raises(GuardFailed, match="Give details") as refused:
            next_support_state(SupportState.ACCEPTED, SupportEvent.END, replace(GOOD, reason=reason, details=" "))
        assert refused.value.field == "details"


def test_a_negative_decision_ends_support_only_once_served() -> None:
    facts = replace(GOOD, reason=EndReasonCode.NEGATIVE_DECISION, negative_cg_served=False)
    with pytest.raises(GuardFailed, match="No negative conclusive grounds decision"):
        next_support_state(SupportState.ACCEPTED, SupportEvent.END, facts)
    assert next_support_state(SupportState.ACCEPTED, SupportEvent.END, replace(facts, negative_cg_served=True)) == \
        SupportState.ENDED


@pytest.mark.parametrize("reason", sorted(PROVIDER_END_REASONS))
def test_support_ends_early_only_for_a_permitted_reason(reason: EndReasonCode) -> None:
    facts = replace(GOOD, reason=reason, details="Details.", too_early=TOO_EARLY)
    if reason in PERMITTED_EARLY_END_REASONS:
        assert next_support_state(SupportState.ACCEPTED, SupportEvent.END, facts) == SupportState.ENDED
        return
    with pytest.raises(GuardFailed, match=TOO_EARLY) as refused:
        next_support_state(SupportState.ACCEPTED, SupportEvent.END, facts)
    assert refused.value.field == "ended_on"


@pytest.mark.parametrize("reason", sorted(CASE_END_REASONS))
def test_a_provider_cannot_end_support_for_a_reason_that_belongs_to_the_case(reason: EndReasonCode) -> None:
    with pytest.raises(GuardFailed, match="Select why support is ending"):
        next_support_state(SupportState.ACCEPTED, SupportEvent.END, replace(GOOD, reason=reason))


@pytest.mark.parametrize("state", [SupportState.OFFERED, SupportState.ACCEPTED])
@pytest.mark.parametrize("reason", sorted(CASE_END_REASONS))
def test_withdrawal_or_disqualification_ends_live_support_at_any_stage(state: SupportState,
                                                                      reason: EndReasonCode) -> None:
    # Not held back by the move-on period, nor by a missing negative decision.
    facts = SupportFacts(reason=reason, too_early=TOO_EARLY, negative_cg_served=False)
    assert next_support_state(state, SupportEvent.CASE_ENDED, facts) == SupportState.ENDED


def test_the_case_ends_support_only_for_its_own_reasons() -> None:
    for reason in PROVIDER_END_REASONS:
        with pytest.raises(GuardFailed, match="withdrawn or the person disqualified"):
            next_support_state(SupportState.ACCEPTED, SupportEvent.CASE_ENDED, replace(GOOD, reason=reason))
    for state in (SupportState.DECLINED, SupportState.ENDED):
        with pytest.raises(TransitionNotAllowed, match="Support for this person has ended"):
            next_support_state(state, SupportEvent.CASE_ENDED, replace(GOOD, reason=EndReasonCode.DISQUALIFIED))


def test_support_is_recorded_only_while_accepted() -> None:
    assert may_record_support(SupportState.ACCEPTED) is None
    assert may_record_support(SupportState.OFFERED) == "Accept the referral before recording support."
    assert may_record_support(SupportState.ENDED) == "Support for this person has ended."
    assert may_record_support(SupportState.DECLINED) == "Support for this person has ended."


step = st.tuples(
    st.sampled_from(list(SupportEvent)),
    st.sampled_from([*list(EndReasonCode), "", "unknown"]),
    st.booleans(),  # details given
    st.booleans(),  # a negative CG has been served
    st.booleans(),  # the date asked is before support may end
)


@settings(max_examples=300, deadline=None)
@given(st.lists(step, min_size=1, max_size=20))
def test_random_sequences_respect_the_rules(steps: list[tuple[SupportEvent, str, bool, bool, bool]]) -> None:
    state = SupportState.OFFERED
    responded = False
    for event, reason, details, negative_served, too_early in steps:
        facts = SupportFacts(reason=reason, details="Details." if details else "",
                             negative_cg_served=negative_served, too_early=TOO_EARLY if too_early else None)
        try:
            after = next_support_state(state, event, facts)
        except TransitionNotAllowed:
            assert (state, event) not in ALLOWED_PAIRS
            continue
        except GuardFailed:
            assert (state, event) in ALLOWED_PAIRS
            continue
        if event in {SupportEvent.ACCEPT, SupportEvent.DECLINE}:
            assert not responded, "a provider responds once"
            responded = True
        if event == SupportEvent.DECLINE:
            assert reason.strip()
        if event == SupportEvent.CASE_ENDED:
            assert state in LIVE_STATES
            assert reason in CASE_END_REASONS
        if event == SupportEvent.END:
            assert state == SupportState.ACCEPTED
            assert reason in PROVIDER_END_REASONS
            assert details or reason not in REASONS_NEEDING_DETAILS
            assert negative_served or reason != EndReasonCode.NEGATIVE_DECISION
            assert not too_early or reason in PERMITTED_EARLY_END_REASONS
        state = after
    if state not in LIVE_STATES:
        assert allowed_support_events(state) == []
