"""Jobs the worker runs on a schedule: warn before drafts expire, then expire them; record each
Duty to Notify report in the audit log once its day has ended; apply the retention rule to
requests to refer."""

from __future__ import annotations

from nrm.core.periodic import register
from nrm.referrals.services import (
    concerns_clear_personal_details,
    drafts_expire,
    drafts_warn_expiring,
    duty_to_notify_audit_reports,
)


@register("referrals.warn_expiring_drafts")
def warn_expiring_drafts() -> int:
    return drafts_warn_expiring()


@register("referrals.expire_drafts")
def expire_drafts() -> int:
    return drafts_expire()


@register("referrals.audit_duty_to_notify_reports")
def audit_duty_to_notify_reports() -> int:
    return duty_to_notify_audit_reports()


@register("referrals.clear_concern_personal_details")
def clear_concern_personal_details() -> int:
    return concerns_clear_personal_details()
