from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nrm.audit.models import AuditEvent


def audit_events_for_case(case: Any) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(case_id=case.pk).order_by("id")
