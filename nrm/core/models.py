"""Base models shared by every domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

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


class CoveringIndex(models.Index):
    """An index with non-key ``include`` columns where the database has covering indexes
    (PostgreSQL: index-only scans), and the same index without them where it has not (SQLite).

    A plain ``Index(include=...)`` makes Django warn (models.W040) on every command run on
    SQLite; this one says what it does instead. It deconstructs as ``Index(include=...)``, so
    migrations and their state are those of the plain index.
    """

    def __init__(self, *expressions: Any, include: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*expressions, **kwargs)
        self.covering = tuple(include)

    def _with_include(self) -> models.Index:
        return models.Index(
            *self.expressions, fields=self.fields, name=self.name, db_tablespace=self.db_tablespace,
            opclasses=self.opclasses, condition=self.condition, include=self.covering,
        )

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if self.covering and schema_editor.connection.features.supports_covering_indexes:
            return self._with_include().create_sql(model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def deconstruct(self) -> Any:
        return self._with_include().deconstruct()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, models.Index) and not isinstance(other, CoveringIndex):
            return bool(self.deconstruct() == other.deconstruct())
        return bool(super().__eq__(other))

    __hash__ = models.Index.__hash__
