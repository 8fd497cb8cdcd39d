"""The service navigation, by role. Each entry names a URL; entries whose page a domain has
not (yet) provided are left out."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from nrm.accounts.roles import Role

# (url name, text, roles that see it)
NAVIGATION: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("site:home", "Home", frozenset(Role)),
    ("referrals:list", "Your referrals", frozenset({Role.FIRST_RESPONDER, Role.CONTRIBUTOR})),
    ("referrals:concern_inbox", "Requests to refer", frozenset({Role.FIRST_RESPONDER})),
    ("cases:referred", "Decisions on your referrals", frozenset({Role.FIRST_RESPONDER})),
    ("cases:information_requests", "Requests for information", frozenset({Role.FIRST_RESPONDER})),
    ("referrals:concern_new", "Ask a first responder to refer", frozenset({Role.CONCERNED_PROFESSIONAL})),
    ("notify:inbox", "Inbox", frozenset({Role.PARTNER_RECIPIENT})),
    ("cases:queue", "Cases", frozenset({Role.CASEWORKER, Role.SENIOR_DECISION_MAKER})),
    ("cases:dashboard", "Dashboard", frozenset({Role.SENIOR_DECISION_MAKER})),
    ("reviews:panel_list", "Panel reviews", frozenset({Role.PANEL_MEMBER, Role.PANEL_CHAIR})),
    ("reviews:second_line_list", "Second-line reviews", frozenset({Role.SENIOR_DECISION_MAKER})),
    ("reviews:dashboard", "Panel dashboard", frozenset({Role.PANEL_CHAIR, Role.SENIOR_DECISION_MAKER})),
    ("support:list", "People supported", frozenset({Role.SUPPORT_PROVIDER})),
    ("stats:publications", "Statistics", frozenset({Role.ANALYST})),
    ("stats:questions", "Answer a question", frozenset({Role.ANALYST})),
)


def navigation_for(request: Any) -> list[dict[str, Any]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    roles = user.role_names()
    items = []
    for name, text, allowed in NAVIGATION:
        if not roles & {str(r) for r in allowed}:
            continue
        try:
            href = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"href": href, "text": text, "active": request.path == href})
    items.append({"href": reverse("accounts:logout"), "text": "Sign out"})
    return items
