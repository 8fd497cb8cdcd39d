"""The API's schema: open while developing, for signed-in users and clients only in production."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from nrm.accounts.roles import Role
from nrm.testing import sign_in

pytestmark = pytest.mark.django_db


def test_in_production_the_schema_needs_a_signed_in_user(settings: Any, make_user: Any) -> None:
    production = {**settings.SPECTACULAR_SETTINGS, "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"]}
    with override_settings(SPECTACULAR_SETTINGS=production):
        assert Client().get(reverse("api:schema")).status_code in {401, 403}
        signed_in = sign_in(Client(), make_user(Role.FIRST_RESPONDER))
        assert signed_in.get(reverse("api:schema")).status_code == 200

