"""An analyst answers parliamentary questions in the browser: takes a data cut, asks for a count
of one nationality with and without dual nationals, a median of days to a decision, and gets a
clear error for a question asked wrongly; every page checked with axe-core."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_analyst_asks_counts_and_a_median(browser_page: Callable[..., Page], live_server: Any,
                                             make_user: Callable[..., Any], settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    cases = [make_case(State.AWAITING_RG) for _ in range(6)]
    year = str(cases[0].received_on.year)
    page = browser_page()
    sign_in_as(page, live_server, make_user(Role.ANALYST))
    page.goto(f"{live_server.url}/statistics/questions")
    assert_accessible(page)
    page.get_by_role("button", name="Take a new data cut from the live data").click()
    expect(page.locator("main")).not_to_contain_text("none yet")

    # A question asked wrongly: the error is shown and what was typed is kept.
    page.fill("#periods", year)
    page.fill("#denominator", "nationality UK")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator("#denominator")).to_have_value("nationality UK")
    assert page.title().startswith("Error: ")
    assert_accessible(page)

    # A count of one nationality, dual nationals included.
    page.fill("#denominator", "status = Awaiting RG")
    page.get_by_label("Also people with that nationality and another (dual nationals)").check()
    page.get_by_role("button", name="Answer").click()
    expect(page.locator(".govuk-panel__title")).to_be_visible()
    expect(page.locator("#dual_nationals-2")).to_be_checked()
    assert_accessible(page)

    # One question, one breakdown: a row for each status recorded, with the total.
    page.select_option("#by", "status")
    page.fill("#denominator", "")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator("caption")).to_have_text("By status")
    expect(page.locator("table")).to_contain_text("Awaiting RG")
    assert_accessible(page)
    page.select_option("#by", "")

    # A median, of days to the decision chosen.
    page.get_by_label("A median number of days").check()
    page.get_by_label("The reasonable grounds decision", exact=True).check()
    page.get_by_label("The reasonable grounds decision date").check()
    page.fill("#denominator", "")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator("main")).to_contain_text("Decisions the median is taken over")
    expect(page.locator(".govuk-panel__title")).to_have_text("[c]")  # no decisions yet
    assert_accessible(page)
