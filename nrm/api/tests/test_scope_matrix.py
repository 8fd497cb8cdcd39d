"""Every client endpoint, every scope, an object of the client's own organisation or another's:
200 when the scope opens the endpoint and the object is the client's, 404 when it is another's,
403 when the scope does not open the endpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.roles import Role
from nrm.api.scopes import Scope
from nrm.api.services import api_client_create
from nrm.cases.standards import standard_in_force
from nrm.cases.tests.factories import make_case, make_staff
from nrm.notify.services import outbox_add
from nrm.reference.models import Organisation
from nrm.referrals.models import Referral
from nrm.referrals.services import draft_expires_at
from nrm.referrals.tests.answer_sets import ADULT

pytestmark = pytest.mark.django_db

# The role (and organisation) a client holding each scope acts as.
HOLDER: dict[Scope, tuple[Role, str]] = {
    Scope.REFERRALS_READ: (Role.FIRST_RESPONDER, "police-e23000001"),
    Scope.REFERRALS_WRITE: (Role.FIRST_RESPONDER, "police-e23000001"),
    Scope.MESSAGES_READ: (Role.PARTNER_RECIPIENT, "police-e23000001"),
    Scope.MESSAGES_ACKNOWLEDGE: (Role.PARTNER_RECIPIENT, "police-e23000001"),
    Scope.CASES_READ: (Role.CASEWORKER, "sca"),
    Scope.CASES_DECIDE: (Role.CASEWORKER, "sca"),
    Scope.EXPORTS_HTCDS: (Role.ANALYST, "ho-analysis"),
}


def _message(own: bool, scope: Scope) -> Any:
    slug = "police-e23000001" if own else "la-e09000007"
    return outbox_add(kind="crime_referral" if own else "safeguarding", subject="Message", body="Body.",
                      recipient_organisation=Organisation.objects.get(slug=slug),
                      acknowledge_by=timezone.localdate() + timedelta(days=2))


def _draft(own: bool, scope: Scope) -> Any:
    """A complete draft, ready to send, of the client's organisation or another's."""
    organisation = Organisation.objects.get(slug="police-e23000001" if own else "salvation-army")
    return Referral.objects.create(organisation=organisation, author=make_staff(Role.FIRST_RESPONDER, organisation),
                                   answers=dict(ADULT), last_step="check", expires_at=draft_expires_at())


def _decision() -> dict[str, Any]:
    return {"stage": "RG", "outcome": "positive", "rationale": "Consistent account.",
            "standard_applied": standard_in_force("RG", on=timezone.localdate()).code}


def _case(own: bool, scope: Scope) -> Any:
    if HOLDER[scope][0] == Role.CASEWORKER:
        return make_case(competent_authority="SCA" if own else "IECA")
    return make_case(first_responder_organisation="police-e23000001" if own else "salvation-army")


@dataclass(frozen=True)
class Endpoint:
    name: str
    opened_by: frozenset[Scope]
    param: str = ""
    make: Callable[[bool, Scope], Any] | None = None
    method: str = "get"
    body: Callable[[], dict[str, Any]] | None = None
    ok: int = 200


ENDPOINTS = [
    Endpoint("api:messages", frozenset({Scope.MESSAGES_READ})),
    Endpoint("api:message", frozenset({Scope.MESSAGES_READ}), "message_id", _message),
    Endpoint("api:message_acknowledge", frozenset({Scope.MESSAGES_ACKNOWLEDGE}), "message_id", _message,
             "post", lambda: {"crime_reference": "42/12345/26"}),
    Endpoint("api:cases", frozenset({Scope.CASES_READ, Scope.REFERRALS_READ})),
    Endpoint("api:case", frozenset({Scope.CASES_READ, Scope.REFERRALS_READ}), "case_id", _case),
    Endpoint("api:export_htcds", frozenset({Scope.EXPORTS_HTCDS}), body=lambda: {"from": "2024-01-01", "to": "2024-01-31"}),
    Endpoint("api:case_decide", frozenset({Scope.CASES_DECIDE}), "case_id", _case, "post", _decision, 201),
    Endpoint("api:referrals", frozenset({Scope.REFERRALS_READ, Scope.REFERRALS_WRITE})),
    Endpoint("api:referrals", frozenset({Scope.REFERRALS_WRITE}), method="post", body=dict, ok=201),
    Endpoint("api:referral_questions", frozenset({Scope.REFERRALS_READ, Scope.REFERRALS_WRITE})),
    Endpoint("api:referral", frozenset({Scope.REFERRALS_READ, Scope.REFERRALS_WRITE}), "referral_id", _draft),
    Endpoint("api:referral", frozenset({Scope.REFERRALS_WRITE}), "referral_id", _draft, "patch",
             lambda: {"answers": {"other_names": "Tom"}}),
    Endpoint("api:referral_submit", frozenset({Scope.REFERRALS_WRITE}), "referral_id", _draft, "post"),
]


def _cases() -> list[tuple[Endpoint, Scope, bool]]:
    return [(endpoint, scope, own) for endpoint in ENDPOINTS for scope in Scope
            for own in ((True, False) if endpoint.param else (True,))]


@pytest.mark.parametrize(("endpoint", "scope", "own"), _cases(),
                         ids=lambda v: f"{v.method} {v.name}" if isinstance(v, Endpoint) else str(v))
def test_scope_and_organisation_decide_the_answer(endpoint: Endpoint, scope: Scope, own: bool) -> None:
    role, slug = HOLDER[scope]
    _client, token = api_client_create(organisation=Organisation.objects.get(slug=slug), name="System",
                                       role=role, scopes=[scope.value])
    kwargs = {endpoint.param: endpoint.make(own, scope).pk} if endpoint.make else {}
    url = reverse(endpoint.name, kwargs=kwargs)
    body = endpoint.body() if endpoint.body else {}
    response = getattr(Client(), endpoint.method)(url, body, content_type="application/json",
                                                  HTTP_AUTHORIZATION=f"Bearer {token}")
    expected = 403 if scope not in endpoint.opened_by else (endpoint.ok if own else 404)
    assert response.status_code == expected
