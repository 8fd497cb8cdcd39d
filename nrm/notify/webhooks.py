"""Webhooks to partner systems (ADR 0030): an organisation's endpoints, the events they take, and
the signed POST that delivers one event. Deliveries are outbox messages of kind ``webhook``, so
they are claimed, retried with back-off and recorded exactly as email is (``nrm.notify.delivery``).

Signature: ``NRM-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>``.
Receivers recompute it over the raw body and reject a timestamp older than
``WEBHOOK_TOLERANCE_SECONDS`` (``webhook_verify`` is the reference implementation).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from nrm.audit.services import audit_record
from nrm.core import crypto
from nrm.core.errors import ServiceError
from nrm.notify.govuk import PermanentFailure
from nrm.notify.models import MessageKind, OutboxMessage, WebhookEndpoint, WebhookEvent

SIGNATURE_HEADER = "NRM-Signature"
EVENT_HEADER = "NRM-Event"
DELIVERY_HEADER = "NRM-Delivery"

# The outbox message that causes each event, by kind.
EVENT_FOR_KIND = {
    MessageKind.CRIME_REFERRAL: WebhookEvent.CRIME_REFERRAL,
    MessageKind.SAFEGUARDING: WebhookEvent.SAFEGUARDING,
    MessageKind.DECISION_LETTER: WebhookEvent.DECISION,
}


class WebhookError(Exception):
    """A delivery that may succeed later (5xx, 408, 429, timeout, connection refused): retried."""


# --- signing -------------------------------------------------------------------------------------


def webhook_signature(secret: str, *, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def webhook_verify(secret: str, *, header: str, body: bytes, now: float | None = None,
                   tolerance: int | None = None) -> bool:
    """What a receiver does: True only if a ``v1`` signature matches and its timestamp is recent."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    stamps = parts.get("t", [])
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    window = settings.WEBHOOK_TOLERANCE_SECONDS if tolerance is None else tolerance
    if abs((time.time() if now is None else now) - timestamp) > window:
        return False
    expected = webhook_signature(secret, timestamp=timestamp, body=body).partition(",v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


# --- where a webhook may go (SSRF) ----------------------------------------------------------------


def _address_problem(address: str) -> str | None:
    ip = ipaddress.ip_address(address)
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES or ip.is_global:
        return None
    return f"The address {address} is private, loopback or reserved; webhooks go only to public addresses"


def webhook_url_problem(url: str, *, resolve: bool = True) -> str | None:
    """Why a URL may not take webhooks, or None. https only in production; no credentials in the
    URL; every address the host resolves to must be public unless private ones are allowed."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "Enter a URL like https://partner.example.org/nrm/events"
    allowed = {"https"} if settings.PRODUCTION else {"https", "http"}
    if parts.scheme not in allowed:
        return "The URL must start with https://" if settings.PRODUCTION else "The URL must start with https:// or http://"
    if not parts.hostname or len(url) > 500:
        return "Enter a URL like https://partner.example.org/nrm/events"
    if parts.username or parts.password:
        return "The URL must not contain a user name or password"
    if not resolve:
        return None
    try:
        addresses = _resolve(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    except OSError:
        return f"The host {parts.hostname} cannot be found"
    for address in addresses:
        if problem := _address_problem(address):
            return problem
    return None


def _resolve(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]).split("%")[0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


# --- managing endpoints ---------------------------------------------------------------------------


def _events(events: Iterable[str]) -> str:
    chosen = sorted({e.strip() for e in events if e.strip()})
    unknown = [e for e in chosen if e not in WebhookEvent.values]
    if unknown or not chosen:
        raise ServiceError(f"Choose events from: {', '.join(WebhookEvent.values)}", field="events")
    return ";".join(chosen)


def _new_secret() -> tuple[str, int, str]:
    secret = "whsec_" + secrets.token_urlsafe(32)  # recognisable, like other services' signing secrets
    version, wrapped = crypto.wrap(secret.encode())
    return secret, version, wrapped


def webhook_secret(endpoint: WebhookEndpoint) -> str:
    return crypto.unwrap(endpoint.secret_wrapped, version=endpoint.secret_version).decode()


def webhook_add(*, organisation: Any, url: str, events: Iterable[str], actor: Any = None) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it and its secret, which is shown once and never again."""
    if problem := webhook_url_problem(url):
        raise ServiceError(problem, field="url")
    chosen = _events(events)
    secret, version, wrapped = _new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(organisation=organisation, url=url.strip(), events=chosen,
                                                  secret_wrapped=wrapped, secret_version=version)
        audit_record(actor=actor, action="webhook.added", target=endpoint,
                     after={"organisation": organisation.slug, "url": endpoint.url, "events": chosen})
    return endpoint, secret


def webhook_rotate(*, endpoint: WebhookEndpoint, actor: Any = None) -> str:
    """A new secret at once (deliveries not yet sent are signed with it); the new secret."""
    if endpoint.removed_at:
        raise ServiceError("This webhook was removed.")
    secret, version, wrapped = _new_secret()
    with transaction.atomic():
        endpoint.secret_wrapped, endpoint.secret_version = wrapped, version
        endpoint.save(update_fields=["secret_wrapped", "secret_version", "updated_at"])
        audit_record(actor=actor, action="webhook.rotated", target=endpoint)
    return secret


def webhook_remove(*, endpoint: WebhookEndpoint, actor: Any = None) -> WebhookEndpoint:
    """No more events go to it; deliveries not yet sent are recorded as rejected when due."""
    if endpoint.removed_at:
        return endpoint
    with transaction.atomic():
        endpoint.removed_at = timezone.now()
        endpoint.save(update_fields=["removed_at", "updated_at"])
        audit_record(actor=actor, action="webhook.removed", target=endpoint)
    return endpoint


def webhooks_of(organisation: Any = None) -> list[WebhookEndpoint]:
    """Endpoints in use, of one organisation or of all."""
    rows = WebhookEndpoint.objects.filter(removed_at__isnull=True).select_related("organisation")
    if organisation is not None:
        rows = rows.filter(organisation=organisation)
    return list(rows.order_by("organisation__slug", "created_at"))


# --- events to deliveries ---------------------------------------------------------------------


def _link(message: OutboxMessage, case_id: str | None) -> str:
    base = str(settings.NRM_BASE_URL).rstrip("/")
    if message.kind == MessageKind.DECISION_LETTER:
        return base + reverse("api:case", args=[case_id]) if case_id else base + reverse("api:cases")
    return base + reverse("api:message", args=[message.pk])


def _case_id(about: Any) -> str | None:
    if about is None:
        return None
    if about._meta.label == "cases.Case":
        return str(about.pk)
    case_id = getattr(about, "case_id", None)
    return str(case_id) if case_id else None


def webhook_deliveries_for(message: OutboxMessage, *, about: Any = None) -> list[OutboxMessage]:
    """Write one delivery per endpoint of the recipient organisation that takes this message's event,
    in the caller's transaction. The body holds ids and a link, never personal data."""
    event = EVENT_FOR_KIND.get(MessageKind(message.kind)) if message.kind in MessageKind.values else None
    if event is None or message.recipient_organisation_id is None:
        return []
    endpoints = [e for e in webhooks_of(message.recipient_organisation) if event in e.event_names]
    case_id = _case_id(about)
    deliveries = []
    for endpoint in endpoints:
        delivery = OutboxMessage(kind=MessageKind.WEBHOOK, webhook=endpoint,
                                 recipient_organisation_id=message.recipient_organisation_id,
                                 subject=f"Webhook {event}", about_type=message.about_type, about_id=message.about_id,
                                 dedupe_key=f"webhook:{endpoint.pk}:{message.pk}")
        delivery.body = json.dumps({
            "id": str(delivery.pk), "event": str(event), "occurred_at": message.created_at.isoformat(),
            "organisation": message.recipient_organisation.slug if message.recipient_organisation else None,
            "message_id": str(message.pk), "case_id": case_id,
            "about": {"type": message.about_type, "id": message.about_id},
            "link": _link(message, case_id),
        }, sort_keys=True, separators=(",", ":"))
        delivery.save(force_insert=True)
        deliveries.append(delivery)
    return deliveries


# --- sending one delivery ----------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to next."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = ssl.create_default_context().wrap_socket(raw, server_hostname=self.host)


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    if problem := webhook_url_problem(url, resolve=False):
        raise PermanentFailure(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = _resolve(host, port)
    except OSError as exc:
        raise WebhookError(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise WebhookError(f"cannot resolve {host}")
    if problem := _address_problem(addresses[0]):
        raise PermanentFailure(problem)
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return kind(host, port, address=addresses[0], timeout=float(settings.WEBHOOK_TIMEOUT_SECONDS)), path


def webhook_post(message: OutboxMessage) -> str:
    """POST one delivery, signed now; '' on 2xx. 4xx other than 408/429 and a removed or
    forbidden endpoint raise ``PermanentFailure``; anything else raises to be retried."""
    endpoint = message.webhook
    if endpoint is None or endpoint.removed_at:
        raise PermanentFailure("The webhook was removed before this delivery was sent")
    body = message.body.encode()
    connection, path = _connection(endpoint.url)
    headers = {
        "Content-Type": "application/json", "User-Agent": "Open-NRM-Webhooks/1",
        SIGNATURE_HEADER: webhook_signature(webhook_secret(endpoint), timestamp=int(time.time()), body=body),
        EVENT_HEADER: json.loads(message.body).get("event", ""), DELIVERY_HEADER: str(message.pk),
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    if 200 <= status < 300:
        return ""
    if 400 <= status < 500 and status not in (408, 429):
        raise PermanentFailure(f"The endpoint answered {status}")
    raise WebhookError(f"The endpoint answered {status}")
