"""Casework pages: access (SCA vs IECA, first responders), the queue, bad input, audit of views."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.cases import services
from nrm.cases.lifecycle import State
from nrm.cases.models import Case, Decision, DecisionLetter, InformationRequestStatus, Outcome
from nrm.cases.tests.factories import make_case, make_staff, rg_decide
from nrm.reviews.models import Review

pytestmark = pytest.mark.django_db

CASE_PAGES = [
    "cases:detail", "cases:allocate", "cases:rg_decision", "cases:cg_decision", "cases:rfi_new",
    "cases:note_new", "cases:reconsideration", "cases:withdraw", "cases:suspend", "cases:reactivate",
    "cases:disqualification_request", "cases:close", "cases:representative",
]


def _case_urls(case: Case) -> list[str]:
    urls = [reverse(name, kwargs={"case_id": case.pk}) for name in CASE_PAGES]
    for request in case.information_requests.all():
        urls.append(reverse("cases:rfi_answer", kwargs={"case_id": case.pk, "request_id": request.pk}))
        urls.append(reverse("cases:rfi_close", kwargs={"case_id": case.pk, "request_id": request.pk}))
    for letter in DecisionLetter.objects.filter(decision__case=case):
        urls.append(reverse("cases:letter", kwargs={"case_id": case.pk, "letter_id": letter.pk}))
        urls.append(reverse("cases:letter_pdf", kwargs={"case_id": case.pk, "letter_id": letter.pk}))
    return urls


def _rich_case(authority: str) -> Case:
    """A case with a served decision, letters and a request for information: every URL exists."""
    case = make_case(state=State.POSITIVE_RG, competent_authority=authority)
    services.information_request_send(case=case, requested_by=case.built_by.decision_maker, question="Q?")
    return case


@pytest.mark.parametrize(("own", "other"), [("sca", "IECA"), ("ieca", "SCA")])
@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.SENIOR_DECISION_MAKER])
def test_staff_of_one_authority_get_404_on_every_url_of_the_others_cases(
        client_for: Callable[..., Client], role: Role, own: str, other: str) -> None:
    case = _rich_case(other)
    client = client_for(role, organisation=own)
    urls = _case_urls(case)
    assert len(urls) >= len(CASE_PAGES) + 4
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "outcome": "positive", "rationale": "x"}).status_code in {404, 405}, url
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG
    assert _rows(client, reference=case.reference) == []


def test_staff_see_their_own_authoritys_case(client_for: Callable[..., Client]) -> None:
    case = _rich_case("IECA")
    client = client_for(Role.CASEWORKER, organisation="ieca")
    assert client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).status_code == 200


def test_first_responders_see_only_their_own_organisations_cases(client_for: Callable[..., Client]) -> None:
    own = _rich_case("SCA")
    theirs = make_case(state=State.POSITIVE_RG, first_responder_organisation="salvation-army")
    client = client_for(Role.FIRST_RESPONDER, organisation="police-e23000001")
    detail = client.get(reverse("cases:detail", kwargs={"case_id": own.pk}))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "Positive reasonable grounds decision" in page
    assert "Factory positive reasonable grounds decision." not in page  # the rationale is for the authority
    for url in _case_urls(theirs):
        assert client.get(url).status_code == 404, url
    listing = client.get(reverse("cases:queue")).content.decode()
    assert own.reference in listing
    assert theirs.reference not in listing
    # Authority-only pages of their own case are not theirs either.
    for name in ["cases:rg_decision", "cases:cg_decision", "cases:allocate", "cases:withdraw", "cases:note_new"]:
        assert client.get(reverse(name, kwargs={"case_id": own.pk})).status_code == 404, name
    # Their letter is readable, as HTML and as PDF.
    letter = DecisionLetter.objects.get(decision__case=own, recipient_organisation=own.first_responder_organisation)
    html = client.get(reverse("cases:letter", kwargs={"case_id": own.pk, "letter_id": letter.pk}))
    assert html.status_code == 200
    assert own.reference in html.content.decode()
    pdf = client.get(reverse("cases:letter_pdf", kwargs={"case_id": own.pk, "letter_id": letter.pk}))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_every_view_of_a_case_is_audited(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.AWAITING_RG)
    client = client_for(Role.CASEWORKER, organisation="sca")
    before = AuditEvent.objects.filter(case_id=case.pk, action="case.viewed").count()
    client.get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    client.get(reverse("cases:rg_decision", kwargs={"case_id": case.pk}))
    viewed = AuditEvent.objects.filter(case_id=case.pk, action="case.viewed").order_by("id")
    assert viewed.count() == before + 2
    assert [(e.after or {})["page"] for e in viewed][-2:] == ["detail", "rg_decision"]
    last = viewed.last()
    assert last is not None
    assert last.actor == client.user  # type: ignore[attr-defined]


# --- Bad input ---------------------------------------------------------------------------------


def test_the_old_casework_review_page_is_gone(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.RG_UNDER_REVIEW)
    old = f"/cases/{case.pk}/reasonable-grounds/review"
    with pytest.raises(Resolver404):
        resolve(old)
    with pytest.raises(NoReverseMatch):
        reverse("cases:rg_review", kwargs={"case_id": case.pk})
    senior = client_for(case.built_by.senior)
    assert senior.get(old).status_code == 404
    assert senior.post(old, {"agree": "yes", "rationale": "x"}).status_code == 404
    case.refresh_from_db()
    assert case.state == State.RG_UNDER_REVIEW


def test_the_case_page_links_a_senior_to_the_second_line_review(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.RG_UNDER_REVIEW)
    link = reverse("reviews:case_review", kwargs={"case_id": case.pk})
    page = client_for(case.built_by.senior).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert f'href="{link}"' in page.content.decode()
    review = Review.objects.get(case=case)
    response = client_for(case.built_by.senior).get(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:second_line_review", kwargs={"review_id": review.pk})
    # A caseworker is not offered the review, and the link finds nothing for them.
    caseworker = client_for(case.built_by.decision_maker)
    assert link not in caseworker.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert caseworker.get(link).status_code == 404


def test_no_reasonable_grounds_decision_is_offered_before_the_case_is_routed(
        client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.AWAITING_RG)
    Case.objects.filter(pk=case.pk).update(state=State.SUBMITTED)
    page = client_for(case.built_by.decision_maker).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert reverse("cases:rg_decision", kwargs={"case_id": case.pk}) not in page.content.decode()


def test_the_same_decision_maker_cannot_take_the_fresh_decision(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.RG_REFERRED_BACK)
    client = client_for(case.built_by.decision_maker)
    response = client.post(reverse("cases:rg_decision", kwargs={"case_id": case.pk}), {
        "outcome": "positive", "standard_applied": "suspects_but_cannot_prove", "rationale": "Fresh look.",
    })
    assert response.status_code == 400
    assert "A different decision maker must take the fresh decision" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.RG_REFERRED_BACK


def test_missing_fields_are_listed_and_linked(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.AWAITING_RG)
    client = client_for(Role.CASEWORKER, organisation="sca")
    response = client.post(reverse("cases:rg_decision", kwargs={"case_id": case.pk}), {"rationale": ""})
    page = response.content.decode()
    assert response.status_code == 400
    for text, anchor in [("Select whether the decision is positive or negative", "#outcome"),
                         ("Enter the rationale for the decision", "#rationale"),
                         ("Confirm that you applied the standard in force", "#standard_applied")]:
        assert text in page
        assert f'href="{anchor}"' in page


# --- Journeys through the pages ------------------------------------------------------------------


def test_rg_decision_through_the_page(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.AWAITING_RG)
    client = client_for(Role.CASEWORKER, organisation="sca")
    page = client.get(reverse("cases:rg_decision", kwargs={"case_id": case.pk})).content.decode()
    assert "suspects but cannot prove" in page
    response = client.post(reverse("cases:rg_decision", kwargs={"case_id": case.pk}), {
        "outcome": "positive", "standard_applied": "suspects_but_cannot_prove", "rationale": "Clear indicators.",
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG
    detail = client.get(response["Location"]).content.decode()
    assert "has been served" in detail
    assert "30 days from" in detail


def test_rfi_round_trip_through_the_pages(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.AWAITING_RG)
    caseworker = client_for(Role.CASEWORKER, organisation="sca")
    due = timezone.localdate() + timedelta(days=14)
    bad = caseworker.post(reverse("cases:rfi_new", kwargs={"case_id": case.pk}), {
        "question": "Where was the person working?", "due_on-day": "31", "due_on-month": "2", "due_on-year": "2030"})
    assert bad.status_code == 400
    assert "Date to answer by must be a real date" in bad.content.decode()
    assert 'href="#due_on-day"' in bad.content.decode()
    response = caseworker.post(reverse("cases:rfi_new", kwargs={"case_id": case.pk}), {
        "question": "Where was the person working?",
        "due_on-day": str(due.day), "due_on-month": str(due.month), "due_on-year": str(due.year)})
    assert response.status_code == 302
    request = case.information_requests.get()
    assert request.due_on == due
    fr = Client()
    from nrm.testing import sign_in

    sign_in(fr, case.built_by.first_responder)
    listing = fr.get(reverse("cases:information_requests")).content.decode()
    assert "Where was the person working?" in listing
    answer_url = reverse("cases:rfi_answer", kwargs={"case_id": case.pk, "request_id": request.pk})
    assert fr.post(answer_url, {"answer": ""}).status_code == 400
    assert fr.post(answer_url, {"answer": "At a nail bar in Croydon."}).status_code == 302
    request.refresh_from_db()
    assert request.status == InformationRequestStatus.ANSWERED
    detail = caseworker.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "At a nail bar in Croydon." in detail


def test_reconsideration_through_the_page(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.NEGATIVE_RG)
    from nrm.testing import sign_in

    fr = sign_in(Client(), case.built_by.first_responder)
    detail = fr.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "Ask for reconsideration" in detail
    response = fr.post(reverse("cases:reconsideration", kwargs={"case_id": case.pk}),
                       {"grounds": "The person has now disclosed debt bondage."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.RG_RECONSIDERATION


# --- Queue -------------------------------------------------------------------------------------


def _rows(client: Client, **query: str) -> list[str]:
    """The case references listed on the queue page, in order."""
    response = client.get(reverse("cases:queue"), query)
    assert response.status_code == 200
    return re.findall(r'<a class="govuk-link" href="/cases/[0-9a-f-]{36}">([^<]+)</a>', response.content.decode())


def test_queue_filters(client_for: Callable[..., Client], make_user: Callable[..., Any]) -> None:
    senior = make_user(Role.SENIOR_DECISION_MAKER, "sca")
    me = make_user(Role.CASEWORKER, "sca")
    child = make_case(state=State.AWAITING_RG, is_child=True, senior=senior)
    risky = make_case(state=State.AWAITING_RG, safety_risk=True, senior=senior, allocated_to=me)
    old = make_case(state=State.AWAITING_RG, received_on=timezone.localdate() - timedelta(days=60), senior=senior)
    cg = make_case(state=State.AWAITING_CG, senior=senior)
    ieca = make_case(state=State.AWAITING_RG, competent_authority="IECA")
    closed = make_case(state=State.NEGATIVE_RG, senior=senior)
    client = client_for(me)
    everything = _rows(client)
    assert set(everything) == {child.reference, risky.reference, old.reference, cg.reference}
    assert ieca.reference not in everything
    assert closed.reference not in everything
    assert everything[0] == cg.reference  # oldest RG target first
    assert _rows(client, child="yes") == [child.reference]
    assert set(_rows(client, child="no")) == {risky.reference, old.reference, cg.reference}
    assert _rows(client, safety_risk="yes") == [risky.reference]
    assert _rows(client, allocation="me") == [risky.reference]
    assert risky.reference not in _rows(client, allocation="unallocated")
    assert _rows(client, allocation=str(me.pk)) == [risky.reference]
    assert _rows(client, stage="awaiting_cg") == [cg.reference]
    assert _rows(client, rg_due="overdue") == [old.reference]  # a CG-stage case's old target does not count
    assert set(_rows(client, rg_due="later")) | set(_rows(client, rg_due="soon")) | set(
        _rows(client, rg_due="today")) == {child.reference, risky.reference}
    assert _rows(client, age="1m_3m") == [old.reference] + [cg.reference] * 0
    assert set(_rows(client, age="under_1w")) == {child.reference, risky.reference}
    assert _rows(client, reference=child.reference.lower()) == [child.reference]
    assert _rows(client, stage="nonsense", child="perhaps", rg_due="x", age="y", allocation="z") == everything
    assert AuditEvent.objects.filter(action="cases.queue_viewed", actor=me).exists()


def test_queue_keyset_pagination(client_for: Callable[..., Client]) -> None:
    from nrm.cases import selectors

    start = timezone.localdate() - timedelta(days=40)
    made = [make_case(state=State.AWAITING_RG, received_on=start + timedelta(days=i)) for i in range(7)]
    client = client_for(Role.CASEWORKER, organisation="sca")
    user = client.user  # type: ignore[attr-defined]
    filters = selectors.QueueFilters()
    first = selectors.case_queue(user, filters, page_size=3)
    assert first.previous_cursor is None
    assert first.next_cursor
    second = selectors.case_queue(user, filters, page_size=3, after=first.next_cursor)
    third = selectors.case_queue(user, filters, page_size=3, after=second.next_cursor)
    assert third.next_cursor is None
    seen = [r.case.pk for page in (first, second, third) for r in page.rows]
    expected = [c.pk for c in sorted(made, key=lambda c: (c.rg_target_date, str(c.pk)))]
    assert seen == expected
    back = selectors.case_queue(user, filters, page_size=3, before=second.previous_cursor)
    assert [r.case.pk for r in back.rows] == [r.case.pk for r in first.rows]
    assert "7 cases" in client.get(reverse("cases:queue")).content.decode()


def test_bulk_allocation_from_the_queue(client_for: Callable[..., Client], make_user: Callable[..., Any]) -> None:
    senior = make_user(Role.SENIOR_DECISION_MAKER, "sca")
    caseworker = make_user(Role.CASEWORKER, "sca")
    cases = [make_case(state=State.AWAITING_RG) for _ in range(3)]
    client = client_for(senior)
    queue = client.get(reverse("cases:queue")).content.decode()
    assert "Allocate selected cases" in queue
    response = client.post(reverse("cases:allocate_bulk"), {
        "cases": [str(c.pk) for c in cases[:2]], "caseworker": str(caseworker.pk), "return_query": "child=no"})
    assert response.status_code == 302
    assert response["Location"].endswith("?child=no")
    assert set(Case.objects.filter(allocated_to=caseworker)) == set(cases[:2])
    missing = client.post(reverse("cases:allocate_bulk"), {"cases": [str(cases[2].pk)], "caseworker": ""})
    assert missing.status_code == 400
    assert "Select who to allocate the cases to" in missing.content.decode()
    # A caseworker is not offered allocation, and the page is not there for them: nothing changes.
    other = client_for(caseworker)
    assert "Allocate selected cases" not in other.get(reverse("cases:queue")).content.decode()
    refused = other.post(reverse("cases:allocate_bulk"), {"cases": [str(cases[2].pk)],
                                                          "caseworker": str(caseworker.pk)})
    assert refused.status_code == 404
    cases[2].refresh_from_db()
    assert cases[2].allocated_to is None


def test_single_allocation_page(client_for: Callable[..., Client], make_user: Callable[..., Any]) -> None:
    senior = make_user(Role.SENIOR_DECISION_MAKER, "sca")
    caseworker = make_user(Role.CASEWORKER, "sca")
    case = make_case(state=State.AWAITING_CG)
    client = client_for(senior)
    url = reverse("cases:allocate", kwargs={"case_id": case.pk})
    assert caseworker.full_name in client.get(url).content.decode()
    assert client.post(url, {"caseworker": str(caseworker.pk)}).status_code == 302
    case.refresh_from_db()
    assert case.allocated_to == caseworker


# --- Other transitions through the pages --------------------------------------------------------


def test_suspend_reactivate_withdraw_disqualify_pages(client_for: Callable[..., Client]) -> None:
    client = client_for(Role.CASEWORKER, organisation="sca")
    case = make_case(state=State.AWAITING_CG)
    assert client.post(reverse("cases:suspend", kwargs={"case_id": case.pk}), {"reason": ""}).status_code == 400
    assert client.post(reverse("cases:suspend", kwargs={"case_id": case.pk}),
                       {"reason": "Missing since Monday."}).status_code == 302
    case.refresh_from_db()
    assert case.state == State.SUSPENDED
    assert client.post(reverse("cases:reactivate", kwargs={"case_id": case.pk}),
                       {"reason": "Found."}).status_code == 302
    case.refresh_from_db()
    assert case.state == State.AWAITING_CG
    # There is no direct disqualification any more: it is asked for, and a senior decides (s.63).
    with pytest.raises(NoReverseMatch):
        reverse("cases:disqualify", kwargs={"case_id": case.pk})
    assert client.post(f"/cases/{case.pk}/disqualify", {"ground": "public_order", "reason": "x"}).status_code == 404
    bad = client.post(reverse("cases:disqualification_request", kwargs={"case_id": case.pk}),
                      {"reason": "Serious offence."})
    assert bad.status_code == 400
    assert "Select the ground for disqualification" in bad.content.decode()
    assert "Serious offence." in bad.content.decode()
    assert client.post(reverse("cases:disqualification_request", kwargs={"case_id": case.pk}),
                       {"ground": "public_order", "reason": "Serious offence."}).status_code == 302
    case.refresh_from_db()
    assert case.state == State.AWAITING_CG
    assert case.disqualification_requests.get().status == "requested"
    other = make_case(state=State.AWAITING_RG)
    assert client.post(reverse("cases:withdraw", kwargs={"case_id": other.pk}),
                       {"reason": "Consent withdrawn."}).status_code == 302
    other.refresh_from_db()
    assert other.state == State.WITHDRAWN
    refused = client.post(reverse("cases:suspend", kwargs={"case_id": other.pk}), {"reason": "Missing."})
    assert refused.status_code == 400
    assert "cannot have" in refused.content.decode()


def test_notes_are_for_the_authority_only(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.AWAITING_RG)
    client = client_for(Role.CASEWORKER, organisation="sca")
    assert client.post(reverse("cases:note_new", kwargs={"case_id": case.pk}),
                       {"text": "Called the officer."}).status_code == 302
    assert "Called the officer." in client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    from nrm.testing import sign_in

    fr = sign_in(Client(), case.built_by.first_responder)
    assert "Called the officer." not in fr.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()


# --- Dashboard -----------------------------------------------------------------------------------


def test_dashboard_is_for_seniors(client_for: Callable[..., Client]) -> None:
    make_case(state=State.AWAITING_RG)
    make_case(state=State.AWAITING_CG)
    make_case(state=State.POSITIVE_CG)
    senior = client_for(Role.SENIOR_DECISION_MAKER, organisation="sca")
    response = senior.get(reverse("cases:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Single Competent Authority" in page
    assert "Immigration Enforcement" not in page
    totals = re.search(r'Total</th>\s*<td[^>]*><strong>(\d+)</strong></td>\s*<td[^>]*><strong>(\d+)</strong>', page)
    assert totals is not None
    assert totals.groups() == ("1", "1")
    assert client_for(Role.CASEWORKER, organisation="sca").get(reverse("cases:dashboard")).status_code == 404
    assert client_for(Role.FIRST_RESPONDER).get(reverse("cases:dashboard")).status_code == 404


def test_decision_via_page_creates_served_decision_letter_visible_in_detail(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.AWAITING_CG)
    client = client_for(Role.CASEWORKER, organisation="sca")
    response = client.post(reverse("cases:cg_decision", kwargs={"case_id": case.pk}),
                           {"outcome": "positive", "rationale": "Consistent account, corroborated."})
    assert response.status_code == 302
    detail = client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "read the letter" in detail
    decision = Decision.objects.get(case=case, stage="CG")
    assert decision.outcome == Outcome.POSITIVE


def test_rg_decision_factory_helper_matches_the_page() -> None:
    case = make_case(state=State.AWAITING_RG, competent_authority="IECA")
    decision = rg_decide(case, make_staff(Role.CASEWORKER, "ieca"), Outcome.NEGATIVE)
    assert decision.case.competent_authority == "IECA"


def test_recording_the_representative(client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.AWAITING_RG)
    client = client_for(Role.CASEWORKER, organisation="sca")
    url = reverse("cases:representative", kwargs={"case_id": case.pk})
    bad = client.post(url, {"representative_name": "Ada Solicitor", "representative_email": ""})
    assert bad.status_code == 400
    assert "Enter the representative&#39;s email address" in bad.content.decode()
    assert "Ada Solicitor" in bad.content.decode()
    assert client.post(url, {"representative_name": "Ada Solicitor",
                             "representative_email": "ada@example.org"}).status_code == 302
    case.refresh_from_db()
    assert case.representative_email == "ada@example.org"
    rg_decide(case, make_staff(Role.CASEWORKER, "sca"), Outcome.POSITIVE)
    assert DecisionLetter.objects.filter(decision__case=case, recipient_email="ada@example.org").exists()


@pytest.mark.parametrize("state", [State.CLOSED, State.WITHDRAWN, State.POSITIVE_CG, State.NEGATIVE_RG])
def test_a_reference_finds_the_case_at_any_stage(client_for: Callable[..., Client], state: State) -> None:
    """A concluded case is found by its reference, whatever the stage and other filters say."""
    case = make_case(state=state)
    others = make_case(state=state, competent_authority="IECA")
    client = client_for(Role.CASEWORKER, organisation="sca")
    assert case.reference not in _rows(client)
    assert _rows(client, reference=case.reference) == [case.reference]
    assert _rows(client, reference=case.reference.lower(), stage="awaiting_rg", child="yes") == [case.reference]
    assert _rows(client, reference=others.reference) == []
    page = client.get(reverse("cases:queue"), {"reference": case.reference}).content.decode()
    assert "No cases match" not in page
    assert "Decided" in page


def test_deciding_a_case_allocated_to_someone_else_takes_a_confirmation(
        client_for: Callable[..., Client], make_user: Callable[..., Any]) -> None:
    colleague = make_user(Role.CASEWORKER, "sca", full_name="Alex Colleague")
    case = make_case(state=State.AWAITING_RG, allocated_to=colleague)
    decision_maker = make_user(Role.CASEWORKER, "sca")
    client = client_for(decision_maker)
    url = reverse("cases:rg_decision", kwargs={"case_id": case.pk})
    page = client.get(url).content.decode()
    assert "govuk-warning-text" in page
    assert "This case is allocated to Alex Colleague" in page
    answers = {"outcome": "positive", "standard_applied": "suspects_but_cannot_prove", "rationale": "Credible."}
    refused = client.post(url, answers)
    assert refused.status_code == 400
    assert "Confirm that you are deciding a case allocated to Alex Colleague" in refused.content.decode()
    case.refresh_from_db()
    assert case.state == State.AWAITING_RG
    assert client.post(url, {**answers, "confirm_allocation": "yes"}).status_code == 302
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG


@pytest.mark.parametrize("allocated", ["self", "no one"])
def test_no_allocation_warning_on_ones_own_or_an_unallocated_case(
        client_for: Callable[..., Client], make_user: Callable[..., Any], allocated: str) -> None:
    decision_maker = make_user(Role.CASEWORKER, "sca")
    case = make_case(state=State.AWAITING_RG, allocated_to=decision_maker if allocated == "self" else None)
    client = client_for(decision_maker)
    url = reverse("cases:rg_decision", kwargs={"case_id": case.pk})
    assert "govuk-warning-text" not in client.get(url).content.decode()
    answers = {"outcome": "positive", "standard_applied": "suspects_but_cannot_prove", "rationale": "Credible."}
    assert client.post(url, answers).status_code == 302
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG


@pytest.mark.parametrize("state", [State.POSITIVE_RG, State.AWAITING_CG, State.AWAITING_RG, State.NEGATIVE_RG])
def test_the_first_responder_sees_when_the_recovery_period_ends(
        client_for: Callable[..., Client], state: State) -> None:
    from nrm.cases.selectors import recovery_period_end
    from nrm.core.jinja import govuk_date

    case = make_case(state=state)
    page = client_for(case.built_by.first_responder).get(
        reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    ends = recovery_period_end(case)
    if state in {State.POSITIVE_RG, State.AWAITING_CG}:
        assert ends is not None
        assert case.rg_date is not None
        assert (f'<span id="recovery-period">{case.recovery_period_days} days from {govuk_date(case.rg_date)}, '
                f'until {govuk_date(ends)}</span>') in page
    else:
        assert ends is None
        assert 'id="recovery-period"' not in page


def test_the_conclusive_grounds_form_is_closed_while_the_recovery_period_runs(
        client_for: Callable[..., Client]) -> None:
    case = make_case(state=State.POSITIVE_RG, received_on=timezone.localdate() - timedelta(days=3))
    client = client_for(case.built_by.decision_maker)
    url = reverse("cases:cg_decision", kwargs={"case_id": case.pk})
    detail = client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert url not in detail
    page = client.get(url).content.decode()
    assert "A conclusive grounds decision cannot be made before then" in page
    assert 'name="outcome"' not in page
    assert 'name="rationale"' not in page
    response = client.post(url, {"outcome": "positive", "rationale": "Too early."})
    assert response.status_code == 302
    assert response["Location"] == url
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG
    assert not Decision.objects.filter(case=case, stage="CG").exists()
    ran = make_case(state=State.POSITIVE_RG, received_on=timezone.localdate() - timedelta(days=100))
    ran_url = reverse("cases:cg_decision", kwargs={"case_id": ran.pk})
    assert ran_url in client_for(ran.built_by.decision_maker).get(
        reverse("cases:detail", kwargs={"case_id": ran.pk})).content.decode()
    assert 'name="outcome"' in client_for(ran.built_by.decision_maker).get(ran_url).content.decode()
