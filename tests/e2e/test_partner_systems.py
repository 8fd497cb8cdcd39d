"""An administrator connects a police force's case system, in the browser: adds an API client
(a mistake first, then right), copies its token once, makes a new token, adds a webhook and
revokes the client; every page checked with axe-core (ADR 0023, ADR 0030)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.api.services import client_for_token
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_administrator_connects_a_forces_case_system(browser_page: Callable[..., Page], live_server: Any,
                                                        make_user: Callable[..., Any]) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    page = browser_page()
    sign_in_as(page, live_server, admin)
    page.goto(f"{live_server.url}/administration/organisations/police-e23000001/partner-systems/")
    expect(page.locator("main")).to_contain_text("Metropolitan Police has no API clients")
    assert_accessible(page)

    page.get_by_role("button", name="Add an API client").click()
    page.fill("#name", "Niche RMS")
    page.get_by_label("Partner recipient").check()
    page.get_by_label("Record decisions on cases").check()
    page.get_by_role("button", name="Add API client").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("cannot be allowed to record decisions on cases")
    expect(page.locator("#name")).to_have_value("Niche RMS")
    assert_accessible(page)
    page.get_by_label("Record decisions on cases").uncheck()
    page.get_by_label("Read crime referrals and safeguarding notifications sent to the organisation").check()
    page.get_by_role("button", name="Add API client").click()
    expect(page.locator(".govuk-panel")).to_contain_text("API client added")
    first = page.locator("#token").inner_text()
    assert client_for_token(first) is not None
    assert_accessible(page)

    page.get_by_role("link", name="Back to the partner systems of Metropolitan Police").click()
    expect(page.locator("main")).not_to_contain_text(first)
    page.get_by_role("link", name="New token for Niche RMS").click()
    assert_accessible(page)
    page.get_by_role("button", name="Make a new token").click()
    second = page.locator("#token").inner_text()
    assert client_for_token(first) is None
    assert client_for_token(second) is not None

    page.goto(f"{live_server.url}/administration/organisations/police-e23000001/partner-systems/webhooks/new")
    page.fill("#url", "https://8.8.8.8/nrm/events")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose at least one event")
    assert_accessible(page)
    page.get_by_label("A crime referral arrives for the organisation").check()
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Webhook added")
    expect(page.locator("#secret")).to_contain_text("whsec_")
    assert_accessible(page)

    page.get_by_role("link", name="Back to the partner systems of Metropolitan Police").click()
    page.get_by_role("link", name="Revoke Niche RMS").click()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Niche RMS can no longer call the API")
    expect(page.locator("main")).to_contain_text("Revoked")
    expect(page.locator("main")).to_contain_text("https://8.8.8.8/nrm/events")
    assert_accessible(page)
    assert client_for_token(second) is None
