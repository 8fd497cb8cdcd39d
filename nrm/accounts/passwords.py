"""Password validators added to Django's own, following NCSC guidance (length and deny lists only)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

# Words anyone would try first against this service.
SERVICE_WORDS = ("opennrm", "nrm", "modernslavery", "referral", "homeoffice", "salvationarmy")


class MaximumLengthValidator:
    """Bounds the work of hashing; long enough for any passphrase or password manager."""

    def __init__(self, max_length: int = 256) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(f"Password must be {self.max_length} characters or fewer",
                                  code="password_too_long")

    def get_help_text(self) -> str:
        return f"Your password can be up to {self.max_length} characters long."


class ServiceWordsValidator:
    """Refuses a password that is only this service's name or a few of its words with digits or symbols."""

    def validate(self, password: str, user: Any = None) -> None:
        letters = re.sub(r"[^a-z]", "", password.lower())
        remainder = letters
        for word in sorted(SERVICE_WORDS, key=len, reverse=True):
            remainder = remainder.replace(word, "")
        if letters and len(remainder) < 4:
            raise ValidationError("Password must not be based on the name of this service",
                                  code="password_service_words")

    def get_help_text(self) -> str:
        return "Your password must not be based on the name of this service."
