"""Periodic casework jobs (run by the worker through ``nrm.core.periodic``)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.utils import timezone

from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.cases.selectors import recovery_period_end
from nrm.cases.services import case_recovery_period_end, cases_apply_retention
from nrm.core.errors import ServiceError
from nrm.core.periodic import register
from nrm.core.rules import shortest_recovery_period_days

logger = logging.getLogger(__name__)


def recovery_periods_end(today: date | None = None) -> int:
    """Move every POSITIVE_RG case whose recovery period has run to AWAITING_CG. Returns how many."""
    day = today or timezone.localdate()
    # No recovery period has ever been shorter than the policy's shortest: a cheap first filter.
    candidates = Case.objects.filter(
        state=State.POSITIVE_RG, rg_date__lte=day - timedelta(days=shortest_recovery_period_days()),
    ).order_by("rg_date", "id")
    moved = 0
    for case in candidates.iterator(chunk_size=500):
        ends = recovery_period_end(case)
        if ends is None or ends > day:
            continue
        try:
            case_recovery_period_end(case=case, today=day)
        except ServiceError:  # changed state meanwhile (suspended, withdrawn): nothing to do
            logger.info("Case %s not moved to awaiting CG", case.pk, exc_info=True)
            continue
        moved += 1
    return moved


@register("cases.recovery_periods_end")
def recovery_periods_end_job() -> int:
    return recovery_periods_end()


@register("cases.apply_retention")
def apply_retention_job() -> int:
    """Erase closed cases past their retention (``cases_apply_retention``)."""
    return cases_apply_retention()
