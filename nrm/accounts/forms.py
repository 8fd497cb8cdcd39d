from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


class SignInForm(forms.Form):
    email = forms.EmailField(error_messages={
        "required": "Enter your email address",
        "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
    })
    password = forms.CharField(strip=False, error_messages={"required": "Enter your password"})


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app",
            "invalid": "The code must be 6 digits, like 123456",
        },
    )


POLICY_MESSAGES = {
    "password_too_short": "Password must be {min_length} characters or more",
    "password_too_common": "Password is too easy to guess: it is on a list of common passwords. Try 3 random words",
    "password_too_similar": "Password must not be like your name or email address",
}


class NewPasswordForm(forms.Form):
    """A new password, checked against the password policy for ``user`` (no confirmation box: the
    page lets the user show what they typed)."""

    new_password = forms.CharField(strip=False, error_messages={"required": "Enter a new password"})

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_password(self) -> str:
        password: str = self.cleaned_data["new_password"]
        try:
            validate_password(password, self.user)
        except ValidationError as exc:
            first = exc.error_list[0]
            text = POLICY_MESSAGES.get(first.code or "", first.messages[0])
            raise ValidationError(text.format(**(first.params or {}))) from exc
        return password


class ChangePasswordForm(NewPasswordForm):
    current_password = forms.CharField(strip=False, error_messages={"required": "Enter your current password"})
    field_order = ["current_password", "new_password"]


class ForgottenPasswordForm(forms.Form):
    email = forms.EmailField(error_messages={
        "required": "Enter your email address",
        "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
    })
