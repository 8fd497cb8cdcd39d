"""A child's support goes where someone sees it: after a positive reasonable grounds decision on a
child's case, the support referral goes to the children's services of the local authority where
the child lives; its children's services users find it in their partner inbox (to acknowledge,
like a safeguarding notification) and answer it on the support pages, for their own
organisation's children only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from nrm.accounts.capabilities import CAPABILITIES, Capability, may
from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.cases.lifecycle import State
from nrm.core.errors import ServiceError
from nrm.core.policy import int_value
from nrm.core.workdays import add_working_days
from nrm.notify.models import MessageKind, OutboxMessage
from nrm.notify.selectors import partner_inbox_for
from nrm.notify.services import outbox_remind_unacknowledged
from nrm.reviews.tests import builders
from nrm.support.models import ProviderType, SupportReferral, SupportReferralStatus

RG = date(2024, 1, 10)
CAMDEN = "la-e09000007"


@pytest.fixture
def child_referred(caseworkers: list[User]) -> SupportReferral:
    case = builders.build_case(received_on=date(2024, 1, 8), state=State.AWAITING_RG, is_child=True,
                               child_local_authority="E09000007",
                               answers={**builders.ANSWERS, "first_names": "Ana"})
    builders.positive_rg(case, caseworkers[0], decided_on=RG)
    return SupportReferral.objects.get(case=case)


def test_the_childrens_services_role_supports_and_receives_partner_messages() -> None:
    granted = CAPABILITIES[Role.CHILDRENS_SERVICES]
    assert Capability.PROVIDE_SUPPORT in granted
    assert Capability.RECEIVE_PARTNER_MESSAGES in granted
    assert Capability.PROVIDE_SUPPORT not in CAPABILITIES[Role.PARTNER_RECIPIENT], "not police crime units"


def test_local_authorities_and_trusts_may_hold_the_role(make_user: Callable[..., User]) -> None:
    for slug in (CAMDEN, "hsct-belfast"):
        user = make_user(Role.CHILDRENS_SERVICES, organisation=slug)
        assert may(user, Capability.PROVIDE_SUPPORT)
    with pytest.raises(ServiceError, match="cannot hold the role"):
        make_user(Role.CHILDRENS_SERVICES, organisation="police-e23000001")


def test_the_support_referral_reaches_the_childrens_services_inbox_to_acknowledge(
        child_referred: SupportReferral, make_user: Callable[..., User]) -> None:
    assert child_referred.provider.slug == CAMDEN
    assert child_referred.provider_type == ProviderType.LOCAL_AUTHORITY
    message = OutboxMessage.objects.get(dedupe_key=f"support-referral:{child_referred.pk}")
    assert message.kind == MessageKind.SUPPORT
    assert message.requires_acknowledgement
    assert message.acknowledge_by == add_working_days(RG, int_value("partner_ack_working_days", on=RG), "england")

    camden = make_user(Role.CHILDRENS_SERVICES, organisation=CAMDEN)
    assert message in partner_inbox_for(camden)
    assert message not in partner_inbox_for(make_user(Role.CHILDRENS_SERVICES, organisation="la-e09000001"))
    assert message not in partner_inbox_for(make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000001"))

    # Not acknowledged in time: one reminder, in the same inbox.
    assert message.acknowledge_by is not None
    assert outbox_remind_unacknowledged(today=message.acknowledge_by + timedelta(days=1)) >= 1
    reminder = OutboxMessage.objects.get(dedupe_key=f"reminder:{message.pk}")
    assert reminder in partner_inbox_for(camden)


def test_an_adults_support_referral_needs_no_acknowledgement(caseworkers: list[User]) -> None:
    case = builders.build_case(received_on=date(2024, 1, 8), state=State.AWAITING_RG)
    builders.positive_rg(case, caseworkers[0], decided_on=RG)
    referral = SupportReferral.objects.get(case=case)
    message = OutboxMessage.objects.get(dedupe_key=f"support-referral:{referral.pk}")
    assert not message.requires_acknowledgement
    assert message.acknowledge_by is None


def test_childrens_services_answer_from_the_inbox_on_the_support_pages(
        child_referred: SupportReferral, make_user: Callable[..., User],
        client_for: Callable[..., Client]) -> None:
    camden = make_user(Role.CHILDRENS_SERVICES, organisation=CAMDEN)
    client = client_for(camden)
    inbox = client.get(reverse("inbox:list")).content.decode()
    assert f"New support referral: case {child_referred.case.reference}" in inbox
    message = OutboxMessage.objects.get(dedupe_key=f"support-referral:{child_referred.pk}")
    page = client.get(reverse("inbox:message", kwargs={"message_id": message.pk})).content.decode()
    person_url = reverse("support:person", kwargs={"referral_id": child_referred.pk})
    assert person_url in page

    listing = client.get(reverse("support:list")).content.decode()
    assert "Ana Example" in listing
    assert "Child" in listing
    assert client.get(person_url).status_code == 200
    assert client.post(reverse("support:respond", kwargs={"referral_id": child_referred.pk}),
                       {"response": "accept"}).status_code == 302
    child_referred.refresh_from_db()
    assert child_referred.status == SupportReferralStatus.ACCEPTED
    assert child_referred.responded_by == camden


def test_other_organisations_and_roles_do_not_reach_the_childs_support(
        child_referred: SupportReferral, make_user: Callable[..., User],
        client_for: Callable[..., Client]) -> None:
    person_url = reverse("support:person", kwargs={"referral_id": child_referred.pk})
    elsewhere = client_for(make_user(Role.CHILDRENS_SERVICES, organisation="la-e09000001"))
    assert "Ana Example" not in elsewhere.get(reverse("support:list")).content.decode()
    assert elsewhere.get(person_url).status_code == 404
    crime_unit = client_for(make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000001"))
    assert crime_unit.get(reverse("support:list")).status_code == 404
    assert crime_unit.get(person_url).status_code == 404
    # A partner recipient of the same council (not its children's services) reads the message but
    # is not offered the support pages.
    council = make_user(Role.PARTNER_RECIPIENT, organisation=CAMDEN)
    message = OutboxMessage.objects.get(dedupe_key=f"support-referral:{child_referred.pk}")
    page = client_for(council).get(reverse("inbox:message", kwargs={"message_id": message.pk})).content.decode()
    assert person_url not in page
