"""Data keys (ADR 0019): create, unwrap, destroy (crypto-shredding) and rewrap under the newest
key-encryption key. Callers audit what they do with these; ``core`` imports no domain."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from nrm.core import crypto
from nrm.core.models import DataKey


def data_key_create(*, model: Any = DataKey) -> Any:
    """A new data key, stored wrapped under the newest KEK. ``model`` is the migration's
    historical ``DataKey`` when a migration seals existing rows."""
    version, wrapped = crypto.wrap(crypto.new_data_key())
    return model.objects.create(kek_version=version, wrapped=wrapped)


def data_key_material(key: Any) -> bytes:
    """The plaintext DEK of ``key``; raises :class:`crypto.KeyUnavailableError` once destroyed."""
    cached = key.__dict__.get("_material")
    if cached is not None:
        return bytes(cached)
    material = crypto.unwrap(key.wrapped, version=key.kek_version)
    key.__dict__["_material"] = material
    return material


def data_key_is_destroyed(key: Any) -> bool:
    return key is not None and not key.wrapped


def data_keys_destroy(*, ids: list[Any], because: str) -> int:
    """Crypto-shred: forget the wrapped DEKs of ``ids``. Returns how many were still live."""
    ids = [pk for pk in ids if pk is not None]
    return DataKey.objects.filter(pk__in=ids, destroyed_at__isnull=True).update(
        wrapped="", destroyed_at=timezone.now(), destroyed_because=because[:60])


def data_keys_rotate(*, batch: int = 500) -> int:
    """Rewrap every live DEK under the newest KEK; the ciphertext sealed under them is untouched."""
    newest = crypto.newest_kek_version()
    rewrapped = 0
    while True:
        with transaction.atomic():
            keys = list(DataKey.objects.select_for_update().filter(destroyed_at__isnull=True)
                        .exclude(kek_version=newest).exclude(wrapped="")[:batch])
            for key in keys:
                material = crypto.unwrap(key.wrapped, version=key.kek_version)
                key.kek_version, key.wrapped = crypto.wrap(material, version=newest)
                key.save(update_fields=["kek_version", "wrapped"])
        rewrapped += len(keys)
        if len(keys) < batch:
            return rewrapped


def data_keys_by_kek_version() -> dict[int, int]:
    """How many live data keys each KEK version wraps (after a rotation: only the newest)."""
    counts: dict[int, int] = {}
    for version in DataKey.objects.filter(destroyed_at__isnull=True).values_list("kek_version", flat=True):
        counts[version] = counts.get(version, 0) + 1
    return dict(sorted(counts.items()))


def data_keys_give(records: list[Any]) -> None:
    """Give each record without one a new data key, in one insert (for ``bulk_create`` callers,
    which bypass ``SealedRecord.save``)."""
    keys = []
    for record in records:
        if getattr(record, "data_key_id", None) is None:
            version, wrapped = crypto.wrap(crypto.new_data_key())
            key = DataKey(kek_version=version, wrapped=wrapped)
            record.data_key_id = key.pk
            record.__dict__["_sealing_key"] = key  # what the sealed fields use, without a query
            keys.append(key)
    DataKey.objects.bulk_create(keys, batch_size=1000)
