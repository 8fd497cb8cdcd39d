"""A submitted referral's crime referral reaches the police force's system by webhook, signed,
with the message's id and link and nothing about the person."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from nrm.accounts.models import User
from nrm.notify.delivery import outbox_send_due
from nrm.notify.models import MessageKind, OutboxMessage, WebhookEvent
from nrm.notify.tests.test_webhooks import Receiver, receiver
from nrm.notify.webhooks import webhook_add, webhook_secret
from nrm.reference.models import Organisation
from nrm.referrals.models import Referral
from nrm.referrals.services import referral_submit

pytestmark = pytest.mark.django_db
__all__ = ["receiver"]


def test_a_submitted_referral_is_posted_to_the_police_forces_system(
        receiver: Receiver, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    for police in Organisation.objects.filter(organisation_type="Police"):
        webhook_add(organisation=police, url=receiver.url, events=[WebhookEvent.CRIME_REFERRAL])
        webhook_add(organisation=police, url=receiver.url, events=[WebhookEvent.SAFEGUARDING])
    referral = make_draft(first_responder, "adult", police_consent="no")
    referral_submit(referral=referral, actor=first_responder)
    crime = OutboxMessage.objects.get(kind=MessageKind.CRIME_REFERRAL, about_id=str(referral.pk))
    # Only the force that received the crime referral, and only its crime-referral endpoint.
    [delivery] = OutboxMessage.objects.filter(kind=MessageKind.WEBHOOK)
    assert delivery.webhook is not None
    assert delivery.webhook.organisation == crime.recipient_organisation
    receiver.secret = webhook_secret(delivery.webhook)
    outbox_send_due(worker_id="a")
    [got] = receiver.received
    assert got["message_id"] == str(crime.pk)
    assert got["event"] == "referral.crime_referral"
    assert str(referral.reference) not in json.dumps(got)
    assert referral.answers.get("last_name") not in json.dumps(got)
