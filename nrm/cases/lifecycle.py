"""The case lifecycle as a table: states, events and the guards on each step.

Pure Python: no database, no Django. The Case model stores only ``state``; services ask
``next_state`` before changing it, with the facts the guards need, and get either the new
state or a clear error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from nrm.core.errors import GuardFailed, TransitionNotAllowed
from nrm.core.rules import recovery_period


class State(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_RG = "awaiting_rg"
    RG_UNDER_REVIEW = "rg_under_review"  # negative RG proposed; second-line review before it is served
    RG_REFERRED_BACK = "rg_referred_back"  # review disagreed: fresh RG by another decision maker
    RG_RECONSIDERATION = "rg_reconsideration"
    NEGATIVE_RG = "negative_rg"  # served
    POSITIVE_RG = "positive_rg"  # recovery period running
    AWAITING_CG = "awaiting_cg"
    CG_UNDER_REVIEW = "cg_under_review"  # negative CG proposed; panel or second-line review
    CG_REFERRED_BACK = "cg_referred_back"
    CG_RECONSIDERATION = "cg_reconsideration"
    NEGATIVE_CG = "negative_cg"  # served
    POSITIVE_CG = "positive_cg"  # move-on support
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"
    DISQUALIFIED = "disqualified"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS: dict[State, str] = {
    State.SUBMITTED: "Submitted",
    State.AWAITING_RG: "Awaiting reasonable grounds decision",
    State.RG_UNDER_REVIEW: "Negative reasonable grounds decision under review",
    State.RG_REFERRED_BACK: "Referred back for a fresh reasonable grounds decision",
    State.RG_RECONSIDERATION: "Reasonable grounds decision being reconsidered",
    State.NEGATIVE_RG: "Negative reasonable grounds decision",
    State.POSITIVE_RG: "Positive reasonable grounds decision: recovery period",
    State.AWAITING_CG: "Awaiting conclusive grounds decision",
    State.CG_UNDER_REVIEW: "Negative conclusive grounds decision under independent review",
    State.CG_REFERRED_BACK: "Referred back for a fresh conclusive grounds decision",
    State.CG_RECONSIDERATION: "Conclusive grounds decision being reconsidered",
    State.NEGATIVE_CG: "Negative conclusive grounds decision",
    State.POSITIVE_CG: "Positive conclusive grounds decision",
    State.WITHDRAWN: "Withdrawn",
    State.SUSPENDED: "Suspended",
    State.DISQUALIFIED: "Disqualified (public order or bad faith)",
    State.CLOSED: "Closed",
}


class Event(StrEnum):
    ROUTE = "route"
    RG_POSITIVE = "rg_positive"
    RG_NEGATIVE = "rg_negative"
    REVIEW_AGREE = "review_agree"
    REVIEW_DISAGREE = "review_disagree"
    RECOVERY_PERIOD_ENDS = "recovery_period_ends"
    CG_POSITIVE = "cg_positive"
    CG_NEGATIVE = "cg_negative"
    REQUEST_RECONSIDERATION = "request_reconsideration"
    WITHDRAW = "withdraw"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    DISQUALIFY = "disqualify"
    CLOSE = "close"


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about a case at the moment of a step."""

    today: date
    rg_date: date | None = None
    recovery_period_days: int | None = None  # from the policy in force on rg_date
    open_information_requests: int = 0
    actor_id: object | None = None
    last_decision_maker_id: object | None = None
    suspended_from: State | None = None


Guard = Callable[[CaseFacts], str | None]  # returns a reason to refuse, or None


def recovery_period_has_run(facts: CaseFacts) -> str | None:
    if facts.rg_date is None or facts.recovery_period_days is None:
        return "There is no positive reasonable grounds decision, so there is no recovery period."
    period = recovery_period(rg_date=facts.rg_date, days=facts.recovery_period_days)
    if not period.has_run(on=facts.today):
        return (
            f"The recovery period of {period.days} days from the reasonable grounds "
            f"decision on {facts.rg_date:%d %B %Y} runs until {period.end:%d %B %Y}. A conclusive grounds "
            "decision cannot be made before then."
        )
    return None


def no_open_information_requests(facts: CaseFacts) -> str | None:
    if facts.open_information_requests:
        count = facts.open_information_requests
        noun = "request" if count == 1 else "requests"
        return (
            f"{count} {noun} for further information {'is' if count == 1 else 'are'} still open. "
            "A conclusive grounds decision cannot be made until all requested information has arrived "
            "or the request is closed."
        )
    return None


def different_decision_maker(facts: CaseFacts) -> str | None:
    if facts.actor_id is not None and facts.actor_id == facts.last_decision_maker_id:
        return "A different decision maker must take the fresh decision: you made the last decision on this case."
    return None


def back_to_state_before_suspension(target: State) -> Guard:
    def guard(facts: CaseFacts) -> str | None:
        if facts.suspended_from != target:
            return "A suspended case is reactivated into the state it was in when it was suspended."
        return None

    guard.__name__ = f"back_to_{target.value}"
    return guard


@dataclass(frozen=True)
class Transition:
    source: State
    event: Event
    target: State
    guards: tuple[Guard, ...] = field(default=())


def _t(source: State, event: Event, target: State, *guards: Guard) -> Transition:
    return Transition(source, event, target, tuple(guards))


_FRESH_DECISION = (different_decision_maker,)
# Concluding a review (REVIEW_AGREE, REVIEW_DISAGREE) has its rules (who, reasons, not the decision
# maker) in the review table, nrm/reviews/lifecycle.py: the case table only records where it leads.
_LIVE_BEFORE_CG = (
    State.SUBMITTED,
    State.AWAITING_RG,
    State.RG_REFERRED_BACK,
    State.RG_RECONSIDERATION,
    State.POSITIVE_RG,
    State.AWAITING_CG,
    State.CG_REFERRED_BACK,
    State.CG_RECONSIDERATION,
)
_SUSPENDABLE = (
    State.AWAITING_RG,
    State.RG_REFERRED_BACK,
    State.RG_RECONSIDERATION,
    State.POSITIVE_RG,
    State.AWAITING_CG,
    State.CG_REFERRED_BACK,
    State.CG_RECONSIDERATION,
)

TRANSITIONS: tuple[Transition, ...] = (
    _t(State.SUBMITTED, Event.ROUTE, State.AWAITING_RG),
    # Reasonable grounds
    _t(State.AWAITING_RG, Event.RG_POSITIVE, State.POSITIVE_RG),
    _t(State.AWAITING_RG, Event.RG_NEGATIVE, State.RG_UNDER_REVIEW),
    _t(State.RG_UNDER_REVIEW, Event.REVIEW_AGREE, State.NEGATIVE_RG),
    _t(State.RG_UNDER_REVIEW, Event.REVIEW_DISAGREE, State.RG_REFERRED_BACK),
    _t(State.RG_REFERRED_BACK, Event.RG_POSITIVE, State.POSITIVE_RG, *_FRESH_DECISION),
    _t(State.RG_REFERRED_BACK, Event.RG_NEGATIVE, State.RG_UNDER_REVIEW, *_FRESH_DECISION),
    _t(State.NEGATIVE_RG, Event.REQUEST_RECONSIDERATION, State.RG_RECONSIDERATION),
    _t(State.RG_RECONSIDERATION, Event.RG_POSITIVE, State.POSITIVE_RG, *_FRESH_DECISION),
    _t(State.RG_RECONSIDERATION, Event.RG_NEGATIVE, State.RG_UNDER_REVIEW, *_FRESH_DECISION),
    # Recovery period, then conclusive grounds
    _t(State.POSITIVE_RG, Event.RECOVERY_PERIOD_ENDS, State.AWAITING_CG, recovery_period_has_run),
    _t(State.POSITIVE_RG, Event.CG_POSITIVE, State.POSITIVE_CG, recovery_period_has_run, no_open_information_requests),
    _t(State.POSITIVE_RG, Event.CG_NEGATIVE, State.CG_UNDER_REVIEW, recovery_period_has_run, no_open_information_requests),
    _t(State.AWAITING_CG, Event.CG_POSITIVE, State.POSITIVE_CG, recovery_period_has_run, no_open_information_requests),
    _t(State.AWAITING_CG, Event.CG_NEGATIVE, State.CG_UNDER_REVIEW, recovery_period_has_run, no_open_information_requests),
    _t(State.CG_UNDER_REVIEW, Event.REVIEW_AGREE, State.NEGATIVE_CG),
    _t(State.CG_UNDER_REVIEW, Event.REVIEW_DISAGREE, State.CG_REFERRED_BACK),
    _t(State.CG_REFERRED_BACK, Event.CG_POSITIVE, State.POSITIVE_CG, *_FRESH_DECISION, no_open_information_requests),
    _t(State.CG_REFERRED_BACK, Event.CG_NEGATIVE, State.CG_UNDER_REVIEW, *_FRESH_DECISION, no_open_information_requests),
    _t(State.NEGATIVE_CG, Event.REQUEST_RECONSIDERATION, State.CG_RECONSIDERATION),
    _t(State.CG_RECONSIDERATION, Event.CG_POSITIVE, State.POSITIVE_CG, *_FRESH_DECISION, no_open_information_requests),
    _t(State.CG_RECONSIDERATION, Event.CG_NEGATIVE, State.CG_UNDER_REVIEW, *_FRESH_DECISION, no_open_information_requests),
    # Public order or bad faith disqualification after a positive RG (NABA 2022 s.63)
    _t(State.POSITIVE_RG, Event.DISQUALIFY, State.DISQUALIFIED),
    _t(State.AWAITING_CG, Event.DISQUALIFY, State.DISQUALIFIED),
    # Endings
    *(_t(source, Event.WITHDRAW, State.WITHDRAWN) for source in (*_LIVE_BEFORE_CG, State.SUSPENDED)),
    *(_t(source, Event.SUSPEND, State.SUSPENDED) for source in _SUSPENDABLE),
    *(
        _t(State.SUSPENDED, Event.REACTIVATE, target, back_to_state_before_suspension(target))
        for target in _SUSPENDABLE
    ),
    *(
        _t(source, Event.CLOSE, State.CLOSED)
        for source in (State.NEGATIVE_RG, State.NEGATIVE_CG, State.POSITIVE_CG, State.WITHDRAWN, State.DISQUALIFIED)
    ),
)

_BY_SOURCE_EVENT: dict[tuple[State, Event], list[Transition]] = {}
for _transition in TRANSITIONS:
    _BY_SOURCE_EVENT.setdefault((_transition.source, _transition.event), []).append(_transition)

TERMINAL_STATES = frozenset(s for s in State if not any(t.source == s for t in TRANSITIONS))


def allowed_events(state: State) -> list[Event]:
    return sorted({t.event for t in TRANSITIONS if t.source == state}, key=list(Event).index)


def next_state(state: State, event: Event, facts: CaseFacts) -> State:
    """The state after ``event``; raises TransitionNotAllowed or GuardFailed with a reason."""
    candidates = _BY_SOURCE_EVENT.get((State(state), Event(event)))
    if not candidates:
        raise TransitionNotAllowed(
            f"A case that is '{State(state).label}' cannot have '{Event(event).value.replace('_', ' ')}'."
        )
    reasons: list[str] = []
    for transition in candidates:
        failures = [reason for guard in transition.guards if (reason := guard(facts))]
        if not failures:
            return transition.target
        reasons.extend(failures)
    raise GuardFailed(" ".join(dict.fromkeys(reasons)))


def reactivation_target(facts: CaseFacts) -> State:
    if facts.suspended_from is None:
        raise GuardFailed("This case has no record of the state it was suspended from.")
    return next_state(State.SUSPENDED, Event.REACTIVATE, facts)
