"""Single sign-on in the browser (ADR 0025), against the local fake provider: an officer whose
organisation's account admits them goes from the sign-in page to the provider and back signed in
with their mapped role; someone whose email the provider has not verified gets a page saying so.
Every page checked with axe-core."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.models import User
from nrm.accounts.tests.fake_provider import FakeProvider, fake_provider_configured
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    with fake_provider_configured(settings, monkeypatch) as fake:
        yield fake


def test_an_officer_signs_in_with_their_organisations_account(browser_page: Callable[..., Page], live_server: Any,
                                                               provider: FakeProvider) -> None:
    provider.claims = {"email": "officer@met.police.uk", "email_verified": True, "name": "Sam Officer",
                       "groups": ["nrm-first-responders"]}
    page = browser_page()
    page.goto(f"{live_server.url}/sign-in", timeout=60_000)  # the first page of a run may be slow to start
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    expect(page.locator("h1")).to_have_text("Sam Officer")
    assert page.url.startswith(live_server.url)
    assert_accessible(page)
    user = User.objects.get(email="officer@met.police.uk")
    assert {m.role.name for m in user.active_memberships()} == {"first_responder"}
    assert not user.has_usable_password()

    # Signing out ends the session at the provider too, and comes back to say so.
    page.goto(f"{live_server.url}/sign-out")
    page.locator("main").get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("You have signed out")
    assert page.url == f"{live_server.url}/sign-out/done"
    assert_accessible(page)
    assert provider.sign_outs[-1]["id_token_hint"] == provider.issued_id_tokens[-1]


def test_an_unverified_email_is_told_why_it_cannot_sign_in(browser_page: Callable[..., Page], live_server: Any,
                                                           provider: FakeProvider) -> None:
    provider.claims = {"email": "officer@met.police.uk", "email_verified": False, "groups": ["nrm-first-responders"]}
    page = browser_page()
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    expect(page.locator("h1")).to_have_text("You cannot sign in with your organisation's account")
    expect(page.locator("#reason")).to_contain_text("has not verified this email address")
    assert_accessible(page)
    page.get_by_role("link", name="Sign in with your email address and password").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    assert not User.objects.filter(email="officer@met.police.uk").exists()
