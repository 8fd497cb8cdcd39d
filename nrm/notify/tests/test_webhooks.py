"""Webhooks: endpoints managed by command and services, deliveries through the outbox to a local
receiver that checks the signature, retries with back-off, permanent failure, one delivery with
two workers, and the URL rules (https in production, no private addresses unless allowed)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from nrm.audit.models import AuditEvent
from nrm.core.errors import ServiceError
from nrm.notify.delivery import outbox_claim, outbox_deliver, outbox_send_due
from nrm.notify.models import MessageKind, MessageStatus, OutboxMessage, WebhookEndpoint, WebhookEvent
from nrm.notify.selectors import inbox_for, partner_inbox_for
from nrm.notify.services import outbox_add
from nrm.notify.webhooks import (
    SIGNATURE_HEADER,
    webhook_add,
    webhook_remove,
    webhook_rotate,
    webhook_secret,
    webhook_signature,
    webhook_url_problem,
    webhook_verify,
)
from nrm.reference.models import Organisation

pytestmark = pytest.mark.django_db
POLICE = "police-e23000001"


@dataclass
class Receiver:
    """A partner system: keeps the deliveries whose signature checks out under ``secret``."""

    secret: str = ""
    statuses: deque[int] = field(default_factory=deque)
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    url: str = ""
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(receiver.delay)
            with receiver.lock:
                status = receiver.statuses.popleft() if receiver.statuses else 204
                if not webhook_verify(receiver.secret, header=self.headers.get(SIGNATURE_HEADER, ""), body=body):
                    receiver.refused += 1
                    status = 401
                elif status < 300:
                    receiver.received.append({**json.loads(body), "_event": self.headers.get("NRM-Event")})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/nrm/events"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def police() -> Organisation:
    return Organisation.objects.get(slug=POLICE)


def subscribe(receiver: Receiver, *events: str) -> WebhookEndpoint:
    endpoint, secret = webhook_add(organisation=police(), url=receiver.url,
                                   events=events or [WebhookEvent.CRIME_REFERRAL])
    receiver.secret = secret
    return endpoint


def crime_referral(n: int = 1) -> OutboxMessage:
    return outbox_add(kind=MessageKind.CRIME_REFERRAL, subject=f"Crime referral {n}", body="Sign in to read it.",
                      recipient_organisation=police())


def deliveries() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=MessageKind.WEBHOOK).order_by("created_at"))


def test_a_crime_referral_is_posted_signed_with_ids_and_a_link_and_no_content(receiver: Receiver) -> None:
    subscribe(receiver)
    message = crime_referral()
    assert len(deliveries()) == 1
    outbox_send_due(worker_id="a")
    assert receiver.refused == 0
    [got] = receiver.received
    assert got["event"] == got["_event"] == "referral.crime_referral"
    assert got["message_id"] == str(message.pk)
    assert got["organisation"] == POLICE
    assert got["link"].endswith(f"/api/v1/messages/{message.pk}")
    assert "Sign in to read it" not in json.dumps(got)
    assert "Crime referral" not in json.dumps(got)
    [delivery] = deliveries()
    assert delivery.status == MessageStatus.SENT
    assert delivery not in partner_inbox_for(None)
    assert not inbox_for(None).filter(kind=MessageKind.WEBHOOK).exists()


def test_only_subscribed_events_of_the_recipient_organisation_are_delivered(receiver: Receiver) -> None:
    subscribe(receiver, WebhookEvent.SAFEGUARDING)
    crime_referral()
    other = Organisation.objects.exclude(pk=police().pk).first()
    outbox_add(kind=MessageKind.SAFEGUARDING, subject="Safeguarding", body="x", recipient_organisation=other)
    outbox_add(kind=MessageKind.RECEIPT, subject="Receipt", body="x", recipient_email="a@example.gov.uk")
    assert deliveries() == []


def test_a_decision_on_the_organisations_referral_links_to_the_case(receiver: Receiver) -> None:
    subscribe(receiver, WebhookEvent.DECISION)
    outbox_add(kind=MessageKind.DECISION_LETTER, subject="A decision letter", body="x", recipient_organisation=police())
    outbox_send_due(worker_id="a")
    [got] = receiver.received
    assert got["event"] == "referral.decision"
    assert got["link"].endswith("/api/v1/cases")


def test_a_receiver_refuses_a_bad_or_old_signature() -> None:
    body = b'{"id":"1"}'
    now = int(time.time())
    good = webhook_signature("whsec_x", timestamp=now, body=body)
    assert webhook_verify("whsec_x", header=good, body=body)
    assert not webhook_verify("whsec_y", header=good, body=body)
    assert not webhook_verify("whsec_x", header=good, body=b'{"id":"2"}')
    assert not webhook_verify("whsec_x", header=webhook_signature("whsec_x", timestamp=now - 301, body=body), body=body)
    assert not webhook_verify("whsec_x", header="v1=abc", body=body)
    assert not webhook_verify("whsec_x", header=f"t={now},t={now},v1=abc", body=body)


def test_a_5xx_is_retried_with_back_off_then_delivered(receiver: Receiver) -> None:
    subscribe(receiver)
    crime_referral()
    receiver.statuses.extend([503, 429])
    assert outbox_send_due(worker_id="a") == 1  # the crime referral itself (inbox only)
    [delivery] = deliveries()
    assert delivery.status == MessageStatus.FAILED
    assert "503" in delivery.last_error
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at > timezone.now()
    assert outbox_send_due(worker_id="a") == 0, "not before its back-off"
    for _ in range(2):
        OutboxMessage.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        outbox_send_due(worker_id="a")
    delivery.refresh_from_db()
    assert delivery.status == MessageStatus.SENT
    assert delivery.attempts == 3
    assert len(receiver.received) == 1


def test_a_connection_error_is_retried(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    endpoint, _ = webhook_add(organisation=police(), url="http://127.0.0.1:9/nowhere", events=["referral.crime_referral"])
    crime_referral()
    outbox_send_due(worker_id="a")
    [delivery] = deliveries()
    assert delivery.status == MessageStatus.FAILED
    assert delivery.webhook == endpoint
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()


def test_a_timeout_is_retried(receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.delay = 1.5
    subscribe(receiver)
    crime_referral()
    outbox_send_due(worker_id="a")
    [delivery] = deliveries()
    assert delivery.status == MessageStatus.FAILED
    assert "timed out" in delivery.last_error.lower()


def test_after_the_last_try_a_delivery_fails_for_good(receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    subscribe(receiver)
    crime_referral()
    receiver.statuses.extend([500, 502, 503, 504])
    outbox_send_due(worker_id="a")
    for _ in range(4):
        OutboxMessage.objects.filter(kind=MessageKind.WEBHOOK).update(next_attempt_at=None)
        outbox_send_due(worker_id="a")
    [delivery] = deliveries()
    assert delivery.status == MessageStatus.REJECTED
    assert delivery.attempts == 3
    assert "Gave up after 3 attempts" in delivery.last_error
    assert "503" in delivery.last_error
    assert receiver.received == []


def test_a_4xx_is_a_permanent_failure_at_once(receiver: Receiver) -> None:
    subscribe(receiver)
    crime_referral()
    receiver.statuses.append(410)
    outbox_send_due(worker_id="a")
    [delivery] = deliveries()
    assert delivery.status == MessageStatus.REJECTED
    assert delivery.attempts == 1
    assert "410" in delivery.last_error


def test_two_workers_deliver_once(receiver: Receiver) -> None:
    subscribe(receiver)
    crime_referral()
    a = outbox_claim(worker_id="a")
    b = outbox_claim(worker_id="b")
    assert b == [], "the other worker finds nothing to claim"
    assert sum(outbox_deliver(message=m, worker_id="a") for m in a) == 2
    assert outbox_send_due(worker_id="b") == 0
    assert len(receiver.received) == 1


def test_a_rotated_secret_signs_the_next_deliveries_and_the_old_one_fails(receiver: Receiver) -> None:
    endpoint = subscribe(receiver)
    old = receiver.secret
    receiver.secret = webhook_rotate(endpoint=endpoint)
    assert receiver.secret != old
    assert webhook_secret(endpoint) == receiver.secret
    crime_referral()
    outbox_send_due(worker_id="a")
    assert len(receiver.received) == 1
    receiver.secret = old
    crime_referral(2)
    outbox_send_due(worker_id="a")
    assert receiver.refused == 1


def test_a_removed_webhook_gets_nothing_more(receiver: Receiver) -> None:
    endpoint = subscribe(receiver)
    crime_referral()
    webhook_remove(endpoint=endpoint)
    outbox_send_due(worker_id="a")
    crime_referral(2)
    assert receiver.received == []
    [delivery] = deliveries()
    assert delivery.status == MessageStatus.REJECTED
    assert "removed" in delivery.last_error
    actions = set(AuditEvent.objects.filter(action__startswith="webhook.").values_list("action", flat=True))
    assert actions == {"webhook.added", "webhook.removed"}


def test_the_secret_is_stored_wrapped(receiver: Receiver) -> None:
    endpoint = subscribe(receiver)
    assert receiver.secret.startswith("whsec_")
    assert receiver.secret not in endpoint.secret_wrapped


@pytest.mark.parametrize(("url", "production", "problem"), [
    ("http://partner.example.org/x", True, "must start with https://"),
    ("ftp://partner.example.org/x", False, "must start with https:// or http://"),
    ("https://user:pw@partner.example.org/x", False, "user name or password"),
    ("https://127.0.0.1/x", False, "private, loopback or reserved"),
    ("https://10.1.2.3/x", True, "private, loopback or reserved"),
    ("https://[::1]/x", False, "private, loopback or reserved"),
    ("https://169.254.169.254/latest", False, "private, loopback or reserved"),
    ("https://localhost/x", False, "private, loopback or reserved"),
    ("https://", False, "Enter a URL"),
    ("https://host:99999/x", False, "Enter a URL"),
])
def test_urls_that_may_not_take_webhooks(settings: Any, url: str, production: bool, problem: str) -> None:
    settings.PRODUCTION = production
    assert problem in (webhook_url_problem(url) or "")
    with pytest.raises(ServiceError):
        webhook_add(organisation=police(), url=url, events=[WebhookEvent.CRIME_REFERRAL])


def test_a_public_address_is_accepted_and_private_ones_only_when_allowed(settings: Any) -> None:
    assert webhook_url_problem("https://93.184.215.14/x") is None
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert webhook_url_problem("https://127.0.0.1/x") is None


def test_unknown_events_are_refused(settings: Any) -> None:
    with pytest.raises(ServiceError, match="Choose events"):
        webhook_add(organisation=police(), url="https://93.184.215.14/x", events=["referral.everything"])


def test_the_command_adds_lists_rotates_and_removes(receiver: Receiver) -> None:
    out = StringIO()
    call_command("webhook", "add", "--organisation", POLICE, "--url", receiver.url,
                 "--event", "referral.crime_referral", "--event", "referral.decision", stdout=out)
    assert "Secret (shown once): whsec_" in out.getvalue()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_names == ["referral.crime_referral", "referral.decision"]
    out = StringIO()
    call_command("webhook", "list", "--organisation", POLICE, stdout=out)
    assert str(endpoint.pk) in out.getvalue()
    assert receiver.url in out.getvalue()
    out = StringIO()
    call_command("webhook", "rotate", str(endpoint.pk), stdout=out)
    assert "New secret (shown once): whsec_" in out.getvalue()
    call_command("webhook", "remove", str(endpoint.pk), stdout=StringIO())
    with pytest.raises(CommandError, match="in use"):
        call_command("webhook", "rotate", str(endpoint.pk))
    with pytest.raises(CommandError, match="No organisation"):
        call_command("webhook", "add", "--organisation", "nope", "--url", receiver.url,
                     "--event", "referral.crime_referral")
    settings_private = override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=False)
    with settings_private, pytest.raises(CommandError, match="private"):
        call_command("webhook", "add", "--organisation", POLICE, "--url", "http://127.0.0.1:1/x",
                     "--event", "referral.crime_referral")
