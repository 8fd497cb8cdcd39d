"""The service team's administrator, in the browser: finds an organisation, designates it a first
responder, invites a user to it, and deactivates a leaver, who is signed out there and then;
every page checked with axe-core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.reference.models import Organisation
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GUARDIANS = "ictg-england-wales"


def test_an_administrator_designates_invites_and_deactivates_a_leaver(
        browser_page: Callable[..., Page], live_server: Any, make_user: Callable[..., Any]) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    leaver = make_user(Role.PARTNER_RECIPIENT, organisation=GUARDIANS, full_name="Lee Leaver")

    leavers = browser_page()
    sign_in_as(leavers, live_server, leaver)
    leavers.goto(f"{live_server.url}/inbox/")
    expect(leavers.locator("h1")).to_be_visible()

    page = browser_page()
    sign_in_as(page, live_server, admin)
    page.locator(".govuk-service-navigation").get_by_role("link", name="Administration").click()
    expect(page.locator("h1")).to_have_text("Administration")
    assert_accessible(page)
    page.fill("#q", "Trafficking Guardian")
    page.select_option("#type", "NGO and third sector")
    page.get_by_role("button", name="Search").click()
    assert_accessible(page)
    page.get_by_role("link", name="Independent Child Trafficking Guardian service (Barnardo's)").click()
    expect(page.locator("#organisation-details")).to_contain_text("No")
    assert_accessible(page)

    # Designate it a first responder: an error first, then the change.
    page.locator("#organisation-details").get_by_role("link", name="Change").first.click()
    assert_accessible(page)
    page.locator("input[name=is_first_responder][value=yes]").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("select both or neither")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("First responder", exact=True).check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been changed from today")
    expect(page.locator("#organisation-details")).to_contain_text("Yes")
    expect(page.locator("main")).to_contain_text("Changes by administrators")
    assert_accessible(page)
    assert Organisation.objects.get(slug=GUARDIANS).is_first_responder

    # Invite a user.
    page.get_by_role("button", name="Invite a user").click()
    assert_accessible(page)
    page.fill("#full_name", "Nia New")
    page.fill("#email", "nia.new@example.org")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select their role")
    expect(page.locator("#full_name")).to_have_value("Nia New")
    assert_accessible(page)
    page.get_by_label("First responder").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Invitation sent")
    assert_accessible(page)
    assert any("nia.new@example.org" in m.to for m in mail.outbox)

    # Deactivate the leaver.
    page.goto(f"{live_server.url}/administration/organisations/{GUARDIANS}")
    page.get_by_role("link", name="Lee Leaver").click()
    assert_accessible(page)
    page.get_by_role("link", name="Deactivate their account (a leaver)").click()
    assert_accessible(page)
    page.get_by_role("button", name="Deactivate account").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Account deactivated")
    expect(page.locator("#user-details")).to_contain_text("Deactivated")
    assert_accessible(page)
    assert not User.objects.get(pk=leaver.pk).is_active

    # The leaver's browser is signed out.
    leavers.goto(f"{live_server.url}/inbox/")
    expect(leavers).to_have_url(f"{live_server.url}/sign-in?next=/inbox/")


def test_someone_with_an_account_accepts_an_invitation_to_a_second_organisation(
        browser_page: Callable[..., Page], live_server: Any, make_user: Callable[..., Any]) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    person = make_user(Role.FIRST_RESPONDER, organisation="police-e23000002", full_name="Sam Second")

    page = browser_page()
    sign_in_as(page, live_server, admin)
    page.goto(f"{live_server.url}/administration/organisations/{GUARDIANS}/users/invite")
    page.fill("#full_name", "Sam Second")
    page.fill("#email", person.email)
    page.get_by_label("Partner recipient").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Invitation sent")
    expect(page.locator("main")).to_contain_text("not a member of")
    assert_accessible(page)
    link = next(line for m in mail.outbox if person.email in m.to for line in m.body.splitlines()
                if "/account/join/" in line).strip()
    path = link[link.index("/account/join/"):]

    theirs = browser_page()
    sign_in_as(theirs, live_server, person)
    theirs.goto(f"{live_server.url}{path}")
    expect(theirs.locator("h1")).to_contain_text("Join Independent Child Trafficking Guardian service")
    assert_accessible(theirs)
    theirs.get_by_role("button", name="Accept").click()
    expect(theirs.locator(".govuk-panel")).to_contain_text("You have joined")
    assert_accessible(theirs)
    assert person.active_memberships().filter(organisation__slug=GUARDIANS).exists()
    assert person.active_memberships().filter(organisation__slug="police-e23000002").exists()
