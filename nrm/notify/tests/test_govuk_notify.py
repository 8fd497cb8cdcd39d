"""Outbox email through GOV.UK Notify, against a local fake Notify that checks the client's JWT:
the message id is the reference, so a retry after a lost answer sends nothing twice; 5xx and 429
are retried with the outbox's back-off; 400 and 403 are recorded and never retried; delivery
receipts reach the message through a bearer-token callback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from nrm.notify.delivery import outbox_send_due, retry_delay
from nrm.notify.models import DeliveryStatus, MessageStatus, OutboxMessage
from nrm.notify.selectors import outbox_undeliverable
from nrm.notify.services import outbox_add
from nrm.notify.tests.fake_notify import API_KEY, FakeNotify, FakeNotifyServer

pytestmark = pytest.mark.django_db

TEMPLATES = {"receipt": "11111111-1111-1111-1111-111111111111", "default": "22222222-2222-2222-2222-222222222222"}
TOKEN = "receipt-token-that-notify-sends"


@pytest.fixture
def notify(settings: Any) -> Iterator[FakeNotify]:
    with FakeNotifyServer() as state:
        settings.NOTIFY_API_KEY = API_KEY
        settings.NOTIFY_BASE_URL = state.url
        settings.NOTIFY_TEMPLATES = json.dumps(TEMPLATES)
        settings.NOTIFY_RECEIPT_TOKEN = TOKEN
        settings.NOTIFY_TIMEOUT_SECONDS = 5
        yield state


def message(kind: str = "receipt") -> OutboxMessage:
    return outbox_add(kind=kind, subject="Referral received", body="Thank you for your referral.",
                      recipient_email="responder@example.gov.uk")


def make_due(sent: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=sent.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_message_goes_through_notify_with_its_id_as_reference_and_its_kinds_template(notify: FakeNotify) -> None:
    sent = message()
    other = message(kind="reminder")
    assert outbox_send_due(worker_id="a") == 2
    assert notify.refused_auth == 0, "the client's JWT was accepted"
    by_reference = {n["reference"]: n for n in notify.notifications}
    assert set(by_reference) == {str(sent.pk), str(other.pk)}
    first = by_reference[str(sent.pk)]
    assert first["template"]["id"] == TEMPLATES["receipt"]
    assert by_reference[str(other.pk)]["template"]["id"] == TEMPLATES["default"]
    assert first["email_address"] == "responder@example.gov.uk"
    assert first["personalisation"]["subject"] == "Referral received"
    assert first["personalisation"]["body"] == "Thank you for your referral."
    assert first["personalisation"]["link"].startswith("http")
    sent.refresh_from_db()
    assert (sent.status, sent.provider_id) == (MessageStatus.SENT, first["id"])
    assert mail.outbox == [], "with a Notify key, the email backend is not used"


def test_a_wrong_key_is_refused_by_the_fake_and_recorded_as_rejected(notify: FakeNotify,
                                                                     settings: Any) -> None:
    settings.NOTIFY_API_KEY = API_KEY[:-4] + "0000"
    sent = message()
    assert outbox_send_due(worker_id="a") == 0
    assert notify.refused_auth == 1
    sent.refresh_from_db()
    assert sent.status == MessageStatus.REJECTED


@pytest.mark.parametrize("status", [500, 502, 429])
def test_server_errors_and_rate_limits_are_retried_with_the_outbox_back_off(notify: FakeNotify, status: int) -> None:
    sent = message()
    notify.fail_next(status, status)
    before = timezone.now()
    assert outbox_send_due(worker_id="a") == 0
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (MessageStatus.FAILED, 1)
    assert sent.next_attempt_at is not None
    assert sent.next_attempt_at >= before + retry_delay(1)
    assert str(status) in sent.last_error
    assert outbox_send_due(worker_id="a") == 0, "not before its retry time"
    make_due(sent)
    assert outbox_send_due(worker_id="a") == 0
    sent.refresh_from_db()
    assert sent.next_attempt_at is not None
    assert sent.next_attempt_at >= timezone.now() + retry_delay(2) - timedelta(seconds=5)
    make_due(sent)
    assert outbox_send_due(worker_id="a") == 1
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (MessageStatus.SENT, 3)
    assert len(notify.notifications) == 1
    assert sent not in outbox_undeliverable()


@pytest.mark.parametrize("status", [400, 403])
def test_a_permanent_refusal_is_recorded_not_retried_and_listed(notify: FakeNotify, status: int) -> None:
    sent = message()
    fine = message()
    notify.fail_next(status)
    assert outbox_send_due(worker_id="a", limit=1) == 0
    sent.refresh_from_db()
    assert (sent.status, sent.next_attempt_at) == (MessageStatus.REJECTED, None)
    assert str(status) in sent.last_error
    assert outbox_send_due(worker_id="a") == 1, "only the other message is due"
    make_due(sent)
    assert outbox_send_due(worker_id="b") == 0, "a rejected message is never claimed again"
    assert list(outbox_undeliverable()) == [sent]
    assert fine not in outbox_undeliverable()


def test_a_kind_with_no_template_is_rejected_without_calling_notify(notify: FakeNotify,
                                                                    settings: Any) -> None:
    settings.NOTIFY_TEMPLATES = json.dumps({"receipt": TEMPLATES["receipt"]})
    sent = message(kind="reminder")
    assert outbox_send_due(worker_id="a") == 0
    sent.refresh_from_db()
    assert sent.status == MessageStatus.REJECTED
    assert [method for method, _ in notify.requests] == []


def test_a_retry_after_an_answer_was_lost_finds_the_notification_by_reference(notify: FakeNotify) -> None:
    sent = message()
    notify.accept_then_fail.add(500)
    notify.fail_next(500)  # Notify accepted the message, but its answer was a 500
    assert outbox_send_due(worker_id="a") == 0
    assert len(notify.notifications) == 1
    make_due(sent)
    assert outbox_send_due(worker_id="a") == 1
    assert len(notify.notifications) == 1, "the retry looked it up by reference and did not send again"
    assert [m for m, _ in notify.requests] == ["POST", "GET"]
    sent.refresh_from_db()
    assert (sent.status, sent.provider_id) == (MessageStatus.SENT, notify.notifications[0]["id"])


def test_a_dead_workers_message_is_looked_up_before_it_is_sent_again(notify: FakeNotify) -> None:
    sent = message()
    notify.accept_then_fail.add(599)
    notify.fail_next(599)
    assert outbox_send_due(worker_id="a") == 0
    # As if worker a died after Notify took the message: the claim ran out, b takes it over.
    OutboxMessage.objects.filter(pk=sent.pk).update(status=MessageStatus.PENDING, next_attempt_at=None,
                                                    claimed_by="a", claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox_send_due(worker_id="b") == 1
    assert len(notify.notifications) == 1


def test_a_first_attempt_does_not_look_up(notify: FakeNotify) -> None:
    message()
    assert outbox_send_due(worker_id="a") == 1
    assert [m for m, _ in notify.requests] == ["POST"]


def test_without_a_notify_key_the_email_backend_sends(settings: Any) -> None:
    settings.NOTIFY_API_KEY = ""
    sent = message()
    assert outbox_send_due(worker_id="a") == 1
    assert [m.to for m in mail.outbox] == [["responder@example.gov.uk"]]
    sent.refresh_from_db()
    assert (sent.status, sent.provider_id) == (MessageStatus.SENT, "")


def receipt(client: Client, body: object, token: str | None = TOKEN) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = client.post("/notify/receipts", data=json.dumps(body), content_type="application/json",
                           headers=headers)
    return response.status_code, response.json()


@pytest.mark.parametrize("status", ["delivered", "permanent-failure", "temporary-failure"])
def test_a_delivery_receipt_is_recorded_on_its_message(notify: FakeNotify, client: Client, status: str) -> None:
    sent = message()
    assert outbox_send_due(worker_id="a") == 1
    provider_id = notify.notifications[0]["id"]
    code, body = receipt(client, {"id": provider_id, "reference": str(sent.pk), "status": status,
                                  "notification_type": "email", "to": "responder@example.gov.uk"})
    assert (code, body) == (200, {"recorded": status})
    sent.refresh_from_db()
    assert sent.delivery_status == status
    assert sent.delivery_recorded_at is not None
    assert (sent in outbox_undeliverable()) is (status == DeliveryStatus.PERMANENT_FAILURE)


def test_a_receipt_without_a_reference_is_matched_by_the_notify_id(notify: FakeNotify, client: Client) -> None:
    sent = message()
    assert outbox_send_due(worker_id="a") == 1
    code, _ = receipt(client, {"id": notify.notifications[0]["id"], "reference": None, "status": "delivered"})
    assert code == 200
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN[:-1]])
def test_a_receipt_without_the_right_bearer_token_is_refused(notify: FakeNotify, client: Client,
                                                             token: str | None) -> None:
    sent = message()
    code, _ = receipt(client, {"reference": str(sent.pk), "status": "delivered"}, token=token)
    assert code == 401
    sent.refresh_from_db()
    assert sent.delivery_status == ""


def test_with_no_token_configured_every_receipt_is_refused(notify: FakeNotify, client: Client,
                                                           settings: Any) -> None:
    settings.NOTIFY_RECEIPT_TOKEN = ""
    sent = message()
    assert receipt(client, {"reference": str(sent.pk), "status": "delivered"}, token="")[0] == 401


def test_bad_receipts_are_answered_as_such(notify: FakeNotify, client: Client) -> None:
    sent = message()
    assert receipt(client, {"reference": str(sent.pk), "status": "opened"})[0] == 400
    assert receipt(client, {"reference": str(sent.pk), "status": ""})[0] == 400
    assert receipt(client, ["not", "an", "object"])[0] == 400
    assert receipt(client, {"reference": "00000000-0000-0000-0000-000000000000", "status": "delivered"})[0] == 404
    assert receipt(client, {"reference": "not-an-id", "status": "delivered"})[0] == 404
    assert client.get("/notify/receipts", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405
    sent.refresh_from_db()
    assert sent.delivery_status == ""
