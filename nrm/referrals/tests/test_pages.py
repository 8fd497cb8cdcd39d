"""The journey's pages through the test client, as a browser without JavaScript uses them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.cases.models import Case
from nrm.notify.models import OutboxMessage
from nrm.referrals import journey, services
from nrm.referrals.models import Concern, DutyToNotifyReport, Referral, ReferralStatus
from nrm.testing import journey_form_data, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(first_responder: User) -> Client:
    return sign_in(Client(), first_responder)


def start(client: Client) -> Referral:
    response = client.post(reverse("referrals:start"))
    assert response.status_code == 302
    referral = Referral.objects.latest("created_at")
    assert response["Location"] == f"/referrals/{referral.pk}/first-responder"
    return referral


def walk(client: Client, referral: Referral, answers: dict[str, Any]) -> list[str]:
    """Answer every page in order, following the redirects; returns the pages visited."""
    url = f"/referrals/{referral.pk}/first-responder"
    visited = []
    while "/check" not in url:
        slug = url.rsplit("/", 1)[-1].split("?")[0]
        visited.append(slug)
        page = client.get(url)
        assert page.status_code == 200, (slug, page.content[:500])
        step = journey.STEPS_BY_SLUG[slug]
        response = client.post(url, journey_form_data(step, answers))
        if response.status_code == 200 and step.include_after:  # language guidance shown once
            response = client.post(url, {**journey_form_data(step, answers),
                                         "guidance_shown": ";".join(f.term for f in response.context["flags"])})
        assert response.status_code == 302, (slug, response.content.decode()[:3000])
        url = response["Location"]
    return visited


def test_start_page_and_list(client: Client) -> None:
    page = client.get(reverse("referrals:start"))
    assert page.status_code == 200
    assert b"Start now" in page.content
    listing = client.get(reverse("referrals:list"))
    assert listing.status_code == 200
    assert b"You have no drafts" in listing.content


def test_the_list_reads_drafts_and_referrals_in_the_same_number_of_queries_however_many(
        client: Client, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            make_draft(first_responder, "child")
            services.referral_submit(referral=make_draft(first_responder, "adult"), actor=first_responder)

    def queries_to_list(expected: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("referrals:list"))
        body = page.content.decode()
        assert page.status_code == 200
        assert (body.count("Ana Popescu"), body.count("Tomasz Nowak")) == (expected, expected), "names unsealed"
        return len(queries)

    add(1)
    one = queries_to_list(1)
    add(4)
    assert queries_to_list(5) == one


def test_the_list_pages_and_searches_drafts_and_sent_referrals_at_any_size(
        client: Client, first_responder: User, make_draft: Callable[..., Referral],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every draft and sent referral can be reached, however many the organisation has (the list
    stopped at 200 sent referrals), and a reference or a name finds one."""
    from nrm.core import pagination

    monkeypatch.setattr(pagination, "PAGE_SIZE", 2)
    sent = []
    for i in range(5):
        draft = make_draft(first_responder, "adult", last_name=f"Nowak{i}")
        services.referral_submit(referral=draft, actor=first_responder)
        draft.refresh_from_db()
        sent.append(str(draft.reference))
    for i in range(3):
        make_draft(first_responder, "child", last_name=f"Popescu{i}")
    first = client.get(reverse("referrals:list")).content.decode()
    assert "Draft referrals: showing 1 to 2 of 3" in first
    assert "Sent referrals: showing 1 to 2 of 5" in first
    assert 'aria-label="Pages of sent referrals"' in first
    seen = set()
    for number in (1, 2, 3):
        body = client.get(reverse("referrals:list"), {"page": number, "drafts_page": 2}).content.decode()
        seen |= {reference for reference in sent if reference in body}
        assert "Popescu2" in body or "Popescu1" in body or "Popescu0" in body
    assert seen == set(sent), "every sent referral is on some page"
    last = client.get(reverse("referrals:list"), {"page": "3", "drafts_page": "2"}).content.decode()
    assert "drafts_page=2" in last, "one list's page is kept in the other's links"

    found = client.get(reverse("referrals:list"), {"q": sent[3]}).content.decode()
    assert sent[3] in found
    assert sent[0] not in found
    assert "No drafts match" in found
    by_name = client.get(reverse("referrals:list"), {"q": "popescu1"}).content.decode()
    assert "Popescu1" in by_name
    assert "Popescu0" not in by_name
    assert "No sent referrals match" in by_name
    for odd in ("\x00", "9" * 500, "?page=-1", "'; DROP TABLE referrals_referral; --"):
        assert client.get(reverse("referrals:list"), {"q": odd, "page": odd}).status_code == 200


def test_a_child_referral_from_start_to_confirmation(client: Client, answers: Callable[[str], dict[str, Any]]) -> None:
    referral = start(client)
    visited = walk(client, referral, answers("child"))
    assert "consent" not in visited
    assert "child-local-authority" in visited
    check = client.get(reverse("referrals:check", kwargs={"referral_id": referral.pk}))
    body = check.content.decode()
    assert check.status_code == 200
    assert "Accept and send referral" in body
    assert "Popescu" in body
    assert "3 April 2010" in body
    assert "Camden" in body
    assert "Greater Manchester" in body
    assert "children&#39;s social care" in body or "children's social care" in body
    submitted = client.post(reverse("referrals:submit", kwargs={"referral_id": referral.pk}))
    assert submitted.status_code == 302
    assert submitted["Location"].endswith("/sent")
    referral.refresh_from_db()
    reference = str(referral.reference)
    confirmation = client.get(submitted["Location"]).content.decode()
    assert "Referral sent" in confirmation
    assert reference in confirmation
    copy = client.get(reverse("referrals:copy", kwargs={"referral_id": referral.pk})).content.decode()
    assert reference in copy
    assert "She was moved between flats" in copy
    assert AuditEvent.objects.filter(action="referral.viewed", object_id=str(referral.pk)).exists()
    # A second post (double click, back button) changes nothing and shows the same confirmation.
    again = client.post(reverse("referrals:submit", kwargs={"referral_id": referral.pk}))
    assert again["Location"] == submitted["Location"]
    assert Case.objects.count() == 1


def test_an_adult_who_refuses_consent_makes_a_duty_to_notify_report(
        client: Client, answers: Callable[[str], dict[str, Any]]) -> None:
    referral = start(client)
    visited = walk(client, referral, answers("dtn"))
    assert "anonymous-details" in visited
    assert "person-name" not in visited
    assert "account" not in visited
    check = client.get(reverse("referrals:check", kwargs={"referral_id": referral.pk})).content.decode()
    assert "Send Duty to Notify report" in check
    assert "anonymous" in check
    sent = client.post(reverse("referrals:submit", kwargs={"referral_id": referral.pk}))
    assert sent["Location"] == reverse("referrals:dtn_sent")
    report = DutyToNotifyReport.objects.get()
    assert re.fullmatch(r"DTN-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", report.reference)
    assert report.what_happened == answers("dtn")["what_happened"], "intelligence is kept"
    assert report.about_exploiters == answers("dtn")["about_exploiters"]
    page = client.get(sent["Location"]).content.decode()
    assert "Duty to Notify report sent" in page
    assert report.reference in page
    assert report.reference not in client.get(sent["Location"]).content.decode(), "shown once, then forgotten"
    listed = client.get(reverse("referrals:list")).content.decode()
    assert report.reference in listed, "the organisation's reports list it by reference and date"
    assert DutyToNotifyReport.objects.count() == 1
    assert not Referral.objects.filter(pk=referral.pk).exists()
    again = client.post(reverse("referrals:submit", kwargs={"referral_id": referral.pk}))
    assert again["Location"] == reverse("referrals:dtn_sent")
    assert DutyToNotifyReport.objects.count() == 1


def test_errors_use_the_error_summary_and_keep_the_answers(client: Client) -> None:
    referral = start(client)
    url = f"/referrals/{referral.pk}/person-birth"
    response = client.post(url, {"action": "continue", "dob-day": "31", "dob-month": "2", "dob-year": "2010"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: Date of birth or age" in body
    assert "There is a problem" in body
    assert 'href="#dob-day"' in body
    assert "Date of birth must be a real date" in body
    assert 'value="31"' in body, "what was typed is shown again"
    referral.refresh_from_db()
    assert referral.answers["dob"] == {"day": "31", "month": "2", "year": "2010"}, "and saved"
    assert referral.last_step == "person-birth"


def test_save_and_come_back_later_then_resume(client: Client) -> None:
    referral = start(client)
    response = client.post(f"/referrals/{referral.pk}/person-name",
                           {"action": "save", "first_names": "Ana", "last_name": ""})
    assert response["Location"] == reverse("referrals:list")
    listing = client.get(response["Location"]).content.decode()
    assert "Your answers have been saved" in listing
    assert "Ana" in listing
    resume = client.get(reverse("referrals:resume", kwargs={"referral_id": referral.pk}))
    assert resume["Location"] == f"/referrals/{referral.pk}/person-name"
    assert 'value="Ana"' in client.get(resume["Location"]).content.decode()


def test_language_guidance_appears_after_saving_and_never_blocks(client: Client) -> None:
    referral = start(client)
    url = f"/referrals/{referral.pk}/account"
    text = "He was a runner for a gang and is very streetwise."
    first = client.post(url, {"action": "continue", "account": text})
    body = first.content.decode()
    assert first.status_code == 200
    assert "Check the wording" in body
    assert "Your answer has been saved" in body
    assert "“runner”" in body
    assert "“streetwise”" in body
    assert "Instead:" in body
    second = client.post(url, {"action": "continue", "account": text, "guidance_shown": "runner;streetwise"})
    assert second.status_code == 302, "the same flags, already seen: carry on"
    referral.refresh_from_db()
    assert referral.answers["account"] == text


def test_change_links_return_to_check_your_answers(
        client: Client, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "adult", location="uk", exploitation_countries=[])
    url = f"/referrals/{referral.pk}/exploitation-where?return=check"
    page = client.get(url)
    assert f"/referrals/{referral.pk}/check" in page.content.decode()  # back link
    same = client.post(url, {"action": "continue", "return": "check", "location": "uk"})
    assert same["Location"] == f"/referrals/{referral.pk}/check"
    # A change that needs a new answer goes to that page first.
    changed = client.post(url, {"action": "continue", "return": "check", "location": "overseas"})
    assert changed["Location"] == f"/referrals/{referral.pk}/exploitation-where-overseas?return=check"


def test_a_failed_submit_lists_what_is_missing_and_loses_nothing(
        client: Client, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child", account="", safeguarding_actions="")
    response = client.post(reverse("referrals:submit", kwargs={"referral_id": referral.pk}))
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body
    assert "Describe what happened to the person" in body
    assert "/account?return=check#account" in body
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DRAFT
    assert referral.answers["first_names"] == "Ana"


def test_evidence_is_uploaded_without_javascript(
        client: Client, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child")
    url = f"/referrals/{referral.pk}/evidence"
    bad = client.post(url, {"action": "upload", "evidence_file": SimpleUploadedFile("x.exe", b"MZ")})
    assert bad.status_code == 400
    assert "must be a PDF, JPG, PNG, DOCX, ODT or TXT" in bad.content.decode()
    good = client.post(url, {"action": "upload", "evidence_description": "Photo of the room",
                             "evidence_file": SimpleUploadedFile("room.png", b"\x89PNG\r\n\x1a\n....")})
    assert good["Location"] == url
    page = client.get(url).content.decode()
    assert "room.png" in page
    assert "Photo of the room" in page
    attachment = referral.attachments.get()
    download = client.get(reverse("referrals:attachment", kwargs={"referral_id": referral.pk,
                                                                  "attachment_id": attachment.pk}))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert "attachment" in download["Content-Disposition"]
    client.post(reverse("referrals:attachment_remove", kwargs={"referral_id": referral.pk,
                                                               "attachment_id": attachment.pk}))
    assert not referral.attachments.exists()


def test_contributor_journey(client: Client, first_responder: User, make_user: Callable[..., User],
                             make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child")
    invited = client.post(reverse("referrals:contributors", kwargs={"referral_id": referral.pk}),
                          {"name": "Alex Morgan", "email": "alex@school.example", "organisation_name": "Teacher"})
    assert invited.status_code == 302
    token = referral.invitations.get().token
    teacher = sign_in(Client(), make_user(Role.CONTRIBUTOR, email="alex@school.example"))
    assert teacher.get(f"/referrals/{referral.pk}/account").status_code == 404, "contributors cannot edit answers"
    page = teacher.get(reverse("referrals:invitation", kwargs={"token": token}))
    assert page.status_code == 200
    assert b"Accept and continue" in page.content
    accepted = teacher.post(reverse("referrals:invitation", kwargs={"token": token}))
    assert accepted["Location"] == reverse("referrals:contribute", kwargs={"referral_id": referral.pk})
    empty = teacher.post(accepted["Location"], {"topic": "", "text": ""})
    assert empty.status_code == 400
    assert b"Enter what you know" in empty.content
    teacher.post(accepted["Location"], {"topic": "School", "text": "She is a runner for older boys."})
    mine = teacher.get(accepted["Location"]).content.decode()
    assert "She is a runner" in mine
    assert "Check the wording" in mine
    assert teacher.get(reverse("referrals:list")).status_code == 200
    assert teacher.post(reverse("referrals:submit", kwargs={"referral_id": referral.pk})).status_code == 404
    check = client.get(reverse("referrals:check", kwargs={"referral_id": referral.pk})).content.decode()
    assert "She is a runner for older boys." in check
    assert "Teacher" in check


def test_a_concern_from_someone_who_is_not_signed_in(client: Client) -> None:
    anonymous = Client()
    page = anonymous.get(reverse("referrals:concern_new"))
    assert page.status_code == 200
    missing = anonymous.post(reverse("referrals:concern_new"), {"summary": "worried"})
    body = missing.content.decode()
    assert missing.status_code == 400
    assert "Select how urgent this is" in body
    assert "worried" in body
    sent = anonymous.post(reverse("referrals:concern_new"), {
        "organisation": "police-e23000001", "urgency": "immediate", "summary": "A girl is kept in a flat.",
        "person_details": "", "raiser_name": "Jo Evans", "raiser_role": "Health visitor",
        "raiser_email": "jo@nhs.example", "raiser_phone": ""})
    assert sent["Location"] == reverse("referrals:concern_sent")
    assert b"Metropolitan Police" in anonymous.get(sent["Location"]).content
    concern = Concern.objects.get()
    inbox = client.get(reverse("referrals:concern_inbox")).content.decode()
    assert "Jo Evans" in inbox
    assert "Immediate danger" in inbox
    started = client.post(reverse("referrals:concern_start_referral", kwargs={"concern_id": concern.pk}))
    referral = Referral.objects.get(concern=concern)
    assert started["Location"] == f"/referrals/{referral.pk}/first-responder"
    assert "A girl is kept in a flat." in referral.answers["account"]


def test_pages_a_first_responder_cannot_use(make_user: Callable[..., User]) -> None:
    concerned = sign_in(Client(), make_user(Role.CONCERNED_PROFESSIONAL))
    # Their navigation offers "Ask a first responder to refer"; starting a referral is not theirs.
    assert concerned.get(reverse("referrals:start")).status_code == 404
    assert concerned.post(reverse("referrals:start")).status_code == 404
    assert concerned.get(reverse("referrals:concern_new")).status_code == 200
    assert concerned.get(reverse("referrals:concern_inbox")).status_code == 404
    assert Client().get(reverse("referrals:list"))["Location"].startswith("/sign-in")


def test_partner_inbox_shows_own_messages_and_acknowledges(
        first_responder: User, make_user: Callable[..., User], make_draft: Callable[..., Referral]) -> None:
    from nrm.referrals.services import referral_submit

    referral = make_draft(first_responder, "child")
    referral_submit(referral=referral, actor=first_responder)
    crime = OutboxMessage.objects.get(kind="crime_referral")
    manchester = sign_in(Client(), make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000005"))
    inbox = manchester.get(reverse("inbox:list")).content.decode()
    assert crime.subject in inbox
    assert "To acknowledge" in inbox
    detail = manchester.get(reverse("inbox:message", kwargs={"message_id": crime.pk})).content.decode()
    assert "Popescu" in detail
    assert "Acknowledge" in detail
    # The referral in the partner's words: the referrer is "First responder", values are names, not codes.
    assert "First responder" in detail
    assert "Your details" not in detail
    assert "Your police force area" not in detail
    assert "Local authority for children&#39;s social care" in detail
    assert "Camden" in detail
    manchester.post(reverse("inbox:acknowledge", kwargs={"message_id": crime.pk}), {"crime_reference": "GMP/26/0001"})
    crime.refresh_from_db()
    assert crime.acknowledged_at is not None
    camden = sign_in(Client(), make_user(Role.PARTNER_RECIPIENT, organisation="la-e09000007"))
    assert crime.subject not in camden.get(reverse("inbox:list") + "?show=all").content.decode()
    assert camden.get(reverse("inbox:message", kwargs={"message_id": crime.pk})).status_code == 404
    safeguarding = OutboxMessage.objects.get(kind="safeguarding")
    assert camden.get(reverse("inbox:message", kwargs={"message_id": safeguarding.pk})).status_code == 200
    assert sign_in(Client(), first_responder).get(reverse("inbox:list")).status_code == 404


def test_the_back_button_after_sending_shows_the_sent_referral(
        client: Client, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    from nrm.referrals.services import referral_submit

    referral = make_draft(first_responder, "child", account="He acted as a runner.")
    check = client.get(reverse("referrals:check", kwargs={"referral_id": referral.pk})).content.decode()
    assert "Check the wording of the account" in check, "advice, on the check page too"
    assert "“runner”" in check, "advice, on the check page too"
    referral_submit(referral=referral, actor=first_responder)
    for url in (f"/referrals/{referral.pk}/account", reverse("referrals:check", kwargs={"referral_id": referral.pk})):
        response = client.post(url, {"action": "continue", "account": "changed"})
        assert response["Location"] == reverse("referrals:confirmation", kwargs={"referral_id": referral.pk})
    referral.refresh_from_db()
    assert referral.answers["account"] == "He acted as a runner."


# --- A blank answer never wipes a saved one ----------------------------------------------------------

def _text_steps_with_required_answers() -> list[tuple[journey.Step, journey.Field]]:
    from nrm.referrals.tests.answer_sets import ADULT

    return [(step, f) for step in journey.journey_path(ADULT) for f in step.fields
            if f.kind in {journey.Kind.TEXT, journey.Kind.TEXTAREA, journey.Kind.EMAIL, journey.Kind.RADIOS}
            and f.applies(ADULT) and f.reveal is None and f.is_required(ADULT) and ADULT.get(f.name)]


@pytest.mark.parametrize("action", ["continue", "save", "autosave"])
@pytest.mark.parametrize(("step", "field"), _text_steps_with_required_answers()[:6],
                         ids=lambda x: getattr(x, "slug", getattr(x, "name", "")))
def test_sending_a_required_question_blank_keeps_the_saved_answer(
        client: Client, action: str, step: journey.Step, field: journey.Field) -> None:
    from nrm.referrals.tests.answer_sets import ADULT

    referral = start(client)
    referral.answers = dict(ADULT)
    referral.save(update_fields=["answers"])
    data = {**journey_form_data(step, ADULT), field.name: "", "action": action}
    response = client.post(f"/referrals/{referral.pk}/{step.slug}", data)
    if action == "continue":
        assert response.status_code == 400
        assert field.error in response.content.decode(), "the page says what is missing"
    referral.refresh_from_db()
    assert referral.answers[field.name] == ADULT[field.name], "the saved answer is still there"


def test_clearing_an_optional_answer_clears_it(client: Client) -> None:
    step = journey.STEPS_BY_SLUG["first-responder"]
    optional = journey.Field("note", journey.Kind.TEXT, "Note", required=False)
    saved = {"note": "kept?"}
    assert journey.values_to_save(journey.Step("x", "X", "S", (optional,)), {"note": ""}, saved) == {"note": ""}
    required = step.fields[0]
    assert journey.values_to_save(step, {required.name: ""}, {required.name: "Sam"}) == {}
    assert journey.values_to_save(step, {required.name: "Alex"}, {required.name: "Sam"}) == {required.name: "Alex"}


def test_every_long_answer_has_a_character_count_of_its_limit(client: Client) -> None:
    from nrm.referrals.tests.answer_sets import ADULT

    referral = start(client)
    referral.answers = dict(ADULT)
    referral.save(update_fields=["answers"])
    textareas = [(step, f) for step in journey.journey_path(ADULT) for f in step.fields
                 if f.kind == journey.Kind.TEXTAREA and journey.field_applies(f, step, ADULT)]
    assert textareas
    for step, f in textareas:
        page = client.get(f"/referrals/{referral.pk}/{step.slug}").content.decode()
        assert 'data-module="govuk-character-count"' in page, step.slug
        assert f'data-maxlength="{f.max_length}"' in page, step.slug
        assert f"You can enter up to {f.max_length} characters" in page, step.slug


def test_in_scotland_an_adult_who_does_not_consent_cannot_be_reported_and_the_page_says_what_to_do(
        client: Client) -> None:
    from nrm.referrals.tests.answer_sets import DUTY_TO_NOTIFY

    referral = start(client)
    answers = {**DUTY_TO_NOTIFY, "fr_police_force": "S23000009"}
    referral.answers = answers
    referral.save(update_fields=["answers"])
    consent = journey.STEPS_BY_SLUG["consent"]
    assert "no Duty to Notify" in client.get(f"/referrals/{referral.pk}/consent").content.decode()
    response = client.post(f"/referrals/{referral.pk}/consent", journey_form_data(consent, answers))
    assert response["Location"].endswith("/no-consent")
    page = client.get(response["Location"]).content.decode()
    assert "You work in Scotland" in page
    assert "Save and continue" not in page
    check = client.get(reverse("referrals:check", kwargs={"referral_id": referral.pk})).content.decode()
    assert "there is no Duty to Notify where you work" in check
    refused = client.post(reverse("referrals:submit", kwargs={"referral_id": referral.pk}))
    assert refused.status_code == 400
    assert not DutyToNotifyReport.objects.exists()
    assert Referral.objects.filter(pk=referral.pk, status=ReferralStatus.DRAFT).exists()


def test_duty_to_notify_reports_are_listed_for_the_organisation_only(make_user: Callable[..., User]) -> None:
    from nrm.reference.models import Organisation
    from nrm.referrals import selectors

    ours = Organisation.objects.filter(is_first_responder=True).order_by("slug")
    mine, theirs = ours[0], ours[1]
    report = DutyToNotifyReport.objects.create(report_date="2026-01-05", organisation=mine, gender="female",
                                               age_band="25 to 34", location_of_exploitation="uk")
    DutyToNotifyReport.objects.create(report_date="2026-01-05", organisation=theirs, gender="male",
                                      age_band="25 to 34", location_of_exploitation="uk")
    colleague = make_user(Role.FIRST_RESPONDER, organisation=mine.slug)
    assert list(selectors.duty_to_notify_reports_of(colleague)) == [report]
    other = make_user(Role.FIRST_RESPONDER, organisation=theirs.slug)
    assert report not in selectors.duty_to_notify_reports_of(other)
    analyst = make_user(Role.ANALYST)
    assert not selectors.duty_to_notify_reports_of(analyst).exists()
    references = {DutyToNotifyReport.objects.create(report_date="2026-01-05", organisation=mine, gender="male",
                                                    age_band="25 to 34", location_of_exploitation="uk").reference
                  for _ in range(50)}
    assert len(references) == 50, "random, unique references"


def test_the_task_list_page_links_each_section_and_is_where_a_draft_is_resumed(client: Client) -> None:
    from nrm.referrals.tests.answer_sets import ADULT

    referral = start(client)
    tasks_url = reverse("referrals:tasks", kwargs={"referral_id": referral.pk})
    assert tasks_url in client.get(reverse("referrals:list")).content.decode()
    page = client.get(tasks_url).content.decode()
    assert "govuk-task-list" in page
    assert "You have completed 1 of" in page, "the first responder's details are filled in from their account"
    assert "Cannot start yet" in page
    assert f'href="/referrals/{referral.pk}/first-responder"' in page
    referral.answers = dict(ADULT)
    referral.save(update_fields=["answers"])
    done = client.get(tasks_url).content.decode()
    assert "Cannot start yet" not in done
    assert "Check your answers and send" in done
    referral_submit_url = reverse("referrals:submit", kwargs={"referral_id": referral.pk})
    client.post(referral_submit_url)
    assert client.get(tasks_url)["Location"] == reverse("referrals:confirmation", kwargs={"referral_id": referral.pk})
