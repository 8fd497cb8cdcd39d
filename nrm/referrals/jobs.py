"""Jobs the worker runs on a schedule: warn before drafts expire, then expire them."""

from __future__ import annotations

from nrm.core.periodic import register
from nrm.referrals.services import drafts_expire, drafts_warn_expiring


@register("referrals.warn_expiring_drafts")
def warn_expiring_drafts() -> int:
    return drafts_warn_expiring()


@register("referrals.expire_drafts")
def expire_drafts() -> int:
    return drafts_expire()
