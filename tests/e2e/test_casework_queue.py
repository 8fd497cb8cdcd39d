"""The queue and the dashboard in the browser: filters, bulk allocation, separate caseloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.cases.tests.factories import make_case
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_senior_filters_the_queue_allocates_in_bulk_and_reads_the_dashboard(
        page: Page, live_server: Any, make_user: Callable[..., Any]) -> None:
    senior = make_user(Role.SENIOR_DECISION_MAKER, "sca", full_name="Morgan Price")
    caseworker = make_user(Role.CASEWORKER, "sca", full_name="Chris Taylor")
    children = [make_case(State.AWAITING_RG, is_child=True) for _ in range(2)]
    adult = make_case(State.AWAITING_RG)
    ieca = make_case(State.AWAITING_RG, competent_authority="IECA")
    sign_in_as(page, live_server, senior)
    page.goto(f"{live_server.url}/cases/")
    expect(page.locator("main")).to_contain_text(adult.reference)
    expect(page.locator("main")).not_to_contain_text(ieca.reference)
    assert_accessible(page)

    page.select_option("#child", "yes")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-heading")).to_have_text("2 cases")
    expect(page.locator("main")).not_to_contain_text(adult.reference)

    page.get_by_role("button", name="Allocate selected cases").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select at least one case to allocate")
    for case in children:
        page.get_by_label(f"Select case {case.reference}").check()
    page.select_option("#caseworker", label="Chris Taylor")
    page.get_by_role("button", name="Allocate selected cases").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("2 cases allocated to Chris Taylor")
    expect(page.locator("#child")).to_have_value("yes")  # the filters are kept
    assert set(Case.objects.filter(allocated_to=caseworker)) == set(children)

    page.select_option("#child", "")
    page.select_option("#allocation", "unallocated")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-heading")).to_have_text("1 case")

    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("#backlog-sca")).to_contain_text("Under 2 weeks")
    expect(page.locator("#forecast-sca")).to_be_visible()
    assert_accessible(page)


def test_ieca_staff_never_see_sca_cases(page: Page, live_server: Any, make_user: Callable[..., Any]) -> None:
    sca = make_case(State.AWAITING_RG)
    ieca = make_case(State.AWAITING_RG, competent_authority="IECA")
    sign_in_as(page, live_server, make_user(Role.CASEWORKER, "ieca"))
    page.goto(f"{live_server.url}/cases/")
    expect(page.locator("main")).to_contain_text(ieca.reference)
    expect(page.locator("main")).not_to_contain_text(sca.reference)
    page.goto(f"{live_server.url}/cases/{sca.pk}")
    expect(page.locator("h1")).to_have_text("Page not found")


def test_a_closed_case_is_found_by_reference_and_an_allocated_case_warns_before_a_decision(
        page: Page, live_server: Any, make_user: Callable[..., Any]) -> None:
    caseworker = make_user(Role.CASEWORKER, "sca", full_name="Chris Taylor")
    colleague = make_user(Role.CASEWORKER, "sca", full_name="Sam Okafor")
    closed = make_case(State.CLOSED)
    allocated = make_case(State.AWAITING_RG, allocated_to=colleague)
    sign_in_as(page, live_server, caseworker)
    page.goto(f"{live_server.url}/cases/")
    expect(page.locator("main")).not_to_contain_text(closed.reference)
    page.fill("#reference", closed.reference)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-heading")).to_have_text("1 case")
    expect(page.get_by_role("link", name=closed.reference)).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/cases/{allocated.pk}/reasonable-grounds")
    expect(page.locator(".govuk-warning-text")).to_contain_text("This case is allocated to Sam Okafor")
    page.locator("input[name=outcome][value=positive]").check()
    page.get_by_label("I applied this standard").check()
    page.fill("#rationale", "Credible account with corroborating indicators.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Confirm that you are deciding a case allocated to Sam Okafor")
    assert_accessible(page)
    page.get_by_label("I confirm I am deciding a case allocated to Sam Okafor").check()
    page.fill("#rationale", "Credible account with corroborating indicators.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#case-status")).to_contain_text("Positive reasonable grounds decision")
