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


class DataKey(models.Model):
    """One record's data key (ADR 0019), stored only wrapped by a key-encryption key.

    Destroying it (``wrapped`` emptied, ``destroyed_at`` set) erases every value sealed under it:
    the ciphertext stays where it is and can never be read again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    kek_version = models.PositiveIntegerField()
    wrapped = models.TextField(blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    # Why it was destroyed, as a class ("retention:closed_case", "erasure"): never personal data.
    destroyed_because = models.CharField(max_length=60, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kek_version"])]

    def __str__(self) -> str:
        return f"data key {self.pk} (KEK {self.kek_version}{', destroyed' if self.destroyed_at else ''})"
