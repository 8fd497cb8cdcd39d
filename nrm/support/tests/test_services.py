"""Support: referral after a positive RG, the provider's response, episodes, assessments,
move-on support after a positive CG, and ending support."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pytest

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.analytics import extract_schema as xs
from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.core.errors import AccessDenied, GuardFailed, ServiceError, TransitionNotAllowed
from nrm.notify.models import OutboxMessage
from nrm.reviews.tests import builders
from nrm.support import selectors, services
from nrm.support.models import (
    AssessmentOutcome,
    EndReason,
    ProviderType,
    SupportEpisode,
    SupportKind,
    SupportReferral,
    SupportReferralStatus,
)

RG = date(2024, 1, 10)
CG = date(2024, 3, 1)


def _accept(referral: SupportReferral, provider: User) -> SupportReferral:
    return services.support_referral_respond(referral=referral, user=provider, accept=True, today=RG)


def test_a_positive_rg_refers_an_adult_to_the_victim_care_contract(referred: SupportReferral) -> None:
    assert referred.provider.slug == "vcc-salvation-army"
    assert referred.provider_type == ProviderType.VICTIM_CARE_CONTRACT
    assert referred.status == SupportReferralStatus.OFFERED
    assert referred.referred_on == RG
    # The 2024 recovery period (30 days since 30 January 2023), from the RG date.
    assert referred.recovery_period_days == 30
    assert referred.recovery_period_ends_on == RG + timedelta(days=30)
    assert not referred.account_shared
    message = OutboxMessage.objects.get(dedupe_key=f"support-referral:{referred.pk}")
    assert message.recipient_organisation == referred.provider
    assert "Maria" not in message.body  # no personal details by email


def test_the_recovery_period_follows_the_policy_of_the_rg_date(caseworkers: list[User]) -> None:
    case = builders.build_case(received_on=date(2021, 5, 4), state=State.AWAITING_RG)
    builders.positive_rg(case, caseworkers[0], decided_on=date(2021, 5, 6))
    referral = SupportReferral.objects.get(case=case)
    assert referral.recovery_period_days == 45


@pytest.mark.parametrize(("cg_on", "days"), [(date(2019, 9, 26), 14), (date(2019, 9, 27), 45)])
def test_move_on_support_follows_the_policy_of_the_cg_date(cg_on: date, days: int, caseworkers: list[User]) -> None:
    case = builders.build_case(received_on=date(2019, 6, 3), state=State.AWAITING_RG)
    builders.positive_rg(case, caseworkers[0], decided_on=date(2019, 6, 5))
    decision = builders.positive_cg(case, caseworkers[1], decided_on=cg_on)
    referral = SupportReferral.objects.get(case=case)
    assert (referral.move_on_days, referral.move_on_until) == (days, cg_on + timedelta(days=days))
    assert referral.policy["move_on_support_min_days"] == days
    # The decision letter promises the same number of days the provider must keep to.
    letter = decision.letters.first()
    assert letter is not None
    assert f"at least {days} days of move-on support" in letter.html


def test_opening_is_idempotent(referred: SupportReferral) -> None:
    again = services.support_referral_open(case=referred.case, opened_on=RG)
    assert again is not None
    assert again.pk == referred.pk
    assert SupportReferral.objects.filter(case=referred.case).count() == 1


def test_a_child_is_referred_to_local_authority_childrens_services(caseworkers: list[User]) -> None:
    case = builders.build_case(received_on=date(2024, 1, 8), state=State.AWAITING_RG, is_child=True,
                               child_local_authority="E09000007")
    builders.positive_rg(case, caseworkers[0], decided_on=RG)
    referral = SupportReferral.objects.get(case=case)
    assert referral.provider.slug == "la-e09000007"
    assert referral.provider_type == ProviderType.LOCAL_AUTHORITY


def test_a_child_with_no_local_authority_is_flagged_to_the_competent_authority(caseworkers: list[User]) -> None:
    case = builders.build_case(received_on=date(2024, 1, 8), state=State.AWAITING_RG, is_child=True)
    builders.positive_rg(case, caseworkers[0], decided_on=RG)  # the decision still stands
    assert not SupportReferral.objects.filter(case=case).exists()
    assert OutboxMessage.objects.filter(dedupe_key__startswith=f"support-no-provider:{case.pk}",
                                        recipient_organisation__slug="sca").exists()


def test_adults_in_scotland_and_northern_ireland_go_to_their_nations_providers(caseworkers: list[User]) -> None:
    scotland = builders.build_case(received_on=date(2024, 1, 8), state=State.AWAITING_RG, nation="scotland",
                                   answers={**builders.ANSWERS, "gender": "male"})
    builders.positive_rg(scotland, caseworkers[0], decided_on=RG)
    assert SupportReferral.objects.get(case=scotland).provider.slug == "support-migrant-help-scotland"
    ni = builders.build_case(received_on=date(2024, 1, 8), state=State.AWAITING_RG, nation="northern_ireland")
    builders.positive_rg(ni, caseworkers[0], decided_on=RG)
    assert SupportReferral.objects.get(case=ni).provider.slug == "support-belfast-lisburn-womens-aid"


def test_the_provider_accepts_or_declines_with_a_reason(referred: SupportReferral, provider: User) -> None:
    other = builders.user(Role.SUPPORT_PROVIDER, "support-tara")
    with pytest.raises(AccessDenied):
        services.support_referral_respond(referral=referred, user=other, accept=True, today=RG)
    with pytest.raises(ServiceError) as error:
        services.support_referral_respond(referral=referred, user=provider, accept=False, reason=" ", today=RG)
    assert error.value.field == "reason"
    declined = services.support_referral_respond(referral=referred, user=provider, accept=False,
                                                 reason="No bed space in the area", today=RG)
    assert declined.status == SupportReferralStatus.DECLINED
    assert OutboxMessage.objects.filter(dedupe_key=f"support-declined:{referred.pk}",
                                        recipient_organisation__slug="sca").exists()
    with pytest.raises(TransitionNotAllowed, match="already responded"):
        services.support_referral_respond(referral=referred, user=provider, accept=True, today=RG)


def test_support_episodes_and_assessments_are_recorded(referred: SupportReferral, provider: User) -> None:
    with pytest.raises(GuardFailed, match="Accept the referral"):
        services.support_episode_record(referral=referred, user=provider, kind="accommodation", start_date=RG,
                                        today=RG)
    _accept(referred, provider)
    episode = services.support_episode_record(referral=referred, user=provider, kind=SupportKind.ACCOMMODATION,
                                              start_date=RG, today=date(2024, 1, 12))
    with pytest.raises(ServiceError) as error:
        services.support_episode_record(referral=referred, user=provider, kind="outreach",
                                        start_date=date(2024, 2, 1), today=date(2024, 1, 12))
    assert error.value.field == "start_date"
    with pytest.raises(ServiceError):
        services.support_episode_record(referral=referred, user=provider, kind="massage", start_date=RG, today=RG)
    services.support_episode_end(episode=episode, user=provider, end_date=date(2024, 1, 20),
                                 today=date(2024, 1, 21))
    with pytest.raises(ServiceError) as error:
        services.support_assessment_record(referral=referred, user=provider, assessed_on=date(2024, 1, 15),
                                           outcome=AssessmentOutcome.ONGOING_NEEDS, today=date(2024, 1, 21))
    assert error.value.field == "support_needed_until"
    assessment = services.support_assessment_record(
        referral=referred, user=provider, assessed_on=date(2024, 1, 15), outcome=AssessmentOutcome.NEEDS_MET,
        support_needed_until=date(2024, 9, 1), today=date(2024, 1, 21))
    assert assessment.support_needed_until is None  # only ongoing needs carry a date


def test_support_cannot_end_before_the_conclusive_grounds_decision(referred: SupportReferral,
                                                                   provider: User) -> None:
    _accept(referred, provider)
    with pytest.raises(GuardFailed, match="continues until the conclusive grounds decision"):
        services.support_end(referral=referred, user=provider, ended_on=date(2024, 2, 20),
                             reason=EndReason.NEEDS_MET, today=date(2024, 2, 20))
    ended = services.support_end(referral=referred, user=provider, ended_on=date(2024, 2, 20),
                                 reason=EndReason.LEFT_UK, today=date(2024, 2, 20))
    assert ended.status == SupportReferralStatus.ENDED


@pytest.fixture
def move_on(referred: SupportReferral, provider: User, caseworkers: list[User]) -> SupportReferral:
    _accept(referred, provider)
    services.support_episode_record(referral=referred, user=provider, kind=SupportKind.OUTREACH, start_date=RG,
                                    today=RG)
    builders.positive_cg(referred.case, caseworkers[1], decided_on=CG)
    referred.refresh_from_db()
    return referred


def test_a_positive_cg_gives_at_least_45_days_of_move_on_support(move_on: SupportReferral) -> None:
    # Since 27 September 2019: at least 45 days after a positive CG (with the recovery period, the
    # minimum of 90 days of support the 2019 reform announced).
    assert move_on.move_on_from == CG
    assert move_on.move_on_days == 45
    assert move_on.move_on_until == CG + timedelta(days=45)
    assert selectors.support_dates(move_on).must_continue_until == date(2024, 4, 15)
    assert move_on.policy["move_on_support_min_days"] == 45
    assert OutboxMessage.objects.filter(dedupe_key__startswith=f"support-move-on:{move_on.pk}").exists()


def test_ending_move_on_support_early_is_refused_without_a_permitted_reason(move_on: SupportReferral,
                                                                          provider: User) -> None:
    with pytest.raises(GuardFailed) as refusal:
        services.support_end(referral=move_on, user=provider, ended_on=date(2024, 4, 1),
                             reason=EndReason.NEEDS_MET, today=date(2024, 4, 1))
    assert refusal.value.field == "ended_on"
    assert refusal.value.message.startswith("You cannot end support before 15 April 2024.")
    assert "at least 45 days of move-on support" in refusal.value.message
    move_on.refresh_from_db()
    assert move_on.status == SupportReferralStatus.ACCEPTED
    with pytest.raises(ServiceError) as error:
        services.support_end(referral=move_on, user=provider, ended_on=date(2024, 4, 1),
                             reason=EndReason.TRANSFERRED, today=date(2024, 4, 1))
    assert error.value.field == "details"
    ended = services.support_end(referral=move_on, user=provider, ended_on=date(2024, 4, 1),
                                 reason=EndReason.TRANSFERRED, details="Moved to Scotland: TARA",
                                 today=date(2024, 4, 1))
    assert ended.status == SupportReferralStatus.ENDED
    assert not SupportEpisode.objects.filter(referral=ended, end_date__isnull=True).exists()


def test_support_may_end_once_the_move_on_period_is_over(move_on: SupportReferral, provider: User) -> None:
    with pytest.raises(GuardFailed, match="before 15 April 2024"):
        services.support_end(referral=move_on, user=provider, ended_on=date(2024, 4, 14),
                             reason=EndReason.PERIOD_COMPLETE, today=date(2024, 4, 17))
    ended = services.support_end(referral=move_on, user=provider, ended_on=date(2024, 4, 15),
                                 reason=EndReason.PERIOD_COMPLETE, today=date(2024, 4, 17))
    assert ended.ended_on == date(2024, 4, 15)


def test_an_assessment_of_ongoing_needs_extends_the_date(move_on: SupportReferral, provider: User) -> None:
    services.support_assessment_record(referral=move_on, user=provider, assessed_on=date(2024, 5, 1),
                                       outcome=AssessmentOutcome.ONGOING_NEEDS,
                                       support_needed_until=date(2024, 8, 31), today=date(2024, 5, 1))
    assert selectors.support_dates(move_on).must_continue_until == date(2024, 8, 31)
    with pytest.raises(GuardFailed, match="before 31 August 2024"):
        services.support_end(referral=move_on, user=provider, ended_on=date(2024, 6, 3),
                             reason=EndReason.PERIOD_COMPLETE, today=date(2024, 6, 3))


def test_providers_are_reminded_before_support_may_end(move_on: SupportReferral) -> None:
    assert services.support_remind_ending(today=date(2024, 3, 20)) == 0
    assert services.support_remind_ending(today=date(2024, 4, 1)) == 1  # 14 days before
    assert services.support_remind_ending(today=date(2024, 4, 2)) == 0
    assert services.support_remind_ending(today=date(2024, 4, 12)) == 1  # 3 days before
    reminders = OutboxMessage.objects.filter(kind="reminder", recipient_organisation=move_on.provider)
    assert reminders.count() == 2
    assert all("15 April 2024" in r.subject for r in reminders)


def test_the_periodic_job_is_registered() -> None:
    from nrm.core.periodic import _JOBS
    from nrm.support import jobs  # noqa: F401

    assert "support.remind_ending" in _JOBS


def test_a_provider_sees_only_the_people_referred_to_it(referred: SupportReferral, provider: User) -> None:
    other = builders.user(Role.SUPPORT_PROVIDER, "support-tara")
    assert list(selectors.support_referrals_for(provider)) == [referred]
    assert not selectors.support_referrals_for(other).exists()
    caseworker = builders.user(Role.CASEWORKER, "sca")
    assert not selectors.support_referrals_for(caseworker).exists()


def test_the_provider_sees_no_account_of_exploitation_unless_it_is_shared(referred: SupportReferral, provider: User,
                                                                        caseworkers: list[User]) -> None:
    summary = selectors.person_summary(referred, reader=provider)
    shown = " ".join(f"{section.title} {r.label} {' '.join(r.lines)}"
                     for section in [*summary.sections, *summary.account] for r in section.rows)
    assert summary.name == "Maria Example"
    assert "Romanian" in shown
    assert "Through her support worker only" in shown
    assert "false job offer" not in shown
    assert "Labour" not in shown
    assert "Indicators of exploitation" not in shown  # decision reasoning is never shown
    with pytest.raises(AccessDenied):
        services.support_share_account(referral=referred, actor=builders.user(Role.SUPPORT_PROVIDER,
                                                                                 "vcc-salvation-army"))
    services.support_share_account(referral=referred, actor=caseworkers[0])
    referred.refresh_from_db()
    summary = selectors.person_summary(referred, reader=provider)
    assert any("false job offer" in line for section in summary.account for r in section.rows for line in r.lines)


def test_support_extract_rows_fit_the_schema(move_on: SupportReferral, provider: User) -> None:
    services.support_assessment_record(referral=move_on, user=provider, assessed_on=date(2024, 3, 4),
                                       outcome=AssessmentOutcome.NEEDS_MET, today=date(2024, 3, 4))
    rows = selectors.support_extract_rows()
    table = pa.Table.from_pylist(rows, schema=xs.SUPPORT)
    assert table.num_rows == 2
    kinds = {r["kind"] for r in rows}
    assert kinds == {"Outreach", "Recovery needs assessment"}
    assert kinds <= set(xs.SUPPORT_KINDS)
    assert {r["provider_type"] for r in rows} == {"Victim care contract"}
    assessment = next(r for r in rows if r["kind"] == "Recovery needs assessment")
    assert assessment["outcome"] == "Needs met"
    assert all(r["referral_id"] == str(move_on.case.referral_id) for r in rows)


def test_the_case_is_not_touched_by_support(move_on: SupportReferral) -> None:
    case = Case.objects.get(pk=move_on.case_id)
    assert case.state == State.POSITIVE_CG


def test_after_a_negative_cg_is_served_the_provider_is_told_and_support_may_end(
        referred: SupportReferral, provider: User, caseworkers: list[User]) -> None:
    from nrm.cases.tests.factories import review_conclude

    _accept(referred, provider)
    builders.negative_cg(referred.case, caseworkers[1], decided_on=CG)
    senior = builders.user(Role.SENIOR_DECISION_MAKER, "sca")
    review_conclude(referred.case, senior, agree=True, rationale="Agreed.")
    assert OutboxMessage.objects.filter(dedupe_key__startswith=f"support-negative-cg:{referred.pk}").exists()
    dates = selectors.support_dates(referred)
    assert dates.must_continue_until is None
    assert not dates.awaiting_conclusive_grounds
    today = date.today()
    ended = services.support_end(referral=referred, user=provider, ended_on=today,
                                 reason=EndReason.NEGATIVE_DECISION, today=today)
    assert ended.status == SupportReferralStatus.ENDED
