from __future__ import annotations

from nrm.core.periodic import register
from nrm.support.services import support_remind_ending


@register("support.remind_ending")
def remind_ending() -> int:
    return support_remind_ending()
