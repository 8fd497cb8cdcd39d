from __future__ import annotations

from nrm.core.periodic import register
from nrm.notify.services import outbox_remind_unacknowledged, outbox_send_pending


@register("notify.send_pending")
def send_pending() -> int:
    return outbox_send_pending()


@register("notify.remind_unacknowledged")
def remind_unacknowledged() -> int:
    return outbox_remind_unacknowledged()
