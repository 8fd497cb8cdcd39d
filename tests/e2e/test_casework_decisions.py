"""Decisions in the browser: positive RG to positive CG, positive RG to negative CG (into review),
negative RG with second-line review (agree and disagree), and the bad-input paths."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.cases.jobs import recovery_periods_end
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, Decision, DecisionLetter, DecisionStatus
from nrm.cases.tests.factories import make_case
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _open_case(page: Page, live_server: Any, case: Case) -> None:
    page.goto(f"{live_server.url}/cases/?reference={case.reference}")
    page.get_by_role("link", name=case.reference).click()
    expect(page.locator(".govuk-caption-l").first).to_contain_text(f"Case {case.reference}")


def _decide(page: Page, *, outcome: str, rationale: str, reasons: tuple[str, ...] = (), standard: bool = False) -> None:
    page.locator(f"input[name=outcome][value={outcome}]").check()
    if standard:
        page.get_by_label("I applied this standard").check()
    for reason in reasons:
        page.get_by_label(reason, exact=True).check()
    page.fill("#rationale", rationale)
    page.get_by_role("button", name="Record the decision").click()


def test_positive_rg_then_positive_cg_and_the_first_responder_reads_the_letters(
        browser_page: Callable[..., Page], live_server: Any, make_user: Callable[..., Any]) -> None:
    caseworker = make_user(Role.CASEWORKER, "sca")
    first_responder = make_user(Role.FIRST_RESPONDER, "police-e23000001")
    case = make_case(State.AWAITING_RG, first_responder=first_responder,
                     representative_name="Ada Solicitor", representative_email="ada@example.org")
    page = browser_page()
    sign_in_as(page, live_server, caseworker)
    _open_case(page, live_server, case)
    expect(page.locator("#rg-target-measure")).to_contain_text("working days left")
    assert_accessible(page)
    page.get_by_role("link", name="Make a reasonable grounds decision").click()
    assert_accessible(page)
    _decide(page, outcome="positive", standard=True, rationale="Consistent account with clear indicators of labour.")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been served and the letters sent")
    expect(page.locator("#case-status")).to_contain_text("Positive reasonable grounds decision: recovery period")
    expect(page.locator("#recovery-period")).to_contain_text("30 days from")
    expect(page.locator("#rg-target-measure")).to_contain_text("within the target")

    # Time passes: the recovery period runs and the periodic job moves the case on.
    Case.objects.filter(pk=case.pk).update(rg_date=F("rg_date") - timedelta(days=31))
    Decision.objects.filter(case=case).update(decided_on=F("decided_on") - timedelta(days=31))
    assert recovery_periods_end() == 1
    page.reload()
    expect(page.locator("#case-status")).to_contain_text("Awaiting conclusive grounds decision")
    page.get_by_role("link", name="Make a conclusive grounds decision").click()
    _decide(page, outcome="positive", rationale="On the balance of probabilities, a victim of labour exploitation.")
    expect(page.locator("#case-status")).to_contain_text("Positive conclusive grounds decision")
    case.refresh_from_db()
    assert case.state == State.POSITIVE_CG
    assert DecisionLetter.objects.filter(decision__case=case).count() == 4  # FR and representative, RG and CG

    # The first responder sees the status, the decisions and their letters (not the representative's).
    page = browser_page()
    sign_in_as(page, live_server, first_responder)
    page.goto(f"{live_server.url}/cases/")
    page.get_by_role("link", name=case.reference).click()
    expect(page.locator("#case-status")).to_contain_text("Positive conclusive grounds decision")
    expect(page.locator("main")).not_to_contain_text("Ada Solicitor")
    assert_accessible(page)
    page.get_by_role("link", name="read the letter to Metropolitan Police (conclusive grounds)").click()
    expect(page.locator("main")).to_contain_text("Conclusive grounds decision: positive")
    expect(page.locator("main")).to_contain_text("Move-on support")
    assert_accessible(page)


def test_positive_rg_then_negative_cg_goes_to_independent_review(
        page: Page, live_server: Any, make_user: Callable[..., Any]) -> None:
    caseworker = make_user(Role.CASEWORKER, "sca")
    too_early = make_case(State.POSITIVE_RG)
    case = make_case(State.AWAITING_CG)
    sign_in_as(page, live_server, caseworker)

    # Too early: no conclusive grounds decision is offered while the recovery period runs, and its
    # page says when it can be made instead of taking answers it would refuse.
    _open_case(page, live_server, too_early)
    expect(page.get_by_role("link", name="Make a conclusive grounds decision")).to_have_count(0)
    page.goto(f"{live_server.url}/cases/{too_early.pk}/conclusive-grounds")
    expect(page.locator("main")).to_contain_text("A conclusive grounds decision cannot be made before then")
    expect(page.locator("#rationale")).to_have_count(0)
    assert_accessible(page)
    too_early.refresh_from_db()
    assert too_early.state == State.POSITIVE_RG

    # A negative CG without a reason is refused; with one it goes to review, not served.
    _open_case(page, live_server, case)
    page.get_by_role("link", name="Make a conclusive grounds decision").click()
    _decide(page, outcome="negative", rationale="Not established on the evidence.")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select at least one reason for a negative decision")
    page.get_by_label("No indicators of modern slavery", exact=True).check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("It goes to review before it is served")
    expect(page.locator("#case-status")).to_contain_text("under independent review")
    expect(page.locator("#decisions")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Awaiting review before it is served")
    case.refresh_from_db()
    assert case.state == State.CG_UNDER_REVIEW
    decision = Decision.objects.get(case=case, stage="CG")
    assert decision.status == DecisionStatus.PROPOSED
    assert not DecisionLetter.objects.filter(decision=decision).exists()


def test_negative_rg_with_second_line_review(browser_page: Callable[..., Page], live_server: Any,
                                            make_user: Callable[..., Any]) -> None:
    caseworker = make_user(Role.CASEWORKER, "sca")
    other_caseworker = make_user(Role.CASEWORKER, "sca")
    senior = make_user(Role.SENIOR_DECISION_MAKER, "sca")
    agreed = make_case(State.AWAITING_RG)
    sent_back = make_case(State.AWAITING_RG)
    page = browser_page()
    sign_in_as(page, live_server, caseworker)
    for case in (agreed, sent_back):
        _open_case(page, live_server, case)
        page.get_by_role("link", name="Make a reasonable grounds decision").click()
        _decide(page, outcome="negative", standard=True, reasons=("No indicators of modern slavery",),
                rationale="Poor working conditions, but no coercion or control.")
        expect(page.locator("#case-status")).to_contain_text("Negative reasonable grounds decision under review")

    # A caseworker is not offered the review, and cannot reach it.
    _open_case(page, live_server, agreed)
    expect(page.get_by_role("link", name="Review the negative reasonable grounds decision")).to_have_count(0)
    page.goto(f"{live_server.url}/reviews/case/{agreed.pk}")
    expect(page.locator("h1")).to_contain_text("not found", ignore_case=True)

    # The senior agrees with one (served, letters) and sends the other back, on the reviews pages.
    page = browser_page()
    sign_in_as(page, live_server, senior)
    page.goto(f"{live_server.url}/cases/?stage=rg_review")
    assert_accessible(page)
    page.get_by_role("link", name=agreed.reference).click()
    page.get_by_role("link", name="Review the negative reasonable grounds decision").click()
    expect(page.locator("main")).to_contain_text("Poor working conditions, but no coercion or control.")
    assert_accessible(page)
    page.get_by_label("Agree", exact=True).check()
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("It will be served")
    page.goto(f"{live_server.url}/cases/{agreed.pk}")
    expect(page.locator("#case-status")).to_contain_text("Negative reasonable grounds decision")
    expect(page.locator("main")).to_contain_text("read the letter")
    agreed.refresh_from_db()
    assert agreed.state == State.NEGATIVE_RG

    _open_case(page, live_server, sent_back)
    page.get_by_role("link", name="Review the negative reasonable grounds decision").click()
    page.get_by_label("Return with reasons").check()
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reasons for returning the decision")
    assert_accessible(page)
    page.fill("#rationale", "The account of debt bondage was not weighed.")
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("goes back for a fresh decision")
    page.goto(f"{live_server.url}/cases/{sent_back.pk}")
    expect(page.locator("#case-status")).to_contain_text("Referred back for a fresh reasonable grounds decision")

    # A different decision maker takes the fresh decision.
    page = browser_page()
    sign_in_as(page, live_server, other_caseworker)
    _open_case(page, live_server, sent_back)
    page.get_by_role("link", name="Make a reasonable grounds decision").click()
    _decide(page, outcome="positive", standard=True, rationale="Debt bondage indicates control.")
    expect(page.locator("#case-status")).to_contain_text("Positive reasonable grounds decision")
    sent_back.refresh_from_db()
    assert sent_back.state == State.POSITIVE_RG
    assert Decision.objects.get(case=sent_back, status=DecisionStatus.OVERTURNED).decided_by == caseworker
