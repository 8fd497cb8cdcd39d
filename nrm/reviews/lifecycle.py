"""The review of a proposed negative decision as a table: states, events and the guards on each step.

Pure Python: no database, no Django. The Review model stores only ``status``;
``nrm.reviews.services`` asks ``next_state`` before changing it. This is the one place the rules
for concluding a review are written:

- reasons are required: a panel always gives its rationale; a second-line reviewer gives reasons
  when returning a decision (agreeing needs none);
- the reviewer is not the person who made the decision under review;
- a review cannot conclude before the decision was referred to it;
- a panel concludes only when complete (a chair and members, the ``PANEL_COMPLETED`` step) and
  after every seated member has declared any conflict of interest.

Who may conclude (a senior of the competent authority, or the panel's chair) is an access rule,
checked by the service before it asks the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from nrm.core.errors import GuardFailed, TransitionNotAllowed


class ReviewState(StrEnum):
    AWAITING_PANEL = "awaiting_panel"  # a panel review waiting for a chair and members
    OPEN = "open"  # under review
    CONCLUDED = "concluded"

    @property
    def label(self) -> str:
        return REVIEW_STATE_LABELS[self]


REVIEW_STATE_LABELS: dict[ReviewState, str] = {
    ReviewState.AWAITING_PANEL: "Waiting for a full panel",
    ReviewState.OPEN: "Under review",
    ReviewState.CONCLUDED: "Concluded",
}


class ReviewEvent(StrEnum):
    PANEL_COMPLETED = "panel_completed"
    MEMBER_STOOD_DOWN = "member_stood_down"
    AGREE = "agree"
    DISAGREE = "disagree"


@dataclass(frozen=True)
class ReviewFacts:
    """What the guards need to know about a review at the moment of a step."""

    today: date
    referred_on: date
    panel: bool = False  # a Multi-Agency Assurance Panel; otherwise a second-line review
    rationale: str = ""
    reviewer_id: object | None = None
    decision_maker_id: object | None = None
    undeclared: tuple[str, ...] = ()  # names of seated panel members yet to declare


@dataclass(frozen=True)
class Refusal:
    message: str
    field: str | None = None


Guard = Callable[[ReviewFacts], Refusal | None]


def panel_rationale_given(facts: ReviewFacts) -> Refusal | None:
    if facts.panel and not facts.rationale.strip():
        return Refusal("Enter the panel's rationale", field="rationale")
    return None


def reasons_for_returning_given(facts: ReviewFacts) -> Refusal | None:
    if facts.rationale.strip():
        return None
    if facts.panel:
        return Refusal("Enter the panel's rationale", field="rationale")
    return Refusal("Enter the reasons for returning the decision", field="rationale")


def a_panel(facts: ReviewFacts) -> Refusal | None:
    if not facts.panel:
        return Refusal("A second-line review has no panel.")
    return None


def not_the_decision_maker(facts: ReviewFacts) -> Refusal | None:
    if facts.reviewer_id is not None and facts.reviewer_id == facts.decision_maker_id:
        return Refusal("You made this decision, so you cannot review it. Another senior decision maker must.")
    return None


def every_member_declared(facts: ReviewFacts) -> Refusal | None:
    if facts.panel and facts.undeclared:
        return Refusal("Every member of the panel must declare any conflict of interest before the panel "
                       f"records its outcome. Still to declare: {', '.join(facts.undeclared)}.")
    return None


def not_before_referral(facts: ReviewFacts) -> Refusal | None:
    if facts.today < facts.referred_on:
        return Refusal("The review cannot conclude before the decision was referred for review.")
    return None


@dataclass(frozen=True)
class ReviewTransition:
    source: ReviewState
    event: ReviewEvent
    target: ReviewState
    guards: tuple[Guard, ...] = field(default=())


_CONCLUDE_GUARDS: tuple[Guard, ...] = (not_the_decision_maker, every_member_declared, not_before_referral)

REVIEW_TRANSITIONS: tuple[ReviewTransition, ...] = (
    ReviewTransition(ReviewState.AWAITING_PANEL, ReviewEvent.PANEL_COMPLETED, ReviewState.OPEN, (a_panel,)),
    ReviewTransition(ReviewState.AWAITING_PANEL, ReviewEvent.MEMBER_STOOD_DOWN, ReviewState.AWAITING_PANEL,
                     (a_panel,)),
    ReviewTransition(ReviewState.OPEN, ReviewEvent.MEMBER_STOOD_DOWN, ReviewState.AWAITING_PANEL, (a_panel,)),
    ReviewTransition(ReviewState.OPEN, ReviewEvent.AGREE, ReviewState.CONCLUDED,
                     (panel_rationale_given, *_CONCLUDE_GUARDS)),
    ReviewTransition(ReviewState.OPEN, ReviewEvent.DISAGREE, ReviewState.CONCLUDED,
                     (reasons_for_returning_given, *_CONCLUDE_GUARDS)),
)

_BY_SOURCE_EVENT: dict[tuple[ReviewState, ReviewEvent], ReviewTransition] = {
    (t.source, t.event): t for t in REVIEW_TRANSITIONS
}

# Why a step is refused from a state that does not allow it, in the reviewer's words.
_NOT_NOW: dict[ReviewState, str] = {
    ReviewState.AWAITING_PANEL: ("The panel is not complete: it needs a chair and at least two members before it "
                                 "can record an outcome. A replacement is being found."),
    ReviewState.CONCLUDED: "This review has already concluded.",
}


def allowed_review_events(state: ReviewState) -> list[ReviewEvent]:
    return [e for e in ReviewEvent if (ReviewState(state), e) in _BY_SOURCE_EVENT]


def next_review_state(state: ReviewState, event: ReviewEvent, facts: ReviewFacts) -> ReviewState:
    """The state after ``event``; raises TransitionNotAllowed or GuardFailed (with the form field
    it is about, when there is one)."""
    source, step = ReviewState(state), ReviewEvent(event)
    transition = _BY_SOURCE_EVENT.get((source, step))
    if transition is None:
        raise TransitionNotAllowed(_NOT_NOW.get(source) or
                                   f"A review that is '{source.label}' cannot have '{step.value.replace('_', ' ')}'.")
    for guard in transition.guards:
        refusal = guard(facts)
        if refusal is not None:
            raise GuardFailed(refusal.message, field=refusal.field)
    return transition.target


def conclusion_event(*, agree: bool) -> ReviewEvent:
    return ReviewEvent.AGREE if agree else ReviewEvent.DISAGREE
