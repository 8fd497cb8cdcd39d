from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

ALLOWED_PREFIXES = ("/sign-in", "/sign-out", "/static/", "/cookies", "/accessibility")


class SecondFactorRequiredMiddleware:
    """Users whose roles need a second factor reach nothing else until they have given one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.requires_second_factor  # type: ignore[union-attr]
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(ALLOWED_PREFIXES)
            and not request.path.startswith(settings.STATIC_URL)
        ):
            return redirect("accounts:second_factor")
        return self.get_response(request)
