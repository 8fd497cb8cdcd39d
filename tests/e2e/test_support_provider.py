"""Support in the browser: a provider accepts a referral after a positive RG, records support,
and is refused when it tries to end support before the 45 days of move-on support after a
positive CG have run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.reviews.tests import builders
from nrm.support.models import SupportEpisode, SupportReferral, SupportReferralStatus
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fill_date(page: Page, name: str, day: Any) -> None:
    page.fill(f"#{name}-day", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def test_a_provider_accepts_records_support_and_cannot_end_move_on_support_early(
        page: Page, live_server: Any) -> None:
    today = timezone.localdate()
    rg_on, cg_on = today - timedelta(days=42), today - timedelta(days=5)
    case = builders.build_case(received_on=today - timedelta(days=45), state=State.AWAITING_RG)
    rg_maker, cg_maker = (builders.user(Role.CASEWORKER, "sca") for _ in range(2))
    builders.positive_rg(case, rg_maker, decided_on=rg_on)
    referral = SupportReferral.objects.get(case=case)
    other = builders.build_case(received_on=today - timedelta(days=45), state=State.AWAITING_RG, nation="scotland",
                                answers={**builders.ANSWERS, "first_names": "Other", "gender": "male"})
    builders.positive_rg(other, rg_maker, decided_on=rg_on)
    not_ours = SupportReferral.objects.get(case=other)
    provider = builders.user(Role.SUPPORT_PROVIDER, "vcc-salvation-army")

    sign_in_as(page, live_server, provider)
    page.get_by_role("link", name="People supported").first.click()
    expect(page.locator("main")).to_contain_text("1 new referral to accept or decline")
    expect(page.locator("main")).not_to_contain_text("Other Example")  # referred to another provider
    assert_accessible(page)
    page.get_by_role("link", name="Maria Example").click()
    expect(page.locator("main")).to_contain_text("Romanian")
    expect(page.locator("main")).to_contain_text("has not shared the account of exploitation")
    assert_accessible(page)
    page.get_by_label("Yes, accept the referral").check()
    page.get_by_role("button", name="Send response").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You accepted the referral")

    page.get_by_role("button", name="Record support").click()
    page.get_by_label("Accommodation").check()
    _fill_date(page, "start_date", rg_on + timedelta(days=1))
    assert_accessible(page)
    page.get_by_role("button", name="Save support").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Support recorded")
    expect(page.locator("main")).to_contain_text("Accommodation")

    # A positive conclusive grounds decision: at least 45 days of move-on support from it.
    builders.positive_cg(case, cg_maker, decided_on=cg_on)
    keep_until = cg_on + timedelta(days=45)
    page.reload()
    expect(page.locator("#dates + dl")).to_contain_text("45 days from")
    expect(page.locator("main")).to_contain_text(f"Support must continue until at least {keep_until.day} "
                                                 f"{keep_until:%B %Y}")
    page.get_by_role("link", name="End support for this person").click()
    _fill_date(page, "ended_on", today)
    page.get_by_label("The person's recovery needs have been met").check()
    page.get_by_role("button", name="End support").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(f"You cannot end support before {keep_until.day} {keep_until:%B %Y}")
    expect(summary).to_contain_text("at least 45 days of move-on support")
    assert page.title().startswith("Error: ")
    assert_accessible(page)

    referral.refresh_from_db()
    assert referral.status == SupportReferralStatus.ACCEPTED
    assert SupportEpisode.objects.filter(referral=referral, kind="accommodation", end_date__isnull=True).exists()

    # The provider cannot reach a person referred to someone else.
    page.goto(f"{live_server.url}/support/people/{not_ours.pk}")
    expect(page.locator("h1")).to_have_text("Page not found")


def test_childrens_services_find_a_childs_support_referral_in_their_inbox_and_accept_it(
        page: Page, live_server: Any) -> None:
    today = timezone.localdate()
    case = builders.build_case(received_on=today - timedelta(days=3), state=State.AWAITING_RG, is_child=True,
                               child_local_authority="E09000007",
                               answers={**builders.ANSWERS, "first_names": "Ana"})
    builders.positive_rg(case, builders.user(Role.CASEWORKER, "sca"), decided_on=today - timedelta(days=1))
    referral = SupportReferral.objects.get(case=case)
    camden = builders.user(Role.CHILDRENS_SERVICES, "la-e09000007")

    sign_in_as(page, live_server, camden)
    page.get_by_role("link", name="Inbox").first.click()
    assert_accessible(page)
    page.get_by_role("link", name=f"New support referral: case {case.reference}").click()
    expect(page.locator("main")).to_contain_text("Acknowledge by")
    assert_accessible(page)
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have acknowledged this message")
    page.get_by_role("link", name="Open the support referral").click()
    expect(page.locator("h1")).to_contain_text("Ana Example")
    page.get_by_label("Yes, accept the referral").check()
    page.get_by_role("button", name="Send response").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You accepted the referral")
    page.get_by_role("link", name="People supported").first.click()
    expect(page.locator("main")).to_contain_text("Receiving support")
    expect(page.locator("main")).to_contain_text("Ana Example")
    assert_accessible(page)
    page.get_by_label("Search by reference or name").fill("ana example")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("main table")).to_contain_text(case.reference)
    assert_accessible(page)
    referral.refresh_from_db()
    assert referral.status == SupportReferralStatus.ACCEPTED


def test_a_provider_asks_for_a_negative_decision_to_be_reconsidered(page: Page, live_server: Any) -> None:
    today = timezone.localdate()
    case = builders.build_case(received_on=today - timedelta(days=60), state=State.AWAITING_RG)
    builders.positive_rg(case, builders.user(Role.CASEWORKER, "sca"), decided_on=today - timedelta(days=55))
    referral = SupportReferral.objects.get(case=case)
    case.state = State.NEGATIVE_CG  # served after its review
    case.save(update_fields=["state"])
    provider = builders.user(Role.SUPPORT_PROVIDER, "vcc-salvation-army")

    sign_in_as(page, live_server, provider)
    page.goto(live_server.url + f"/support/people/{referral.pk}")
    page.get_by_role("link", name="Ask for the decision to be reconsidered").click()
    expect(page.locator("h1")).to_contain_text("Ask for the decision to be reconsidered")
    assert_accessible(page)
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why the decision should be reconsidered")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("Why should the decision be reconsidered?").fill("A medical report on her recovery needs.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your request for reconsideration has been sent")
    case.refresh_from_db()
    assert case.state == State.CG_RECONSIDERATION
