"""Second-line review: after 2022 every negative decision, and every negative RG, is checked by a
senior decision maker who did not make it, before it is served."""

from __future__ import annotations

from datetime import date

import pytest

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, DecisionStatus
from nrm.core.errors import AccessDenied, GuardFailed, ServiceError
from nrm.notify.models import OutboxMessage
from nrm.reviews import selectors, services
from nrm.reviews.models import Review, ReviewKind, ReviewOutcome, ReviewStatus
from nrm.reviews.tests import builders

DECIDED = date(2024, 3, 5)


@pytest.fixture
def senior(db: None) -> User:
    return builders.user(Role.SENIOR_DECISION_MAKER, "sca")


@pytest.fixture
def review(case_2024: Case, caseworkers: list[User]) -> Review:
    return Review.objects.get(decision=builders.negative_cg(case_2024, caseworkers[0], decided_on=DECIDED))


def test_a_negative_cg_in_2024_gets_a_second_line_review(review: Review) -> None:
    case = Case.objects.get(pk=review.case_id)
    assert review.kind == ReviewKind.SECOND_LINE
    assert review.status == ReviewStatus.OPEN
    assert review.target_date is None
    assert not review.seats.exists()
    assert case.state == State.CG_UNDER_REVIEW
    assert review.policy == {"independent_review_mode": "second_line"}
    assert OutboxMessage.objects.filter(dedupe_key=f"review-opened:{review.pk}",
                                        recipient_organisation__slug="sca").exists()


def test_a_senior_agrees_and_the_decision_is_served(review: Review, senior: User) -> None:
    services.review_conclude(review=review, reviewer=senior, agree=True, rationale="Reasonable.",
                                  today=date(2024, 3, 7))
    review.refresh_from_db()
    assert review.outcome == ReviewOutcome.AGREE
    assert review.concluded_by == senior
    case = Case.objects.get(pk=review.case_id)
    assert case.state == State.NEGATIVE_CG
    review.decision.refresh_from_db()
    assert review.decision.status == DecisionStatus.SERVED


def test_a_senior_returns_the_decision_with_reasons(review: Review, senior: User) -> None:
    with pytest.raises(ServiceError) as error:
        services.review_conclude(review=review, reviewer=senior, agree=False, rationale="", today=DECIDED)
    assert error.value.field == "rationale"
    services.review_conclude(review=review, reviewer=senior, agree=False,
                                  rationale="The evidence from the support worker was not considered.",
                                  today=DECIDED)
    case = Case.objects.get(pk=review.case_id)
    assert case.state == State.CG_REFERRED_BACK
    review.decision.refresh_from_db()
    assert review.decision.status == DecisionStatus.OVERTURNED


def test_the_decision_maker_cannot_review_their_own_decision(case_2024: Case) -> None:
    maker = builders.user(Role.SENIOR_DECISION_MAKER, "sca")
    review = Review.objects.get(decision=builders.negative_cg(case_2024, maker, decided_on=DECIDED))
    with pytest.raises(GuardFailed, match="You made this decision"):
        services.review_conclude(review=review, reviewer=maker, agree=True, rationale="Fine", today=DECIDED)


def test_only_a_senior_of_the_same_competent_authority_reviews(review: Review, caseworkers: list[User]) -> None:
    ieca_senior = builders.user(Role.SENIOR_DECISION_MAKER, "ieca")
    for reviewer in (caseworkers[1], ieca_senior):
        with pytest.raises(AccessDenied):
            services.review_conclude(review=review, reviewer=reviewer, agree=True, rationale="x", today=DECIDED)
    assert not selectors.second_line_reviews_for(ieca_senior).exists()
    assert not selectors.second_line_reviews_for(caseworkers[1]).exists()


def test_a_panel_review_is_not_a_second_line_review(case_2021: Case, caseworkers: list[User], senior: User) -> None:
    review = Review.objects.get(decision=builders.negative_cg(case_2021, caseworkers[0], decided_on=date(2021, 6, 1)))
    with pytest.raises(AccessDenied, match="Only the chair of this panel"):
        services.review_conclude(review=review, reviewer=senior, agree=True, rationale="x", today=date(2021, 6, 2))
    assert not selectors.second_line_reviews_for(senior).filter(pk=review.pk).exists()


def test_a_negative_rg_is_reviewed_second_line_even_in_the_panel_years(caseworkers: list[User], senior: User) -> None:
    case = builders.build_case(received_on=date(2021, 3, 1), state=State.AWAITING_RG)
    decision = builders.negative_rg(case, caseworkers[0], decided_on=date(2021, 3, 4))
    review = Review.objects.get(decision=decision)
    assert (review.kind, review.stage) == (ReviewKind.SECOND_LINE, "RG")
    services.review_conclude(review=review, reviewer=senior, agree=True, rationale="", today=date(2021, 3, 5))
    review.refresh_from_db()
    case.refresh_from_db()
    assert case.state == State.NEGATIVE_RG
    assert review.status == ReviewStatus.CONCLUDED
    assert review.outcome == ReviewOutcome.AGREE
    assert review.concluded_by == senior
