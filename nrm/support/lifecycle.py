"""A support referral as a table: states, events and the guards on each step.

Pure Python: no database, no Django. The SupportReferral model stores only ``status``;
``nrm.support.services`` asks ``next_support_state`` before changing it. The table owns the rules
of the steps themselves: a provider gives a reason to decline; support ends for a reason, with
details where the reason needs them, for a negative decision only once one has been served, and
before the date it must continue to only for a permitted reason; and support ends, whatever its
stage, when the competent authority withdraws the case or disqualifies the person (the
``case_ended`` hook), for that reason alone. How long support must continue
is a dated rule (``nrm/support/rules.py``, through ``support_dates``); the service passes its
verdict in as ``too_early``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from nrm.core.errors import GuardFailed, TransitionNotAllowed


class SupportState(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return SUPPORT_STATE_LABELS[self]


SUPPORT_STATE_LABELS: dict[SupportState, str] = {
    SupportState.OFFERED: "Waiting for the provider to accept",
    SupportState.ACCEPTED: "Receiving support",
    SupportState.DECLINED: "Declined by the provider",
    SupportState.ENDED: "Support ended",
}


class SupportEvent(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    END = "end"
    CASE_ENDED = "case_ended"  # the case was withdrawn or the person disqualified: not the provider's step


class EndReasonCode(StrEnum):
    """The reasons support may end (the values of ``nrm.support.models.EndReason``)."""

    PERIOD_COMPLETE = "period_complete"
    NEEDS_MET = "needs_met"
    DECLINED_SUPPORT = "declined_support"
    LEFT_UK = "left_uk"
    TRANSFERRED = "transferred"
    MISSING = "missing"
    NEGATIVE_DECISION = "negative_decision"
    DIED = "died"
    OTHER = "other"
    CASE_WITHDRAWN = "case_withdrawn"
    DISQUALIFIED = "disqualified"


# Support ends for these only when the case ends (``SupportEvent.CASE_ENDED``); a provider ending
# support chooses from the others.
CASE_END_REASONS = frozenset({EndReasonCode.CASE_WITHDRAWN, EndReasonCode.DISQUALIFIED})
PROVIDER_END_REASONS = frozenset(set(EndReasonCode) - CASE_END_REASONS)


# Support may end before the date it must continue to only for one of these.
# (After a negative conclusive grounds decision has been served nothing keeps support going.)
PERMITTED_EARLY_END_REASONS = frozenset({
    EndReasonCode.DECLINED_SUPPORT, EndReasonCode.LEFT_UK, EndReasonCode.TRANSFERRED, EndReasonCode.MISSING,
    EndReasonCode.DIED,
})
REASONS_NEEDING_DETAILS = frozenset({EndReasonCode.TRANSFERRED, EndReasonCode.OTHER})


@dataclass(frozen=True)
class SupportFacts:
    """What the guards need to know about a referral at the moment of a step."""

    reason: str = ""  # why the provider declines, or the end reason code
    details: str = ""
    negative_cg_served: bool = False
    too_early: str | None = None  # why ending on the date asked is before support may end, or None


@dataclass(frozen=True)
class Refusal:
    message: str
    field: str | None = None


Guard = Callable[[SupportFacts], Refusal | None]


def decline_reason_given(facts: SupportFacts) -> Refusal | None:
    if not facts.reason.strip():
        return Refusal("Enter the reason you cannot accept this referral", field="reason")
    return None


def end_reason_known(facts: SupportFacts) -> Refusal | None:
    if facts.reason not in PROVIDER_END_REASONS:
        return Refusal("Select why support is ending", field="reason")
    return None


def the_case_ended(facts: SupportFacts) -> Refusal | None:
    if facts.reason not in CASE_END_REASONS:
        return Refusal("Support ends this way only when the case is withdrawn or the person disqualified.")
    return None


def details_given_where_needed(facts: SupportFacts) -> Refusal | None:
    if facts.reason in REASONS_NEEDING_DETAILS and not facts.details.strip():
        return Refusal("Give details of why support is ending", field="details")
    return None


def negative_decision_served(facts: SupportFacts) -> Refusal | None:
    if facts.reason == EndReasonCode.NEGATIVE_DECISION and not facts.negative_cg_served:
        return Refusal("No negative conclusive grounds decision has been served on this case.", field="reason")
    return None


def not_too_early(facts: SupportFacts) -> Refusal | None:
    if facts.reason not in PERMITTED_EARLY_END_REASONS and facts.too_early:
        return Refusal(facts.too_early, field="ended_on")
    return None


@dataclass(frozen=True)
class SupportTransition:
    source: SupportState
    event: SupportEvent
    target: SupportState
    guards: tuple[Guard, ...] = field(default=())


SUPPORT_TRANSITIONS: tuple[SupportTransition, ...] = (
    SupportTransition(SupportState.OFFERED, SupportEvent.ACCEPT, SupportState.ACCEPTED),
    SupportTransition(SupportState.OFFERED, SupportEvent.DECLINE, SupportState.DECLINED, (decline_reason_given,)),
    SupportTransition(SupportState.ACCEPTED, SupportEvent.END, SupportState.ENDED,
                      (end_reason_known, details_given_where_needed, negative_decision_served, not_too_early)),
    *(SupportTransition(source, SupportEvent.CASE_ENDED, SupportState.ENDED, (the_case_ended,))
      for source in (SupportState.OFFERED, SupportState.ACCEPTED)),
)

_BY_SOURCE_EVENT: dict[tuple[SupportState, SupportEvent], SupportTransition] = {
    (t.source, t.event): t for t in SUPPORT_TRANSITIONS
}
LIVE_STATES: tuple[SupportState, ...] = (SupportState.OFFERED, SupportState.ACCEPTED)

_ALREADY_RESPONDED = "You have already responded to this referral."
_ENDED = "Support for this person has ended."
_NOT_NOW: dict[tuple[SupportState, SupportEvent], str] = {
    (SupportState.OFFERED, SupportEvent.END): "Accept the referral before recording support.",
    **{(s, e): _ALREADY_RESPONDED for s in (SupportState.ACCEPTED, SupportState.DECLINED, SupportState.ENDED)
       for e in (SupportEvent.ACCEPT, SupportEvent.DECLINE)},
    (SupportState.DECLINED, SupportEvent.END): _ENDED,
    (SupportState.ENDED, SupportEvent.END): _ENDED,
    (SupportState.DECLINED, SupportEvent.CASE_ENDED): _ENDED,
    (SupportState.ENDED, SupportEvent.CASE_ENDED): _ENDED,
}


def allowed_support_events(state: SupportState) -> list[SupportEvent]:
    return [e for e in SupportEvent if (SupportState(state), e) in _BY_SOURCE_EVENT]


def may_record_support(state: SupportState) -> str | None:
    """Why support, episodes and assessments cannot be recorded for a referral in ``state``, or
    None when they can (only while it is accepted and support has not ended)."""
    if SupportEvent.END in allowed_support_events(state):
        return None
    return _NOT_NOW[(SupportState(state), SupportEvent.END)]


def next_support_state(state: SupportState, event: SupportEvent, facts: SupportFacts) -> SupportState:
    """The state after ``event``; raises TransitionNotAllowed or GuardFailed (with the form field
    it is about, when there is one)."""
    source, step = SupportState(state), SupportEvent(event)
    transition = _BY_SOURCE_EVENT.get((source, step))
    if transition is None:
        raise TransitionNotAllowed(_NOT_NOW[(source, step)])
    for guard in transition.guards:
        refusal = guard(facts)
        if refusal is not None:
            raise GuardFailed(refusal.message, field=refusal.field)
    return transition.target
