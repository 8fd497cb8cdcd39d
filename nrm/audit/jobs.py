"""Periodic audit jobs (run by the worker through ``nrm.core.periodic``)."""

from __future__ import annotations

from django.conf import settings

from nrm.audit.seals import audit_seal_if_changed
from nrm.core.periodic import register


@register("audit.seal")
def audit_seal_job() -> int:
    """Seal the audit chain outside the database once per worker period, if it grew: 1 if sealed."""
    seal = audit_seal_if_changed(directory=settings.AUDIT_SEAL_DIR, key=settings.AUDIT_SEAL_KEY)
    return 0 if seal is None else 1
