"""The whole checked-in OpenAPI document run against the app with real tokens (and an analyst's
session for the statistics): no 5xx, no status code the document does not list for the operation,
the documented content type, and every answer, errors included, matching its schema (bounded: 20
examples per operation)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from jsonschema import Draft4Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.api.scopes import Scope
from nrm.api.services import api_client_create
from nrm.notify.services import outbox_add
from nrm.reference.models import Organisation
from nrm.testing import sign_in

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"
schema = schemathesis.openapi.from_path(DOCUMENT)
APP = get_wsgi_application()
TOMORROW = date.today() + timedelta(days=1)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _token(path: str) -> str:
    if path.startswith("/api/v1/cases"):
        role, slug, scopes = Role.CASEWORKER, "sca", [Scope.CASES_READ, Scope.CASES_DECIDE]
    elif path.startswith("/api/v1/referrals"):
        role, slug, scopes = Role.FIRST_RESPONDER, "police-e23000001", [Scope.REFERRALS_READ,
                                                                         Scope.REFERRALS_WRITE]
    elif path.startswith("/api/v1/exports"):
        role, slug, scopes = Role.ANALYST, "ho-analysis", [Scope.EXPORTS_HTCDS]
    else:
        role, slug, scopes = Role.PARTNER_RECIPIENT, "police-e23000001", [Scope.MESSAGES_READ,
                                                                           Scope.MESSAGES_ACKNOWLEDGE]
    _client, token = api_client_create(organisation=Organisation.objects.get(slug=slug), name="Fuzz",
                                       role=role, scopes=[s.value for s in scopes])
    return token


def _analyst_session() -> dict[str, str]:
    """Cookies and the CSRF header of a signed-in analyst (the statistics endpoint takes a session)."""
    from nrm.accounts.services import membership_grant

    user = User.objects.create_user(f"analyst.{User.objects.count()}@example.gov.uk", None, full_name="Analyst")
    membership_grant(user=user, organisation=Organisation.objects.get(slug="ho-analysis"), role=Role.ANALYST)
    browser = sign_in(Client(), user)
    csrf = _get_new_csrf_string()
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}; "
                      f"{settings.CSRF_COOKIE_NAME}={csrf}",
            "X-CSRFToken": csrf}


def _headers(path: str) -> dict[str, str]:
    if path.startswith("/api/v1/statistics"):
        return _analyst_session()
    return {"Authorization": f"Bearer {_token(path)}"}


@pytest.fixture
def _connections_kept() -> Iterator[None]:
    """As Django's test client does: the app must not close the test's connection after each call."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("_connections_kept")
@schema.parametrize()
@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_within_its_schema(case: Any) -> None:
    case.call_and_validate(app=APP, headers=_headers(case.path), checks=CHECKS)


def _json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable: true`` becomes a type that allows null."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") and "type" in node:
        converted["type"] = [node["type"], "null"]
    return converted


def _error_validator() -> Draft4Validator:
    document = yaml.safe_load(DOCUMENT.read_text())
    return Draft4Validator(_json_schema(document["components"]["schemas"]["Error"]))


@pytest.mark.django_db
def test_undocumented_methods_answer_405_with_the_error_body() -> None:
    validator = _error_validator()
    document = yaml.safe_load(DOCUMENT.read_text())
    for path, operations in document["paths"].items():
        if "{" in path or path.endswith("/schema"):
            continue
        for method in {"get", "post", "put", "patch", "delete"} - set(operations):
            response = Client().generic(method.upper(), path, b"{}", content_type="application/json",
                                        headers=_headers(path))
            assert response.status_code == 405, (method, path, response.status_code)
            assert set(response["Allow"].replace(" ", "").lower().split(",")) >= set(operations)
            validator.validate(response.json())


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "content_type", "status", "error", "acknowledge_by"), [
    (b"{", "application/json", 400, "ParseError", TOMORROW),
    (b'{"crime_reference": "\\u0000"}', "application/json", 400, "ParseError", TOMORROW),
    (b"[" * 5000 + b"]" * 5000, "application/json", 413, "RequestTooLarge", TOMORROW),
    (b" " * (128 * 1024), "application/json", 413, "RequestTooLarge", TOMORROW),
    (b"crime_reference=1", "application/x-www-form-urlencoded", 415, "UnsupportedMediaType", TOMORROW),
    (b'{"crime_reference": []}', "application/json", 400, "ValidationError", TOMORROW),
    (b"{}", "application/json", 400, "ValidationError", TOMORROW),
    (b"{}", "application/json", 409, "Conflict", None),
])
def test_each_refusal_has_the_one_documented_error_body(body: bytes, content_type: str, status: int,
                                                       error: str, acknowledge_by: date | None) -> None:
    """Every answer an operation documents besides a success uses the one ``Error`` schema, and the API
    really answers with it (the generated tests rarely reach these)."""
    document = yaml.safe_load(DOCUMENT.read_text())
    for operations in document["paths"].values():
        for operation in operations.values():
            for code, response in operation["responses"].items():
                if not code.startswith("2"):
                    assert any(c["schema"] == {"$ref": "#/components/schemas/Error"}
                               for c in response["content"].values()), (operation["operationId"], code)
    message = outbox_add(kind="crime_referral", subject="Crime referral", body="Please record a crime.",
                         recipient_organisation=Organisation.objects.get(slug="police-e23000001"),
                         acknowledge_by=acknowledge_by)
    url = f"/api/v1/messages/{message.pk}/acknowledge"
    response = Client().post(url, body, content_type=content_type,
                             headers={"Authorization": f"Bearer {_token(url)}"})
    assert response.status_code == status
    assert response.json()["error"] == error
    _error_validator().validate(response.json())
