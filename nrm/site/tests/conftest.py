from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from nrm.notify.models import WorkerHeartbeat


@pytest.fixture
def live_worker(settings: Any) -> WorkerHeartbeat:
    """A background worker that counts as alive for the whole test (however long it runs), so
    that /health/ready answers 200 like the service's other public pages."""
    settings.WORKER_STALE_SECONDS = 24 * 60 * 60
    now = timezone.now()
    return WorkerHeartbeat.objects.create(worker_id="test-worker", hostname="test", pid=1, started_at=now, seen_at=now)
