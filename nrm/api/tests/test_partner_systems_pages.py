"""The pages where administrators connect an organisation's partner systems: API clients and webhooks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.api.models import ApiClient
from nrm.api.services import client_for_token
from nrm.audit.models import AuditEvent
from nrm.notify.models import WebhookEndpoint
from nrm.notify.webhooks import webhook_secret
from nrm.reference.models import Organisation
from nrm.testing import partner_systems_make

pytestmark = pytest.mark.django_db

POLICE = "police-e23000001"


def _url(name: str, *args: Any, slug: str = POLICE) -> str:
    return reverse(f"partner_systems:{name}", args=[slug, *args])


def _token(response: Any) -> str:
    found = re.search(r'id="(?:token|secret)">([^<]+)<', response.content.decode())
    assert found, "the page shows the token once"
    return found.group(1)


@pytest.fixture
def admin(client_for: Callable[..., Client]) -> Client:
    return client_for(Role.ADMINISTRATOR)


@pytest.fixture
def police() -> Organisation:
    return Organisation.objects.get(slug=POLICE)


def test_an_administrator_adds_an_api_client_and_sees_its_token_once(admin: Client, police: Organisation) -> None:
    page = admin.get(_url("client_new"))
    assert page.status_code == 200
    assert "First responder" in page.content.decode()
    assert "Partner recipient" in page.content.decode()
    response = admin.post(_url("client_new"), {"name": "Niche RMS", "role": "partner_recipient",
                                                "scopes": ["messages:read", "messages:acknowledge"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = _token(response)
    client = client_for_token(token)
    assert client is not None
    assert client.organisation == police
    assert client.scopes == ["messages:acknowledge", "messages:read"]
    assert token[-12:] not in ApiClient.objects.get(pk=client.pk).secret_hash
    listing = admin.get(_url("clients")).content.decode()
    assert "Niche RMS" in listing
    assert token not in listing
    event = AuditEvent.objects.get(action="api.client_created")
    assert event.actor_id == admin.user.pk  # type: ignore[attr-defined]


@pytest.mark.parametrize(("posted", "field", "message"), [
    ({"role": "first_responder", "scopes": ["referrals:read"]}, "name", "Enter the name of the system"),
    ({"name": "X", "scopes": ["referrals:read"]}, "role", "Choose what the system acts as"),
    ({"name": "X", "role": "first_responder"}, "scopes", "Choose at least one thing the system may do"),
    ({"name": "X", "role": "first_responder", "scopes": ["cases:decide"]}, "scopes",
     "A system acting as first responder cannot be allowed to record decisions on cases"),
    ({"name": "X", "role": "caseworker", "scopes": ["cases:read"]}, "role", "Choose what the system acts as"),
    ({"name": "X", "role": "first_responder", "scopes": ["everything"]}, "scopes", "Choose from the list"),
    ({"name": "X" * 121, "role": "first_responder", "scopes": ["referrals:read"]}, "name", "120 characters or fewer"),
])
def test_a_bad_api_client_is_refused_with_a_message_and_keeps_what_was_typed(
        admin: Client, posted: dict[str, Any], field: str, message: str) -> None:
    response = admin.post(_url("client_new"), posted)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert f'href="#{field}"' in body
    if posted.get("name"):
        assert f'value="{posted["name"]}"' in body
    for scope in posted.get("scopes", []):
        if scope != "everything":
            assert re.search(rf'value="{re.escape(scope)}" checked', body)
    assert not ApiClient.objects.exists()


def test_a_new_token_replaces_the_old_one_at_once(admin: Client) -> None:
    client, _ = partner_systems_make(Organisation.objects.get(slug=POLICE))
    assert "stops working at once" in admin.get(_url("client_rotate", client.pk)).content.decode()
    first = _token(admin.post(_url("client_rotate", client.pk)))
    second = _token(admin.post(_url("client_rotate", client.pk)))
    assert client_for_token(first) is None
    assert client_for_token(second) == client
    assert AuditEvent.objects.filter(action="api.client_rotated").count() == 2


def test_a_revoked_client_stops_working_and_cannot_be_revoked_or_rotated_again(admin: Client) -> None:
    client, _ = partner_systems_make(Organisation.objects.get(slug=POLICE))
    token = _token(admin.post(_url("client_rotate", client.pk)))
    response = admin.post(_url("client_revoke", client.pk), follow=True)
    assert "Case system can no longer call the API" in response.content.decode()
    assert client_for_token(token) is None
    assert admin.post(_url("client_revoke", client.pk)).status_code == 404
    assert admin.post(_url("client_rotate", client.pk)).status_code == 404
    assert "Revoked" in admin.get(_url("clients")).content.decode()


def test_an_administrator_adds_a_webhook_and_sees_its_secret_once(admin: Client) -> None:
    response = admin.post(_url("webhook_new"), {"url": "https://8.8.4.4/nrm/events",
                                                 "events": ["referral.crime_referral", "referral.decision"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    assert webhook_secret(endpoint) == _token(response)
    assert endpoint.event_names == ["referral.crime_referral", "referral.decision"]
    assert _token(response) not in admin.get(_url("clients")).content.decode()
    rotated = _token(admin.post(_url("webhook_rotate", endpoint.pk)))
    endpoint.refresh_from_db()
    assert webhook_secret(endpoint) == rotated
    admin.post(_url("webhook_remove", endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.removed_at is not None
    assert admin.get(_url("webhook_rotate", endpoint.pk)).status_code == 404
    assert {"webhook.added", "webhook.rotated", "webhook.removed"} <= set(
        AuditEvent.objects.values_list("action", flat=True))


@pytest.mark.parametrize(("url", "message"), [
    ("", "Enter the address of the endpoint"),
    ("ftp://8.8.8.8/x", "The URL must start with"),
    ("https://user:pw@8.8.8.8/x", "must not contain a user name or password"),
    ("https://127.0.0.1/x", "private, loopback or reserved"),
    ("https://10.1.2.3/x", "private, loopback or reserved"),
    ("not a url", "The URL must start with"),
    ("https://8.8.8.8:99999/x", "Enter a URL like"),
])
def test_a_bad_webhook_address_is_refused_and_kept(admin: Client, url: str, message: str) -> None:
    response = admin.post(_url("webhook_new"), {"url": url, "events": ["referral.safeguarding"]})
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert re.search(r'value="referral.safeguarding" checked', body)
    assert not WebhookEndpoint.objects.exists()


def test_a_webhook_needs_an_event(admin: Client) -> None:
    response = admin.post(_url("webhook_new"), {"url": "https://8.8.8.8/x"})
    assert response.status_code == 400
    assert "Choose at least one event" in response.content.decode()
    assert 'value="https://8.8.8.8/x"' in response.content.decode()


def _allow_administrator(slug: str) -> Organisation:
    org = Organisation.objects.get(slug=slug)
    org.roles = f"{org.roles};administrator"
    org.save(update_fields=["roles"])
    return org


def test_an_organisations_administrator_manages_its_own_systems_and_nothing_else(
        client_for: Callable[..., Client], make_user: Callable[..., User]) -> None:
    own = _allow_administrator(POLICE)
    other = Organisation.objects.get(slug="police-e23000002")
    other_client, other_hook = partner_systems_make(other)
    admin = client_for(make_user(Role.ADMINISTRATOR, organisation=own))
    assert admin.get(_url("clients")).status_code == 200
    for name, args in [("clients", ()), ("client_new", ()), ("client_rotate", (other_client.pk,)),
                       ("client_revoke", (other_client.pk,)), ("webhook_new", ()),
                       ("webhook_rotate", (other_hook.pk,)), ("webhook_remove", (other_hook.pk,))]:
        assert admin.get(_url(name, *args, slug=other.slug)).status_code == 404
        assert admin.post(_url(name, *args, slug=other.slug)).status_code == (405 if name == "clients" else 404)
    # another organisation's client or webhook through its own organisation's address
    assert admin.post(_url("client_revoke", other_client.pk)).status_code == 404
    assert admin.post(_url("webhook_remove", other_hook.pk)).status_code == 404
    other_client.refresh_from_db()
    other_hook.refresh_from_db()
    assert other_client.revoked_at is None
    assert other_hook.removed_at is None


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMINISTRATOR])
def test_no_other_role_reaches_the_pages(role: Role, client_for: Callable[..., Client]) -> None:
    client = client_for(role)
    assert client.get(_url("clients")).status_code == 404
    assert client.post(_url("client_new"), {"name": "X", "role": "first_responder",
                                            "scopes": ["referrals:read"]}).status_code == 404
    assert not ApiClient.objects.exists()


def test_an_organisation_whose_members_hold_no_api_role_cannot_add_a_client(admin: Client) -> None:
    page = admin.get(_url("clients", slug="service-team")).content.decode()
    assert "hold no role a partner system can act in" in page
    assert admin.get(_url("client_new", slug="service-team")).status_code == 404
