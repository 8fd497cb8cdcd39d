"""The whole checked-in OpenAPI document run against the app with real tokens: no 5xx, and every
answer the document describes matches its schema (bounded: 20 examples per operation)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from nrm.accounts.roles import Role
from nrm.api.scopes import Scope
from nrm.api.services import api_client_create
from nrm.reference.models import Organisation

schema = schemathesis.openapi.from_path(Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml")
APP = get_wsgi_application()


def _token(path: str) -> str:
    if path.startswith("/api/v1/cases"):
        role, slug, scopes = Role.CASEWORKER, "sca", [Scope.CASES_READ]
    else:
        role, slug, scopes = Role.PARTNER_RECIPIENT, "police-e23000001", [Scope.MESSAGES_READ,
                                                                           Scope.MESSAGES_ACKNOWLEDGE]
    _client, token = api_client_create(organisation=Organisation.objects.get(slug=slug), name="Fuzz",
                                       role=role, scopes=[s.value for s in scopes])
    return token


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
    case.call_and_validate(app=APP, headers={"Authorization": f"Bearer {_token(case.path)}"},
                           checks=[not_a_server_error, response_schema_conformance])
