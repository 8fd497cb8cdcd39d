"""Which capability each page needs: the second half of the one capability table.

``nrm.accounts.capabilities`` says what each role may do; this module says which of those
capabilities each named URL pattern needs. ``PageAccessMiddleware`` reads it before any view (and
so before a view's own method check), and the access test in ``nrm/site/tests/test_access.py``
derives every role's expected answer on every page from the two tables together.

- ``PUBLIC``: anyone, signed in or not.
- ``SIGNED_IN``: any signed-in user (their own account).
- a set of capabilities: a signed-in user holding at least one of them in some organisation.
  Which *objects* they may then see (their own organisation's cases, drafts, messages) is
  decided by each domain's selectors, which answer 404 for anything else.

A page missing from ``PAGES`` is refused to everyone (deny by default), and the access test fails
until it is listed. A signed-out visitor is sent to sign in; a signed-in user without the
capability gets 404, whatever the method: the page is not there for them, so a 405 cannot tell
them otherwise. The API (namespace ``api``) authenticates its own clients and answers 403 itself;
it is listed here so that the access test holds it to the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from nrm.accounts.capabilities import Capability, may

C = Capability
PUBLIC: Final = "public"
SIGNED_IN: Final = "signed in"

Needs = str | frozenset[Capability]


def _needs(*capabilities: Capability) -> frozenset[Capability]:
    return frozenset(capabilities)


_CASE_FOLLOWERS = _needs(C.WORK_CASES, C.FOLLOW_REFERRALS)
_CASEWORK = _needs(C.WORK_CASES)
_REFER = _needs(C.REFER)
_DRAFTS = _needs(C.REFER, C.CONTRIBUTE)
_PANEL = _needs(C.REVIEW_ON_PANEL)
_SUPPORT = _needs(C.PROVIDE_SUPPORT)

PAGES: Mapping[str, Needs] = {
    # The service's own pages, signing in and out, requests to refer, publications.
    **dict.fromkeys([
        "site:home", "site:cookies", "site:accessibility", "site:privacy", "site:feedback", "site:api_reference",
        "site:health_live", "site:health_ready",
        "accounts:login", "accounts:second_factor", "accounts:set_up_second_factor",
        "accounts:set_up_second_factor_link", "accounts:forgotten_password", "accounts:reset_password",
        "accounts:set_password", "accounts:logout", "accounts:signed_out", "accounts:timed_out", "accounts:keepalive",
        "accounts:single_sign_on", "accounts:single_sign_on_callback",
        "referrals:concern_new", "referrals:concern_sent",
        "stats:publications", "stats:publication", "stats:download", "api:schema",
    ], PUBLIC),
    # GOV.UK Notify's delivery receipts: no user, the caller's bearer token (nrm.notify.views).
    "notify:receipts": PUBLIC,
    **dict.fromkeys(["accounts:change_password", "accounts:join"], SIGNED_IN),
    # Referrals: first responders refer; contributors add to drafts they were invited to.
    **dict.fromkeys(["referrals:list", "referrals:invitation", "referrals:contribute"], _DRAFTS),
    **dict.fromkeys([
        "referrals:start", "referrals:dtn_sent", "referrals:concern_inbox", "referrals:concern_detail",
        "referrals:concern_start_referral", "referrals:concern_close", "referrals:resume", "referrals:check", "referrals:tasks",
        "referrals:submit", "referrals:confirmation", "referrals:copy", "referrals:delete",
        "referrals:contributors", "referrals:invitation_withdraw", "referrals:attachment",
        "referrals:attachment_remove", "referrals:step", "api:referral_submit",
    ], _REFER),
    # Casework: the competent authorities, and first responders following their referrals.
    **dict.fromkeys(["cases:queue", "cases:detail", "cases:letter", "cases:letter_pdf", "cases:evidence",
                     "api:cases", "api:case"],
                    _CASE_FOLLOWERS),
    **dict.fromkeys(["api:referrals", "api:referral", "api:referral_questions"], _needs(C.REFER, C.FOLLOW_REFERRALS)),
    **dict.fromkeys(["cases:referred", "cases:information_requests", "cases:rfi_answer"],
                    _needs(C.FOLLOW_REFERRALS)),
    # Reconsideration: first responders of the referral, and the person's support provider.
    **dict.fromkeys(["cases:reconsideration", "support:reconsideration"], _needs(C.REQUEST_RECONSIDERATION)),
    **dict.fromkeys([
        "cases:rg_decision", "cases:cg_decision", "cases:rfi_new", "cases:rfi_close", "cases:note_new",
        "cases:withdraw", "cases:suspend", "cases:reactivate", "cases:close",
        "cases:disqualification_request",
        "cases:representative", "api:case_decide",
    ], _CASEWORK),
    **dict.fromkeys(["cases:allocate", "cases:allocate_bulk", "cases:dashboard", "cases:disqualification_decide", "reviews:second_line_list",
                     "reviews:second_line_review", "reviews:case_review"], _needs(C.SUPERVISE_CASES)),
    # Reviews: panels, and the dashboard of those who run them.
    **dict.fromkeys(["reviews:panel_list", "reviews:panel_review", "reviews:panel_papers"], _PANEL),
    "reviews:panel_outcome": _needs(C.CHAIR_PANEL),
    "reviews:dashboard": _needs(C.CHAIR_PANEL, C.SUPERVISE_CASES),
    # Support, partner messages, statistics.
    **dict.fromkeys(["support:list", "support:person", "support:respond", "support:episode_new",
                     "support:episode_end", "support:assessment_new", "support:end"], _SUPPORT),
    **dict.fromkeys(["inbox:list", "inbox:message", "inbox:acknowledge", "api:messages", "api:message",
                     "api:message_acknowledge"], _needs(C.RECEIVE_PARTNER_MESSAGES)),
    # Administration: organisations, their users and roles; which organisations is nrm.accounts.access.
    **dict.fromkeys([
        "administration:home", "administration:organisation", "administration:organisation_change",
        "administration:user_invite", "administration:user", "administration:user_roles",
        "administration:user_deactivate", "administration:user_reactivate",
        "administration:user_authenticator_reset", "administration:user_unlock",
    ], _needs(C.ADMINISTER)),
    **dict.fromkeys(["stats:feedback", "stats:questions", "api:stats_questions", "api:export_htcds"], _needs(C.ANALYSE)),
    # Which organisations an administrator administers is nrm.accounts.access (404 for any other).
    **dict.fromkeys(["partner_systems:clients", "partner_systems:client_new", "partner_systems:client_rotate",
                     "partner_systems:client_revoke", "partner_systems:webhook_new", "partner_systems:webhook_rotate",
                     "partner_systems:webhook_remove"], _needs(C.ADMINISTER)),
}

NEXT_LIMIT = 2000  # characters of a page's address kept to come back to after signing in

# Namespaces whose views authenticate their own clients (tokens) and refuse with 401 or 403 themselves.
SELF_AUTHENTICATING = frozenset({"api", "notify"})


def needs(view_name: str) -> Needs | None:
    """What the page named ``view_name`` needs; None if it is not listed (refused to everyone)."""
    return PAGES.get(view_name)


def allowed(user: Any, page_needs: Needs | None) -> bool:
    """Whether ``user`` may open a page that needs ``page_needs``."""
    if page_needs == PUBLIC:
        return True
    if page_needs is None or not getattr(user, "is_authenticated", False):
        return False
    if page_needs == SIGNED_IN:
        return True
    assert isinstance(page_needs, frozenset)
    return may(user, *page_needs)


class PageAccessMiddleware:
    """Refuses a page before its view runs unless the capability table lets the user open it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., HttpResponse], args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace in SELF_AUTHENTICATING:
            return None
        page_needs = needs(match.view_name)
        if allowed(request.user, page_needs):
            return None
        if page_needs is not None and not request.user.is_authenticated:
            # Back to the page asked for after signing in; a query string too long to carry in a
            # redirect (Django refuses one over 16 KB with a 400) is left behind.
            back = request.get_full_path()
            return redirect_to_login(back if len(back) <= NEXT_LIMIT else request.path)
        raise Http404("No such page")
