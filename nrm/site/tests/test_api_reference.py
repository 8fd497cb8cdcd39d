"""The API reference page lists what the served OpenAPI document holds, and how to write safely."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client
from django.urls import reverse

from nrm.api.scopes import Scope


@pytest.mark.django_db
def test_the_api_reference_lists_every_operation_scope_and_answer() -> None:
    response = Client().get(reverse("site:api_reference"))
    body = response.content.decode()
    assert response.status_code == 200
    for scope in Scope:
        assert f"<code>{scope}</code>" in body
    assert "<code>/api/v1/cases/{case_id}</code>" in body
    assert 'id="cases_list"' in body
    assert "Parameters of GET /api/v1/cases/{case_id}" in body
    assert "Answers of POST /api/v1/messages/{message_id}/acknowledge" in body
    assert "<td class=\"govuk-table__cell\">403</td>" in body
    document = yaml.safe_load((Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml").read_text())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert f'id="{operation["operationId"]}"' in body, (method, path)
    assert "Idempotency-Key" in body
    assert "Retry-After" in body


@pytest.mark.django_db
def test_the_footer_links_to_the_api_reference() -> None:
    body = Client().get("/").content.decode()
    assert f'href="{reverse("site:api_reference")}"' in body
