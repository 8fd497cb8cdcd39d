"""Withdrawal and disqualification end support: the cases service announces the case's end
(``case_ended`` hook), and the support domain ends each live referral for that reason, closes its
open support, tells the provider; the competent authority sees where support stands on the case
page (``nrm.cases.selectors.case_support``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.cases.lifecycle import State
from nrm.cases.selectors import case_support
from nrm.cases.services import case_disqualify, case_withdraw
from nrm.core.errors import ServiceError
from nrm.notify.models import OutboxMessage
from nrm.reviews.tests import builders
from nrm.support import services
from nrm.support.models import EndReason, SupportEpisode, SupportReferral, SupportReferralStatus


def _accept_with_open_episode(referral: SupportReferral, provider: User) -> SupportEpisode:
    services.support_referral_respond(referral=referral, user=provider, accept=True, today=date(2024, 1, 11))
    return services.support_episode_record(referral=referral, user=provider, kind="accommodation",
                                           start_date=date(2024, 1, 11), today=date(2024, 1, 11))


def test_withdrawing_the_case_ends_accepted_support_and_its_open_episodes(
        referred: SupportReferral, provider: User, caseworkers: list[User]) -> None:
    episode = _accept_with_open_episode(referred, provider)
    case_withdraw(case=referred.case, actor=caseworkers[0], reason="The person withdrew consent.")
    referred.refresh_from_db()
    episode.refresh_from_db()
    today = timezone.localdate()
    assert referred.status == SupportReferralStatus.ENDED
    assert referred.end_reason == EndReason.CASE_WITHDRAWN
    assert referred.ended_on == today
    assert referred.ended_by == caseworkers[0]
    assert episode.end_date == today
    assert AuditEvent.objects.filter(action="support.ended_with_case", object_id=str(referred.pk)).exists()
    told = OutboxMessage.objects.get(dedupe_key=f"support-case-ended:{referred.pk}")
    assert told.recipient_organisation == referred.provider
    assert "withdrawn" in told.body


def test_disqualification_ends_support_not_yet_accepted(referred: SupportReferral, caseworkers: list[User]) -> None:
    case_disqualify(case=referred.case, actor=caseworkers[0], ground="public_order",
                    reasons="Convicted of a serious offence.")
    referred.refresh_from_db()
    assert referred.status == SupportReferralStatus.ENDED
    assert referred.end_reason == EndReason.DISQUALIFIED
    assert "section 63" in OutboxMessage.objects.get(dedupe_key=f"support-case-ended:{referred.pk}").body


def test_a_declined_referral_is_left_as_it_was(referred: SupportReferral, provider: User,
                                               caseworkers: list[User]) -> None:
    services.support_referral_respond(referral=referred, user=provider, accept=False, reason="No capacity.",
                                      today=date(2024, 1, 11))
    case_withdraw(case=referred.case, actor=caseworkers[0], reason="Withdrawn.")
    referred.refresh_from_db()
    assert referred.status == SupportReferralStatus.DECLINED
    assert referred.end_reason == ""
    assert not OutboxMessage.objects.filter(dedupe_key=f"support-case-ended:{referred.pk}").exists()


def test_ending_with_the_case_is_idempotent(referred: SupportReferral, caseworkers: list[User]) -> None:
    first = services.support_end_with_case(case=referred.case, outcome="withdrawn", on=date(2024, 2, 1))
    assert [r.pk for r in first] == [referred.pk]
    assert services.support_end_with_case(case=referred.case, outcome="withdrawn", on=date(2024, 2, 2)) == []
    referred.refresh_from_db()
    assert referred.ended_on == date(2024, 2, 1)


def test_a_withdrawal_the_lifecycle_refuses_leaves_support_alone(referred: SupportReferral,
                                                                caseworkers: list[User]) -> None:
    case = referred.case  # positive RG; a closed case cannot be withdrawn
    case.state = State.CLOSED
    case.save(update_fields=["state"])
    with pytest.raises(ServiceError):
        case_withdraw(case=case, actor=caseworkers[0], reason="Withdrawn.")
    referred.refresh_from_db()
    assert referred.status == SupportReferralStatus.OFFERED


def test_the_competent_authority_sees_the_support_status_on_the_case_page(
        referred: SupportReferral, provider: User, caseworkers: list[User],
        client_for: Callable[..., Client]) -> None:
    rows = case_support(referred.case)
    assert [(r.provider, r.status, r.live) for r in rows] == [
        (str(referred.provider), "Waiting for the provider to accept", True)]
    url = reverse("cases:detail", kwargs={"case_id": referred.case.pk})
    client = client_for(caseworkers[0])
    page = client.get(url).content.decode()
    assert "Waiting for the provider to accept" in page
    assert "Recovery period until at least" in page

    case_withdraw(case=referred.case, actor=caseworkers[0], reason="The person withdrew consent.")
    page = client.get(url).content.decode()
    assert "Support ended" in page
    assert "The competent authority withdrew the case" in page
    # The first responder's view of the case shows no support.
    first_responder = client_for(builders.user(Role.FIRST_RESPONDER, "police-e23000001"))
    assert "The competent authority withdrew the case" not in first_responder.get(url).content.decode()


def test_a_case_never_referred_for_support_says_so(caseworkers: list[User],
                                                   client_for: Callable[..., Client]) -> None:
    case = builders.build_case(received_on=date(2024, 1, 8), state=State.AWAITING_RG)
    page = client_for(caseworkers[0]).get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "The person has not been referred for support." in page
