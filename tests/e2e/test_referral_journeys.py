"""Referral journeys in headless Chromium, each page checked with axe-core (WCAG 2.2 A/AA).

The answers come from the same data the server tests use (nrm/referrals/tests/conftest.py),
and the pages are filled in from the journey's own question definitions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.models import Case
from nrm.notify.models import OutboxMessage
from nrm.referrals import journey
from nrm.referrals.choices import options_on
from nrm.referrals.models import Concern, DutyToNotifyReport, Referral, ReferralStatus
from nrm.referrals.tests.conftest import ADULT, CHILD, DUTY_TO_NOTIFY
from tests.e2e.conftest import assert_accessible, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

UUID = r"[0-9a-f-]{36}"


@pytest.fixture
def first_responder(make_user: Callable[..., User]) -> User:
    return make_user(Role.FIRST_RESPONDER, organisation="police-e23000001", full_name="Priya Shah",
                     job_title="Detective Constable", phone="020 7946 0000")


def option_text(source: str, value: str) -> str:
    return next(o.text for o in options_on()(source) if o.value == value)


def choose(page: Page, field_id: str, text: str, *, javascript: bool) -> None:
    """Pick an option from a select, or from the accessible autocomplete that replaces it."""
    if not javascript:
        page.select_option(f"#{field_id}", label=text)
        return
    page.fill(f"#{field_id}", text)
    page.locator(f"#{field_id}__listbox li", has_text=re.compile(f"^{re.escape(text)}$")).first.click()


def _fill_radios(page: Page, f: journey.Field, value: Any, *, javascript: bool) -> None:
    page.check(f"input[name='{f.name}'][value='{value}']")


def _fill_checkboxes(page: Page, f: journey.Field, value: Any, *, javascript: bool) -> None:
    for box in page.locator(f"input[type=checkbox][name='{f.name}']").all():
        box.set_checked((box.get_attribute("value") or "") in value)


def _fill_date(page: Page, f: journey.Field, value: Any, *, javascript: bool) -> None:
    for part in ("day", "month", "year"):
        page.fill(f"#{f.name}-{part}", value[part])


def _fill_selects(page: Page, f: journey.Field, value: Any, *, javascript: bool) -> None:
    values = value if isinstance(value, list) else [value]
    for index, code in enumerate(values):
        if code:
            choose(page, f.name if index == 0 else f"{f.name}-{index + 1}", option_text(f.source, code),
                   javascript=javascript)


def _fill_input(page: Page, f: journey.Field, value: Any, *, javascript: bool) -> None:
    page.fill(f"#{f.name}", str(value))


_FILL = {
    journey.Kind.RADIOS: _fill_radios,
    journey.Kind.CHECKBOXES: _fill_checkboxes,
    journey.Kind.DATE: _fill_date,
    journey.Kind.SELECT: _fill_selects,
    journey.Kind.SELECTS: _fill_selects,
}


def fill_step(page: Page, step: journey.Step, answers: dict[str, Any], *, javascript: bool) -> None:
    for f in step.fields:
        if f.name not in answers or not journey.field_applies(f, step, answers):
            continue
        _FILL.get(f.kind, _fill_input)(page, f, answers[f.name], javascript=javascript)


def answer_journey(page: Page, answers: dict[str, Any], *, javascript: bool = True,
                   check_each_page: bool | set[str] = True, until: str | None = None) -> list[str]:
    """From the page the browser is on, answer each question page until 'Check your answers'.
    ``check_each_page``: run axe on every page, on none, or on the pages named."""
    visited = []
    while "/check" not in page.url:
        slug = page.url.split("?")[0].rsplit("/", 1)[-1]
        if slug == until:
            break
        visited.append(slug)
        step = journey.STEPS_BY_SLUG[slug]
        check = check_each_page is True or (isinstance(check_each_page, set) and slug in check_each_page)
        if check:
            assert_accessible(page)
        fill_step(page, step, answers, javascript=javascript)
        page.click("button[value=continue]")
        page.wait_for_load_state()
        if page.url.split("?")[0].endswith(f"/{slug}"):
            # Language guidance stays on the page once after saving; it never blocks.
            expect(page.locator("#language-guidance")).to_contain_text("Check the wording")
            if check:
                assert_accessible(page)
            page.click("button[value=continue]")
            page.wait_for_load_state()
        assert "error" not in page.title().lower(), f"{slug}: {page.locator('.govuk-error-summary').inner_text()}"
    return visited


def start_referral(page: Page, live_server: Any, *, check: bool = True) -> None:
    page.goto(live_server.url + "/referrals/")
    if check:
        assert_accessible(page)
    page.click("text=Start a new referral")
    if check:
        assert_accessible(page)
    page.click("button:has-text('Start now')")
    page.wait_for_url(re.compile(f"/referrals/{UUID}/first-responder$"))


def test_child_referral(page: Page, live_server: Any, first_responder: User) -> None:
    sign_in_as(page, live_server, first_responder)
    start_referral(page, live_server)
    expect(page.locator("#fr_name")).to_have_value("Priya Shah")  # prefilled from the account
    expect(page.locator("#fr_police_force")).to_have_value("Metropolitan Police")
    visited = answer_journey(page, CHILD)
    assert "consent" not in visited
    assert "child-local-authority" in visited
    assert "evidence" in visited

    expect(page.locator("h1")).to_have_text("Check your answers before sending")
    expect(page.locator("main")).to_contain_text("Popescu")
    expect(page.locator("main")).to_contain_text("Romanian")
    expect(page.locator("main")).to_contain_text("children's social care")
    assert_accessible(page)
    page.click("button:has-text('Accept and send referral')")
    expect(page.locator(".govuk-panel__title")).to_have_text("Referral sent")
    assert_accessible(page)
    referral = Referral.objects.get()
    expect(page.locator(".govuk-panel")).to_contain_text(str(referral.reference))
    case = Case.objects.get(referral=referral)
    assert case.is_child
    assert case.state == "awaiting_rg"
    # Camden has Independent Child Trafficking Guardians (ADR 0028): their service is told too.
    assert set(OutboxMessage.objects.values_list("kind", flat=True)) == {"crime_referral", "safeguarding", "guardian",
                                                                          "receipt"}

    page.click("text=View and print a copy of your referral")
    expect(page.locator("h1")).to_have_text(f"Referral {referral.reference}")
    expect(page.locator("[data-nrm-print]")).to_be_visible()
    assert_accessible(page)
    page.goto(live_server.url + "/referrals/")
    expect(page.locator("main")).to_contain_text(str(referral.reference))
    assert_accessible(page)


def test_adult_referral_with_consent_works_without_javascript(
        browser_page: Callable[..., Page], live_server: Any, first_responder: User) -> None:
    page = browser_page(java_script_enabled=False)  # axe needs JavaScript: the other journeys check the pages
    sign_in_as(page, live_server, first_responder)
    start_referral(page, live_server, check=False)
    visited = answer_journey(page, {**ADULT, "account": "He was paid nothing and was told he owed a debt."},
                             javascript=False, check_each_page=False)
    assert "consent" in visited
    assert "exploitation-where-overseas" in visited
    assert "child-local-authority" not in visited
    expect(page.locator("main")).to_contain_text("signed consent form on file")
    page.click("button:has-text('Accept and send referral')")
    expect(page.locator(".govuk-panel__title")).to_have_text("Referral sent")
    case = Case.objects.get()
    assert case.competent_authority == "IECA"
    assert not case.is_child


def test_adult_who_refuses_consent_makes_an_anonymous_duty_to_notify_report(
        page: Page, live_server: Any, first_responder: User) -> None:
    sign_in_as(page, live_server, first_responder)
    start_referral(page, live_server)
    visited = answer_journey(page, DUTY_TO_NOTIFY)
    assert "anonymous-details" in visited
    assert "person-name" not in visited
    expect(page.locator(".govuk-warning-text")).to_contain_text("anonymous")
    assert_accessible(page)
    page.click("button:has-text('Send Duty to Notify report')")
    expect(page.locator(".govuk-panel__title")).to_have_text("Duty to Notify report sent")
    assert_accessible(page)
    assert DutyToNotifyReport.objects.count() == 1
    assert not Referral.objects.exists()


def test_validation_errors_use_the_error_summary_and_keep_the_answers(
        page: Page, live_server: Any, first_responder: User) -> None:
    sign_in_as(page, live_server, first_responder)
    start_referral(page, live_server)
    referral = Referral.objects.get()
    page.goto(f"{live_server.url}/referrals/{referral.pk}/person-birth")
    page.fill("#dob-day", "31")
    page.fill("#dob-month", "2")
    page.fill("#dob-year", "2010")
    page.click("button[value=continue]")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Date of birth must be a real date")
    assert page.title().startswith("Error: ")
    expect(page.locator("#dob-day")).to_have_value("31")
    assert_accessible(page)
    summary.locator("a").first.click()
    expect(page.locator("#dob-day")).to_be_focused()

    page.goto(f"{live_server.url}/referrals/{referral.pk}/person-name")
    page.fill("#first_names", "Ana")
    page.click("button[value=continue]")
    expect(page.locator("#last_name-error")).to_contain_text("Enter the person's last name")
    expect(page.locator("#first_names")).to_have_value("Ana")

    # Sending with answers missing lists them, each linking to its question; nothing is lost.
    page.goto(f"{live_server.url}/referrals/{referral.pk}/check")
    page.click("button:has-text('Accept and send referral')")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the person's last name")
    assert_accessible(page)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DRAFT
    assert referral.answers["first_names"] == "Ana"


def test_language_guidance_as_the_user_types(page: Page, live_server: Any, first_responder: User) -> None:
    sign_in_as(page, live_server, first_responder)
    start_referral(page, live_server)
    referral = Referral.objects.get()
    page.goto(f"{live_server.url}/referrals/{referral.pk}/account")
    page.locator("#account").press_sequentially("He was a runner and very streetwise.", delay=5)
    guidance = page.locator("#language-guidance")
    expect(guidance).to_contain_text("“runner”")
    expect(guidance).to_contain_text("“streetwise”")
    assert_accessible(page)
    page.click("button[value=continue]")  # already seen as typed: no second stop
    expect(page).not_to_have_url(re.compile(r"/account$"))


def test_closing_the_browser_mid_journey_and_resuming(
        browser_page: Callable[..., Page], live_server: Any, first_responder: User) -> None:
    page = browser_page()
    sign_in_as(page, live_server, first_responder)
    start_referral(page, live_server, check=False)
    # The pages only adults see are checked here; the child journey checks the rest.
    visited = answer_journey(page, ADULT, until="person-gender", check_each_page={"consent-record"})
    assert "consent-record" in visited
    page.check("input[name=gender][value=male]")  # chosen, but no button pressed
    for _ in range(60):  # saved as the user goes, without pressing a button
        if Referral.objects.get().answers.get("gender") == "male":
            break
        page.wait_for_timeout(100)
    page.context.close()

    again = browser_page()
    sign_in_as(again, live_server, first_responder)
    again.goto(live_server.url + "/referrals/")
    again.click("text=Tomasz Nowak")
    expect(again.locator(".govuk-task-list")).to_contain_text("About the person")
    expect(again.locator(".govuk-task-list")).to_contain_text("Incomplete")
    assert_accessible(again)
    again.click("text=Continue where you left off")
    expect(again).to_have_url(re.compile(r"/person-gender$"))
    expect(again.locator("input[name=gender][value=male]")).to_be_checked()
    visited = answer_journey(again, ADULT, check_each_page={"person-gender", "exploitation-where-overseas"})
    assert {"exploitation-where-overseas", "indicators", "routing"} <= set(visited)
    expect(again.locator("h1")).to_have_text("Check your answers before sending")


def test_evidence_files_and_deleting_a_draft(page: Page, live_server: Any, first_responder: User) -> None:
    sign_in_as(page, live_server, first_responder)
    start_referral(page, live_server, check=False)
    referral = Referral.objects.get()
    page.goto(f"{live_server.url}/referrals/{referral.pk}/evidence")
    page.set_input_files("#evidence_file", files=[{"name": "notes.exe", "mimeType": "application/octet-stream",
                                                   "buffer": b"MZ"}])
    page.click("button:has-text('Upload file')")
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be a PDF, JPG, PNG, DOCX, ODT or TXT")
    assert_accessible(page)
    page.set_input_files("#evidence_file", files=[{"name": "statement.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"%PDF-1.4 statement"}])
    page.fill("#evidence_description", "Signed witness statement")
    page.click("button:has-text('Upload file')")
    expect(page.locator(".govuk-summary-list")).to_contain_text("statement.pdf")
    assert_accessible(page)
    page.click("button:has-text('Remove')")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("statement.pdf has been removed")

    page.click("text=Delete this draft")
    assert_accessible(page)
    page.check("input[name=confirm][value=yes]")
    page.click("button:has-text('Continue')")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The draft has been deleted")
    assert not Referral.objects.exists()


def test_a_contributor_adds_to_a_draft(browser_page: Callable[..., Page], live_server: Any, first_responder: User,
                                       make_user: Callable[..., User]) -> None:
    referral = Referral.objects.create(organisation=first_responder.organisations_for(Role.FIRST_RESPONDER)[0],
                                       author=first_responder, answers=dict(CHILD), last_step="check",
                                       expires_at="2099-01-01T00:00:00Z")
    page = browser_page()
    sign_in_as(page, live_server, first_responder)
    page.goto(f"{live_server.url}/referrals/{referral.pk}/contributors")
    assert_accessible(page)
    page.fill("#name", "Alex Morgan")
    page.fill("#email", "alex.morgan@school.example")
    page.fill("#organisation_name", "Class teacher, Hill Road School")
    page.click("button:has-text('Send invitation')")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("We have emailed an invitation to Alex Morgan")
    assert_accessible(page)
    invitation = referral.invitations.get()
    assert OutboxMessage.objects.filter(kind="invitation", recipient_email="alex.morgan@school.example").exists()

    teacher = make_user(Role.CONTRIBUTOR, email="alex.morgan@school.example", full_name="Alex Morgan")
    other = browser_page()
    sign_in_as(other, live_server, teacher)
    other.goto(f"{live_server.url}/referrals/invitations/{invitation.token}")
    assert_accessible(other)
    other.click("button:has-text('Accept and continue')")
    expect(other.locator("h1")).to_have_text("Add what you know to a referral")
    assert_accessible(other)
    other.fill("#topic", "Attendance")
    other.fill("#text", "Absent most Mondays since March. Collected by an older man in a white van.")
    other.click("button:has-text('Add to the referral')")
    expect(other.locator("main")).to_contain_text("Collected by an older man")
    assert_accessible(other)
    other.goto(f"{live_server.url}/referrals/{referral.pk}/check")
    assert "Page not found" in other.content(), "a contributor cannot see or send the draft"

    page.goto(f"{live_server.url}/referrals/{referral.pk}/check")
    expect(page.locator("main")).to_contain_text("Added by Alex Morgan, Class teacher, Hill Road School")
    page.click("button:has-text('Accept and send referral')")
    expect(page.locator(".govuk-panel__title")).to_have_text("Referral sent")


def test_a_concern_from_someone_who_is_not_a_first_responder(
        browser_page: Callable[..., Page], live_server: Any, first_responder: User,
        make_user: Callable[..., User]) -> None:
    health_visitor = make_user(Role.CONCERNED_PROFESSIONAL, full_name="Jo Evans", job_title="Health visitor")
    page = browser_page()
    sign_in_as(page, live_server, health_visitor)
    page.goto(live_server.url + "/referrals/requests/new")
    assert_accessible(page)
    page.click("button:has-text('Send request')")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select how urgent this is")
    expect(page.locator("#raiser_name")).to_have_value("Jo Evans")
    assert_accessible(page)
    choose(page, "organisation", "Metropolitan Police", javascript=True)
    page.check("input[name=urgency][value=urgent]")
    page.fill("#summary", "A 15-year-old boy is collected by different cars late at night.")
    page.fill("#raiser_email", "jo.evans@nhs.example")
    page.click("button:has-text('Send request')")
    expect(page.locator(".govuk-panel__title")).to_have_text("Request sent")
    assert_accessible(page)
    concern = Concern.objects.get()
    assert concern.organisation.slug == "police-e23000001"
    assert concern.urgency == "urgent"

    responder = browser_page()
    sign_in_as(responder, live_server, first_responder)
    responder.goto(live_server.url + "/referrals/requests/")
    assert_accessible(responder)
    responder.get_by_role("link", name=re.compile("request from Jo Evans")).click()
    expect(responder.locator("main")).to_contain_text("collected by different cars")
    assert_accessible(responder)
    responder.click("button:has-text('Start a referral from this request')")
    expect(responder).to_have_url(re.compile(f"/referrals/{UUID}/first-responder$"))
    referral = Referral.objects.get(concern=concern)
    assert "collected by different cars" in referral.answers["account"]


def test_partner_inbox_and_acknowledgement(browser_page: Callable[..., Page], live_server: Any,
                                           first_responder: User, make_user: Callable[..., User]) -> None:
    from nrm.referrals.services import referral_submit

    referral = Referral.objects.create(organisation=first_responder.organisations_for(Role.FIRST_RESPONDER)[0],
                                       author=first_responder, answers=dict(CHILD), expires_at="2099-01-01T00:00:00Z")
    referral_submit(referral=referral, actor=first_responder)
    crime_unit = make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000005", full_name="GMP crime unit")
    page = browser_page()
    sign_in_as(page, live_server, crime_unit)
    page.goto(live_server.url + "/inbox/")
    assert_accessible(page)
    page.click("text=Crime referral: NRM referral")
    expect(page.locator("main")).to_contain_text("Popescu")
    assert_accessible(page)
    page.click("button:has-text('Acknowledge')")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the crime reference number")
    assert_accessible(page)
    page.fill("#crime_reference", "GMP/26/0042")
    page.click("button:has-text('Acknowledge')")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have acknowledged this message")
    expect(page.locator("main")).to_contain_text("GMP/26/0042")
    message = OutboxMessage.objects.get(kind="crime_referral")
    assert message.acknowledged_at is not None
    assert message.crime_reference == "GMP/26/0042"
