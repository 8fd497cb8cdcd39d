"""Decisions over the API: the decision page's form and services, so the same rules refuse the same
things (recovery period, allocation, the lifecycle), and a repeat with one Idempotency-Key decides once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.roles import Role
from nrm.api.idempotency import HEADER
from nrm.api.scopes import Scope
from nrm.api.services import api_client_create
from nrm.cases.lifecycle import State
from nrm.cases.models import Decision
from nrm.cases.standards import standard_in_force
from nrm.cases.tests.factories import make_case, make_staff
from nrm.reference.models import Organisation

pytestmark = pytest.mark.django_db


def _token(*scopes: Scope, slug: str = "sca") -> str:
    _client, token = api_client_create(organisation=Organisation.objects.get(slug=slug), name="Casework system",
                                       role=Role.CASEWORKER, scopes=[s.value for s in scopes])
    return token


def _decide(token: str, case: Any, body: dict[str, Any], **headers: str) -> tuple[int, Any]:
    response = Client().post(reverse("api:case_decide", kwargs={"case_id": case.pk}), body,
                             content_type="application/json",
                             headers={"Authorization": f"Bearer {token}", **headers})
    return response.status_code, response.json()


def _positive_rg() -> dict[str, Any]:
    return {"stage": "RG", "outcome": "positive", "rationale": "Credible account, consistent with indicators.",
            "standard_applied": standard_in_force("RG", on=timezone.localdate()).code}


def test_a_positive_rg_decision_is_served_through_the_services() -> None:
    case = make_case(State.AWAITING_RG, competent_authority="SCA")
    status, body = _decide(_token(Scope.CASES_DECIDE), case, _positive_rg())
    assert status == 201, body
    assert (body["stage"], body["outcome"], body["status"]) == ("RG", "positive", "served")
    case.refresh_from_db()
    assert case.state == State.POSITIVE_RG


def test_a_negative_decision_needs_reasons_in_force_and_goes_to_review() -> None:
    case = make_case(State.AWAITING_RG, competent_authority="SCA")
    token = _token(Scope.CASES_DECIDE)
    negative = {**_positive_rg(), "outcome": "negative", "reasons": ["no_such_reason"]}
    status, body = _decide(token, case, negative)
    assert status == 400
    assert body["fields"]["reasons"] == ["Select reasons from the list"]
    status, body = _decide(token, case, {**negative, "reasons": ["rg_no_indicators"]})
    assert status == 201, body
    assert body["status"] == "proposed"
    case.refresh_from_db()
    assert case.state == State.RG_UNDER_REVIEW


@pytest.mark.parametrize(("body", "field"), [
    ({"stage": "XX"}, "stage"),
    ({"stage": "RG", "outcome": "maybe", "rationale": "r", "standard_applied": "s"}, "outcome"),
    ({"stage": "RG", "outcome": "positive", "rationale": "", "standard_applied": "s"}, "rationale"),
    ({"stage": "RG", "outcome": "positive", "rationale": 5}, "rationale"),
    ({"stage": "RG", "reasons": "rg_no_indicators"}, "reasons"),
])
def test_a_request_the_form_refuses_is_a_400_naming_the_field(body: dict[str, Any], field: str) -> None:
    case = make_case(State.AWAITING_RG, competent_authority="SCA")
    status, answer = _decide(_token(Scope.CASES_DECIDE), case, body)
    assert status == 400
    assert field in answer["fields"]
    assert not Decision.objects.filter(case=case).exists()


def test_a_cg_decision_in_the_recovery_period_is_refused_by_the_lifecycle() -> None:
    case = make_case(State.POSITIVE_RG, competent_authority="SCA")
    status, body = _decide(_token(Scope.CASES_DECIDE), case, {"stage": "CG", "outcome": "positive",
                                                              "rationale": "Conclusive."})
    assert status == 409
    assert body["message"]
    assert not Decision.objects.filter(case=case, stage="CG").exists()


def test_a_case_allocated_to_someone_else_needs_the_confirmation() -> None:
    other = make_staff(Role.CASEWORKER, "sca", full_name="Sam Other")
    case = make_case(State.AWAITING_RG, competent_authority="SCA", allocated_to=other)
    token = _token(Scope.CASES_DECIDE)
    status, body = _decide(token, case, _positive_rg())
    assert status == 400
    assert "Sam Other" in body["fields"]["confirm_allocation"][0]
    assert _decide(token, case, {**_positive_rg(), "confirm_allocation": True})[0] == 201


def test_one_idempotency_key_decides_once() -> None:
    case = make_case(State.AWAITING_RG, competent_authority="SCA")
    token = _token(Scope.CASES_DECIDE)
    first = _decide(token, case, _positive_rg(), **{HEADER: "decision-1"})
    second = _decide(token, case, _positive_rg(), **{HEADER: "decision-1"})
    assert first == second
    assert Decision.objects.filter(case=case).count() == 1


def test_another_authoritys_case_is_not_there_and_reading_is_not_deciding() -> None:
    case = make_case(State.AWAITING_RG, competent_authority="IECA")
    assert _decide(_token(Scope.CASES_DECIDE), case, _positive_rg())[0] == 404
    own = make_case(State.AWAITING_RG, competent_authority="SCA")
    assert _decide(_token(Scope.CASES_READ), own, _positive_rg())[0] == 403
    assert not Decision.objects.exists()
