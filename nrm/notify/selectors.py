from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet

from nrm.accounts.capabilities import Capability, organisations_with
from nrm.notify.models import DeliveryStatus, MessageKind, MessageStatus, OutboxMessage, WorkerHeartbeat


def inbox_for(user: Any) -> QuerySet[OutboxMessage]:
    """Messages addressed to the organisations where the user receives partner messages."""
    organisations = organisations_with(user, Capability.RECEIVE_PARTNER_MESSAGES, Capability.FOLLOW_REFERRALS)
    return OutboxMessage.objects.filter(recipient_organisation__in=organisations).exclude(
        kind=MessageKind.WEBHOOK).select_related("recipient_organisation")


PARTNER_KINDS = ("crime_referral", "safeguarding", "guardian", "support", "reminder")


def partner_inbox_for(user: Any) -> QuerySet[OutboxMessage]:
    """Crime referrals, child safeguarding notifications, referrals to a child trafficking guardian
    service, support referrals (which reach a partner
    only as children's services, the provider for a child) and their reminders addressed to the
    organisations where the user receives partner messages (a police crime unit, children's social
    care). Nothing else, and nobody else's."""
    if not getattr(user, "is_authenticated", False):
        return OutboxMessage.objects.none()
    organisations = organisations_with(user, Capability.RECEIVE_PARTNER_MESSAGES)
    return OutboxMessage.objects.filter(recipient_organisation__in=organisations, kind__in=PARTNER_KINDS).select_related(
        "recipient_organisation", "acknowledged_by"
    )


def outbox_backlog() -> tuple[int, datetime | None]:
    """How many messages wait to be sent, and when the oldest of them was written (None if none)."""
    pending = OutboxMessage.objects.filter(status=MessageStatus.PENDING)
    summary = pending.aggregate(count=Count("pk"), oldest=Min("created_at"))
    return int(summary["count"]), summary["oldest"]


def workers_alive(*, since: datetime) -> tuple[int, datetime | None]:
    """How many workers have beaten since ``since`` without saying they stopped, and the latest
    beat of any worker (None if no worker ever ran)."""
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=since, stopped_at__isnull=True).count()
    latest = WorkerHeartbeat.objects.aggregate(latest=Max("seen_at"))["latest"]
    return alive, latest


def outbox_undeliverable() -> QuerySet[OutboxMessage]:
    """Messages that will not arrive and will not be retried: refused by the provider (a 400 or
    403 from GOV.UK Notify), or reported by a delivery receipt as a permanent failure (the address
    does not exist). Someone has to find another way to reach the recipient."""
    return OutboxMessage.objects.filter(
        Q(status=MessageStatus.REJECTED) | Q(delivery_status=DeliveryStatus.PERMANENT_FAILURE)
    ).select_related("recipient_organisation").order_by("created_at")
