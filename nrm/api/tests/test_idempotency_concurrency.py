"""Requests with one Idempotency-Key at the same instant write once (PostgreSQL: the key's unique
row serialises them; the second waits for the first to commit, then replays its answer)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from nrm.accounts.roles import Role
from nrm.api.idempotency import HEADER
from nrm.api.scopes import Scope
from nrm.api.services import api_client_create
from nrm.reference.models import Organisation
from nrm.referrals.models import Referral
from nrm.referrals.tests.answer_sets import ADULT
from nrm.referrals.tests.test_concurrency import on_postgres, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _post(token: str, url: str, body: dict[str, Any], key: str) -> tuple[int, Any]:
    response = Client().post(url, body, content_type="application/json",
                             headers={"Authorization": f"Bearer {token}", HEADER: key})
    return response.status_code, response.json()


def test_concurrent_creates_and_submits_with_one_key_write_once() -> None:
    on_postgres()
    _client, token = api_client_create(organisation=Organisation.objects.get(slug="police-e23000001"),
                                       name="Case system", role=Role.FIRST_RESPONDER,
                                       scopes=[Scope.REFERRALS_WRITE.value])
    created = run_together(*[lambda: _post(token, reverse("api:referrals"), {"answers": ADULT}, "create-1")] * 3)
    assert not [r for r in created if isinstance(r, BaseException)], created
    assert {status for status, _body in created} == {201}
    assert len({body["id"] for _status, body in created}) == 1
    assert Referral.objects.count() == 1
    submit = reverse("api:referral_submit", kwargs={"referral_id": created[0][1]["id"]})
    sent = run_together(*[lambda: _post(token, submit, {}, "submit-1")] * 3)
    assert not [r for r in sent if isinstance(r, BaseException)], sent
    assert {status for status, _body in sent} == {200}
    assert [body["already_submitted"] for _status, body in sent] == [False, False, False]  # all the first answer
    assert len({body["referral"]["reference"] for _status, body in sent}) == 1
