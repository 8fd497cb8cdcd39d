"""Casework services: decisions, reviews, recovery period, requests for information,
reconsideration, the other transitions, allocation, letters and audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.cases import selectors, services
from nrm.cases.jobs import recovery_periods_end
from nrm.cases.lifecycle import State
from nrm.cases.models import (
    Case,
    Decision,
    DecisionLetter,
    DecisionStatus,
    InformationRequestStatus,
    Outcome,
    StatusChange,
)
from nrm.cases.tests.factories import BuiltCase, cg_decide, make_case, make_staff, rg_decide
from nrm.core.errors import AccessDenied, GuardFailed, ServiceError, TransitionNotAllowed
from nrm.notify.models import OutboxMessage
from nrm.support.models import SupportReferral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _actions(case: Case) -> list[str]:
    return list(AuditEvent.objects.filter(case_id=case.pk).order_by("id").values_list("action", flat=True))


# --- Reasonable grounds ------------------------------------------------------------------------


@pytest.mark.parametrize(("decided_on", "days", "ends"), [
    (date(2022, 6, 1), 45, date(2022, 7, 16)),
    (date(2023, 6, 1), 30, date(2023, 7, 1)),
    (date(2023, 1, 29), 45, date(2023, 3, 15)),  # the last day of the 45-day policy
    (date(2023, 1, 30), 30, date(2023, 3, 1)),  # the first day of the 30-day policy
])
def test_recovery_period_follows_the_policy_in_force_on_the_rg_date(decided_on: date, days: int, ends: date) -> None:
    case = make_case(state=State.AWAITING_RG, received_on=decided_on - timedelta(days=3))
    decision = rg_decide(case, case.built_by.decision_maker, Outcome.POSITIVE, on=decided_on)
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG
    assert case.rg_date == decided_on
    assert case.recovery_period_days == days
    assert decision.policy["recovery_period_days"] == days
    assert selectors.recovery_period_end(case) == ends


@pytest.mark.parametrize(("decided_on", "outcome", "words"), [
    (date(2023, 1, 29), Outcome.POSITIVE, "before the Nationality and Borders Act 2022"),
    (date(2023, 1, 30), Outcome.POSITIVE, "s.60 objective factors"),
    (date(2023, 7, 23), Outcome.NEGATIVE, "s.60 objective factors"),
    (date(2023, 7, 24), Outcome.POSITIVE, "revised after judicial review"),
])
def test_an_rg_decision_records_the_guidance_it_was_made_under_and_its_letter_says_so(
        decided_on: date, outcome: Outcome, words: str) -> None:
    case = make_case(state=State.AWAITING_RG, received_on=decided_on - timedelta(days=3))
    decision = rg_decide(case, case.built_by.decision_maker, outcome, on=decided_on)
    guidance = decision.policy["rg_guidance_version"]
    assert words in guidance
    if outcome == Outcome.NEGATIVE:
        _apply_review(case, agree=True, rationale="Agreed.", on=decided_on)
    letter = DecisionLetter.objects.get(decision=decision)
    assert "Guidance applied" in letter.html
    assert guidance in letter.html
    message = OutboxMessage.objects.get(kind="decision_letter", about_id=str(letter.pk))
    assert case.reference in message.subject
    assert "Sign in to Open NRM" in message.body
    assert guidance not in message.body, "the email says a letter is ready; the letter is read in the service"
    assert outcome.value not in (message.subject + message.body).lower(), "the email names no outcome"


def test_a_cg_decision_records_no_rg_guidance_and_its_letter_shows_none() -> None:
    case = make_case(state=State.AWAITING_CG)
    decision = cg_decide(case, case.built_by.decision_maker, Outcome.POSITIVE)
    assert "rg_guidance_version" not in decision.policy
    assert "Guidance applied" not in DecisionLetter.objects.get(decision=decision).html


def test_positive_rg_is_served_with_letters_to_the_first_responder_and_the_representative() -> None:
    case = make_case(state=State.AWAITING_RG, representative_name="A Solicitor",
                     representative_email="rep@example.org")
    decision = rg_decide(case, case.built_by.decision_maker, Outcome.POSITIVE)
    assert decision.status == DecisionStatus.SERVED
    assert decision.served_on == TODAY()
    assert decision.policy["within_target"] is True
    letters = list(DecisionLetter.objects.filter(decision=decision).order_by("recipient_email"))
    assert [letter.recipient_email for letter in letters] == ["", "rep@example.org"]
    assert letters[0].recipient_organisation == case.first_responder_organisation
    assert (letters[0].pdf_content() or b"").startswith(b"%PDF")
    assert not bytes(letters[0].pdf).startswith(b"%PDF"), "stored sealed"
    assert case.reference in letters[0].html
    assert "Recovery period" in letters[0].html
    messages = OutboxMessage.objects.filter(kind="decision_letter", about_id__in=[str(x.pk) for x in letters])
    assert messages.count() == 2
    assert {m.recipient_email for m in messages} >= {"rep@example.org"}
    assert messages.filter(recipient_organisation=case.first_responder_organisation).exists()
    assert "case.rg_decision_recorded" in _actions(case)


def test_rg_target_is_measured_in_working_days_of_the_case_nation() -> None:
    # Received Friday 22 December 2023; Christmas and Boxing Day are bank holidays in England.
    case = make_case(state=State.AWAITING_RG, received_on=date(2023, 12, 22))
    assert case.rg_target_date == date(2024, 1, 3)
    decision = rg_decide(case, case.built_by.decision_maker, Outcome.POSITIVE, on=date(2024, 1, 4))
    assert decision.policy["working_days_from_referral"] == 6
    assert decision.policy["within_target"] is False


def test_negative_rg_waits_for_second_line_review_and_is_not_served() -> None:
    case = make_case(state=State.AWAITING_RG)
    decision = rg_decide(case, case.built_by.decision_maker, Outcome.NEGATIVE)
    case.refresh_from_db()
    assert case.state == State.RG_UNDER_REVIEW
    assert decision.status == DecisionStatus.PROPOSED
    assert decision.served_on is None
    assert not DecisionLetter.objects.filter(decision=decision).exists()
    assert [r.code for r in decision.reasons.all()] == ["rg_no_indicators"]


def _apply_review(case: BuiltCase, *, agree: bool, rationale: str, on: date | None = None) -> Decision:
    """The cases half of concluding a review (the reviews domain checks the rules and calls it)."""
    decision = services.case_proposed_decision(case)
    assert decision is not None
    return services.case_apply_review_outcome(case=case, decision=decision, reviewer=case.built_by.senior,
                                              agree=agree, rationale=rationale, on=on or TODAY())


def test_review_agree_serves_the_negative_rg_with_letters() -> None:
    case = make_case(state=State.RG_UNDER_REVIEW)
    decision = _apply_review(case, agree=True, rationale="The decision is sound.")
    case.refresh_from_db()
    assert case.state == State.NEGATIVE_RG
    assert decision.status == DecisionStatus.SERVED
    assert decision.reviewed_by == case.built_by.senior
    letter = DecisionLetter.objects.get(decision=decision)
    assert "No indicators of modern slavery" in letter.html
    assert "Reconsideration" in letter.html


def test_review_disagree_refers_back_for_a_fresh_decision_by_someone_else() -> None:
    case = make_case(state=State.RG_UNDER_REVIEW, allocated_to=None)
    built = case.built_by
    decision = _apply_review(case, agree=False, rationale="The account of coercion was not weighed.")
    case.refresh_from_db()
    assert case.state == State.RG_REFERRED_BACK
    assert decision.status == DecisionStatus.OVERTURNED
    with pytest.raises(GuardFailed, match="A different decision maker must take the fresh decision"):
        rg_decide(case, built.decision_maker, Outcome.POSITIVE)
    fresh = rg_decide(case, make_staff(Role.CASEWORKER, "sca"), Outcome.POSITIVE)
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG
    assert fresh.status == DecisionStatus.SERVED


def test_rg_decision_input_is_checked() -> None:
    case = make_case(state=State.AWAITING_RG)
    dm = case.built_by.decision_maker
    base: dict[str, Any] = {"case": case, "decision_maker": dm, "standard_applied": "suspects_but_cannot_prove",
                            "rationale": "Reasons."}
    with pytest.raises(ServiceError, match="at least one reason") as error:
        services.case_record_rg_decision(**base, outcome="negative", reasons=[])
    assert error.value.field == "reasons"
    with pytest.raises(ServiceError, match="no reasons for refusal"):
        services.case_record_rg_decision(**base, outcome="positive", reasons=["rg_no_indicators"])
    with pytest.raises(ServiceError, match="not a reasonable grounds reason"):
        services.case_record_rg_decision(**base, outcome="negative", reasons=["cg_credibility"])
    with pytest.raises(ServiceError, match="positive or negative"):
        services.case_record_rg_decision(**base, outcome="maybe", reasons=[])
    with pytest.raises(ServiceError, match="Enter the rationale"):
        services.case_record_rg_decision(**{**base, "rationale": " "}, outcome="positive", reasons=[])
    with pytest.raises(ServiceError, match="today or in the past"):
        services.case_record_rg_decision(**base, outcome="positive", reasons=[], decided_on=TODAY() + timedelta(1))
    with pytest.raises(ServiceError, match="on or after the date the referral was received"):
        services.case_record_rg_decision(**base, outcome="positive", reasons=[],
                                         decided_on=case.received_on - timedelta(days=1))
    case.refresh_from_db()
    assert case.state == State.AWAITING_RG
    assert not Decision.objects.filter(case=case).exists()


def test_the_standard_applied_must_be_the_one_in_force_on_the_decision_date() -> None:
    case = make_case(state=State.AWAITING_RG, received_on=date(2023, 3, 1))
    with pytest.raises(ServiceError, match="based on objective factors") as error:
        services.case_record_rg_decision(case=case, decision_maker=case.built_by.decision_maker, outcome="positive",
                                         standard_applied="suspects_but_cannot_prove", reasons=[],
                                         rationale="r", decided_on=date(2023, 3, 2))
    assert error.value.field == "standard_applied"
    decision = services.case_record_rg_decision(
        case=case, decision_maker=case.built_by.decision_maker, outcome="positive",
        standard_applied="objective_factors", reasons=[], rationale="r", decided_on=date(2023, 3, 2))
    assert "objective factors" in decision.standard_applied


def test_only_the_case_authority_decision_makers_may_decide() -> None:
    case = make_case(state=State.AWAITING_RG)
    for user in (case.built_by.first_responder, make_staff(Role.CASEWORKER, "ieca"),
                 make_staff(Role.SUPPORT_PROVIDER, "vcc-salvation-army")):
        with pytest.raises(AccessDenied, match="Only a caseworker or senior decision maker at the Single"):
            rg_decide(case, user, Outcome.POSITIVE)
    case.refresh_from_db()
    assert case.state == State.AWAITING_RG


def test_opening_a_case_routes_it_through_the_table_with_its_status_change() -> None:
    case = make_case(state=State.AWAITING_RG, received_on=date(2024, 3, 1))
    change = StatusChange.objects.get(case=case)
    assert (change.event, change.from_state, change.to_state) == ("route", "submitted", "awaiting_rg")
    assert change.occurred_on == date(2024, 3, 1)
    assert change.actor == case.built_by.first_responder
    routed = AuditEvent.objects.get(case_id=case.pk, action="case.routed").after
    assert routed is not None
    assert routed["state"] == "awaiting_rg"
    assert routed["rg_target_date"] == "2024-03-08"


def test_a_submitted_case_is_routed_before_its_rg_decision() -> None:
    case = make_case(state=State.SUBMITTED)
    rg_decide(case, case.built_by.decision_maker, Outcome.POSITIVE)
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG
    assert list(StatusChange.objects.filter(case=case).values_list("event", flat=True)) == ["route", "rg_positive"]


# --- Conclusive grounds ------------------------------------------------------------------------


def test_cg_before_the_recovery_period_ends_is_refused_and_nothing_changes() -> None:
    case = make_case(state=State.POSITIVE_RG)
    with pytest.raises(GuardFailed, match="recovery period of 30 days"):
        cg_decide(case, case.built_by.decision_maker, Outcome.POSITIVE)
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG
    assert not Decision.objects.filter(case=case, stage="CG").exists()


def test_cg_while_an_information_request_is_open_is_refused() -> None:
    case = make_case(state=State.AWAITING_CG)
    request = services.information_request_send(case=case, requested_by=case.built_by.decision_maker,
                                                question="Please send the medical report.")
    with pytest.raises(GuardFailed, match="1 request for further information is still open"):
        cg_decide(case, case.built_by.decision_maker, Outcome.POSITIVE)
    services.information_request_answer(information_request=request, answered_by=case.built_by.first_responder,
                                        answer="Attached to the NGO's note.")
    decision = cg_decide(case, case.built_by.decision_maker, Outcome.POSITIVE)
    case.refresh_from_db()
    assert case.state == State.POSITIVE_CG
    assert case.cg_date == TODAY()
    assert decision.status == DecisionStatus.SERVED
    letter = DecisionLetter.objects.get(decision=decision)
    assert "Move-on support" in letter.html
    assert "at least 45 days of move-on support" in letter.html


def test_cg_may_be_made_from_positive_rg_once_the_period_has_run() -> None:
    case = make_case(state=State.POSITIVE_RG, received_on=TODAY() - timedelta(days=60))
    cg_decide(case, case.built_by.decision_maker, Outcome.POSITIVE)
    case.refresh_from_db()
    assert case.state == State.POSITIVE_CG


def test_negative_cg_goes_to_independent_review_before_it_is_served() -> None:
    case = make_case(state=State.AWAITING_CG)
    decision = cg_decide(case, case.built_by.decision_maker, Outcome.NEGATIVE)
    case.refresh_from_db()
    assert case.state == State.CG_UNDER_REVIEW
    assert decision.status == DecisionStatus.PROPOSED
    assert decision.policy["independent_review_mode"] == "second_line"
    assert not DecisionLetter.objects.filter(decision=decision).exists()
    _apply_review(case, agree=True, rationale="Agreed.")
    case.refresh_from_db()
    decision.refresh_from_db()
    assert case.state == State.NEGATIVE_CG
    assert decision.status == DecisionStatus.SERVED
    assert DecisionLetter.objects.filter(decision=decision).count() == 1


def test_the_recovery_period_job_moves_only_cases_whose_period_has_run() -> None:
    ran = make_case(state=State.POSITIVE_RG, received_on=TODAY() - timedelta(days=40))
    running = make_case(state=State.POSITIVE_RG)
    assert recovery_periods_end() == 1
    ran.refresh_from_db()
    running.refresh_from_db()
    assert ran.state == State.AWAITING_CG
    assert running.state == State.POSITIVE_RG
    assert "case.recovery_period_ended" in _actions(ran)
    assert recovery_periods_end() == 0


def test_the_recovery_period_job_is_registered() -> None:
    from nrm.core.periodic import _JOBS

    assert "cases.recovery_periods_end" in _JOBS


# --- Requests for information ------------------------------------------------------------------


def test_information_request_round_trip(make_user: Callable[..., Any]) -> None:
    caseworker = make_user(Role.CASEWORKER, "sca")
    case = make_case(state=State.AWAITING_RG, allocated_to=caseworker)
    request = services.information_request_send(case=case, requested_by=caseworker,
                                                question="When did the person arrive in the UK?")
    assert request.addressed_to == case.first_responder_organisation
    assert request.due_on > TODAY()
    assert OutboxMessage.objects.filter(kind="information_request",
                                        recipient_organisation=case.first_responder_organisation).exists()
    other_org_fr = make_staff(Role.FIRST_RESPONDER, "salvation-army")
    with pytest.raises(AccessDenied):
        services.information_request_answer(information_request=request, answered_by=other_org_fr, answer="x")
    services.information_request_answer(information_request=request, answered_by=case.built_by.first_responder,
                                        answer="In March 2023.")
    request.refresh_from_db()
    assert request.status == InformationRequestStatus.ANSWERED
    assert OutboxMessage.objects.filter(recipient_email=caseworker.email, about_id=str(request.pk)).exists()
    with pytest.raises(ServiceError, match="already been answered"):
        services.information_request_answer(information_request=request,
                                            answered_by=case.built_by.first_responder, answer="again")
    assert _actions(case)[-2:] == ["information_request.sent", "information_request.answered"]


def test_information_request_checks() -> None:
    case = make_case(state=State.AWAITING_RG)
    with pytest.raises(ServiceError, match="must be in the future"):
        services.information_request_send(case=case, requested_by=case.built_by.decision_maker, question="q",
                                          due_on=TODAY())
    with pytest.raises(AccessDenied):
        services.information_request_send(case=case, requested_by=case.built_by.first_responder, question="q")
    request = services.information_request_send(case=case, requested_by=case.built_by.decision_maker, question="q")
    services.information_request_close(information_request=request, closed_by=case.built_by.decision_maker,
                                       reason="No longer needed.")
    request.refresh_from_db()
    assert request.status == InformationRequestStatus.CLOSED
    closed = make_case(state=State.NEGATIVE_RG)
    with pytest.raises(ServiceError, match="cannot be requested now"):
        services.information_request_send(case=closed, requested_by=closed.built_by.decision_maker, question="q")


# --- Reconsideration ---------------------------------------------------------------------------


def test_reconsideration_by_the_first_responder_then_a_fresh_decision_by_someone_else() -> None:
    case = make_case(state=State.NEGATIVE_RG)
    built = case.built_by
    stranger = make_staff(Role.FIRST_RESPONDER, "salvation-army")
    with pytest.raises(AccessDenied):
        services.case_request_reconsideration(case=case, requested_by=stranger, grounds="x")
    request = services.case_request_reconsideration(case=case, requested_by=built.first_responder,
                                                    grounds="New evidence of debt bondage.")
    case.refresh_from_db()
    assert case.state == State.RG_RECONSIDERATION
    assert request.decision is not None
    assert request.decision.status == DecisionStatus.SERVED
    with pytest.raises(GuardFailed, match="different decision maker"):
        rg_decide(case, built.decision_maker, Outcome.POSITIVE)
    fresh = rg_decide(case, make_staff(Role.CASEWORKER, "sca"), Outcome.POSITIVE)
    request.decision.refresh_from_db()
    assert request.decision.status == DecisionStatus.RECONSIDERED
    assert fresh.status == DecisionStatus.SERVED
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG


def test_a_support_provider_may_ask_for_reconsideration_of_a_negative_cg() -> None:
    case = make_case(state=State.NEGATIVE_CG)
    provider = make_staff(Role.SUPPORT_PROVIDER, "vcc-salvation-army")
    assert list(SupportReferral.objects.filter(case=case).values_list("provider__slug", flat=True)) == [
        "vcc-salvation-army"]  # from the positive RG
    other_provider = make_staff(Role.SUPPORT_PROVIDER, "support-tara")
    with pytest.raises(AccessDenied):  # the person was never referred to it for support
        services.case_request_reconsideration(case=case, requested_by=other_provider, grounds="x")
    request = services.case_request_reconsideration(case=case, requested_by=provider, grounds="A medical report.")
    case.refresh_from_db()
    assert case.state == State.CG_RECONSIDERATION
    assert request.stage == "CG"
    assert request.requested_by_organisation is not None
    assert request.requested_by_organisation.slug == "vcc-salvation-army"


def test_reconsideration_only_of_a_served_negative_decision() -> None:
    case = make_case(state=State.POSITIVE_RG)
    with pytest.raises(TransitionNotAllowed):
        services.case_request_reconsideration(case=case, requested_by=case.built_by.first_responder, grounds="x")


# --- Withdrawal, suspension, disqualification, closing -----------------------------------------


def test_withdrawal_tells_the_first_responder() -> None:
    case = make_case(state=State.AWAITING_CG)
    with pytest.raises(ServiceError, match="Enter the reasons"):
        services.case_withdraw(case=case, actor=case.built_by.decision_maker, reason="")
    services.case_withdraw(case=case, actor=case.built_by.decision_maker, reason="Consent withdrawn.")
    case.refresh_from_db()
    assert case.state == State.WITHDRAWN
    told = OutboxMessage.objects.get(recipient_organisation=case.first_responder_organisation, about_id=str(case.pk))
    assert case.reference in told.subject
    assert "withdrawal" in told.body
    assert "Consent withdrawn" not in told.body
    assert [c.reason for c in StatusChange.objects.filter(case=case, to_state="withdrawn")] == ["Consent withdrawn."]


@pytest.mark.parametrize("before", [State.AWAITING_RG, State.POSITIVE_RG, State.AWAITING_CG, State.RG_REFERRED_BACK])
def test_suspension_and_reactivation_return_the_case_to_where_it_was(before: State) -> None:
    case = make_case(state=State.SUSPENDED, suspended_from=before)
    assert case.suspended_from == before
    services.case_reactivate(case=case, actor=case.built_by.decision_maker, reason="The person has been found.")
    case.refresh_from_db()
    assert case.state == before
    assert case.suspended_from == ""


def test_a_case_under_review_cannot_be_suspended() -> None:
    case = make_case(state=State.RG_UNDER_REVIEW)
    with pytest.raises(TransitionNotAllowed, match="cannot have 'suspend'"):
        services.case_suspend(case=case, actor=case.built_by.decision_maker, reason="Missing.")


def test_disqualification_only_after_a_positive_rg_with_ground_and_reasons() -> None:
    early = make_case(state=State.AWAITING_RG)
    with pytest.raises(TransitionNotAllowed):
        services.case_disqualify(case=early, actor=early.built_by.decision_maker, ground="bad_faith", reasons="r")
    case = make_case(state=State.AWAITING_CG, representative_email="rep@example.org")
    with pytest.raises(ServiceError, match="Select the ground"):
        services.case_disqualify(case=case, actor=case.built_by.decision_maker, ground="", reasons="r")
    with pytest.raises(ServiceError, match="Enter the reasons"):
        services.case_disqualify(case=case, actor=case.built_by.decision_maker, ground="bad_faith", reasons=" ")
    services.case_disqualify(case=case, actor=case.built_by.decision_maker, ground="bad_faith",
                             reasons="The claim was fabricated to frustrate removal.")
    case.refresh_from_db()
    assert case.state == State.DISQUALIFIED
    change = StatusChange.objects.get(case=case, to_state="disqualified")
    assert change.ground == "bad_faith"
    to_representative = OutboxMessage.objects.get(recipient_email="rep@example.org", about_id=str(case.pk))
    assert case.reference in to_representative.subject, "the representative is told, by reference"
    for text in ("fabricated", "disqualif", "Bad faith"):
        assert text.lower() not in (to_representative.subject + to_representative.body).lower(), (
            "no outcome or reasons to an address nobody verified")


def test_closing_a_concluded_case() -> None:
    case = make_case(state=State.CLOSED)
    assert case.state == State.CLOSED
    with pytest.raises(TransitionNotAllowed):
        services.case_withdraw(case=case, actor=case.built_by.decision_maker, reason="x")


# --- Allocation ----------------------------------------------------------------------------------


def test_allocation_by_seniors_to_staff_of_the_same_authority() -> None:
    cases = [make_case(state=State.AWAITING_RG) for _ in range(3)]
    senior = cases[0].built_by.senior
    caseworker = make_staff(Role.CASEWORKER, "sca")
    with pytest.raises(AccessDenied, match="Only a senior decision maker"):
        services.case_allocate(cases=cases, caseworker=caseworker, allocated_by=caseworker)
    with pytest.raises(ServiceError, match="is not a caseworker at the Single Competent Authority"):
        services.case_allocate(cases=cases, caseworker=make_staff(Role.CASEWORKER, "ieca"), allocated_by=senior)
    assert services.case_allocate(cases=cases, caseworker=caseworker, allocated_by=senior) == 3
    assert Case.objects.filter(allocated_to=caseworker).count() == 3
    assert services.case_allocate(cases=cases[:1], caseworker=None, allocated_by=senior) == 1
    assert Case.objects.filter(allocated_to=caseworker).count() == 2
    concluded = make_case(state=State.NEGATIVE_RG)
    with pytest.raises(ServiceError, match="Only open cases"):
        services.case_allocate(cases=[concluded], caseworker=caseworker, allocated_by=senior)
    assert AuditEvent.objects.filter(action="case.allocated", case_id=cases[1].pk).exists()


# --- Audit -----------------------------------------------------------------------------------------


def test_every_change_is_an_audit_event_on_the_case() -> None:
    case = make_case(state=State.NEGATIVE_CG)
    actions = _actions(case)
    for expected in ("case.opened", "case.routed", "case.rg_decision_recorded", "case.recovery_period_ended",
                     "case.cg_decision_recorded", "case.review_concluded"):
        assert expected in actions


def test_a_decision_agreed_on_review_is_served_on_the_date_given() -> None:
    case = make_case(state=State.AWAITING_RG, received_on=date(2024, 3, 1))
    decision = rg_decide(case, case.built_by.decision_maker, Outcome.NEGATIVE, on=date(2024, 3, 4))
    _apply_review(case, agree=True, rationale="", on=date(2024, 3, 6))
    decision.refresh_from_db()
    assert decision.served_on == date(2024, 3, 6)
    assert decision.reviewed_on == date(2024, 3, 6)
    letter = DecisionLetter.objects.get(decision=decision)
    assert "6 March 2024" in letter.html


def test_the_timeline_shows_a_sealed_reason_as_typed_and_as_erased_once_the_key_is_gone() -> None:
    case = make_case(state=State.AWAITING_RG)
    services.case_withdraw(case=case, actor=case.built_by.decision_maker, reason="The person asked to withdraw.")
    stored = AuditEvent.objects.filter(action="case.withdrawn", object_id=str(case.pk)).get().after or {}
    assert "The person asked" not in str(stored.get("reason")), "the audit log holds the reason sealed"
    texts = [entry.text for entry in selectors.case_timeline(case)]
    assert any("reason: The person asked to withdraw." in t for t in texts), texts
    admin = make_staff(Role.ADMINISTRATOR, "service-team")
    services.case_erase(case=case, actor=admin, reason="Erasure request ER-1")
    texts = [entry.text for entry in selectors.case_timeline(Case.objects.get(pk=case.pk))]
    assert not any("The person asked" in t for t in texts)
    assert any("reason: Erased" in t for t in texts), texts
