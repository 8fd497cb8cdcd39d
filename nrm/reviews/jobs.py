from __future__ import annotations

from nrm.core.periodic import register
from nrm.reviews.services import panels_convene_waiting, panels_remind_overdue


@register("reviews.convene_waiting_panels")
def convene_waiting_panels() -> int:
    return panels_convene_waiting()


@register("reviews.remind_overdue_panels")
def remind_overdue_panels() -> int:
    return panels_remind_overdue()
