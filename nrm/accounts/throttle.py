"""Counting events per client address in a sliding window, for throttling.

Addresses are stored as a keyed hash, never in the clear. The count is approximate under
concurrency (two requests may both pass the last slot), which is enough for throttling.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from nrm.accounts.models import RateEvent
from nrm.core.proxies import client_address


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    window: timedelta


def sign_in_failures() -> Limit:
    return Limit("sign_in_failure", settings.NRM_ADDRESS_FAILURE_LIMIT, timedelta(minutes=15))


def concern_requests() -> Limit:
    return Limit("concern", settings.NRM_CONCERN_LIMIT_PER_HOUR, timedelta(hours=1))


def password_reset_requests() -> Limit:
    return Limit("password_reset", settings.NRM_PASSWORD_RESET_LIMIT_PER_HOUR, timedelta(hours=1))


def address_key(request: HttpRequest) -> str:
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, b"address:" + (client_address(request) or "unknown").encode(), hashlib.sha256).hexdigest()


def is_limited(*, limit: Limit, request: HttpRequest) -> bool:
    """True when the address has reached the limit within the window."""
    since = timezone.now() - limit.window
    return RateEvent.objects.filter(scope=limit.scope, key=address_key(request), at__gt=since).count() >= limit.count


def record(*, limit: Limit, request: HttpRequest) -> None:
    """Count one event for the address, and forget this scope's events older than the window."""
    now = timezone.now()
    RateEvent.objects.filter(scope=limit.scope, at__lte=now - limit.window).delete()
    RateEvent.objects.create(scope=limit.scope, key=address_key(request), at=now)


def clear(*, scope: str | None = None) -> int:
    """Forget counted events (all, or one scope); returns how many."""
    events = RateEvent.objects.all() if scope is None else RateEvent.objects.filter(scope=scope)
    return int(events.delete()[0])
