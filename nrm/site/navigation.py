"""The service navigation, by role. Each entry names a URL; entries whose page a domain has
not (yet) provided are left out."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from nrm.accounts.capabilities import Capability, capabilities_of

# (url name, text, capabilities any of which shows it; empty: every signed-in user). Who holds a
# capability is the table in nrm.accounts.capabilities, the same one every page's access check reads.
NAVIGATION: tuple[tuple[str, str, frozenset[Capability]], ...] = (
    ("site:home", "Home", frozenset()),
    ("referrals:list", "Your referrals", frozenset({Capability.REFER, Capability.CONTRIBUTE})),
    ("referrals:concern_inbox", "Requests to refer", frozenset({Capability.REFER})),
    ("cases:referred", "Decisions on your referrals", frozenset({Capability.FOLLOW_REFERRALS})),
    ("cases:information_requests", "Requests for information", frozenset({Capability.FOLLOW_REFERRALS})),
    ("referrals:concern_new", "Ask a first responder to refer", frozenset({Capability.RAISE_CONCERN})),
    ("inbox:list", "Inbox", frozenset({Capability.RECEIVE_PARTNER_MESSAGES})),
    ("cases:queue", "Cases", frozenset({Capability.WORK_CASES})),
    ("cases:dashboard", "Dashboard", frozenset({Capability.SUPERVISE_CASES})),
    ("reviews:panel_list", "Panel reviews", frozenset({Capability.REVIEW_ON_PANEL})),
    ("reviews:second_line_list", "Second-line reviews", frozenset({Capability.SUPERVISE_CASES})),
    ("reviews:dashboard", "Panel dashboard", frozenset({Capability.CHAIR_PANEL, Capability.SUPERVISE_CASES})),
    ("support:list", "People supported", frozenset({Capability.PROVIDE_SUPPORT})),
    ("stats:publications", "Statistics", frozenset({Capability.ANALYSE})),
    ("stats:questions", "Answer a question", frozenset({Capability.ANALYSE})),
    ("administration:home", "Administration", frozenset({Capability.ADMINISTER})),
)


def navigation_for(request: Any) -> list[dict[str, Any]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    held = capabilities_of(user)
    items = []
    for name, text, shown_to in NAVIGATION:
        if shown_to and not shown_to & held:
            continue
        try:
            href = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"href": href, "text": text, "active": request.path == href})
    items.append({"href": reverse("accounts:logout"), "text": "Sign out"})
    return items
