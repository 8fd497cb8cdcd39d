"""Each outbox message is sent once: claimed with a lease, sent with an idempotency key, and
recorded in the statement that releases the claim; a dead worker's claim expires and is retried."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from nrm.notify.backends import IdempotentFileBackend, delivery_counts
from nrm.notify.delivery import (
    IDEMPOTENCY_HEADER,
    MAX_ATTEMPTS,
    outbox_claim,
    outbox_deliver,
    outbox_send_due,
    outbox_send_one,
    retry_delay,
)
from nrm.notify.models import MessageStatus, OutboxMessage
from nrm.notify.services import outbox_add, outbox_send_pending
from nrm.reference.models import Organisation

pytestmark = pytest.mark.django_db


def email(n: int = 1) -> OutboxMessage:
    return outbox_add(kind="receipt", subject=f"Referral received {n}", body="Thank you.",
                      recipient_email=f"responder{n}@example.gov.uk")


def test_a_message_is_sent_once_with_its_id_as_idempotency_key() -> None:
    message = email()
    assert outbox_send_due(worker_id="a") == 1
    assert outbox_send_due(worker_id="b") == 0, "a sent message is not due"
    assert not outbox_send_one(message_id=message.pk, worker_id="b")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.extra_headers[IDEMPOTENCY_HEADER] == str(message.pk)
    assert str(message.pk) in sent.extra_headers["Message-ID"]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.claimed_by, message.claimed_until) == (MessageStatus.SENT, 1, "", None)
    assert message.sent_at is not None


def test_a_claimed_message_is_not_claimed_again_until_the_lease_expires() -> None:
    message = email()
    assert [m.pk for m in outbox_claim(worker_id="a")] == [message.pk]
    assert outbox_claim(worker_id="b") == [], "another worker holds it"
    assert outbox_send_one(message_id=message.pk, worker_id="b") is False
    assert mail.outbox == []
    # Worker a dies: its claim runs out, and b sends the message, with the same key.
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox_send_due(worker_id="b") == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert [m.extra_headers[IDEMPOTENCY_HEADER] for m in mail.outbox] == [str(message.pk)]


def test_a_worker_whose_claim_ran_out_does_not_send() -> None:
    message = email()
    [claimed] = outbox_claim(worker_id="a")
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    [reclaimed] = outbox_claim(worker_id="b")
    assert not outbox_deliver(message=claimed, worker_id="a"), "b holds it now"
    assert outbox_deliver(message=reclaimed, worker_id="b")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert [m.extra_headers[IDEMPOTENCY_HEADER] for m in mail.outbox] == [str(message.pk)]


def test_a_failed_send_is_released_and_retried_after_a_back_off(settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "nrm.notify.tests.test_delivery.RefusingBackend"}}
    message = email()
    assert outbox_send_due(worker_id="a") == 0
    message.refresh_from_db()
    assert (message.status, message.claimed_by, message.claimed_until) == (MessageStatus.FAILED, "", None)
    assert "refused" in message.last_error
    assert message.next_attempt_at is not None
    assert message.next_attempt_at > timezone.now() + retry_delay(1) - timedelta(seconds=5)
    assert outbox_send_due(worker_id="a") == 0, "not before its retry time"
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_send_pending(worker_id="a") == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 2, "")


def test_retries_stop_after_the_last_attempt() -> None:
    message = email()
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, attempts=MAX_ATTEMPTS)
    assert outbox_send_due(worker_id="a") == 0
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(40) == timedelta(hours=1)


def test_a_partner_inbox_message_needs_no_email_and_is_marked_sent() -> None:
    organisation = Organisation.objects.get(slug="police-e23000001")
    organisation.inbox_email = ""
    message = outbox_add(kind="crime_referral", subject="Crime referral", body="x", recipient_organisation=organisation)
    assert outbox_send_due(worker_id="a") == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert mail.outbox == []


def test_batches_are_claimed_oldest_first_and_split_between_workers() -> None:
    messages = [email(n) for n in range(5)]
    first = outbox_claim(worker_id="a", limit=3)
    second = outbox_claim(worker_id="b", limit=3)
    assert [m.pk for m in first] == [m.pk for m in messages[:3]]
    assert [m.pk for m in second] == [m.pk for m in messages[3:]]


def test_the_idempotent_file_backend_delivers_once_per_key(tmp_path: Path) -> None:
    message = email()
    backend = IdempotentFileBackend(file_path=tmp_path)
    from nrm.notify.delivery import _email

    assert backend.send_messages([_email(message), _email(message)]) == 2, "both accepted"
    keys, repeats = delivery_counts(tmp_path)
    assert keys == {str(message.pk)}
    assert repeats == 1
    assert (tmp_path / "delivered" / f"{message.pk}.eml").stat().st_mode & 0o777 == 0o600


class RefusingBackend:
    """A mail transport that is down."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("connection refused by the mail server")
