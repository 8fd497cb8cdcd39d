"""Public order disqualification requests (Nationality and Borders Act 2022, s.63): the request's
table tested without a database, then the services (raise with grounds, a different senior decides
with reasons, disqualifying ends the case's protections and its support), the pages and the
actions the case page offers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.cases import actions as a
from nrm.cases import services
from nrm.cases.actions import CaseCapabilities, actions_for
from nrm.cases.disqualification import (
    REQUEST_TRANSITIONS,
    DecideFacts,
    RaiseFacts,
    RequestEvent,
    RequestState,
    may_raise,
    next_request_state,
)
from nrm.cases.lifecycle import State
from nrm.cases.models import DisqualificationRequest, DisqualificationRequestStatus
from nrm.cases.tests.factories import make_case, make_staff
from nrm.core import rules
from nrm.core.errors import AccessDenied, GuardFailed, TransitionNotAllowed
from nrm.support.models import SupportReferral, SupportReferralStatus

RAISABLE = RaiseFacts(section_63_applies=True, case_may_be_disqualified=True, open_request=False,
                      grounds="Convicted of a serious offence.")
DECIDABLE = DecideFacts(reasons="The conviction is a threat to public order.", decided_by_raiser=False)

# --- The table, without a database ---------------------------------------------------------------


def test_the_states_are_the_models() -> None:
    assert {s.value: s.label for s in RequestState} == dict(DisqualificationRequestStatus.choices)


def test_a_request_is_raised_only_when_every_rule_allows() -> None:
    may_raise(RAISABLE)
    for facts, message in (
        (replace(RAISABLE, section_63_applies=False), "only from 30 January 2023"),
        (replace(RAISABLE, case_may_be_disqualified=False), "after a positive reasonable grounds"),
        (replace(RAISABLE, open_request=True), "already waiting"),
        (replace(RAISABLE, grounds="  "), "Enter the grounds"),
    ):
        with pytest.raises(GuardFailed, match=message):
            may_raise(facts)


@pytest.mark.parametrize("event", list(RequestEvent))
def test_a_request_is_decided_once_with_reasons_by_someone_else(event: RequestEvent) -> None:
    assert next_request_state(RequestState.REQUESTED, event, DECIDABLE) == REQUEST_TRANSITIONS[
        (RequestState.REQUESTED, event)]
    with pytest.raises(GuardFailed, match="Enter the reasons") as refused:
        next_request_state(RequestState.REQUESTED, event, replace(DECIDABLE, reasons=" "))
    assert refused.value.field == "reason"
    with pytest.raises(GuardFailed, match="a different senior decision maker"):
        next_request_state(RequestState.REQUESTED, event, replace(DECIDABLE, decided_by_raiser=True))
    for decided in (RequestState.DISQUALIFIED, RequestState.NOT_DISQUALIFIED):
        with pytest.raises(TransitionNotAllowed, match="already been decided"):
            next_request_state(decided, event, DECIDABLE)


@given(st.lists(st.tuples(st.sampled_from(list(RequestEvent)), st.booleans(), st.booleans()), max_size=8))
def test_random_decisions_end_in_at_most_one_outcome(steps: list[tuple[RequestEvent, bool, bool]]) -> None:
    state = RequestState.REQUESTED
    decided = 0
    for event, reasons, by_raiser in steps:
        facts = DecideFacts(reasons="Reasons." if reasons else "", decided_by_raiser=by_raiser)
        try:
            state = next_request_state(state, event, facts)
        except (GuardFailed, TransitionNotAllowed):
            continue
        assert reasons
        assert not by_raiser
        decided += 1
    assert decided <= 1
    assert (state == RequestState.REQUESTED) == (decided == 0)


def test_section_63_applies_from_30_january_2023() -> None:
    assert not rules.public_order_disqualification_applies(on=date(2023, 1, 29))
    assert rules.public_order_disqualification_applies(on=date(2023, 1, 30))


# --- What the case page offers ---------------------------------------------------------------------

CASEWORKER = CaseCapabilities(decision_maker=True)
SENIOR = CaseCapabilities(decision_maker=True, senior=True)


def test_the_request_and_its_decision_are_offered_by_actions_for() -> None:
    assert a.DISQUALIFICATION_REQUEST in actions_for(State.POSITIVE_RG, CASEWORKER)
    assert a.DISQUALIFICATION_REQUEST not in actions_for(State.AWAITING_RG, CASEWORKER)
    waiting = actions_for(State.POSITIVE_RG, CASEWORKER, disqualification_requested=True)
    assert a.DISQUALIFICATION_REQUEST not in waiting
    assert a.DISQUALIFICATION_DECIDE not in waiting, "a senior decides"
    assert a.DISQUALIFICATION_DECIDE in actions_for(State.AWAITING_CG, SENIOR, disqualification_requested=True)
    assert a.DISQUALIFICATION_DECIDE not in actions_for(State.NEGATIVE_CG, SENIOR, disqualification_requested=True)
    assert actions_for(State.POSITIVE_RG, CaseCapabilities(first_responder=True, reconsideration=True)) == []


# --- The services ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_raise_then_a_different_senior_disqualifies_and_support_ends() -> None:
    case = make_case(State.POSITIVE_RG, received_on=timezone.localdate() - timedelta(days=10),
                     rg_decided_on=timezone.localdate() - timedelta(days=8))
    raiser = make_staff(Role.SENIOR_DECISION_MAKER, "sca")
    with pytest.raises(AccessDenied):
        services.disqualification_request_raise(case=case, raised_by=make_staff(Role.CASEWORKER, "ieca"),
                                                ground="public_order", grounds="x")
    request = services.disqualification_request_raise(case=case, raised_by=raiser, ground="public_order",
                                                      grounds="Convicted of a serious offence.")
    assert request.status == DisqualificationRequestStatus.REQUESTED
    with pytest.raises(GuardFailed, match="already waiting"):
        services.disqualification_request_raise(case=case, raised_by=raiser, ground="public_order", grounds="y")
    with pytest.raises(AccessDenied):
        services.disqualification_request_decide(request=request, decided_by=case.built_by.decision_maker,
                                                 disqualify=True, reasons="r")
    with pytest.raises(GuardFailed, match="different senior"):
        services.disqualification_request_decide(request=request, decided_by=raiser, disqualify=True, reasons="r")
    senior = make_staff(Role.SENIOR_DECISION_MAKER, "sca")
    services.disqualification_request_decide(request=request, decided_by=senior, disqualify=True,
                                             reasons="The conviction is a threat to public order.")
    request.refresh_from_db()
    case.refresh_from_db()
    assert request.status == DisqualificationRequestStatus.DISQUALIFIED
    assert request.decided_by == senior
    assert case.state == State.DISQUALIFIED
    support = SupportReferral.objects.get(case=case)
    assert support.status == SupportReferralStatus.ENDED
    assert support.end_reason == "disqualified"
    assert set(AuditEvent.objects.filter(object_id=str(request.pk)).values_list("action", flat=True)) == {
        "case.disqualification_requested", "case.disqualification_decided"}


@pytest.mark.django_db
def test_a_decision_not_to_disqualify_leaves_the_case_and_support() -> None:
    case = make_case(State.AWAITING_CG)
    request = services.disqualification_request_raise(case=case, raised_by=case.built_by.decision_maker,
                                                      ground="bad_faith", grounds="The account was invented.")
    senior = make_staff(Role.SENIOR_DECISION_MAKER, "sca")
    services.disqualification_request_decide(request=request, decided_by=senior, disqualify=False,
                                             reasons="The evidence does not show bad faith.")
    request.refresh_from_db()
    case.refresh_from_db()
    assert request.status == DisqualificationRequestStatus.NOT_DISQUALIFIED
    assert case.state == State.AWAITING_CG
    assert SupportReferral.objects.get(case=case).status != SupportReferralStatus.ENDED
    # A new request may be raised once the last is decided.
    services.disqualification_request_raise(case=case, raised_by=case.built_by.decision_maker,
                                            ground="public_order", grounds="A new conviction.")


@pytest.mark.django_db
def test_no_request_before_section_63_or_before_a_positive_rg() -> None:
    early = make_case(State.POSITIVE_RG, received_on=date(2022, 12, 1), rg_decided_on=date(2022, 12, 5))
    with pytest.raises(GuardFailed, match="only from 30 January 2023"):
        services.disqualification_request_raise(case=early, raised_by=early.built_by.decision_maker,
                                                ground="public_order", grounds="x", today=date(2023, 1, 20))
    waiting = make_case(State.AWAITING_RG)
    with pytest.raises(GuardFailed, match="after a positive reasonable grounds"):
        services.disqualification_request_raise(case=waiting, raised_by=waiting.built_by.decision_maker,
                                                ground="public_order", grounds="x")
    assert not DisqualificationRequest.objects.exists()


@pytest.mark.django_db
def test_the_pages(client_for: Callable[..., Client]) -> None:
    case = make_case(State.AWAITING_CG)
    caseworker = client_for(case.built_by.decision_maker)
    detail = reverse("cases:detail", kwargs={"case_id": case.pk})
    ask = reverse("cases:disqualification_request", kwargs={"case_id": case.pk})
    decide = reverse("cases:disqualification_decide", kwargs={"case_id": case.pk})
    assert ask in caseworker.get(detail).content.decode()
    assert caseworker.get(ask).status_code == 200
    response = caseworker.post(ask, {"ground": "public_order", "reason": ""})
    assert response.status_code == 400
    assert caseworker.post(ask, {"ground": "public_order", "reason": "Convicted of arson."}).status_code == 302
    assert caseworker.get(decide).status_code == 404, "a caseworker does not decide"
    senior = client_for(make_staff(Role.SENIOR_DECISION_MAKER, "sca"))
    page = senior.get(detail).content.decode()
    assert decide in page
    assert "Convicted of arson." in page
    assert "Convicted of arson." in senior.get(decide).content.decode()
    response = senior.post(decide, {"ground": "do_not_disqualify", "reason": "Not a threat to public order."})
    assert response.status_code == 302
    assert "Not disqualified" in senior.get(detail).content.decode()
    assert senior.get(decide)["Location"] == detail, "nothing waits for a decision"


@pytest.mark.django_db
def test_requests_and_decisions_are_counted_in_the_statistics_extract() -> None:
    from nrm.stats.db_extract import build_extract, referral_pseudonym

    case = make_case(State.AWAITING_CG)
    today = timezone.localdate()
    request = services.disqualification_request_raise(case=case, raised_by=case.built_by.decision_maker,
                                                      ground="public_order", grounds="Convicted.",
                                                      today=today - timedelta(days=2))
    before = build_extract(as_of=today - timedelta(days=1)).disqualifications.to_pylist()
    assert before == [{"referral_id": referral_pseudonym(case.reference), "ground": "Public order",
                       "requested_date": today - timedelta(days=2), "outcome": None, "outcome_date": None}]
    services.disqualification_request_decide(request=request, decided_by=make_staff(Role.SENIOR_DECISION_MAKER, "sca"),
                                             disqualify=False, reasons="Not serious enough.", today=today)
    after = build_extract(as_of=today).disqualifications.to_pylist()
    assert [(r["outcome"], r["outcome_date"]) for r in after] == [("Not disqualified", today)]
    referral_ids = set(build_extract(as_of=today).referrals.column("referral_id").to_pylist())
    assert after[0]["referral_id"] in referral_ids
