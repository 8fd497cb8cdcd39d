"""Sending outbox messages exactly once, whatever the number of workers.

1. **Claim.** A worker takes due messages with a lease: on PostgreSQL the rows are chosen with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` (workers never wait for or take each other's rows); on
   SQLite, which has a single writer, the choice and the claim are one write transaction. The
   claim records the worker and the time until which it holds.
2. **Send** with an idempotency key, the message id, carried in the email's ``Message-ID`` and in
   an ``X-NRM-Idempotency-Key`` header (a provider such as GOV.UK Notify takes it as its
   reference). If a worker dies after the provider accepted a message but before the send was
   recorded, the retry carries the same key and the provider does not deliver it twice.
3. **Record** the outcome and release the claim in one statement (one transaction). A claim
   whose worker died expires, and the message is claimed again.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from email.utils import parseaddr
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import get_random_string

from nrm.notify.govuk import PermanentFailure, notify_enabled, notify_send
from nrm.notify.models import MessageKind, MessageStatus, OutboxMessage
from nrm.notify.webhooks import webhook_post

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "X-NRM-Idempotency-Key"
MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=30)
RETRY_CEILING = timedelta(hours=1)

_PROCESS_WORKER_ID = f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"


def process_worker_id() -> str:
    """The claimant name for sends made outside a worker (for example by an immediate task)."""
    return _PROCESS_WORKER_ID


def lease() -> timedelta:
    """How long a claim holds: longer than any send takes, short enough to retry soon after a crash."""
    return timedelta(seconds=int(settings.OUTBOX_LEASE_SECONDS))


def retry_delay(attempts: int) -> timedelta:
    """Back-off after a failed attempt: 30 s, 1 min, 2 min, ... at most an hour."""
    doublings = min(max(attempts - 1, 0), 16)  # 30 s doubled 16 times is far past the ceiling
    return min(RETRY_BASE * (1 << doublings), RETRY_CEILING)


def idempotency_key(message: OutboxMessage) -> str:
    return str(message.pk)


def _due(now: datetime) -> Q:
    return (
        Q(status__in=[MessageStatus.PENDING, MessageStatus.FAILED], attempts__lt=MAX_ATTEMPTS)
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )


def outbox_claim(*, worker_id: str, limit: int = 10, message_id: UUID | str | None = None) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages (or the one given) for ``worker_id``; return those claimed."""
    now = timezone.now()
    until = now + lease()
    due = OutboxMessage.objects.filter(_due(now))
    if message_id is not None:
        due = due.filter(pk=message_id)
    with transaction.atomic():
        chosen = list(due.order_by("created_at").select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        if not chosen:
            return []
        # The due condition is checked again by the UPDATE itself, so the claim holds even where
        # the database gives no row locks.
        OutboxMessage.objects.filter(_due(now), pk__in=chosen).update(
            claimed_by=worker_id, claimed_until=until, attempts=F("attempts") + 1, updated_at=now
        )
    return list(OutboxMessage.objects.filter(pk__in=chosen, claimed_by=worker_id, claimed_until=until)
                .order_by("created_at").select_related("recipient_organisation", "webhook"))


def _email(message: OutboxMessage) -> EmailMessage:
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "no-reply@open-nrm.invalid")
    domain = parseaddr(sender)[1].rpartition("@")[2] or "open-nrm.invalid"
    key = idempotency_key(message)
    return EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=sender,
        to=[message.recipient_email],
        headers={"Message-ID": f"<outbox.{key}@{domain}>", IDEMPOTENCY_HEADER: key},
    )


def _record_sent(message: OutboxMessage, *, provider_id: str = "") -> None:
    """Mark sent and release the claim in one statement. Whoever holds the claim now, the
    message has gone, so it is recorded as sent."""
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).exclude(status=MessageStatus.SENT).update(
        status=MessageStatus.SENT, sent_at=now, last_error="", claimed_by="", claimed_until=None,
        next_attempt_at=None, updated_at=now, provider_id=provider_id,
    )


def _record_rejection(message: OutboxMessage, *, worker_id: str, error: BaseException) -> None:
    """The provider refused the message for good: recorded, released, never retried."""
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker_id).exclude(status=MessageStatus.SENT).update(
        status=MessageStatus.REJECTED, last_error=str(error)[:2000], claimed_by="", claimed_until=None,
        next_attempt_at=None, updated_at=now,
    )


def _record_failure(message: OutboxMessage, *, worker_id: str, error: BaseException) -> None:
    """Recorded with its back-off; a webhook delivery that has had all its tries is rejected for good."""
    if message.kind == MessageKind.WEBHOOK and message.attempts >= min(int(settings.WEBHOOK_MAX_ATTEMPTS), MAX_ATTEMPTS):
        _record_rejection(message, worker_id=worker_id,
                          error=PermanentFailure(f"Gave up after {message.attempts} attempts; the last: {error}"))
        return
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker_id).exclude(status=MessageStatus.SENT).update(
        status=MessageStatus.FAILED, last_error=str(error)[:2000], claimed_by="", claimed_until=None,
        next_attempt_at=now + retry_delay(message.attempts), updated_at=now,
    )


def _still_held(message: OutboxMessage, *, worker_id: str) -> bool:
    """Renew the claim just before sending; False if it ran out (another worker may have it now).
    A batch is claimed at once but sent one by one, so a slow batch cannot outlive its lease."""
    now = timezone.now()
    return bool(OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker_id, claimed_until__gt=now)
                .exclude(status=MessageStatus.SENT).update(claimed_until=now + lease()))


def outbox_deliver(*, message: OutboxMessage, worker_id: str) -> bool:
    """Send one claimed message and record the outcome; True if it went. A partner-inbox message
    with no email address needs no delivery: it is in the inbox already."""
    if not _still_held(message, worker_id=worker_id):
        logger.warning("Outbox message %s: claim ran out before sending; left to the next claim", message.pk)
        return False
    try:
        provider_id = _send(message)
    except PermanentFailure as exc:
        logger.error("Outbox message %s rejected by the provider; not retried: %s", message.pk, exc)
        _record_rejection(message, worker_id=worker_id, error=exc)
        return False
    except Exception as exc:  # a transport failure is recorded and retried, never lost
        logger.warning("Outbox message %s not sent (attempt %s); will retry", message.pk, message.attempts)
        _record_failure(message, worker_id=worker_id, error=exc)
        return False
    _record_sent(message, provider_id=provider_id)
    return True


def _send(message: OutboxMessage) -> str:
    """A webhook by its signed POST; email by GOV.UK Notify when it is configured, else by the
    email backend; the provider's id."""
    if message.kind == MessageKind.WEBHOOK:
        return webhook_post(message)
    if not message.recipient_email:
        return ""
    if notify_enabled():
        return notify_send(message, reference=idempotency_key(message))
    _email(message).send(fail_silently=False)
    return ""


def outbox_send_one(*, message_id: UUID | str, worker_id: str | None = None) -> bool:
    """Claim and send one message if it is due; False if it is sent already, claimed by another
    worker, waiting for its retry time, or its send failed."""
    claimant = worker_id or process_worker_id()
    claimed = outbox_claim(worker_id=claimant, limit=1, message_id=message_id)
    return bool(claimed) and outbox_deliver(message=claimed[0], worker_id=claimant)


def outbox_send_due(*, worker_id: str | None = None, limit: int = 10) -> int:
    """Claim a batch of due messages (new, failed and due a retry, or left by a dead worker) and
    send them; the number sent."""
    claimant = worker_id or process_worker_id()
    return sum(outbox_deliver(message=message, worker_id=claimant)
               for message in outbox_claim(worker_id=claimant, limit=limit))
