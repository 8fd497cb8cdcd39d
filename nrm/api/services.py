"""Creating, rotating and revoking API clients, and reading a presented token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from nrm.accounts.capabilities import CAPABILITIES
from nrm.accounts.roles import Role
from nrm.accounts.services import membership_grant
from nrm.api.models import ApiClient
from nrm.api.scopes import SCOPE_CAPABILITY, Scope
from nrm.audit.services import audit_record
from nrm.core.errors import ServiceError

TOKEN_PREFIX = "nrm"  # noqa: S105 - the public prefix of every token, not a secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def token_for(client: ApiClient, secret: str) -> str:
    return f"{TOKEN_PREFIX}_{client.key_id}_{secret}"


def _check_scopes(role: Role, scopes: Iterable[str]) -> list[str]:
    chosen: list[str] = []
    for name in scopes:
        try:
            scope = Scope(name)
        except ValueError:
            raise ServiceError(f"Unknown scope {name!r}", field="scopes") from None
        if SCOPE_CAPABILITY[scope] not in CAPABILITIES.get(role, frozenset()):
            raise ServiceError(f"A {role.value} client cannot hold {scope.value}", field="scopes")
        chosen.append(scope.value)
    if not chosen:
        raise ServiceError("Choose at least one scope", field="scopes")
    return sorted(set(chosen))


def api_client_create(*, organisation: Any, name: str, role: Role, scopes: Iterable[str],
                      created_by: Any = None) -> tuple[ApiClient, str]:
    """A new client and its token (returned once, never stored)."""
    chosen = _check_scopes(role, scopes)
    key_id = secrets.token_hex(6)
    secret = _new_secret()
    with transaction.atomic():
        user = get_user_model().objects.create_user(f"api-{key_id}@clients.invalid", None, full_name=f"API: {name}")
        membership_grant(user=user, organisation=organisation, role=role)
        client = ApiClient.objects.create(organisation=organisation, name=name, scopes=chosen, key_id=key_id,
                                          secret_hash=_hash(secret), acting_as=user, created_by=created_by)
        audit_record(actor=created_by, action="api.client_created", target=client,
                     after={"name": name, "scopes": chosen, "role": role.value})
    return client, token_for(client, secret)


def api_client_rotate(*, client: ApiClient, by: Any = None) -> str:
    """A new secret for ``client``; the old token stops working at once."""
    if client.revoked_at:
        raise ServiceError("A revoked client cannot be rotated")
    secret = _new_secret()
    with transaction.atomic():
        client.secret_hash = _hash(secret)
        client.rotated_at = timezone.now()
        client.save(update_fields=["secret_hash", "rotated_at"])
        audit_record(actor=by, action="api.client_rotated", target=client)
    return token_for(client, secret)


def api_client_revoke(*, client: ApiClient, by: Any = None) -> ApiClient:
    if client.revoked_at:
        return client
    with transaction.atomic():
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        user = client.acting_as
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(actor=by, action="api.client_revoked", target=client)
    return client


def client_for_token(token: str) -> ApiClient | None:
    """The live client whose token this is, or None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    client = ApiClient.objects.select_related("acting_as", "organisation").filter(
        key_id=parts[1], revoked_at__isnull=True).first()
    if client is None or not hmac.compare_digest(client.secret_hash, _hash(parts[2])):
        return None
    return client
