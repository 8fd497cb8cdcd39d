"""The one date input in the browser: the GOV.UK error messages, only the boxes with the problem
highlighted, the error summary link moving focus to the first of them, what was typed kept, and
no server error on an impossible year (date of birth, and "Save and come back later"; the
information request's "Answer by"). Each error state is checked with axe-core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case
from nrm.reference.models import Organisation
from nrm.referrals.services import referral_start
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _type_date(page: Page, name: str, day: str, month: str, year: str) -> None:
    page.fill(f"#{name}", day)
    page.fill(f"#{name.replace('-day', '-month')}", month)
    page.fill(f"#{name.replace('-day', '-year')}", year)


def _highlighted(page: Page, prefix: str) -> list[str]:
    return [part for part in ("day", "month", "year")
            if "govuk-input--error" in (page.get_attribute(f"#{prefix}-{part}", "class") or "")]


def test_date_of_birth_errors_follow_the_design_system(page: Page, live_server: Any,
                                                       make_user: Callable[..., User]) -> None:
    first_responder = make_user(Role.FIRST_RESPONDER)
    draft = referral_start(actor=first_responder, organisation=Organisation.objects.get(slug="police-e23000001"))
    draft.answers = {"age_at_exploitation": "child", "under_18_now": "yes"}
    draft.save(update_fields=["answers"])
    sign_in_as(page, live_server, first_responder)
    page.goto(f"{live_server.url}/referrals/{draft.pk}/person-birth")

    _type_date(page, "dob-day", "3", "", "2010")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Date of birth must include a month")
    assert _highlighted(page, "dob") == ["month"]
    assert_accessible(page)
    summary.get_by_role("link", name="Date of birth must include a month").click()
    expect(page.locator("#dob-month")).to_be_focused()

    _type_date(page, "dob-day", "1", "1", "99999999999")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-message")).to_contain_text("Date of birth year must include 4 numbers")
    assert _highlighted(page, "dob") == ["year"]
    expect(page.locator("#dob-year")).to_have_value("99999999999")
    assert_accessible(page)

    _type_date(page, "dob-day", "1", "1", "2999")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Date of birth must be in the past")
    assert _highlighted(page, "dob") == ["day", "month", "year"]

    _type_date(page, "dob-day", "31", "Feb", "99999999999")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.locator("h1")).to_contain_text("Your referrals")
    page.goto(f"{live_server.url}/referrals/{draft.pk}/person-birth")
    expect(page.locator("#dob-year")).to_have_value("99999999999")


def test_answer_by_date_errors_on_an_information_request(page: Page, live_server: Any) -> None:
    case = make_case(State.AWAITING_RG)
    caseworker = case.built_by.decision_maker
    caseworker.set_password("correct-horse-battery")
    caseworker.save()
    sign_in_as(page, live_server, caseworker)
    page.goto(f"{live_server.url}/cases/{case.pk}/information-requests/new")
    page.fill("#question", "Where did the person work?")
    _type_date(page, "due_on-day", "1", "1", "99999999999")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Date to answer by year must include 4 numbers")
    assert _highlighted(page, "due_on") == ["year"]
    expect(page.locator("#question")).to_have_value("Where did the person work?")
    assert_accessible(page)
