"""Casework in the browser beyond decisions: a request for information round trip,
reconsideration, withdrawal, suspension and reactivation (disqualification, asked for and decided,
is in test_disqualification.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, Decision, DecisionStatus, InformationRequestStatus
from nrm.cases.tests.factories import make_case
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _open(page: Page, live_server: Any, case: Case) -> None:
    page.goto(f"{live_server.url}/cases/{case.pk}")
    expect(page.locator("main")).to_contain_text(case.reference)


def test_information_request_round_trip(browser_page: Callable[..., Page], live_server: Any,
                                        make_user: Callable[..., Any]) -> None:
    caseworker = make_user(Role.CASEWORKER, "sca")
    first_responder = make_user(Role.FIRST_RESPONDER, "police-e23000001")
    case = make_case(State.AWAITING_CG, first_responder=first_responder)
    page = browser_page()
    sign_in_as(page, live_server, caseworker)
    _open(page, live_server, case)
    page.get_by_role("link", name="Ask the first responder for information").click()
    page.fill("#question", "Please send the safeguarding officer's notes from the visit.")
    page.fill("#due_on-day", "31")
    page.fill("#due_on-month", "2")
    page.fill("#due_on-year", "2031")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be a real date")
    expect(page.locator("#question")).to_have_value("Please send the safeguarding officer's notes from the visit.")
    assert_accessible(page)
    page.fill("#due_on-day", "28")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your request has been sent")
    # While it is open, no conclusive grounds decision.
    page.get_by_role("link", name="Make a conclusive grounds decision").click()
    page.locator("input[name=outcome][value=positive]").check()
    page.fill("#rationale", "Victim on the balance of probabilities.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("1 request for further information is still open")

    fr_page = browser_page()
    sign_in_as(fr_page, live_server, first_responder)
    fr_page.goto(f"{live_server.url}/cases/information-requests")
    assert_accessible(fr_page)
    fr_page.get_by_role("link", name=f"Answer the request on case {case.reference}").click()
    expect(fr_page.locator("main")).to_contain_text("safeguarding officer's notes")
    fr_page.get_by_role("button", name="Send your answer").click()
    expect(fr_page.locator(".govuk-error-summary")).to_contain_text("Enter your answer")
    fr_page.fill("#answer", "The officer saw six people sleeping in the loft; notes attached to our file.")
    fr_page.get_by_role("button", name="Send your answer").click()
    expect(fr_page.locator(".govuk-notification-banner")).to_contain_text("Your answer has been sent")

    page.goto(f"{live_server.url}/cases/{case.pk}")
    expect(page.locator("#information-requests ~ table")).to_contain_text("six people sleeping in the loft")
    assert case.information_requests.get().status == InformationRequestStatus.ANSWERED
    page.get_by_role("link", name="Make a conclusive grounds decision").click()
    page.locator("input[name=outcome][value=positive]").check()
    page.fill("#rationale", "Victim on the balance of probabilities.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#case-status")).to_contain_text("Positive conclusive grounds decision")


def test_reconsideration_is_decided_afresh_by_a_different_decision_maker(
        browser_page: Callable[..., Page], live_server: Any, make_user: Callable[..., Any]) -> None:
    first_maker = make_user(Role.CASEWORKER, "sca")
    second_maker = make_user(Role.CASEWORKER, "sca")
    first_responder = make_user(Role.FIRST_RESPONDER, "police-e23000001")
    case = make_case(State.NEGATIVE_RG, decision_maker=first_maker, first_responder=first_responder)

    page = browser_page()
    sign_in_as(page, live_server, first_responder)
    _open(page, live_server, case)
    expect(page.locator("#case-status")).to_contain_text("Negative reasonable grounds decision")
    page.get_by_role("button", name="Ask for reconsideration").click()
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why the decision should be reconsidered")
    assert_accessible(page)
    page.fill("#grounds", "The person has since disclosed that their passport was taken on arrival.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator("#case-status")).to_contain_text("being reconsidered")

    page = browser_page()
    sign_in_as(page, live_server, first_maker)
    page.goto(f"{live_server.url}/cases/{case.pk}/reasonable-grounds")
    page.locator("input[name=outcome][value=positive]").check()
    page.get_by_label("I applied this standard").check()
    page.fill("#rationale", "Fresh look.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("A different decision maker must take the fresh "
                                                                 "decision")

    page = browser_page()
    sign_in_as(page, live_server, second_maker)
    page.goto(f"{live_server.url}/cases/{case.pk}/reasonable-grounds")
    page.locator("input[name=outcome][value=positive]").check()
    page.get_by_label("I applied this standard").check()
    page.fill("#rationale", "Document retention is a strong indicator of control.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#case-status")).to_contain_text("Positive reasonable grounds decision")
    expect(page.locator("main")).to_contain_text("Replaced on reconsideration")
    assert Decision.objects.get(case=case, status=DecisionStatus.RECONSIDERED).decided_by == first_maker


def test_withdrawal_suspension_and_reactivation(
        page: Page, live_server: Any, make_user: Callable[..., Any]) -> None:
    caseworker = make_user(Role.CASEWORKER, "sca")
    to_withdraw = make_case(State.AWAITING_RG)
    to_suspend = make_case(State.AWAITING_CG)
    sign_in_as(page, live_server, caseworker)

    # Withdrawal.
    _open(page, live_server, to_withdraw)
    page.get_by_role("link", name="Withdraw").click()
    page.fill("#reason", "The person withdrew consent to the referral.")
    page.get_by_role("button", name="Withdraw the case").click()
    expect(page.locator("#case-status")).to_contain_text("Withdrawn")
    expect(page.locator("#case-actions")).not_to_contain_text("Make a reasonable grounds decision")

    # Suspension, then reactivation to where it was.
    _open(page, live_server, to_suspend)
    page.get_by_role("link", name="Suspend (person missing)").click()
    page.get_by_role("button", name="Suspend the case").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reasons")
    page.fill("#reason", "The person left their safe house and cannot be contacted.")
    page.get_by_role("button", name="Suspend the case").click()
    expect(page.locator("#case-status")).to_contain_text("Suspended")
    page.get_by_role("link", name="Reactivate").click()
    expect(page.locator("main")).to_contain_text("The case will return to: Awaiting conclusive grounds decision")
    page.fill("#reason", "The person is back in touch with their support worker.")
    page.get_by_role("button", name="Reactivate the case").click()
    expect(page.locator("#case-status")).to_contain_text("Awaiting conclusive grounds decision")

    for case, state in ((to_withdraw, State.WITHDRAWN), (to_suspend, State.AWAITING_CG)):
        case.refresh_from_db()
        assert case.state == state
