"""The checked-in OpenAPI document is the one the service serves. When an endpoint changes,
regenerate it with ``.venv/bin/python -m nrm.cli spectacular --file docs/api/openapi.yaml --validate``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client
from django.urls import reverse

CHECKED_IN = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"


@pytest.mark.django_db
def test_the_served_schema_is_the_checked_in_document() -> None:
    response = Client().get(reverse("api:schema"))
    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    assert served == yaml.safe_load(CHECKED_IN.read_text()), (
        "docs/api/openapi.yaml is out of date: regenerate it (see this test's module docstring)")


@pytest.mark.django_db
def test_every_client_endpoint_declares_the_token() -> None:
    paths = yaml.safe_load(CHECKED_IN.read_text())["paths"]
    for path in ("/api/v1/messages", "/api/v1/messages/{message_id}", "/api/v1/messages/{message_id}/acknowledge"):
        for operation in paths[path].values():
            assert {"clientToken": []} in operation["security"]
