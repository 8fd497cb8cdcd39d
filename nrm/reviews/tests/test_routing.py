"""Which review a negative decision gets: policy data looked up for the decision date."""

from __future__ import annotations

from datetime import date

import pytest

from nrm.reviews.models import ReviewKind
from nrm.reviews.rules import review_kind_for


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
