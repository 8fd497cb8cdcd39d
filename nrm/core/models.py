"""Base models shared by every domain."""

from __future__ import annotations

import uuid

from django.db import models


class BaseModel(models.Model):
    """Every record has a random public id and creation/update times."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class EffectiveDated(models.Model):
    """Reference data valid from a date and, optionally, until a date (exclusive)."""

    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True
