"""A caseworker opens a case in the browser: the person's name in the header, the referral as
the first responder answered it (labels and words in the journey's order, no codes), and the
evidence the first responder attached, downloaded from the case page. Checked with axe-core."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case
from nrm.referrals.models import Attachment
from nrm.referrals.tests.answer_sets import ADULT
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n" + b"x" * 3000


def _row(page: Page, label: str) -> Any:
    return page.locator(".govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key", has_text=label))


def test_a_caseworker_reads_the_referral_in_words_and_the_evidence(
        browser_page: Callable[..., Page], live_server: Any, make_user: Callable[..., Any], settings: Any,
        tmp_path: Path) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    caseworker = make_user(Role.CASEWORKER, "sca")
    case = make_case(State.AWAITING_RG)
    case.referral.answers = ADULT
    case.referral.save(update_fields=["answers"])
    attachment = Attachment(referral=case.referral, uploaded_by=case.built_by.first_responder,
                            original_name="payslips.pdf", content_type="application/pdf", size=len(PDF),
                            description="Payslips showing no pay")
    attachment.store_content(PDF)
    attachment.save()

    page = browser_page(accept_downloads=True)
    sign_in_as(page, live_server, caseworker)
    page.goto(f"{live_server.url}/cases/?reference={case.reference}")
    page.get_by_role("link", name=case.reference).click()
    expect(page.locator("h1")).to_have_text("Tomasz Nowak")
    expect(page.locator(".govuk-caption-l").first).to_contain_text(f"Case {case.reference}")

    titles = page.locator("#referral ~ .govuk-summary-card .govuk-summary-card__title").all_inner_texts()
    assert titles == ["First responder", "Age and consent", "About the person", "The exploitation", "Safeguarding",
                      "Decision maker"]
    expect(_row(page, "Police force area they work in")).to_contain_text("Metropolitan Police")
    expect(_row(page, "Date of birth")).to_contain_text("1 February 1980")
    expect(_row(page, "Nationality")).to_contain_text("Polish")
    expect(_row(page, "Countries")).to_contain_text("Poland")
    expect(_row(page, "Immigration circumstances")).to_contain_text("They are in immigration detention")
    text = page.locator("main").inner_text()
    for leak in ("Dob", "Fr name", "E23000029", "labour_wages", "Your details", "Nationalities PL"):
        assert leak not in text, leak

    files = page.locator("#evidence-files tbody tr")
    expect(files).to_have_count(1)
    expect(files.first).to_contain_text("payslips.pdf")
    expect(files.first).to_contain_text("PDF")
    expect(files.first).to_contain_text("2KB")
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="payslips.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF
    assert AuditEvent.objects.filter(case_id=case.pk, action="case.viewed", actor=caseworker,
                                     after__page="evidence").count() == 1

    # Staff of the other competent authority cannot read it.
    outsider = browser_page()
    sign_in_as(outsider, live_server, make_user(Role.CASEWORKER, "ieca"))
    href = page.get_by_role("link", name="payslips.pdf").get_attribute("href")
    assert outsider.request.get(f"{live_server.url}{href}").status == 404
