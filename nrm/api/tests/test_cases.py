"""Cases over the API: scoped by ``cases_visible_to`` for the client's account, and by its scopes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from nrm.accounts.roles import Role
from nrm.api.scopes import Scope
from nrm.api.services import api_client_create
from nrm.cases.tests.factories import make_case
from nrm.reference.models import Organisation

pytestmark = pytest.mark.django_db


def _token(role: Role, slug: str, *scopes: Scope) -> str:
    _client, token = api_client_create(organisation=Organisation.objects.get(slug=slug), name="System",
                                       role=role, scopes=[s.value for s in scopes])
    return token


def _get(token: str, url: str) -> tuple[int, object]:
    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    return response.status_code, response.json()


def test_the_competent_authority_reads_its_own_cases_only() -> None:
    sca = make_case(competent_authority="SCA")
    ieca = make_case(competent_authority="IECA")
    token = _token(Role.CASEWORKER, "sca", Scope.CASES_READ)
    status, body = _get(token, reverse("api:cases"))
    assert status == 200
    assert [c["reference"] for c in body] == [sca.reference]  # type: ignore[attr-defined]
    assert _get(token, reverse("api:case", kwargs={"case_id": sca.pk}))[0] == 200
    assert _get(token, reverse("api:case", kwargs={"case_id": ieca.pk}))[0] == 404


def test_a_first_responder_reads_its_organisations_referrals_and_needs_the_scope() -> None:
    own = make_case(first_responder_organisation="police-e23000001")
    other = make_case(first_responder_organisation="salvation-army")
    token = _token(Role.FIRST_RESPONDER, "police-e23000001", Scope.REFERRALS_READ)
    status, body = _get(token, reverse("api:cases"))
    assert status == 200
    assert {c["id"] for c in body} == {str(own.pk)}  # type: ignore[attr-defined]
    assert _get(token, reverse("api:case", kwargs={"case_id": other.pk}))[0] == 404
    writer = _token(Role.FIRST_RESPONDER, "police-e23000001", Scope.REFERRALS_WRITE)
    assert _get(writer, reverse("api:cases"))[0] == 403
