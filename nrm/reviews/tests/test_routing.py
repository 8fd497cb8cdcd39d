"""Which review a negative decision gets: policy data looked up for the decision date."""

from __future__ import annotations

from datetime import date

import pytest

from nrm.reviews.models import ReviewKind
from nrm.reviews.rules import review_kind_for, review_terms


@pytest.mark.parametrize(
    ("stage", "decided_on", "kind"),
    [
        ("CG", date(2021, 6, 1), ReviewKind.PANEL),
        ("CG", date(2019, 4, 1), ReviewKind.PANEL),  # the panel policy's first day
        ("CG", date(2022, 12, 31), ReviewKind.PANEL),  # and its last
        ("CG", date(2023, 1, 1), ReviewKind.SECOND_LINE),
        ("CG", date(2024, 3, 5), ReviewKind.SECOND_LINE),
        ("CG", date(2019, 3, 31), ReviewKind.SECOND_LINE),  # before panels: a senior's check
        ("RG", date(2021, 6, 1), ReviewKind.SECOND_LINE),  # panels reviewed only conclusive grounds
        ("RG", date(2024, 3, 5), ReviewKind.SECOND_LINE),
    ],
)
def test_review_kind_follows_the_policy_in_force_on_the_decision_date(stage: str, decided_on: date,
                                                                      kind: ReviewKind) -> None:
    assert review_kind_for(stage=stage, decided_on=decided_on) == kind


@pytest.mark.parametrize(("stage", "decided_on", "referred_on", "kind", "recorded", "target"), [
    ("CG", date(2019, 3, 31), date(2019, 4, 2), ReviewKind.SECOND_LINE, {"independent_review_mode": "none"}, None),
    ("CG", date(2019, 4, 1), date(2019, 4, 1), ReviewKind.PANEL,
     {"independent_review_mode": "panel", "panel_outcome_target_working_days": 10}, date(2019, 4, 15)),
    # Referred late: the panel's ten working days run from the referral (Christmas and New Year skipped).
    ("CG", date(2022, 12, 31), date(2022, 12, 23), ReviewKind.PANEL,
     {"independent_review_mode": "panel", "panel_outcome_target_working_days": 10}, date(2023, 1, 11)),
    ("RG", date(2022, 12, 31), date(2022, 12, 31), ReviewKind.SECOND_LINE, {"independent_review_mode": "panel"},
     None),
    ("CG", date(2023, 1, 1), date(2023, 1, 3), ReviewKind.SECOND_LINE, {"independent_review_mode": "second_line"},
     None),
])
def test_review_terms_by_the_date_of_the_decision(stage: str, decided_on: date, referred_on: date, kind: ReviewKind,
                                                  recorded: dict[str, object], target: date | None) -> None:
    terms = review_terms(stage=stage, decided_on=decided_on, referred_on=referred_on, nation="england")
    assert (terms.kind, terms.policy, terms.target_date) == (kind, recorded, target)
