"""API clients: hashed tokens shown once, scopes backed by the capability table, the pages'
organisation scoping, rotation and revocation, per-call records and the per-client rate limit."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.roles import Role
from nrm.api import auth
from nrm.api.models import ApiCall, ApiClient
from nrm.api.scopes import Scope
from nrm.api.services import api_client_create, api_client_revoke, api_client_rotate, client_for_token
from nrm.audit.models import AuditEvent
from nrm.core.errors import ServiceError
from nrm.notify.models import OutboxMessage
from nrm.notify.services import outbox_add
from nrm.reference.models import Organisation
from nrm.testing import DEFAULT_ORGANISATION

pytestmark = pytest.mark.django_db

ALL_MESSAGE_SCOPES = [Scope.MESSAGES_READ.value, Scope.MESSAGES_ACKNOWLEDGE.value]


def _org(slug: str | None = None) -> Organisation:
    return Organisation.objects.get(slug=slug or DEFAULT_ORGANISATION[Role.PARTNER_RECIPIENT])


def _partner(scopes: list[str] | None = None, organisation: Organisation | None = None) -> tuple[ApiClient, str]:
    return api_client_create(organisation=organisation or _org(), name="Force crime system",
                             role=Role.PARTNER_RECIPIENT, scopes=scopes or ALL_MESSAGE_SCOPES)


def _message(organisation: Organisation | None = None, kind: str = "crime_referral") -> OutboxMessage:
    return outbox_add(kind=kind, subject="Crime referral", body="Please record a crime.",
                      recipient_organisation=organisation or _org(),
                      acknowledge_by=timezone.localdate() + timedelta(days=2))


def _get(token: str, url: str) -> int:
    return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_only_a_hash_of_the_token_is_stored_and_the_token_authenticates() -> None:
    client, token = _partner()
    assert token.startswith(f"nrm_{client.key_id}_")
    secret = token.split("_", 2)[2]
    assert secret not in client.secret_hash
    assert len(client.secret_hash) == 64
    assert client_for_token(token) == client
    assert client_for_token(token + "x") is None
    assert client_for_token("nrm_nokey_" + secret) is None
    assert AuditEvent.objects.filter(action="api.client_created").exists()


def test_scopes_must_be_known_and_backed_by_the_roles_capabilities() -> None:
    with pytest.raises(ServiceError, match="Unknown scope"):
        _partner(["messages:delete"])
    with pytest.raises(ServiceError, match="cannot hold cases:decide"):
        _partner([Scope.CASES_DECIDE.value])


def test_a_client_reads_its_own_organisations_messages_and_not_others() -> None:
    _client, token = _partner()
    own = _message()
    other = _message(_org(DEFAULT_ORGANISATION[Role.CHILDRENS_SERVICES]), kind="safeguarding")
    response = Client().get(reverse("api:messages"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert [m["id"] for m in response.json()] == [str(own.pk)]
    assert _get(token, reverse("api:message", kwargs={"message_id": own.pk})) == 200
    assert _get(token, reverse("api:message", kwargs={"message_id": other.pk})) == 404


def test_a_missing_scope_is_refused_with_403() -> None:
    _client, token = _partner([Scope.MESSAGES_ACKNOWLEDGE.value])
    assert _get(token, reverse("api:messages")) == 403
    message = _message()
    url = reverse("api:message_acknowledge", kwargs={"message_id": message.pk})
    _client2, read_only = _partner([Scope.MESSAGES_READ.value])
    response = Client().post(url, {"crime_reference": "42/1/26"}, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {read_only}")
    assert response.status_code == 403


def test_acknowledging_a_crime_referral_needs_the_crime_reference() -> None:
    _client, token = _partner()
    message = _message()
    url = reverse("api:message_acknowledge", kwargs={"message_id": message.pk})
    bearer = f"Bearer {token}"
    refused = Client().post(url, {}, content_type="application/json", HTTP_AUTHORIZATION=bearer)
    assert refused.status_code == 400
    assert refused.json() == {"error": "ValidationError", "message": "Enter the crime reference number",
                              "field": "crime_reference",
                              "fields": {"crime_reference": ["Enter the crime reference number"]}}
    done = Client().post(url, {"crime_reference": "42/12345/26"}, content_type="application/json", HTTP_AUTHORIZATION=bearer)
    assert done.status_code == 200
    assert done.json()["crime_reference"] == "42/12345/26"
    message.refresh_from_db()
    assert message.acknowledged_at is not None


def test_rotation_and_revocation_stop_the_old_token() -> None:
    client, token = _partner()
    url = reverse("api:messages")
    assert _get(token, url) == 200
    new = api_client_rotate(client=client)
    assert _get(token, url) == 401
    assert _get(new, url) == 200
    api_client_revoke(client=client)
    assert _get(new, url) == 401
    with pytest.raises(ServiceError):
        api_client_rotate(client=client)


def test_each_call_is_recorded_without_its_body_and_marks_the_client_used() -> None:
    client, token = _partner()
    _get(token, reverse("api:messages"))
    _get(token, reverse("api:message", kwargs={"message_id": _message(_org("sca")).pk}))
    calls = list(ApiCall.objects.filter(client=client).order_by("at").values_list("method", "path", "status"))
    assert calls == [("GET", "/api/v1/messages", 200),
                     ("GET", calls[1][1], 404)]
    client.refresh_from_db()
    assert client.last_used_at is not None


def test_over_the_rate_limit_a_client_gets_429_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "RATE_LIMIT", 3)
    held = timezone.now().replace(second=20, microsecond=0)  # well inside one window
    monkeypatch.setattr(auth, "now", lambda: held)
    client, token = _partner()
    _other, other_token = _partner()
    url = reverse("api:messages")
    assert [_get(token, url) for _ in range(3)] == [200, 200, 200]
    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert retry_after == auth.RATE_WINDOW.total_seconds() - 20
    assert _get(other_token, url) == 200  # the limit is per client
    assert ApiCall.objects.filter(client=client).count() == 4
    monkeypatch.setattr(auth, "now", lambda: held + auth.RATE_WINDOW)  # the next window starts afresh
    assert _get(token, url) == 200


def test_the_command_creates_rotates_and_revokes() -> None:
    out = StringIO()
    call_command("api_client", "create", "--organisation", _org().slug, "--name", "Crime system",
                 "--role", Role.PARTNER_RECIPIENT.value, "--scope", Scope.MESSAGES_READ.value, stdout=out)
    token = out.getvalue().split("Token (shown once): ")[1].strip()
    client = ApiClient.objects.get()
    assert client_for_token(token) == client
    out = StringIO()
    call_command("api_client", "rotate", client.key_id, stdout=out)
    assert client_for_token(token) is None
    call_command("api_client", "revoke", client.key_id, stdout=StringIO())
    client.refresh_from_db()
    assert client.revoked_at is not None
