"""Token authentication, scope checks, the per-client rate limit and the record of each call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from nrm.accounts.capabilities import may
from nrm.api.models import ApiCall, ApiClient
from nrm.api.scopes import SCOPE_CAPABILITY, Scope
from nrm.api.services import client_for_token

RATE_WINDOW = timedelta(minutes=1)
RATE_LIMIT = 120  # calls per client per window


def now() -> datetime:
    """The clock the rate limit and the call records read (one clock, so a test can hold it)."""
    return timezone.now()


class ClientTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer nrm_<key id>_<secret>``. The request runs as the client's own account."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiClient] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise AuthenticationFailed("Send one token: Authorization: Bearer <token>")
        client = client_for_token(header[1].decode("latin-1"))
        if client is None or not client.acting_as.is_active:
            raise AuthenticationFailed("The token is not valid, or has been rotated or revoked")
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
        request._request.nrm_api_client = client  # type: ignore[attr-defined]  # for the call record
        return client.acting_as, client

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def needs_scope(*scopes: Scope) -> type[BasePermission]:
    """A permission: any one of ``scopes`` held by the token (a signed-in person holds every scope)
    together with the capability behind it, held in some organisation, through the one capability table."""

    class _Needs(BasePermission):
        message = f"This needs the {' or '.join(s.value for s in scopes)} scope."

        def has_permission(self, request: Request, view: Any) -> bool:
            client = request.auth if isinstance(request.auth, ApiClient) else None
            return any(may(request.user, SCOPE_CAPABILITY[scope]) for scope in scopes
                       if client is None or scope.value in client.scopes)

    _Needs.__name__ = "Needs_" + "_".join(s.name for s in scopes)
    return _Needs


class ClientRateThrottle(BaseThrottle):
    """A fixed window per client, counted from the call records in the database (shared by every
    web instance). Over the limit: 429 with Retry-After."""

    def __init__(self) -> None:
        self._wait = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        at = now()
        epoch = int(at.timestamp())
        size = int(RATE_WINDOW.total_seconds())
        start = at - timedelta(seconds=epoch % size)
        if ApiCall.objects.filter(client=client, at__gte=start).count() < RATE_LIMIT:
            return True
        self._wait = float(size - epoch % size)
        return False

    def wait(self) -> float:
        return self._wait


class ApiCallRecorder:
    """Middleware: records every call a client made (client, method, path, status; no bodies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        client = getattr(request, "nrm_api_client", None)
        if client is not None:
            ApiCall.objects.create(client=client, at=now(), method=request.method or "",
                                   path=request.path[:300], status=response.status_code)
        return response



class ClientTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """How the OpenAPI document describes the client token."""

    target_class = "nrm.api.auth.ClientTokenAuthentication"
    name = "clientToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "nrm_<key id>_<secret>"}
