"""What a case page offers: ``actions_for(state, user)``.

Pure Python, like ``lifecycle.py``: the case's state and what the user may do on the case
(``CaseCapabilities``, built by ``nrm.cases.access.case_capabilities``) give the list of actions,
each a page named by its URL. A step is offered only when the lifecycle table allows its event
from the state; the guards (dates, open requests, a different decision maker) are checked when
the step is taken, and the page explains a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from nrm.cases import stages
from nrm.cases.lifecycle import Event, State, allowed_events


@dataclass(frozen=True)
class CaseCapabilities:
    """What one user may do on one case, from the access rules."""

    decision_maker: bool = False  # a caseworker or senior decision maker at the case's authority
    senior: bool = False  # a senior decision maker at the case's authority
    first_responder: bool = False  # a first responder at the referring organisation
    # may ask for a served negative decision to be reconsidered (the capability table's
    # REQUEST_RECONSIDERATION, held in the referring organisation or in the person's support provider)
    reconsideration: bool = False


@dataclass(frozen=True)
class CaseAction:
    text: str
    url_name: str  # takes the case's id as ``case_id``


RG_DECISION = CaseAction("Make a reasonable grounds decision", "cases:rg_decision")
# Every negative RG decision has a second-line review (a CG one may go to a panel instead, whose
# chair concludes it from the panel's pages), so the case page offers the review for RG only.
RG_REVIEW = CaseAction("Review the negative reasonable grounds decision", "reviews:case_review")
CG_DECISION = CaseAction("Make a conclusive grounds decision", "cases:cg_decision")
INFORMATION_REQUEST = CaseAction("Ask the first responder for information", "cases:rfi_new")
ALLOCATE = CaseAction("Allocate this case", "cases:allocate")
SUSPEND = CaseAction("Suspend (person missing)", "cases:suspend")
REACTIVATE = CaseAction("Reactivate", "cases:reactivate")
WITHDRAW = CaseAction("Withdraw", "cases:withdraw")
CLOSE = CaseAction("Close the case", "cases:close")
REPRESENTATIVE = CaseAction("Record the person's representative", "cases:representative")
NOTE = CaseAction("Add a note", "cases:note_new")
RECONSIDERATION = CaseAction("Ask for the decision to be reconsidered", "cases:reconsideration")
DISQUALIFICATION_REQUEST = CaseAction("Ask for public order disqualification", "cases:disqualification_request")
DISQUALIFICATION_DECIDE = CaseAction("Decide the disqualification request", "cases:disqualification_decide")

_DECISION_MAKER_STEPS: tuple[tuple[Event, CaseAction], ...] = (
    (Event.SUSPEND, SUSPEND),
    (Event.REACTIVATE, REACTIVATE),
    (Event.WITHDRAW, WITHDRAW),
    (Event.CLOSE, CLOSE),
)


def _authority_actions(state: State, events: set[Event], user: CaseCapabilities, *,
                       recovery_period_running: bool, disqualification_requested: bool) -> list[CaseAction]:
    may_disqualify = Event.DISQUALIFY in events
    offered: list[tuple[bool, CaseAction]] = [
        (bool(events & {Event.RG_POSITIVE, Event.RG_NEGATIVE}), RG_DECISION),
        (user.senior and Event.REVIEW_AGREE in events and state in stages.RG_REVIEW, RG_REVIEW),
        (bool(events & {Event.CG_POSITIVE, Event.CG_NEGATIVE}) and not recovery_period_running, CG_DECISION),
        (state in stages.INFORMATION_REQUEST_STATES, INFORMATION_REQUEST),
        (user.senior and state in stages.OPEN, ALLOCATE),
        *((event in events, action) for event, action in _DECISION_MAKER_STEPS),
        (may_disqualify and not disqualification_requested, DISQUALIFICATION_REQUEST),
        (may_disqualify and disqualification_requested and user.senior, DISQUALIFICATION_DECIDE),
        (state != State.CLOSED, REPRESENTATIVE),
        (True, NOTE),
    ]
    return [action for show, action in offered if show]


def actions_for(state: State, user: CaseCapabilities, *, recovery_period_running: bool = False,
                disqualification_requested: bool = False) -> list[CaseAction]:
    """The actions a case page offers ``user`` on a case in ``state``, in the order shown.

    No conclusive grounds decision is offered while the recovery period runs (the rules'
    ``recovery_period``): the form would only be refused when sent. A public order disqualification
    request is offered while the case may be disqualified and none waits for a decision; deciding
    one (``disqualification_requested``) is offered to seniors.
    """
    state = State(state)
    events = set(allowed_events(state))
    actions: list[CaseAction] = []
    if user.decision_maker or user.senior:
        actions.extend(_authority_actions(state, events, user, recovery_period_running=recovery_period_running,
                                          disqualification_requested=disqualification_requested))
    if user.reconsideration and Event.REQUEST_RECONSIDERATION in events:
        actions.append(RECONSIDERATION)
    return actions
