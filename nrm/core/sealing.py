"""Sealed model fields (ADR 0019): a value encrypted under its record's data key, read and
written like a plain field.

``SealedField`` stores ``nrm1:<base64>`` in a text column. Reading the attribute opens it with
the data key of the record named by ``key_from`` (the instance itself by default, or a dotted
path such as ``"referral"``); saving seals it again. Once that data key is destroyed the
attribute reads as an erased value (:func:`is_erased`) instead of raising. Nothing can query
inside a sealed value: filter on plaintext columns instead."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from nrm.core import crypto
from nrm.core.keys import data_key_create, data_key_material

ERASED_TEXT = "Erased"


class Ciphertext(str):
    """A sealed value as stored, not yet opened."""


class ErasedText(str):
    """What a sealed text reads as once its data key is destroyed."""

    erased = True


class ErasedDict(dict[str, Any]):
    """What sealed JSON reads as once its data key is destroyed: empty."""

    erased = True


def is_erased(value: object) -> bool:
    return getattr(value, "erased", False) is True


def key_holder(instance: models.Model, key_from: str) -> models.Model | None:
    holder: Any = instance
    for part in key_from.split(".") if key_from else []:
        holder = getattr(holder, part)
        if holder is None:
            return None
    return holder  # type: ignore[no-any-return]


def holder_data_key(holder: models.Model, *, create: bool) -> Any:
    """The ``DataKey`` of ``holder`` (a record with a ``data_key`` field), cached on it; a new
    one when it has none and ``create`` (saved on the holder unless it is being inserted)."""
    key_model = holder._meta.apps.get_model("core", "DataKey")
    key_id = getattr(holder, "data_key_id", None)
    cached = holder.__dict__.get("_sealing_key") or holder._state.fields_cache.get("data_key")
    if cached is not None and key_id == cached.pk:
        return cached  # given by data_keys_give, or loaded with select_related("data_key")
    if key_id is None:
        if not create:
            return None
        key = data_key_create(model=key_model)
        holder.data_key_id = key.pk  # type: ignore[attr-defined]
        if not holder._state.adding:
            type(holder)._default_manager.filter(pk=holder.pk).update(data_key_id=key.pk)
    else:
        key = key_model.objects.get(pk=key_id)
    holder.__dict__["_sealing_key"] = key
    return key


class SealedAttribute(DeferredAttribute):
    """Opens the stored ciphertext on first read (a data descriptor, so every read comes here)."""

    field: SealedField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if not isinstance(value, Ciphertext):
            return value
        opened = self.field.open(instance, value)
        if not is_erased(opened):
            instance.__dict__[self.field.attname] = opened
        return opened

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


if TYPE_CHECKING:
    _SealedBase = models.TextField[Any, Any]  # reads and writes Python values (text or JSON), not str
else:
    _SealedBase = models.TextField


class SealedField(_SealedBase):
    """A text (or, with ``json=True``, a JSON value) sealed under a record's data key."""

    descriptor_class = SealedAttribute
    if TYPE_CHECKING:  # what the type checker's Django plugin takes as the field's Python types
        _pyi_private_set_type: Any
        _pyi_private_get_type: Any

    def __init__(self, *args: Any, json: bool = False, key_from: str = "", **kwargs: Any) -> None:
        self.json = json
        self.key_from = key_from
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.json:
            kwargs["json"] = True
        if self.key_from:
            kwargs["key_from"] = self.key_from
        return name, path, args, kwargs

    def get_lookup(self, lookup_name: str) -> Any:
        """Only ``isnull``: SQL cannot see inside a sealed value, so a filter on one is a mistake."""
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def _aad(self, instance: models.Model) -> str:
        return f"{instance._meta.label}.{self.name}:{instance.pk}"

    def _empty(self) -> Any:
        return {} if self.json else ""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return self._empty() if not self.null else value
        if crypto.is_sealed_text(value):
            return Ciphertext(value)
        return json.loads(value) if self.json else value  # written before sealing (the migration seals it)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Ciphertext):
            return None if value is None else str(value)
        if value == "" or (self.json and value == {}):
            return ""
        # Only save() seals (pre_save): QuerySet.update() and bulk_update() would store plaintext.
        raise TypeError(f"{self.model._meta.label}.{self.name} is sealed: set it on the instance and save() it")

    def open(self, instance: models.Model, sealed: Ciphertext) -> Any:
        holder = key_holder(instance, self.key_from)
        key = None if holder is None else holder_data_key(holder, create=False)
        try:
            if key is None:
                raise crypto.KeyUnavailableError("the record has no data key")
            text = crypto.decrypt_text(data_key_material(key), sealed, aad=self._aad(instance))
        except crypto.KeyUnavailableError:
            return ErasedDict() if self.json else ErasedText(ERASED_TEXT)
        return json.loads(text) if self.json else text

    def seal(self, instance: models.Model, value: Any) -> Ciphertext:
        holder = key_holder(instance, self.key_from)
        if holder is None:
            raise crypto.KeyUnavailableError(f"{instance._meta.label}.{self.name} has no record to take a key from")
        if holder._state.adding and getattr(holder, "data_key_id", None) is None:
            # An insert that bypasses SealedRecord.save (bulk_create) must bring its own keys.
            raise crypto.KeyUnavailableError(f"give each new {holder._meta.label} a data key before inserting it")
        key = holder_data_key(holder, create=True)
        text = json.dumps(value, cls=DjangoJSONEncoder) if self.json else str(value)
        return Ciphertext(crypto.encrypt_text(data_key_material(key), text, aad=self._aad(instance)))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Ciphertext):
            return value
        if value == self._empty() or value == "":
            return ""
        if is_erased(value):
            raise crypto.KeyUnavailableError(f"{model_instance._meta.label} was erased and cannot be written")
        return self.seal(model_instance, value)


class SealedRecord(models.Model):
    """A record with its own data key: what identifies a person in it, and in the records that
    take their key from it (``key_from``), is sealed under that key."""

    data_key = models.OneToOneField("core.DataKey", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.data_key_id is None:
            holder_data_key(self, create=True)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = [*kwargs["update_fields"], "data_key"]
        super().save(*args, **kwargs)

    @property
    def is_erased(self) -> bool:
        """True once this record's data key was destroyed."""
        key = holder_data_key(self, create=False)
        return key is not None and not key.wrapped


def _bytes_aad(instance: models.Model, purpose: str) -> str:
    return f"{instance._meta.label}.{purpose}:{instance.pk}"


def seal_bytes(instance: models.Model, *, key_from: str, purpose: str, content: bytes) -> bytes:
    """``content`` (a file's bytes) sealed under the data key of ``instance``'s key holder."""
    holder = key_holder(instance, key_from)
    if holder is None:
        raise crypto.KeyUnavailableError(f"{instance._meta.label} has no record to take a key from")
    key = holder_data_key(holder, create=True)
    return crypto.encrypt_file(data_key_material(key), content, aad=_bytes_aad(instance, purpose))


def open_bytes(instance: models.Model, *, key_from: str, purpose: str, stored: bytes) -> bytes | None:
    """The bytes sealed by :func:`seal_bytes`, or None once the data key was destroyed."""
    holder = key_holder(instance, key_from)
    key = None if holder is None else holder_data_key(holder, create=False)
    if key is None:
        return None
    try:
        return crypto.decrypt_file(data_key_material(key), stored, aad=_bytes_aad(instance, purpose))
    except crypto.KeyUnavailableError:
        return None


# --- Migrations that seal what was stored before ------------------------------------------------

def migration_give_keys(app_label: str, model_name: str) -> Any:
    """A RunPython step giving every row of a key-holding model its own data key."""

    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        key_model = apps.get_model("core", "DataKey")
        for pk in model.objects.filter(data_key__isnull=True).values_list("pk", flat=True).iterator():
            model.objects.filter(pk=pk).update(data_key_id=data_key_create(model=key_model).pk)

    return run


def migration_seal(app_label: str, model_name: str, fields: list[str]) -> Any:
    """A RunPython step sealing the plaintext left in ``fields`` (saving a row seals it)."""

    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        for row in model.objects.all().iterator(chunk_size=500):
            row.save(update_fields=fields)

    return run


@dataclass(frozen=True)
class RecordClass:
    """What an audit event about a class of records (not one record) names as its object:
    ``RecordClass("closed_case")`` is audited as object ``RecordClass:closed_case``."""

    pk: str


def seal_for_audit(holder: models.Model, value: str) -> str:
    """``value`` sealed under ``holder``'s data key, for an audit event's detail (a name, an email,
    a reason typed about the person). The chain hashes what is stored, the ciphertext, so destroying
    the key erases the detail and leaves the chain verifiable."""
    key = holder_data_key(holder, create=True)
    return crypto.encrypt_text(data_key_material(key), value, aad=f"audit:{holder._meta.label}:{holder.pk}")


def open_from_audit(holder: models.Model, sealed: str) -> str:
    """A detail sealed by :func:`seal_for_audit`, or ``Erased``."""
    key = holder_data_key(holder, create=False)
    try:
        if key is None:
            raise crypto.KeyUnavailableError("the record has no data key")
        return crypto.decrypt_text(data_key_material(key), sealed, aad=f"audit:{holder._meta.label}:{holder.pk}")
    except crypto.KeyUnavailableError:
        return ErasedText(ERASED_TEXT)
