from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

ALLOWED_PREFIXES = ("/sign-in", "/sign-out", "/static/", "/cookies", "/accessibility")
SIGNED_IN_AT = "nrm_signed_in_at"


class SessionLifetimeMiddleware:
    """Ends a session a fixed time after sign-in, however active it is (the idle timeout is the
    session cookie's sliding age)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            now = time.time()
            if started is None:
                request.session[SIGNED_IN_AT] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                return redirect("accounts:timed_out")
        return self.get_response(request)


class SecondFactorRequiredMiddleware:
    """Users whose roles need a second factor reach nothing else until they have given one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.requires_second_factor
            and not user.is_verified()
            and not request.path.startswith(ALLOWED_PREFIXES)
            and not request.path.startswith(settings.STATIC_URL)
        ):
            return redirect("accounts:second_factor")
        return self.get_response(request)


class NoStoreMiddleware:
    """No page or download this service renders is kept by a browser or a shared cache: every
    response from a view is ``Cache-Control: no-store, private`` (static files are served before
    this runs)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store, private"
        return response
