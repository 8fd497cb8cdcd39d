"""What the service accepts as text, in one place (pure Python).

A NUL character cannot be stored in PostgreSQL (text or JSON), and an unpaired UTF-16 surrogate
(which can arrive through a JSON ``\\ud800`` escape) cannot be written out as UTF-8. Both are
refused at the boundary, with a message on the field, rather than failing deep inside a save.
Forms (``nrm.core.forms.GovukForm``), the referral journey and the API parser all use this.
"""

from __future__ import annotations

import re
from typing import cast

# NUL, and every code point of the surrogate range (never valid on its own in UTF-8 text).
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"

# The longest text any single answer may have, unless a field says less.
TEXT_LIMIT = 20_000


def has_unsafe_characters(value: object) -> bool:
    """Whether a value (text, or a list or dict of them, keys included) holds a character that
    cannot be stored."""
    if isinstance(value, str):
        return _UNSAFE.search(value) is not None
    if isinstance(value, dict):
        return any(has_unsafe_characters(k) or has_unsafe_characters(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_unsafe_characters(v) for v in value)
    return False


def unsafe_message(label: str = "") -> str:
    """The error shown on a field that holds such a character."""
    subject = label or "Your answer"
    return f"{subject} must not include hidden characters, such as a null character. Delete them and try again"


def shown_back[T](value: T) -> T:
    """A typed value made safe to show again on the page: unsafe characters become the
    replacement character (shown as a question mark in a diamond), everything else is kept."""
    if isinstance(value, str):
        return cast(T, _UNSAFE.sub(REPLACEMENT, value))
    if isinstance(value, dict):
        return cast(T, {shown_back(k): shown_back(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return cast(T, [shown_back(v) for v in value])
    return value
