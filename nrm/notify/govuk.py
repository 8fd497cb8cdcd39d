"""Sending outbox email through GOV.UK Notify, with the outbox message id as Notify's reference.

Used instead of Django's email backends when ``NRM_NOTIFY_API_KEY`` is set. Each message kind
has a Notify template (``NRM_NOTIFY_TEMPLATES``, JSON from kind to template id, with an optional
``default``); every template is personalised with ``subject``, ``body`` and ``link``.

- **A retry is harmless.** The reference is the message id. Before sending a message that was
  attempted before (a worker died mid-send, or the last request timed out or failed after Notify
  may have accepted it), Notify is asked for a notification with that reference; if there is one,
  the message counts as sent and nothing is posted again.
- **Temporary failures are retried** by the outbox with its own back-off: a 5xx, a 429 (rate or
  daily limit) or no answer raise, and ``nrm.notify.delivery`` records the failure and a retry time.
- **Permanent failures are not retried**: a 400 (bad address, template or personalisation) or
  403 (bad key) raises ``PermanentFailure``, and the message is recorded as rejected.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from nrm.notify.models import OutboxMessage

PERMANENT_STATUSES = frozenset({400, 403})


class NotifyClient(Protocol):
    """The part of ``notifications_python_client``'s client used here (the library is untyped)."""

    def get_all_notifications(self, *, reference: str) -> dict[str, Any]: ...

    def send_email_notification(self, *, email_address: str, template_id: str, personalisation: dict[str, str],
                                reference: str) -> dict[str, Any]: ...


class PermanentFailure(Exception):
    """Notify refused the message for a reason that sending it again will not change."""


def notify_enabled() -> bool:
    return bool(settings.NOTIFY_API_KEY)


def templates() -> dict[str, str]:
    try:
        table = json.loads(settings.NOTIFY_TEMPLATES or "{}")
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"NRM_NOTIFY_TEMPLATES is not JSON: {exc}") from exc
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ImproperlyConfigured("NRM_NOTIFY_TEMPLATES must map message kinds to template ids")
    return {str(kind): value for kind, value in table.items()}


def template_for(kind: str) -> str:
    table = templates()
    template = table.get(kind) or table.get("default")
    if not template:
        raise PermanentFailure(f"No GOV.UK Notify template for message kind {kind!r} (NRM_NOTIFY_TEMPLATES)")
    return template


def link_for(message: OutboxMessage) -> str:
    """Where the recipient reads the message in the service: a partner's inbox, or the start page."""
    base = settings.NRM_BASE_URL.rstrip("/")
    return f"{base}/inbox/" if message.recipient_organisation_id else f"{base}/"


def _client() -> NotifyClient:
    client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
        settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=settings.NOTIFY_TIMEOUT_SECONDS)
    return cast(NotifyClient, client)


def _already_sent(client: NotifyClient, reference: str) -> str | None:
    """The id of a notification Notify already holds with this reference, if any."""
    found = client.get_all_notifications(reference=reference)
    notifications = found.get("notifications") or []
    return str(notifications[0]["id"]) if notifications else None


def notify_send(message: OutboxMessage, *, reference: str) -> str:
    """Send ``message`` by email through Notify; Notify's notification id. Raises
    ``PermanentFailure`` on a 400 or 403, anything else on a failure worth retrying."""
    client = _client()
    try:
        if message.attempts > 1 and (existing := _already_sent(client, reference)):
            return existing
        response = client.send_email_notification(
            email_address=message.recipient_email,
            template_id=template_for(message.kind),
            personalisation={"subject": message.subject, "body": message.body, "link": link_for(message)},
            reference=reference,
        )
    except HTTPError as exc:
        if exc.status_code in PERMANENT_STATUSES:
            raise PermanentFailure(str(exc)) from exc
        raise
    return str(response["id"])
