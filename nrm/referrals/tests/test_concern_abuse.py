"""The anonymous "ask for a referral" form cannot be used to send email to an address a visitor
types, and is rate-limited per address."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from nrm.accounts.roles import Role
from nrm.notify.models import OutboxMessage
from nrm.reference.models import Organisation
from nrm.referrals.models import Concern

pytestmark = pytest.mark.django_db
VICTIM = "someone.else@example.com"


def concern(organisation: str = "police-e23000001", email: str = VICTIM) -> dict[str, str]:
    return {"organisation": organisation, "urgency": "standard", "summary": "Worried about a neighbour",
            "person_details": "", "raiser_name": "A Teacher", "raiser_email": email,
            "raiser_phone": "", "raiser_role": "Teacher"}


def test_a_typed_address_receives_nothing(settings: Any) -> None:
    settings.NRM_CONCERN_LIMIT_PER_HOUR = 100
    for _ in range(15):
        assert Client().post(reverse("referrals:concern_new"), concern()).status_code == 302
    assert not OutboxMessage.objects.filter(recipient_email=VICTIM).exists()
    organisation = Organisation.objects.get(slug="police-e23000001")
    recipients = set(OutboxMessage.objects.values_list("recipient_email", flat=True))
    assert recipients <= {organisation.inbox_email or ""}
    assert set(OutboxMessage.objects.values_list("recipient_organisation", flat=True)) == {organisation.pk}


def test_the_page_does_not_promise_an_email_to_a_visitor() -> None:
    client = Client()
    client.post(reverse("referrals:concern_new"), concern())
    body = client.get(reverse("referrals:concern_sent")).content.decode()
    assert "Request sent" in body
    assert "confirmation email" not in body


def test_a_signed_in_professional_gets_a_receipt_at_their_own_address(client_for: Any) -> None:
    client = client_for(Role.CONCERNED_PROFESSIONAL)
    client.post(reverse("referrals:concern_new"), concern(email=VICTIM))
    assert not OutboxMessage.objects.filter(recipient_email=VICTIM).exists()
    assert OutboxMessage.objects.filter(recipient_email=client.user.email, kind="receipt").count() == 1
    assert "confirmation email" in client.get(reverse("referrals:concern_sent")).content.decode()


def test_only_first_responder_organisations_can_be_chosen() -> None:
    response = Client().post(reverse("referrals:concern_new"), concern(organisation="service-team"))
    assert response.status_code == 400
    assert not Concern.objects.exists()


def test_anonymous_requests_are_rate_limited_per_address(settings: Any) -> None:
    settings.NRM_CONCERN_LIMIT_PER_HOUR = 3
    for _ in range(3):
        assert Client().post(reverse("referrals:concern_new"), concern()).status_code == 302
    refused = Client().post(reverse("referrals:concern_new"), concern())
    assert refused.status_code == 429
    assert Concern.objects.count() == 3
    other = Client().post(reverse("referrals:concern_new"), concern(), REMOTE_ADDR="198.51.100.30")
    assert other.status_code == 302
