"""Which independent review a negative decision gets, and on what terms: the rule, written once
(pure: data in, answer out, no database). ``review_open_for`` in ``nrm.reviews.services`` and the
synthetic database both ask it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from nrm.core import policy
from nrm.core.rules import ReviewRoute, review_route
from nrm.core.workdays import add_working_days
from nrm.reviews.models import ReviewKind


def review_kind_for(*, stage: str, decided_on: date) -> ReviewKind:
    """The review a negative decision of ``stage`` made on ``decided_on`` must have."""
    if stage == "CG" and review_route(decided_on=decided_on) == ReviewRoute.PANEL:
        return ReviewKind.PANEL
    # Every other negative decision is checked by a senior decision maker before it is served:
    # the lifecycle holds it "under review" until someone concludes the review.
    return ReviewKind.SECOND_LINE


@dataclass(frozen=True, kw_only=True)
class ReviewTerms:
    kind: ReviewKind
    policy: dict[str, Any]  # recorded on the review (JSON)
    target_date: date | None  # a panel's outcome is due by this date; a second-line review has none


def review_terms(*, stage: str, decided_on: date, referred_on: date, nation: str) -> ReviewTerms:
    """The review of a negative decision made on ``decided_on`` and referred on ``referred_on``:
    its kind, the policy it records, and (for a panel) the date its outcome is due."""
    kind = review_kind_for(stage=stage, decided_on=decided_on)
    recorded: dict[str, Any] = {"independent_review_mode": review_route(decided_on=decided_on).value}
    target: date | None = None
    if kind == ReviewKind.PANEL:
        days = policy.int_value("panel_outcome_target_working_days", on=decided_on)
        recorded["panel_outcome_target_working_days"] = days
        target = add_working_days(referred_on, days, nation)
    return ReviewTerms(kind=kind, policy=recorded, target_date=target)
