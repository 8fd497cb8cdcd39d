"""Every sealed column of every model holds only ciphertext (or nothing) once a world of drafts,
cases, reviews, support and letters has been made through the services (ADR 0019). A new sealed
field is covered without listing it: the test finds them through Django's ``_meta``."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from nrm.core.crypto import TEXT_PREFIX
from nrm.core.sealing import SealedField
from nrm.site.tests.test_no_server_error import _build_world

pytestmark = pytest.mark.django_db


def test_every_sealed_column_holds_only_ciphertext(make_user: Any) -> None:
    _build_world(make_user)
    filled: set[str] = set()
    sealed = [(model, field) for model in apps.get_models() for field in model._meta.local_fields
              if isinstance(field, SealedField)]
    assert len(sealed) >= 20
    for model, field in sealed:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {connection.ops.quote_name(str(field.column))} "  # noqa: S608
                           f"FROM {connection.ops.quote_name(model._meta.db_table)}")
            values = [row[0] for row in cursor.fetchall()]
        plain = [v for v in values if v and not str(v).startswith(TEXT_PREFIX)]
        assert not plain, f"{model._meta.label}.{field.name} holds plaintext: {plain[:1]}"
        if any(values):
            filled.add(f"{model._meta.label}.{field.name}")
    assert {"referrals.Referral.answers", "referrals.Concern.summary", "cases.Decision.rationale",
            "cases.DecisionLetter.html"} <= filled, "the world fills the main sealed columns"
