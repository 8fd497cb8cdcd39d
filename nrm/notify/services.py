"""Putting messages in the outbox, sending them, and acknowledging partner messages."""

from __future__ import annotations

import logging
from datetime import date
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from nrm.audit.services import audit_record
from nrm.core.errors import ServiceError
from nrm.notify.models import MessageStatus, OutboxMessage

logger = logging.getLogger(__name__)


def outbox_add(
    *,
    kind: str,
    subject: str,
    body: str,
    recipient_organisation: Any = None,
    recipient_email: str = "",
    about: Any = None,
    acknowledge_by: date | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Write a message in the caller's transaction; it is sent after the transaction commits."""
    if recipient_organisation is None and not recipient_email:
        raise ValueError("A message needs a recipient organisation or an email address")
    if dedupe_key:
        existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    message = OutboxMessage.objects.create(
        kind=kind,
        subject=subject,
        body=body,
        recipient_organisation=recipient_organisation,
        recipient_email=recipient_email or (getattr(recipient_organisation, "inbox_email", "") or ""),
        about_type=type(about)._meta.label if about is not None else "",
        about_id=str(about.pk) if about is not None else "",
        requires_acknowledgement=acknowledge_by is not None,
        acknowledge_by=acknowledge_by,
        dedupe_key=dedupe_key,
    )
    from nrm.notify.tasks import send_outbox_message

    transaction.on_commit(partial(send_outbox_message.enqueue, str(message.pk)))
    return message


def outbox_send(message: OutboxMessage) -> None:
    """Deliver one message by email if it has an address; a partner inbox needs no delivery."""
    if message.status == MessageStatus.SENT:
        return
    message.attempts += 1
    try:
        if message.recipient_email:
            EmailMessage(
                subject=message.subject,
                body=message.body,
                from_email=getattr(settings, "DEFAULT_FROM_EMAIL", "no-reply@open-nrm.invalid"),
                to=[message.recipient_email],
            ).send(fail_silently=False)
    except Exception as exc:  # a transport failure is recorded and retried, never lost
        message.status = MessageStatus.FAILED
        message.last_error = str(exc)[:2000]
        message.save(update_fields=["status", "last_error", "attempts", "updated_at"])
        raise
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["status", "sent_at", "last_error", "attempts", "updated_at"])


def outbox_acknowledge(*, message: OutboxMessage, user: Any) -> OutboxMessage:
    if not message.requires_acknowledgement:
        raise ServiceError("This message does not need acknowledging.")
    if message.acknowledged_at:
        return message
    with transaction.atomic():
        message.acknowledged_at = timezone.now()
        message.acknowledged_by = user
        message.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
        audit_record(actor=user, action="outbox.acknowledged", target=message)
    return message


def outbox_remind_unacknowledged(today: date | None = None) -> int:
    """Send one reminder for each partner message not acknowledged by its date."""
    day = today or timezone.localdate()
    overdue = OutboxMessage.objects.filter(
        requires_acknowledgement=True,
        acknowledged_at__isnull=True,
        reminded_at__isnull=True,
        acknowledge_by__lt=day,
    ).select_related("recipient_organisation")
    count = 0
    for message in overdue:
        with transaction.atomic():
            outbox_add(
                kind="reminder",
                subject=f"Reminder: please acknowledge — {message.subject}",
                body=(
                    f"This {message.get_kind_display().lower()} was sent on {message.created_at:%d %B %Y} and "
                    f"has not been acknowledged. Please sign in and acknowledge it.\n\n{message.subject}"
                ),
                recipient_organisation=message.recipient_organisation,
                recipient_email=message.recipient_email,
                about=message,
                dedupe_key=f"reminder:{message.pk}",
            )
            message.reminded_at = timezone.now()
            message.save(update_fields=["reminded_at", "updated_at"])
        count += 1
    return count


def outbox_send_pending() -> int:
    """Retry anything not yet sent (for example after the worker was down)."""
    sent = 0
    for message in OutboxMessage.objects.filter(status__in=[MessageStatus.PENDING, MessageStatus.FAILED],
                                                attempts__lt=10):
        try:
            outbox_send(message)
            sent += 1
        except Exception:  # recorded on the message, retried next time
            logger.warning("Outbox message %s not sent; will retry", message.pk, exc_info=True)
    return sent
