"""GET /api/v1/exports/htcds: the scope, the date range, JSON or CSV, pseudonymised unless the
client's organisation has a data-sharing agreement, and every export audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.roles import Role
from nrm.api.scopes import Scope
from nrm.api.services import api_client_create
from nrm.audit.models import AuditEvent
from nrm.cases.lifecycle import State
from nrm.cases.tests.factories import make_case
from nrm.reference.models import Organisation
from nrm.stats.db_extract import referral_pseudonym

pytestmark = pytest.mark.django_db
URL = "/api/v1/exports/htcds"


def token(scope: Scope = Scope.EXPORTS_HTCDS) -> str:
    _client, secret = api_client_create(organisation=Organisation.objects.get(slug="ho-analysis"), name="Analysis",
                                        role=Role.ANALYST, scopes=[scope.value])
    return secret


def get(params: dict[str, str], bearer: str | None = None) -> Any:
    return Client().get(URL, params, HTTP_AUTHORIZATION=f"Bearer {bearer or token()}")


def span(case: Any = None) -> dict[str, str]:
    day = case.received_on if case is not None else timezone.localdate()
    return {"from": (day - timedelta(days=1)).isoformat(), "to": day.isoformat()}


def test_the_url_is_the_named_route() -> None:
    assert reverse("api:export_htcds") == URL


def test_json_is_pseudonymised_and_the_export_audited() -> None:
    case = make_case(State.POSITIVE_CG)
    response = get(span(case))
    assert response.status_code == 200
    body = response.json()
    assert body["pseudonymised"] is True
    [row] = body["cases"]
    assert row["nrm_ReferralId"] == referral_pseudonym(case.reference)
    assert row["vic_TraffickingStatus"] == "ActualVictimOfTrafficking"
    assert "prs_SecondName" not in row
    event = AuditEvent.objects.get(action="htcds.exported")
    assert event.after == {"from": span(case)["from"], "to": span(case)["to"], "cases": 1, "identifiable": False}


def test_csv_and_identifiable_with_an_agreement() -> None:
    case = make_case(State.AWAITING_RG)
    Organisation.objects.filter(slug="ho-analysis").update(identifiable_data_sharing=True)
    response = get({**span(case), "output": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["nrm_Reference"] == case.reference
    assert "prs_SecondName" in row


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2024-01-01", "to": ""}, "to"),
    ({"from": "2024-01-01"}, "to"),
    ({"from": "yesterday", "to": "2024-01-01"}, "from"),
    ({"from": "2024-02-01", "to": "2024-01-01"}, "to"),
    ({"from": "2020-01-01", "to": "2024-01-01"}, "to"),
    ({"from": "2024-01-01", "to": "2024-01-02", "output": "xml"}, "output"),
])
def test_bad_parameters_are_400_with_the_field(params: dict[str, str], field: str) -> None:
    response = get(params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_the_range_defaults_to_the_longest_allowed_up_to_today(settings: Any) -> None:
    settings.HTCDS_API_MAX_DAYS = 10
    body = get({}).json()
    assert body["received_to"] == timezone.localdate().isoformat()
    assert body["received_from"] == (timezone.localdate() - timedelta(days=9)).isoformat()


def test_another_scope_is_refused() -> None:
    assert get(span()).status_code == 200
    _partner, secret = api_client_create(organisation=Organisation.objects.get(slug="police-e23000001"),
                                        name="Police", role=Role.PARTNER_RECIPIENT, scopes=[Scope.MESSAGES_READ.value])
    assert get(span(), bearer=secret).status_code == 403
    assert Client().get(URL, span()).status_code in {401, 403}
