"""Public order disqualification in the browser: a caseworker asks with grounds, a senior decision
maker decides with reasons, and the case page shows the request, the decision and the end of
support; every page checked with axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case
from nrm.reviews.tests import builders
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_caseworker_asks_and_a_senior_disqualifies(browser_page: Any, live_server: Any) -> None:
    case = make_case(State.AWAITING_CG)
    caseworker = builders.user(Role.CASEWORKER, "sca")
    senior = builders.user(Role.SENIOR_DECISION_MAKER, "sca")
    detail = f"{live_server.url}/cases/{case.pk}"

    page: Page = browser_page()
    sign_in_as(page, live_server, caseworker)
    page.goto(detail)
    page.get_by_role("link", name="Ask for public order disqualification").click()
    assert_accessible(page)
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the ground for disqualification")
    assert_accessible(page)
    page.get_by_label("Threat to public order").check()
    page.get_by_label("Grounds for disqualification").fill("Convicted of arson in 2024.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("A senior decision maker will decide")
    expect(page.locator("#disqualification + table")).to_contain_text("Waiting for a decision")

    page = browser_page()
    sign_in_as(page, live_server, senior)
    page.goto(detail)
    page.get_by_role("link", name="Decide the disqualification request").click()
    expect(page.locator("main")).to_contain_text("Convicted of arson in 2024.")
    assert_accessible(page)
    page.get_by_label("Disqualify the person", exact=True).check()
    page.get_by_label("Reasons for the decision").fill("A serious offence: a threat to public order.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The person has been disqualified")
    expect(page.locator("#disqualification + table")).to_contain_text("Disqualified")
    expect(page.locator("#support + table")).to_contain_text("The person was disqualified")
    assert_accessible(page)
    case.refresh_from_db()
    assert case.state == State.DISQUALIFIED
