"""The service's frame: public pages, signing in with and without a second factor."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/", "/sign-in", "/cookies", "/accessibility", "/privacy"])
def test_public_pages_are_accessible(page: Page, live_server: Any, path: str) -> None:
    page.goto(live_server.url + path)
    expect(page.locator("a.govuk-skip-link")).to_have_attribute("href", "#main-content")
    assert_accessible(page)


def test_sign_in_errors_are_accessible_and_keep_the_email(page: Page, live_server: Any, make_user: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    page.goto(live_server.url + "/sign-in")
    page.fill("#email", user.email)
    page.fill("#password", "wrong")
    page.click("button:has-text('Sign in')")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a correct email address and password")
    expect(page.locator("#email")).to_have_value(user.email)
    assert page.title().startswith("Error: ")
    assert_accessible(page)


def test_caseworker_signs_in_with_a_code_and_sees_their_home(page: Page, live_server: Any, make_user: Any) -> None:
    user = make_user(Role.CASEWORKER)
    sign_in_as(page, live_server, user)
    expect(page.locator("h1")).to_have_text(user.full_name)
    expect(page.locator("main")).to_contain_text("Caseworker / decision maker at Single Competent Authority")
    assert_accessible(page)
