"""Every page that shows personal data records the read in the audit log, by default.

:class:`ReadAuditMiddleware` looks at each page a signed-in user opens successfully (``GET``,
status 200). Unless the page is declared in :data:`PAGES_WITHOUT_PERSONAL_DATA`, and unless the
view already recorded its own read event (``case.viewed``, ``review.papers_viewed``...), it
writes one: ``case.viewed`` on a case's pages, ``referral.viewed`` on a referral's pages (held
with the draft while it is one, see ``nrm.referrals.services``), ``page.viewed`` elsewhere, with
the page's name and its path parameters. A new page is audited without anyone remembering to;
``nrm/site/tests/test_read_audit.py`` opens every page the resolver lists and checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from nrm.audit.models import AuditEvent
from nrm.audit.services import audit_record
from nrm.cases.models import Case
from nrm.core.middleware import current_request_id

# URL namespaces and names whose pages show no personal data: public information, signing in,
# starting something new, confirmations, statistics (published or pseudonymised aggregates), and
# partner systems (the names and addresses of an organisation's API clients and webhooks).
NAMESPACES_WITHOUT_PERSONAL_DATA = frozenset({"site", "accounts", "stats", "api", "partner_systems"})
PAGES_WITHOUT_PERSONAL_DATA = frozenset({
    "referrals:start", "referrals:dtn_sent", "referrals:concern_new", "referrals:concern_sent",
})


def shows_personal_data(view_name: str) -> bool:
    namespace = view_name.split(":", 1)[0]
    return namespace not in NAMESPACES_WITHOUT_PERSONAL_DATA and view_name not in PAGES_WITHOUT_PERSONAL_DATA


def _referral_read(request: HttpRequest, view_name: str, kwargs: dict[str, Any]) -> bool:
    from nrm.referrals.models import Referral
    from nrm.referrals.services import referral_record_view

    referral = Referral.objects.filter(pk=kwargs["referral_id"]).first()
    if referral is None:
        return False
    referral_record_view(referral=referral, actor=request.user, where=view_name)
    return True


def record_page_read(request: HttpRequest, view_name: str, kwargs: dict[str, Any]) -> None:
    """Write the read event for one page view (see the module's description)."""
    if view_name.startswith("referrals:") and "referral_id" in kwargs and _referral_read(request, view_name, kwargs):
        return
    params = {key: str(value) for key, value in sorted(kwargs.items())}
    case = Case.objects.filter(pk=kwargs["case_id"]).first() if "case_id" in kwargs else None
    if case is not None:
        audit_record(actor=request.user, action="case.viewed", target=case, after={"page": view_name, "params": params})
        return
    audit_record(actor=request.user, action="page.viewed", target=request.user,
                 after={"page": view_name, "params": params})


def _last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _read_recorded_since(last_id: int, request_id: str) -> bool:
    from nrm.referrals.models import DraftEvent

    if AuditEvent.objects.filter(id__gt=last_id, request_id=request_id, action__endswith="viewed").exists():
        return True
    return DraftEvent.objects.filter(request_id=request_id, action="referral.viewed").exists()


class ReadAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        watched = request.method == "GET" and request.user.is_authenticated
        last_id = _last_event_id() if watched else 0
        response = self.get_response(request)
        match = request.resolver_match
        if not watched or response.status_code != 200 or match is None or not match.view_name:
            return response
        if shows_personal_data(match.view_name) and not _read_recorded_since(last_id, current_request_id() or ""):
            record_page_read(request, match.view_name, dict(match.kwargs))
        return response
