"""Account journeys: resetting and changing a password, setting up an authenticator from an
emailed link, signing out by the button."""

import re
from typing import Any

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from tests.e2e.conftest import PASSWORD, assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "marble-kettle-harbour-7"


def emailed_path(to: str) -> str:
    bodies = [str(m.body) for m in mail.outbox if to in m.to]
    assert bodies, f"no email to {to}"
    found = re.search(r"https?://[^/\s]+(/\S+)", bodies[-1])
    assert found
    return found.group(1)


def test_reset_a_forgotten_password(page: Page, live_server: Any, make_user: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    page.goto(live_server.url + "/sign-in")
    page.click("text=I have forgotten my password")
    assert_accessible(page)
    page.click("button:has-text('Send link')")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    assert_accessible(page)
    page.fill("#email", user.email)
    page.click("button:has-text('Send link')")
    expect(page.locator("h1")).to_have_text("Check your email")
    assert_accessible(page)
    page.goto(live_server.url + emailed_path(user.email))
    expect(page.locator("h1")).to_have_text("Choose a new password")
    assert_accessible(page)
    page.fill("#new_password", "password1234")
    page.click("button:has-text('Save password')")
    expect(page.locator(".govuk-error-summary")).to_contain_text("common passwords")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.fill("#new_password", NEW_PASSWORD)
    page.click("button:has-text('Save password')")
    expect(page.locator("h1")).to_have_text("Your password has been set")
    assert_accessible(page)
    page.goto(live_server.url + "/sign-in")
    page.fill("#email", user.email)
    page.fill("#password", NEW_PASSWORD)
    page.click("button:has-text('Sign in')")
    expect(page.locator("h1")).to_have_text(user.full_name)


def test_change_password_then_sign_out(page: Page, live_server: Any, make_user: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    sign_in_as(page, live_server, user)
    page.goto(live_server.url + "/account/password")
    assert_accessible(page)
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "short")
    page.click("button:has-text('Change password')")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Password must be 12 characters or more")
    assert_accessible(page)
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", NEW_PASSWORD)
    page.click("button:has-text('Change password')")
    expect(page.locator("h1")).to_have_text("Your password has been changed")
    assert_accessible(page)
    page.goto(live_server.url + "/sign-out")
    expect(page.locator("h1")).to_have_text("Sign out")
    assert_accessible(page)
    page.click("main button:has-text('Sign out')")
    expect(page.locator("h1")).to_have_text("You have signed out")


def test_set_up_an_authenticator_from_the_emailed_link(page: Page, live_server: Any, make_user: Any) -> None:
    user = make_user(Role.CASEWORKER)
    page.goto(live_server.url + "/sign-in")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    expect(page.locator("h1")).to_have_text("Check your email")
    assert_accessible(page)
    assert not TOTPDevice.objects.filter(user=user).exists()
    page.goto(live_server.url + emailed_path(user.email))
    expect(page.locator("h1")).to_have_text("Set up your authenticator app")
    assert_accessible(page)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.fill("#code", f"{totp(device.bin_key):06d}")
    page.click("button:has-text('Continue')")
    expect(page.locator("h1")).to_have_text(user.full_name)
    assert TOTPDevice.objects.get(user=user).confirmed
