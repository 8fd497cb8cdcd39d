"""Envelope encryption at rest (ADR 0019).

Each record that identifies a person has its own data key (DEK, 256-bit AES-GCM), stored only
wrapped by a key-encryption key (KEK). The KEKs live outside the database, in ``NRM_DATA_KEYS``
(``version:base64key`` pairs, comma separated; the highest version wraps new keys). Rotating
the KEK rewraps every DEK and leaves the ciphertext alone; destroying a DEK (crypto-shredding)
makes everything sealed under it unreadable.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
KEY_BYTES = 32
# Sealed text in a database column: prefix, then base64 of nonce + ciphertext + tag.
TEXT_PREFIX = "nrm1:"
# Sealed file on disk: magic line, then nonce + ciphertext + tag.
FILE_MAGIC = b"NRMENC1\n"
_WRAP_AAD = b"nrm data key"


class KeyUnavailableError(Exception):
    """The record's data key was destroyed (the record was erased) or cannot be unwrapped."""


@lru_cache(maxsize=8)
def parse_keyring(spec: str) -> dict[int, bytes]:
    """``"1:base64,2:base64"`` to ``{1: key, 2: key}``; every key must be 32 bytes."""
    keys: dict[int, bytes] = {}
    for part in (p.strip() for p in spec.replace("\n", ",").split(",")):
        if not part:
            continue
        version, sep, encoded = part.partition(":")
        if not sep or not version.strip().isdigit():
            raise ImproperlyConfigured("NRM_DATA_KEYS must be version:base64key pairs separated by commas.")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"NRM_DATA_KEYS key version {version.strip()} is not base64.") from None
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(f"NRM_DATA_KEYS key version {version.strip()} must be {KEY_BYTES} bytes.")
        keys[int(version)] = key
    if not keys:
        raise ImproperlyConfigured("NRM_DATA_KEYS holds no key.")
    return keys


def keyring() -> dict[int, bytes]:
    return parse_keyring(str(settings.DATA_KEYS))


def newest_kek_version() -> int:
    return max(keyring())


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def wrap(dek: bytes, *, version: int | None = None) -> tuple[int, str]:
    """The DEK encrypted under the KEK ``version`` (the newest by default)."""
    ring = keyring()
    version = max(ring) if version is None else version
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring[version]).encrypt(nonce, dek, _WRAP_AAD)
    return version, base64.b64encode(nonce + sealed).decode()


def unwrap(wrapped: str, *, version: int) -> bytes:
    ring = keyring()
    if not wrapped:
        raise KeyUnavailableError("the data key was destroyed")
    if version not in ring:
        raise KeyUnavailableError(f"key-encryption key version {version} is not configured")
    raw = base64.b64decode(wrapped)
    try:
        return AESGCM(ring[version]).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _WRAP_AAD)
    except InvalidTag:
        raise KeyUnavailableError("the data key does not unwrap under its key-encryption key") from None


def encrypt(dek: bytes, plaintext: bytes, *, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(dek).encrypt(nonce, plaintext, aad)


def decrypt(dek: bytes, sealed: bytes, *, aad: bytes) -> bytes:
    try:
        return AESGCM(dek).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        raise KeyUnavailableError("the ciphertext does not open under the record's data key") from None


def encrypt_text(dek: bytes, plaintext: str, *, aad: str) -> str:
    return TEXT_PREFIX + base64.b64encode(encrypt(dek, plaintext.encode(), aad=aad.encode())).decode()


def decrypt_text(dek: bytes, sealed: str, *, aad: str) -> str:
    return decrypt(dek, base64.b64decode(sealed.removeprefix(TEXT_PREFIX)), aad=aad.encode()).decode()


def is_sealed_text(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_PREFIX)


def encrypt_file(dek: bytes, content: bytes, *, aad: str) -> bytes:
    return FILE_MAGIC + encrypt(dek, content, aad=aad.encode())


def decrypt_file(dek: bytes, stored: bytes, *, aad: str) -> bytes:
    if not stored.startswith(FILE_MAGIC):
        raise KeyUnavailableError("the file is not sealed")
    return decrypt(dek, stored[len(FILE_MAGIC):], aad=aad.encode())
