"""Machine credentials for partner systems, and the record of every call they make."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class ApiClient(models.Model):
    """A partner system's credential. Only a hash of its secret is kept; the token is shown once.
    It acts as its own account (``acting_as``), a member of its organisation in one role, so the
    pages' selectors scope what it sees exactly as they scope a person's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="api_clients")
    name = models.CharField(max_length=120)
    scopes = models.JSONField(default=list)
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    acting_as = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"


class ApiCall(models.Model):
    """One call by a client: who, what path, what answer. Never a body. Also the rate limit's count."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="calls")
    at = models.DateTimeField(db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="api_call_client_at")]


class IdempotentRequest(models.Model):
    """A write a client sent with an ``Idempotency-Key`` header, and the answer it got. The same key
    from the same client gets the same answer again, and the write is not repeated; the same key with
    a different request is refused. Only successful answers are kept (a refused request may be
    corrected and sent again under its key). Kept for ``nrm.api.idempotency.KEEP_FOR``."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="idempotent_requests")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_client_key")]
