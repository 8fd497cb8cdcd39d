"""Putting messages in the outbox, sending them, and acknowledging partner messages."""

from __future__ import annotations

import logging
import re
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from nrm.audit.services import audit_record
from nrm.core.errors import ServiceError
from nrm.notify.delivery import outbox_send_due, outbox_send_one
from nrm.notify.models import DeliveryStatus, MessageKind, OutboxMessage
from nrm.notify.webhooks import webhook_deliveries_for

logger = logging.getLogger(__name__)


# Words that would tell anyone who sees an email's subject (a shared mailbox, a phone's lock
# screen, a mail server's log) how a case was decided. Subjects say what a message is about; the
# outcome is read in the service.
OUTCOME_WORDS = re.compile(r"\b(positive|negative|disqualif\w*|refused|accepted|rejected)\b", re.IGNORECASE)


def subject_problem(subject: str) -> str | None:
    found = OUTCOME_WORDS.search(subject)
    return f"A message subject must not carry a decision's outcome ({found.group(0)!r})" if found else None


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
    """Write a message in the caller's transaction; it is sent after the transaction commits, with
    a webhook delivery to each of the recipient organisation's endpoints that take its event."""
    if recipient_organisation is None and not recipient_email:
        raise ValueError("A message needs a recipient organisation or an email address")
    if problem := subject_problem(subject):
        raise ValueError(problem)
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

    for sent in [message, *webhook_deliveries_for(message, about=about)]:
        transaction.on_commit(partial(send_outbox_message.enqueue, str(sent.pk)))
    return message


def outbox_send(message: OutboxMessage) -> bool:
    """Send one message now if it is due and no other worker holds it (see ``nrm.notify.delivery``)."""
    return outbox_send_one(message_id=message.pk)


CRIME_REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /\-]{2,39}$")


def outbox_acknowledge(*, message: OutboxMessage, user: Any, crime_reference: str = "") -> OutboxMessage:
    """Acknowledge a partner message. A police force acknowledges a crime referral by giving the
    reference it recorded the crime under (Home Office Counting Rules: a referral is recorded as a
    crime), so the competent authority and the first responder can quote it."""
    if not message.requires_acknowledgement:
        raise ServiceError("This message does not need acknowledging.")
    if message.acknowledged_at:
        return message
    crime_reference = " ".join(crime_reference.split()).upper()
    if message.kind == MessageKind.CRIME_REFERRAL:
        if not crime_reference:
            raise ServiceError("Enter the crime reference number", field="crime_reference")
        if not CRIME_REFERENCE_RE.match(crime_reference):
            raise ServiceError("Crime reference number must be 3 to 40 letters, numbers, spaces, hyphens or "
                               "slashes, like 42/12345/26", field="crime_reference")
    elif crime_reference:
        raise ServiceError("Only a crime referral takes a crime reference number", field="crime_reference")
    with transaction.atomic():
        message.acknowledged_at = timezone.now()
        message.acknowledged_by = user
        message.crime_reference = crime_reference
        message.save(update_fields=["acknowledged_at", "acknowledged_by", "crime_reference", "updated_at"])
        audit_record(actor=user, action="outbox.acknowledged", target=message,
                     after={"crime_reference": crime_reference} if crime_reference else None)
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


def outbox_send_pending(*, worker_id: str | None = None) -> int:
    """Send everything due (for example after the worker was down, or a worker died mid-send)."""
    total = 0
    while sent := outbox_send_due(worker_id=worker_id, limit=50):
        total += sent
    return total


def outbox_record_receipt(*, reference: str, provider_id: str, status: str) -> OutboxMessage | None:
    """Record a provider's delivery receipt on the message it is about (found by the reference it
    was sent with, the message id, or else by the provider's id); None if there is no such message.
    A receipt for a status this service does not know raises ``ValueError``."""
    if status not in DeliveryStatus.values or not status:
        raise ValueError(f"Unknown delivery status {status!r}")
    message = _message_for_receipt(reference=reference, provider_id=provider_id)
    if message is None:
        return None
    message.delivery_status = status
    message.delivery_recorded_at = timezone.now()
    if provider_id and not message.provider_id:
        message.provider_id = provider_id[:64]
    message.save(update_fields=["delivery_status", "delivery_recorded_at", "provider_id", "updated_at"])
    return message


def _message_for_receipt(*, reference: str, provider_id: str) -> OutboxMessage | None:
    try:
        by_reference = OutboxMessage.objects.filter(pk=UUID(reference)).first() if reference else None
    except ValueError:
        by_reference = None
    if by_reference is not None or not provider_id:
        return by_reference
    return OutboxMessage.objects.filter(provider_id=provider_id).first()
