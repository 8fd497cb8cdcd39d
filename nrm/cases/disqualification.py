"""A public-order disqualification request as a table (Nationality and Borders Act 2022, s.63).

Pure Python: no database, no Django. Someone at the competent authority raises a request with
the grounds; a senior decision maker who did not raise it decides, with reasons, to disqualify the
person or not. A request may be raised only after a positive reasonable grounds decision, while
the case's own table allows disqualification, on a day the dated policy says s.63 applies (from
30 January 2023: ``public_order_disqualification`` in ``nrm/core/data/policy.csv``), and while no
other request on the case is open. ``nrm.cases.services`` asks this table before each step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from nrm.core.errors import GuardFailed, TransitionNotAllowed


class RequestState(StrEnum):
    REQUESTED = "requested"
    DISQUALIFIED = "disqualified"
    NOT_DISQUALIFIED = "not_disqualified"

    @property
    def label(self) -> str:
        return REQUEST_STATE_LABELS[self]


REQUEST_STATE_LABELS: dict[RequestState, str] = {
    RequestState.REQUESTED: "Waiting for a decision",
    RequestState.DISQUALIFIED: "Disqualified",
    RequestState.NOT_DISQUALIFIED: "Not disqualified",
}


class RequestEvent(StrEnum):
    DISQUALIFY = "disqualify"
    DO_NOT_DISQUALIFY = "do_not_disqualify"


@dataclass(frozen=True)
class RaiseFacts:
    """What the rules need to know when a request is raised."""

    section_63_applies: bool  # the dated policy, on the day it is raised
    case_may_be_disqualified: bool  # the case table allows DISQUALIFY from the case's state
    open_request: bool  # another request on the case waits for a decision
    grounds: str = ""


@dataclass(frozen=True)
class DecideFacts:
    reasons: str = ""
    decided_by_raiser: bool = False


def may_raise(facts: RaiseFacts) -> None:
    """Raises GuardFailed (with the form field, where there is one) unless a request may be raised."""
    if not facts.section_63_applies:
        raise GuardFailed("Public order disqualification applies only from 30 January 2023 (Nationality and "
                          "Borders Act 2022, section 63).")
    if not facts.case_may_be_disqualified:
        raise GuardFailed("A person can be disqualified only after a positive reasonable grounds decision and "
                          "before the conclusive grounds decision.")
    if facts.open_request:
        raise GuardFailed("A disqualification request on this case is already waiting for a decision.")
    if not facts.grounds.strip():
        raise GuardFailed("Enter the grounds for disqualification", field="reason")


def _reasons_given(facts: DecideFacts) -> str | None:
    return None if facts.reasons.strip() else "Enter the reasons for the decision"


def _not_the_raiser(facts: DecideFacts) -> str | None:
    return "You raised this request: a different senior decision maker must decide it." if facts.decided_by_raiser \
        else None


Guard = Callable[[DecideFacts], str | None]
_GUARDS: tuple[tuple[Guard, str | None], ...] = ((_not_the_raiser, None), (_reasons_given, "reason"))

REQUEST_TRANSITIONS: dict[tuple[RequestState, RequestEvent], RequestState] = {
    (RequestState.REQUESTED, RequestEvent.DISQUALIFY): RequestState.DISQUALIFIED,
    (RequestState.REQUESTED, RequestEvent.DO_NOT_DISQUALIFY): RequestState.NOT_DISQUALIFIED,
}
OPEN_STATES = (RequestState.REQUESTED,)


def next_request_state(state: RequestState, event: RequestEvent, facts: DecideFacts) -> RequestState:
    """The state after deciding; raises TransitionNotAllowed (already decided) or GuardFailed."""
    target = REQUEST_TRANSITIONS.get((RequestState(state), RequestEvent(event)))
    if target is None:
        raise TransitionNotAllowed("This disqualification request has already been decided.")
    for guard, field in _GUARDS:
        refusal = guard(facts)
        if refusal:
            raise GuardFailed(refusal, field=field)
    return target
