from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from nrm.site.navigation import navigation_for


def service(request: HttpRequest) -> dict[str, Any]:
    return {
        "navigation": navigation_for(request),
        "session_timeout_seconds": settings.SESSION_IDLE_TIMEOUT,
    }
