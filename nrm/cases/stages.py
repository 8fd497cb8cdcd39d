"""Groups of lifecycle states, as the queue, the dashboard and the indexes see them.

Pure Python, like ``lifecycle.py``. The partial indexes on ``Case`` are declared with these
same tuples, so a queue filter built from them can always use its index.
"""

from __future__ import annotations

from enum import StrEnum

from nrm.cases.lifecycle import State

# Waiting for a reasonable grounds decision.
AWAITING_RG: tuple[State, ...] = (
    State.SUBMITTED,
    State.AWAITING_RG,
    State.RG_REFERRED_BACK,
    State.RG_RECONSIDERATION,
)
RG_REVIEW: tuple[State, ...] = (State.RG_UNDER_REVIEW,)
RECOVERY: tuple[State, ...] = (State.POSITIVE_RG,)
AWAITING_CG: tuple[State, ...] = (
    State.AWAITING_CG,
    State.CG_REFERRED_BACK,
    State.CG_RECONSIDERATION,
)
CG_REVIEW: tuple[State, ...] = (State.CG_UNDER_REVIEW,)
SUSPENDED: tuple[State, ...] = (State.SUSPENDED,)

# The two halves of the live caseload, for indexes and the dashboard.
RG_SIDE: tuple[State, ...] = (*AWAITING_RG, *RG_REVIEW)
CG_SIDE: tuple[State, ...] = (*RECOVERY, *AWAITING_CG, *CG_REVIEW)
OPEN: tuple[State, ...] = (*RG_SIDE, *CG_SIDE, *SUSPENDED)
# A decision has been served or the case has ended; nothing is waiting on the authority.
CONCLUDED: tuple[State, ...] = tuple(s for s in State if s not in OPEN)

# States in which the authority may still ask the first responder for information.
INFORMATION_REQUEST_STATES: tuple[State, ...] = (*AWAITING_RG, *RG_REVIEW, *RECOVERY, *AWAITING_CG, *CG_REVIEW)


class QueueStage(StrEnum):
    OPEN = "open"
    AWAITING_RG = "awaiting_rg"
    RG_REVIEW = "rg_review"
    RECOVERY = "recovery"
    AWAITING_CG = "awaiting_cg"
    CG_REVIEW = "cg_review"
    SUSPENDED = "suspended"

    @property
    def label(self) -> str:
        return QUEUE_STAGE_LABELS[self]

    @property
    def states(self) -> tuple[State, ...]:
        return QUEUE_STAGE_STATES[self]


QUEUE_STAGE_LABELS: dict[QueueStage, str] = {
    QueueStage.OPEN: "All open cases",
    QueueStage.AWAITING_RG: "Awaiting reasonable grounds decision",
    QueueStage.RG_REVIEW: "Negative reasonable grounds: second-line review",
    QueueStage.RECOVERY: "Recovery period running",
    QueueStage.AWAITING_CG: "Awaiting conclusive grounds decision",
    QueueStage.CG_REVIEW: "Negative conclusive grounds: independent review",
    QueueStage.SUSPENDED: "Suspended",
}

QUEUE_STAGE_STATES: dict[QueueStage, tuple[State, ...]] = {
    QueueStage.OPEN: OPEN,
    QueueStage.AWAITING_RG: AWAITING_RG,
    QueueStage.RG_REVIEW: RG_REVIEW,
    QueueStage.RECOVERY: RECOVERY,
    QueueStage.AWAITING_CG: AWAITING_CG,
    QueueStage.CG_REVIEW: CG_REVIEW,
    QueueStage.SUSPENDED: SUSPENDED,
}


def state_values(states: tuple[State, ...]) -> list[str]:
    return [s.value for s in states]
