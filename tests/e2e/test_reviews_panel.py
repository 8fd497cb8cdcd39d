"""Independent review in the browser: a 2021 negative CG through a Multi-Agency Assurance Panel
that disagrees, a fresh CG by another decision maker, a second panel that agrees, and the
decision served; a 2024 negative CG through a senior's second-line review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, DecisionStatus
from nrm.cases.tests.factories import make_case
from nrm.reviews import services
from nrm.reviews.models import Review, ReviewOutcome, SeatRole
from nrm.reviews.tests import builders
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _declare(page: Page, live_server: Any, review: Review, *, conflict: str = "", check: bool = False,
             from_list: bool = True) -> None:
    if from_list:
        page.goto(f"{live_server.url}/reviews/")
        if check:
            assert_accessible(page)
        page.get_by_role("link", name=review.case.reference).click()
    else:
        page.goto(f"{live_server.url}/reviews/panel/{review.pk}")
    if conflict:
        page.get_by_label("Yes").check()
        page.fill("#details", conflict)
    else:
        page.get_by_label("No", exact=True).check()
    if check:
        assert_accessible(page)
    page.get_by_role("button", name="Send declaration").click()


def _seat(review: Review, role: SeatRole, index: int = 0) -> Any:
    return list(review.seats.filter(role=role, stood_down_at__isnull=True).select_related("user"))[index].user


def test_a_2021_negative_cg_goes_through_a_panel_that_disagrees_then_a_fresh_cg_is_served(
        browser_page: Callable[..., Page], live_server: Any) -> None:
    case = make_case(State.AWAITING_CG, received_on=date(2021, 1, 11), rg_decided_on=date(2021, 1, 15))
    first_maker, second_maker = (builders.user(Role.CASEWORKER, "sca") for _ in range(2))
    builders.panel_pool(chairs=1, members=3)
    decision = builders.negative_cg(case, first_maker, decided_on=date(2021, 6, 1),
                                    rationale="The account has unexplained inconsistencies about dates.")
    review = Review.objects.get(decision=decision)

    # A member with no conflict reads the papers.
    member = _seat(review, SeatRole.MEMBER, 0)
    page = browser_page()
    sign_in_as(page, live_server, member)
    _declare(page, live_server, review, check=True)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("no conflict of interest")
    page.get_by_role("link", name="Read the panel papers").click()
    expect(page.locator("main")).to_contain_text("The account has unexplained inconsistencies about dates.")
    expect(page.locator("main")).to_contain_text("Requests for further information")
    assert_accessible(page)

    # Another member is conflicted, is stood down and replaced.
    conflicted = _seat(review, SeatRole.MEMBER, 1)
    page = browser_page()
    sign_in_as(page, live_server, conflicted)
    _declare(page, live_server, review, conflict="I supervised the first responder.")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("stood down")
    page.goto(f"{live_server.url}/reviews/panel/{review.pk}")
    expect(page.locator("h1")).to_have_text("Page not found")
    replacement = _seat(review, SeatRole.MEMBER, 1)
    assert replacement != conflicted
    services.panel_declare(review=review, user=replacement, conflicted=False)

    # The chair declares and records that the panel disagrees.
    chair = _seat(review, SeatRole.CHAIR)
    chair_page = page = browser_page()
    sign_in_as(page, live_server, chair)
    _declare(page, live_server, review)
    page.get_by_role("button", name="Record the panel's outcome").click()
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select whether the panel agrees")
    assert_accessible(page)
    page.get_by_label("Disagree").check()
    page.fill("#rationale", "The inconsistencies are explained by trauma; the medical evidence was not weighed.")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("goes back for a fresh conclusive grounds")
    expect(page.locator("main")).to_contain_text("The panel disagreed with the decision")

    case.refresh_from_db()
    decision.refresh_from_db()
    assert case.state == State.CG_REFERRED_BACK
    assert decision.status == DecisionStatus.OVERTURNED
    assert "medical evidence was not weighed" in decision.review_rationale
    # The panel's rationale appears on the case, for the decision maker who takes the fresh decision.
    page = browser_page()
    sign_in_as(page, live_server, second_maker)
    page.goto(f"{live_server.url}/cases/{case.pk}")
    expect(page.locator("main")).to_contain_text("the medical evidence was not weighed")

    # A fresh CG by a different decision maker: negative again, to a new panel, which agrees.
    fresh = builders.negative_cg(case, second_maker, decided_on=date(2021, 7, 1),
                                 rationale="Having weighed the medical evidence, still not a victim.")
    second = Review.objects.get(decision=fresh)
    assert _seat(second, SeatRole.CHAIR) == chair  # the pool has one chair: still signed in
    for seat in second.seats.filter(role=SeatRole.MEMBER):
        services.panel_declare(review=second, user=seat.user, conflicted=False)
    case.refresh_from_db()
    assert case.state == State.CG_UNDER_REVIEW  # not served while the panel sits
    page = chair_page
    _declare(page, live_server, second, from_list=False)
    page.get_by_role("link", name="Read the panel papers").click()
    expect(page.locator("main")).to_contain_text("Earlier reviews of this case")
    page.goto(f"{live_server.url}/reviews/panel/{second.pk}/outcome")
    page.get_by_label("Agree", exact=True).check()
    page.fill("#rationale", "The fresh decision weighs the evidence properly.")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("will be served")

    case.refresh_from_db()
    fresh.refresh_from_db()
    second.refresh_from_db()
    assert second.outcome == ReviewOutcome.AGREE
    assert case.state == State.NEGATIVE_CG
    assert fresh.status == DecisionStatus.SERVED
    assert fresh.decided_by == second_maker


def test_a_2024_negative_cg_goes_through_second_line_review(page: Page, live_server: Any) -> None:
    case: Case = make_case(State.AWAITING_CG, received_on=date(2024, 1, 8), rg_decided_on=date(2024, 1, 12))
    maker = builders.user(Role.CASEWORKER, "sca")
    decision = builders.negative_cg(case, maker, decided_on=date(2024, 3, 5),
                                    rationale="No evidence of the means element.")
    senior = builders.user(Role.SENIOR_DECISION_MAKER, "sca")
    sign_in_as(page, live_server, senior)
    page.goto(f"{live_server.url}/reviews/second-line")
    assert_accessible(page)
    page.get_by_role("link", name=case.reference).click()
    expect(page.locator("main")).to_contain_text("No evidence of the means element.")
    page.get_by_label("Return with reasons").check()
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reasons for returning the decision")
    assert_accessible(page)
    page.get_by_label("Agree", exact=True).check()
    page.fill("#rationale", "The decision applies the standard correctly.")
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("It will be served")
    case.refresh_from_db()
    decision.refresh_from_db()
    assert case.state == State.NEGATIVE_CG
    assert decision.status == DecisionStatus.SERVED
    page.goto(f"{live_server.url}/reviews/dashboard")
    expect(page.locator("h1")).to_have_text("Panel reviews dashboard")
    assert_accessible(page)
