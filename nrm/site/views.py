"""Pages every user can reach: home (by role), cookies, accessibility, privacy, feedback."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from nrm.accounts.roles import ROLE_DEFINITIONS, Role
from nrm.core.api_errors import error_body
from nrm.site.navigation import navigation_for

API_PREFIX = "/api/"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        try:
            concern_url = reverse("referrals:concern_new")
        except NoReverseMatch:
            concern_url = ""
        return render(request, "site/start.html",
                      {"title": "Refer a potential victim of modern slavery", "concern_url": concern_url})
    user = request.user
    memberships = list(user.active_memberships())
    roles = [ROLE_DEFINITIONS[Role(m.role.name)] for m in memberships if m.role.name in set(Role)]
    tasks = [item for item in navigation_for(request) if item["href"] not in {request.path}]
    return render(request, "site/home.html", {
        "title": "Home", "memberships": memberships, "roles": roles,
        "tasks": [t for t in tasks if t["text"] != "Sign out"],
    })


@require_GET
def cookies(request: HttpRequest) -> HttpResponse:
    return render(request, "site/cookies.html", {"title": "Cookies"})


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "site/accessibility.html", {"title": "Accessibility statement"})


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "site/privacy.html", {"title": "Privacy notice"})


@require_GET
def feedback(request: HttpRequest) -> HttpResponse:
    return render(request, "site/feedback.html", {"title": "Give feedback"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):  # a path no API operation matches: the API's own error body
        return JsonResponse(error_body("NotFound", "Not found."), status=404)
    return render(request, "site/404.html", {"title": "Page not found"}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "site/500.html", {"title": "Sorry, there is a problem with the service"}, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "site/csrf.html", {"title": "Your form could not be sent"}, status=403)
