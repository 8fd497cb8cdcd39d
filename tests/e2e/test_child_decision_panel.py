"""A child's case in a devolved decision-making pilot area, in the browser: the area's panel finds
it in its queue, reads who decides it and the child's guardian service on the case page, and makes
the reasonable grounds decision through the same pages as the competent authority, whose staff
cannot open the case; every page checked with axe-core (ADR 0028)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.cases.models import DecisionLetter
from nrm.cases.tests.test_child_decision_panels import child_case
from nrm.notify.models import MessageKind
from nrm.notify.services import outbox_add
from nrm.reference.models import Organisation
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CAMDEN = "E09000007"


def test_the_panel_decides_a_childs_case_in_its_area(browser_page: Callable[..., Page], live_server: Any,
                                                     make_user: Callable[..., Any]) -> None:
    case = child_case(lives_in=CAMDEN)
    assert case.decision_panel is not None
    outbox_add(kind=MessageKind.GUARDIAN, recipient_organisation=Organisation.objects.get(slug="ictg-england-wales"),
               subject=f"Child trafficking guardian referral: NRM referral {case.reference}",
               body="A child who lives in Camden.", about=case.referral, dedupe_key=f"guardian:{case.referral.pk}")
    panel_member = make_user(Role.CASEWORKER, "child-panel-camden-islington")
    sca_caseworker = make_user(Role.CASEWORKER, "sca")

    page = browser_page()
    sign_in_as(page, live_server, panel_member)
    page.goto(f"{live_server.url}/cases/")
    expect(page.locator("main")).to_contain_text("Camden and Islington child decision-making panel")
    assert_accessible(page)
    page.get_by_role("link", name=case.reference).click()
    expect(page.locator("#decision-panel")).to_have_text("Camden and Islington child decision-making panel")
    expect(page.locator("#guardian")).to_contain_text("Independent Child Trafficking Guardian service (Barnardo's)")
    expect(page.locator("#guardian")).to_contain_text("not acknowledged yet")
    assert_accessible(page)

    page.get_by_role("link", name="Make a reasonable grounds decision").click()
    assert_accessible(page)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.locator("input[name=outcome][value=positive]").check()
    page.get_by_label("I applied this standard").check()
    page.fill("#rationale", "Moved between flats and made to carry drugs: clear indicators of criminal exploitation.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been served and the letters sent")
    expect(page.locator("#case-status")).to_contain_text("Positive reasonable grounds decision")
    assert_accessible(page)
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG
    letter = DecisionLetter.objects.filter(decision__case=case).first()
    assert letter is not None
    assert "the Camden and Islington child decision-making panel decided" in letter.html

    # The competent authority's staff do not see a case the panel decides.
    other = browser_page()
    sign_in_as(other, live_server, sca_caseworker)
    response = other.goto(f"{live_server.url}/cases/{case.pk}")
    assert response is not None
    assert response.status == 404
